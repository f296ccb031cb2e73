#include "launch/terminal.h"

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

}  // namespace lb
