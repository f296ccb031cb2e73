#include "launch/activity_monitor.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <seccomp.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include <cstring>
#include "desktop/dbus_activity.h"
#include "network/drop_log.h"

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

void ActivityMonitor::addDbus(UniqueFd pipe, pid_t proxy, std::string logPath,
                              std::function<std::vector<pid_t>()> sandboxPids) {
    if (!pipe.valid()) return;
    ::fcntl(pipe.get(), F_SETFL, O_NONBLOCK);
    dbus_ = std::move(pipe);
    proxy_ = proxy;
    proxyLog_ = std::move(logPath);
    sandboxPids_ = std::move(sandboxPids);
}

void ActivityMonitor::addDropLog(UniqueFd fd) {
    ::fcntl(fd.get(), F_SETFL, O_NONBLOCK);
    drops_ = std::move(fd);
}

void ActivityMonitor::readDrops() {
    // A packet a message; at most 64 a round, the rest waits in the socket (whose buffer the
    // kernel bounds: beyond it the copies are lost, ENOBUFS, never the packets' verdicts).
    alignas(nlmsghdr) char buf[8192];
    for (int round = 0; round < 64; ++round) {
        ssize_t n = ::recv(drops_.get(), buf, sizeof buf, 0);
        if (n < 0 && errno == ENOBUFS) continue;  // some copies were lost; go on reading
        if (n <= 0) return;
        const int64_t now = monotonicMs();
        size_t len = static_cast<size_t>(n);
        for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            auto p = parseDropLogMessage(reinterpret_cast<const char*>(h), h->nlmsg_len);
            if (!p) continue;
            // A connection once: TCP sends its SYN again after the first refusal (the error
            // reached a socket its connect held), a socket's datagrams share their flow.
            // Bounded: flows unseen for a minute go, and at most 256 are remembered.
            auto [it, fresh] = flows_.try_emplace(p->flow, now);
            const bool repeat = !fresh && now - it->second < 60000;
            it->second = now;
            if (flows_.size() > 256)
                for (auto f = flows_.begin(); f != flows_.end();)
                    f = now - f->second >= 60000 || flows_.size() > 256 ? flows_.erase(f)
                                                                        : std::next(f);
            if (repeat) continue;
            ActivityEntry e;
            e.timeMs = unixMs();
            e.kind = "net";
            e.object = describeDrop(*p);
            log_.record(std::move(e), now);
        }
    }
}

void ActivityMonitor::addTo(std::vector<struct pollfd>& pfd) {
    dropsIdx_ = SIZE_MAX;
    if (drops_.valid()) {
        dropsIdx_ = pfd.size();
        pfd.push_back({drops_.get(), POLLIN, 0});
    }
    dbusIdx_ = SIZE_MAX;
    if (dbus_.valid()) {
        dbusIdx_ = pfd.size();
        pfd.push_back({dbus_.get(), POLLIN, 0});
    }
    firstIdx_ = pfd.size();
    for (const auto& l : listeners_)
        pfd.push_back({l.get(), POLLIN, 0});
}

void ActivityMonitor::readDbus() {
    char buf[16384];
    for (int round = 0; round < 16; ++round) {
        ssize_t n = ::read(dbus_.get(), buf, sizeof buf);
        if (n == 0) {
            dbus_.reset();  // the proxy has gone
            return;
        }
        if (n < 0) return;
        dbusBuf_.append(buf, static_cast<size_t>(n));
        size_t start = 0;
        for (size_t nl; (nl = dbusBuf_.find('\n', start)) != std::string::npos; start = nl + 1) {
            const std::string line = dbusBuf_.substr(start, nl - start);
            if (auto r = parseProxyLogLine(line, lastCall_)) {
                dbusRefused(r->name, monotonicMs());
            } else if (!isProxyLogLine(line) && proxyLogWritten_ < 65536) {
                // The proxy's own messages (errors) still reach its log file, bounded.
                UniqueFd f(
                    ::open(proxyLog_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
                if (f.valid()) (void)!::write(f.get(), (line + "\n").data(), line.size() + 1);
                proxyLogWritten_ += line.size() + 1;
            }
        }
        dbusBuf_.erase(0, start);
        if (dbusBuf_.size() > 65536) dbusBuf_.clear();  // no line is that long
    }
}

void ActivityMonitor::dbusRefused(const std::string& name, int64_t nowMs) {
    // Which process made the call: the sandbox's processes connected to the proxy (looked up
    // at most twice a second, so a flood of calls costs no more).
    if (clientsAtMs_ < 0 || nowMs - clientsAtMs_ > 500) {
        clients_ = busClients(proxy_, sandboxPids_ ? sandboxPids_() : std::vector<pid_t>{},
                              diag_.valid() ? diag_.get() : -1);
        clientsAtMs_ = nowMs;
    }
    ActivityEntry e;
    e.timeMs = unixMs();
    e.kind = "dbus";
    e.object = name;
    if (clients_.size() == 1) {
        e.pid = clients_[0];
        e.command = commandOf(e.pid, nowMs);
    } else {
        // Several connections: the proxy does not say which one called; all are named.
        for (pid_t p : clients_)
            e.command += (e.command.empty() ? "" : " or ") + commandOf(p, nowMs);
        if (e.command.empty()) e.command = "?";
    }
    log_.record(std::move(e), nowMs);
}

int ActivityMonitor::timeoutMs() const {
    if (!log_.dirty()) return -1;
    int64_t left = lastWriteMs_ + ActivityLog::kWriteEveryMs - monotonicMs();
    return left < 0 ? 0 : static_cast<int>(left);
}

void ActivityMonitor::handle(const std::vector<struct pollfd>& pfd) {
    if (dbusIdx_ < pfd.size() && (pfd[dbusIdx_].revents & (POLLIN | POLLHUP))) readDbus();
    if (dropsIdx_ < pfd.size() && (pfd[dropsIdx_].revents & (POLLIN | POLLERR))) readDrops();
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
