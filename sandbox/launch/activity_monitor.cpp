#include "launch/activity_monitor.h"

#include <seccomp.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace lb {

namespace {

int64_t monotonicMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

int64_t unixMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

ActivityMonitor::~ActivityMonitor() {
    ::unlink(file_.c_str());
}

void ActivityMonitor::addListener(UniqueFd fd) {
    if (fd.valid()) listeners_.push_back(std::move(fd));
}

void ActivityMonitor::addTo(std::vector<struct pollfd>& pfd) {
    firstIdx_ = pfd.size();
    for (const auto& l : listeners_)
        pfd.push_back({l.get(), POLLIN, 0});
}

int ActivityMonitor::timeoutMs() const {
    if (!log_.dirty()) return -1;
    int64_t left = lastWriteMs_ + ActivityLog::kWriteEveryMs - monotonicMs();
    return left < 0 ? 0 : static_cast<int>(left);
}

void ActivityMonitor::handle(const std::vector<struct pollfd>& pfd) {
    if (firstIdx_ != SIZE_MAX) {
        std::vector<int> gone;
        for (size_t i = 0; i < listeners_.size() && firstIdx_ + i < pfd.size(); ++i) {
            const auto& p = pfd[firstIdx_ + i];
            if (p.revents & POLLIN) answer(p.fd);
            // Every process of that filter has gone.
            if ((p.revents & (POLLHUP | POLLERR | POLLNVAL)) && !(p.revents & POLLIN))
                gone.push_back(p.fd);
        }
        for (int fd : gone)
            std::erase_if(listeners_, [fd](const UniqueFd& l) { return l.get() == fd; });
        firstIdx_ = SIZE_MAX;
    }
    writeIfDue(false);
}

std::string ActivityMonitor::commandOf(pid_t pid, int64_t nowMs) {
    // A flood of refusals from one process reads its name once in a while, not every time.
    auto it = comms_.find(pid);
    if (it != comms_.end() && nowMs - it->second.first < 200) return it->second.second;
    if (comms_.size() > 1024) comms_.clear();
    std::string name = "?";
    if (auto t = readFile("/proc/" + std::to_string(pid) + "/comm"); t) {
        name = *t;
        while (!name.empty() && name.back() == '\n')
            name.pop_back();
    }
    comms_[pid] = {nowMs, name};
    return name;
}

void ActivityMonitor::answer(int fd) {
    struct seccomp_notif* req = nullptr;
    struct seccomp_notif_resp* resp = nullptr;
    if (seccomp_notify_alloc(&req, &resp) != 0) return;
    // As many as are waiting (bounded, so the rest of the runner's loop still runs).
    for (int n = 0; n < 256; ++n) {
        if (n > 0) {
            struct pollfd p = {fd, POLLIN, 0};
            if (::poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) break;
        }
        // libseccomp wants the request zeroed before each receive.
        std::memset(req, 0, sizeof *req);
        if (seccomp_notify_receive(fd, req) != 0) break;  // its caller died meanwhile
        const int64_t now = monotonicMs();
        ActivityEntry e;
        e.timeMs = unixMs();
        e.kind = "syscall";
        e.pid = static_cast<pid_t>(req->pid);
        e.command = commandOf(e.pid, now);
        e.object = syscallName(req->data.arch, req->data.nr);
        uint64_t args[6];
        for (int i = 0; i < 6; ++i)
            args[i] = req->data.args[i];
        int err = seccompErrno(plan_, req->data.arch, req->data.nr, args);
        if (err == 0) err = EPERM;  // cannot happen (the same rules); refused all the same
        resp->id = req->id;
        resp->error = -err;
        resp->val = 0;
        resp->flags = 0;
        (void)seccomp_notify_respond(fd, resp);
        log_.record(std::move(e), now);
    }
    seccomp_notify_free(req, resp);
}

void ActivityMonitor::writeIfDue(bool force) {
    if (!log_.dirty() && !force) return;
    const int64_t now = monotonicMs();
    if (!force && now - lastWriteMs_ < ActivityLog::kWriteEveryMs) return;
    lastWriteMs_ = now;
    log_.clean();
    // A runtime file on tmpfs: atomic for readers, no fsync.
    (void)writeFileAtomic(file_, encodeActivity(log_.snapshot()), 0600, false);
}

}  // namespace lb
