#include "desktop/dbus_activity.h"

#include <dirent.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "base/fsutil.h"

namespace lb {

namespace {

bool startsWith(const std::string& s, const char* p) {
    return s.rfind(p, 0) == 0;
}

// The socket inodes among a process's descriptors ("socket:[1234]").
std::set<uint64_t> socketInodes(pid_t pid) {
    std::set<uint64_t> out;
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR* d = ::opendir(dir.c_str());
    if (!d) return out;
    while (dirent* e = ::readdir(d)) {
        char target[64];
        ssize_t n = ::readlinkat(::dirfd(d), e->d_name, target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = 0;
        unsigned long long ino = 0;
        if (std::sscanf(target, "socket:[%llu]", &ino) == 1) out.insert(ino);
    }
    ::closedir(d);
    return out;
}

// inode -> peer inode of every unix socket of the network namespace `diag` was made in
// (sock_diag), added to `out`.
void unixPeers(int diag, std::map<uint64_t, uint64_t>& out) {
    struct Own {
        int fd;
        explicit Own(int f) : fd(f) {}
        ~Own() {
            if (fd >= 0) ::close(fd);
        }
    } own(diag < 0 ? ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG) : -1);
    const int s = diag < 0 ? own.fd : diag;
    if (s < 0) return;
    struct {
        nlmsghdr h;
        unix_diag_req r;
    } req{};
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.r.sdiag_family = AF_UNIX;
    req.r.udiag_states = ~0u;
    req.r.udiag_show = UDIAG_SHOW_PEER;
    if (::send(s, &req, sizeof req, 0) < 0) return;
    alignas(nlmsghdr) char buf[32768];
    for (;;) {
        ssize_t n = ::recv(s, buf, sizeof buf, 0);
        if (n <= 0) return;
        for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) return;
            auto* m = static_cast<unix_diag_msg*>(NLMSG_DATA(h));
            int len = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
            for (auto* a = reinterpret_cast<rtattr*>(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
                if (a->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
                    uint32_t peer;
                    std::memcpy(&peer, RTA_DATA(a), sizeof peer);
                    out[m->udiag_ino] = peer;
                }
            }
        }
    }
}

}  // namespace

bool isProxyLogLine(const std::string& line) {
    if (!line.empty() && line[0] == '*') return true;
    size_t colon = line.find(": ");
    if (colon < 2 || colon == std::string::npos || (line[0] != 'C' && line[0] != 'B')) return false;
    return line.find_first_not_of("0123456789", 1) == colon;
}

std::optional<DbusRefusal> parseProxyLogLine(const std::string& line, std::string& lastCall) {
    const bool hidden = startsWith(line, "*HIDDEN*"), denied = startsWith(line, "*DENIED*");
    if (hidden || denied) {
        std::string call;
        call.swap(lastCall);
        // "C4: -> NAME call MEMBER at PATH"
        size_t arrow = call.find(": -> ");
        if (arrow == std::string::npos || call[0] != 'C') return std::nullopt;
        std::string rest = call.substr(arrow + 5);
        size_t sp = rest.find(" call ");
        if (sp == std::string::npos) return std::nullopt;
        DbusRefusal r;
        r.name = rest.substr(0, sp);
        std::string tail = rest.substr(sp + 6);
        size_t at = tail.find(" at ");
        r.member = tail.substr(0, at);
        if (at != std::string::npos) r.path = tail.substr(at + 4);
        r.hidden = hidden;
        if (r.name.empty()) return std::nullopt;
        return r;
    }
    if (startsWith(line, "C") && line.find(": -> ") != std::string::npos &&
        line.find(" call ") != std::string::npos)
        lastCall = line;
    else
        lastCall.clear();
    return std::nullopt;
}

std::vector<pid_t> busClients(pid_t proxy, const std::vector<pid_t>& candidates, int sandboxDiag) {
    std::vector<pid_t> out;
    const std::set<uint64_t> mine = socketInodes(proxy);
    if (mine.empty()) return out;
    std::set<uint64_t> peers;
    // A connection's two sockets are in the connecting side's namespace (the kernel makes the
    // accepted one there): the sandbox's, and the runner's own for a sandbox without one.
    std::map<uint64_t, uint64_t> all;
    unixPeers(-1, all);
    if (sandboxDiag >= 0) unixPeers(sandboxDiag, all);
    for (const auto& [ino, peer] : all)
        if (mine.count(ino)) peers.insert(peer);
    for (pid_t pid : candidates) {
        for (uint64_t ino : socketInodes(pid)) {
            if (peers.count(ino)) {
                out.push_back(pid);
                break;
            }
        }
    }
    return out;
}

}  // namespace lb
