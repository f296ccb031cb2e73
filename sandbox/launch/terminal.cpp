#include "launch/terminal.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace lb {

bool TerminalRelay::wanted() {
    return ::isatty(0) && ::isatty(1) && ::tcgetpgrp(0) == ::getpgrp();
}

void TerminalRelay::attach(UniqueFd master) {
    master_ = std::move(master);
    if (::isatty(0) && ::tcgetattr(0, &saved_) == 0) {
        struct termios raw = saved_;
        ::cfmakeraw(&raw);
        if (::tcsetattr(0, TCSADRAIN, &raw) == 0) raw_ = true;
    }
    copyWindowSize();
}

void TerminalRelay::addTo(std::vector<struct pollfd>& fds) {
    masterIdx_ = stdinIdx_ = -1;
    if (!master_.valid()) return;
    masterIdx_ = static_cast<int>(fds.size());
    fds.push_back({master_.get(), POLLIN, 0});
    if (stdinOpen_) {
        stdinIdx_ = static_cast<int>(fds.size());
        fds.push_back({0, POLLIN, 0});
    }
}

void TerminalRelay::handle(const std::vector<struct pollfd>& fds) {
    if (masterIdx_ >= 0 && (fds[masterIdx_].revents & (POLLIN | POLLHUP | POLLERR))) {
        char buf[16384];
        ssize_t r = ::read(master_.get(), buf, sizeof buf);
        if (r > 0) {
            (void)writeAll(1, std::string_view(buf, static_cast<size_t>(r)), "stdout");
        } else if (r == 0 || errno != EINTR) {
            master_.reset();  // the program closed its terminal (EIO once every slave is gone)
            return;
        }
    }
    if (stdinIdx_ >= 0 && master_.valid() &&
        (fds[stdinIdx_].revents & (POLLIN | POLLHUP | POLLERR))) {
        char buf[4096];
        ssize_t r = ::read(0, buf, sizeof buf);
        if (r > 0)
            (void)writeAll(master_.get(), std::string_view(buf, static_cast<size_t>(r)), "pty");
        else if (r == 0 || errno != EINTR)
            stdinOpen_ = false;
    }
}

void TerminalRelay::copyWindowSize() {
    struct winsize ws;
    if (master_.valid() && ::ioctl(0, TIOCGWINSZ, &ws) == 0)
        ::ioctl(master_.get(), TIOCSWINSZ, &ws);
}

void TerminalRelay::restore() {
    if (raw_) {
        ::tcsetattr(0, TCSADRAIN, &saved_);
        raw_ = false;
    }
}

std::array<bool, 3> StdioRelay::terminals() {
    return {::isatty(0) == 1, ::isatty(1) == 1, ::isatty(2) == 1};
}

Result<StdioRelay> StdioRelay::create(std::array<bool, 3> relay) {
    StdioRelay r;
    for (int i = 0; i < 3; ++i) {
        if (!relay[i]) continue;
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0) return Error::fromErrno("pipe2");
        // stdin: the program reads p[0]; stdout/stderr: the program writes p[1].
        r.inner_[i].reset(i == 0 ? p[0] : p[1]);
        r.outer_[i].reset(i == 0 ? p[1] : p[0]);
        int fl = ::fcntl(r.outer_[i].get(), F_GETFL);
        ::fcntl(r.outer_[i].get(), F_SETFL, fl | O_NONBLOCK);
    }
    // A terminal we are not in the foreground of cannot be read (SIGTTIN would stop us): the
    // program's stdin ends at once, as it would for a background job.
    if (r.outer_[0].valid() && ::isatty(0) && ::tcgetpgrp(0) != ::getpgrp()) {
        r.outer_[0].reset();
        r.stdinOpen_ = false;
    }
    return r;
}

void StdioRelay::closeSandboxEnds() {
    for (auto& fd : inner_)
        fd.reset();
}

void StdioRelay::addTo(std::vector<struct pollfd>& fds) {
    for (int& i : idx_)
        i = -1;
    if (outer_[0].valid()) {
        if (pendingIn_.empty() && stdinOpen_) {
            idx_[0] = static_cast<int>(fds.size());
            fds.push_back({0, POLLIN, 0});
        } else if (!pendingIn_.empty()) {
            idx_[1] = static_cast<int>(fds.size());
            fds.push_back({outer_[0].get(), POLLOUT, 0});
        }
    }
    for (int i = 1; i < 3; ++i) {
        if (!outer_[i].valid()) continue;
        idx_[i + 1] = static_cast<int>(fds.size());
        fds.push_back({outer_[i].get(), POLLIN, 0});
    }
}

bool StdioRelay::copyOut(int which) {
    char buf[16384];
    for (;;) {
        ssize_t r = ::read(outer_[which].get(), buf, sizeof buf);
        if (r > 0) {
            (void)writeAll(which, std::string_view(buf, static_cast<size_t>(r)),
                           which == 1 ? "stdout" : "stderr");
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) return true;
        return false;
    }
}

void StdioRelay::handle(const std::vector<struct pollfd>& fds) {
    auto ready = [&](int slot, short ev) { return slot >= 0 && (fds[slot].revents & ev); };
    if (ready(idx_[0], POLLIN | POLLHUP | POLLERR)) {
        char buf[16384];
        ssize_t r = ::read(0, buf, sizeof buf);
        if (r > 0) {
            pendingIn_.assign(buf, static_cast<size_t>(r));
        } else if (r == 0 || errno != EINTR) {
            stdinOpen_ = false;  // end of our input: the program sees the end of its own
            outer_[0].reset();
        }
    }
    if (ready(idx_[1], POLLOUT | POLLERR | POLLHUP) && outer_[0].valid()) {
        ssize_t w = ::write(outer_[0].get(), pendingIn_.data(), pendingIn_.size());
        if (w > 0) {
            pendingIn_.erase(0, static_cast<size_t>(w));
        } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
            outer_[0].reset();  // the program closed its stdin
            pendingIn_.clear();
        }
    }
    for (int i = 1; i < 3; ++i)
        if (ready(idx_[i + 1], POLLIN | POLLHUP | POLLERR) && !copyOut(i)) outer_[i].reset();
}

void StdioRelay::drain() {
    for (int i = 1; i < 3; ++i)
        if (outer_[i].valid()) copyOut(i);
}

}  // namespace lb
