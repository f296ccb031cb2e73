#include "network/dns_filter.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>

#include "base/fsutil.h"
#include "base/jsonw.h"
#include "base/units.h"
#include "network/network.h"
#include "profile/profile.h"

namespace lb {

bool domainMatches(const std::string& pattern, const std::string& name) {
    if (pattern == "*") return true;
    if (pattern.starts_with("*.")) {
        std::string_view suffix = std::string_view(pattern).substr(1);  // ".example.org"
        return name.size() > suffix.size() && name.ends_with(suffix);
    }
    return pattern == name;
}

bool nameAllowed(const NetworkConfig& net, const std::string& name) {
    auto any = [&](const std::vector<std::string>& list) {
        return std::any_of(list.begin(), list.end(),
                           [&](const std::string& p) { return domainMatches(p, name); });
    };
    if (any(net.denyDomains)) return false;
    return net.allowDomains.empty() || any(net.allowDomains);
}

uint32_t setTimeoutFor(uint32_t ttl) {
    return std::clamp<uint32_t>(ttl, 1, 86400);
}

std::string planDnsSetUpdate(const std::vector<DnsAddress>& addresses) {
    std::string v4, v6, v4t, v6t;
    for (const auto& a : addresses) {
        std::string addr = a.toString();
        std::string& list = a.family == AF_INET ? v4 : v6;
        std::string& timed = a.family == AF_INET ? v4t : v6t;
        if (list.find(addr + ",") != std::string::npos) continue;  // twice in one answer
        list += addr + ",";
        timed += addr + " timeout " + std::to_string(setTimeoutFor(a.ttl)) + "s,";
    }
    if (v4.empty() && v6.empty()) return {};
    // One transaction: "add" makes sure each element exists (an existing one is no error),
    // "delete" and the second "add" give it the new timeout. The program sees either the old
    // or the new element, never none.
    std::string s = "add table inet layerbox\n";
    s += std::string("add set inet layerbox ") + kDnsSetV4 + "\n";
    s += std::string("add set inet layerbox ") + kDnsSetV6 + "\n";
    for (auto [set, plain, timed] :
         {std::tuple{"dns_v4", &v4, &v4t}, std::tuple{"dns_v6", &v6, &v6t}}) {
        if (plain->empty()) continue;
        plain->pop_back();
        timed->pop_back();
        s += std::string("add element inet layerbox ") + set + " { " + *timed + " }\n";
        s += std::string("delete element inet layerbox ") + set + " { " + *plain + " }\n";
        s += std::string("add element inet layerbox ") + set + " { " + *timed + " }\n";
    }
    return s;
}

std::vector<std::string> parseResolvConf(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string key, value;
        if (words >> key >> value && key == "nameserver") {
            // A scope (fe80::1%eth0) means nothing to the resolver's socket: left out.
            unsigned char buf[16];
            if (::inet_pton(AF_INET, value.c_str(), buf) == 1 ||
                ::inet_pton(AF_INET6, value.c_str(), buf) == 1)
                out.push_back(value);
        }
    }
    return out;
}

std::vector<std::string> planDnsUpstreams(const NetworkConfig& net,
                                          const std::string& hostResolvConf) {
    if (!net.dns.empty()) return net.dns;
    return parseResolvConf(hostResolvConf);
}

std::string formatDnsEvent(const DnsQueryEvent& e) {
    JsonWriter w;
    w.beginObject()
        .field("time", isoTime(e.unixSeconds))
        .field("event", "dns-query")
        .field("instance", e.instance)
        .field("name", e.name)
        .field("type", e.type)
        .field("verdict", e.verdict)
        .field("rcode", static_cast<int>(e.rcode));
    w.key("addresses").strings(e.addresses);
    if (!e.addresses.empty()) w.field("ttl", static_cast<int64_t>(e.ttl));
    w.endObject();
    return w.str();
}

void recordDnsQuery(int fd, const DnsQueryEvent& e) {
    if (fd < 0) return;
    std::string line = formatDnsEvent(e) + "\n";
    (void)!::write(fd, line.data(), line.size());  // one write: lines never interleave
}

namespace {

constexpr int kServerTimeoutMs = 2000;  // then the next server, then SERVFAIL
constexpr size_t kMaxPending = 512;

int64_t nowMs() {
    struct timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct Upstream {
    struct sockaddr_storage addr = {};
    socklen_t len = 0;
    int fd = -1;  // the socket of its family
};

bool sameAddress(const sockaddr_storage& a, const Upstream& u, socklen_t len) {
    return len == u.len && std::memcmp(&a, &u.addr, len) == 0;
}

struct Pending {
    struct sockaddr_storage client;
    socklen_t clientLen;
    uint16_t clientId;
    std::string query;
    DnsQuestion question;
    size_t server;
    int64_t deadline;
};

// The resolver's loop, in the child, inside the sandbox's network namespace. Never returns.
[[noreturn]] void serve(int listenFd, std::vector<Upstream> upstreams, const NetworkConfig& net,
                        int logFd, const std::string& instance) {
    std::map<uint16_t, Pending> pending;
    auto event = [&](const DnsQuestion& q, const char* verdict, uint8_t rcode,
                     const std::vector<DnsAddress>& addrs = {}) {
        DnsQueryEvent e;
        e.unixSeconds = static_cast<int64_t>(::time(nullptr));
        e.instance = instance;
        e.name = q.name;
        e.type = dnsTypeName(q.type);
        e.verdict = verdict;
        e.rcode = rcode;
        e.ttl = addrs.empty() ? 0 : UINT32_MAX;
        for (const auto& a : addrs) {
            e.addresses.push_back(a.toString());
            e.ttl = std::min(e.ttl, a.ttl);
        }
        recordDnsQuery(logFd, e);
    };
    auto reply = [&](const sockaddr_storage& to, socklen_t len, const std::string& msg) {
        if (!msg.empty())
            (void)::sendto(listenFd, msg.data(), msg.size(), 0,
                           reinterpret_cast<const sockaddr*>(&to), len);
    };
    auto send = [&](Pending& p, uint16_t id) {
        const Upstream& u = upstreams[p.server];
        p.deadline = nowMs() + kServerTimeoutMs;
        (void)::sendto(u.fd, p.query.data(), p.query.size(), 0,
                       reinterpret_cast<const sockaddr*>(&u.addr), u.len);
        (void)id;
    };
    std::vector<int> upstreamFds;
    for (const auto& u : upstreams)
        if (std::find(upstreamFds.begin(), upstreamFds.end(), u.fd) == upstreamFds.end())
            upstreamFds.push_back(u.fd);
    char buf[kDnsMaxMessage + 1];
    for (;;) {
        int64_t now = nowMs();
        int timeout = -1;
        for (auto it = pending.begin(); it != pending.end();) {
            Pending& p = it->second;
            if (p.deadline > now) {
                int left = static_cast<int>(p.deadline - now);
                timeout = timeout < 0 ? left : std::min(timeout, left);
                ++it;
                continue;
            }
            if (p.server + 1 < upstreams.size()) {
                ++p.server;
                send(p, it->first);
                timeout = timeout < 0 ? kServerTimeoutMs : std::min(timeout, kServerTimeoutMs);
                ++it;
                continue;
            }
            reply(p.client, p.clientLen, dnsErrorReply(p.query, kDnsServFail));
            event(p.question, "failed", kDnsServFail);
            it = pending.erase(it);
        }
        std::vector<struct pollfd> pfd = {{listenFd, POLLIN, 0}};
        for (int fd : upstreamFds)
            pfd.push_back({fd, POLLIN, 0});
        if (::poll(pfd.data(), pfd.size(), timeout) < 0 && errno != EINTR) ::_exit(1);
        if (pfd[0].revents & POLLIN) {
            struct sockaddr_storage from = {};
            socklen_t fromLen = sizeof from;
            ssize_t n = ::recvfrom(listenFd, buf, sizeof buf, MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from), &fromLen);
            if (n > 0) {
                std::string_view msg(buf, static_cast<size_t>(n));
                auto q = parseDnsQuery(msg);
                if (!q) {
                    reply(from, fromLen, dnsErrorReply(msg, kDnsFormErr));
                    event(DnsQuestion{}, "malformed", kDnsFormErr);
                } else if (!nameAllowed(net, q->name)) {
                    // Not allowed: answered here, the name never leaves the machine.
                    reply(from, fromLen, dnsErrorReply(msg, kDnsNxDomain));
                    event(*q, "denied", kDnsNxDomain);
                } else if (upstreams.empty() || pending.size() >= kMaxPending) {
                    reply(from, fromLen, dnsErrorReply(msg, kDnsServFail));
                    event(*q, "failed", kDnsServFail);
                } else {
                    // A fresh random id per forwarded query: an answer must match it, the
                    // server's address and the question (no blind spoofing of the sets).
                    uint16_t id = 0;
                    do {
                        if (::getrandom(&id, sizeof id, 0) != sizeof id) ::_exit(1);
                    } while (pending.count(id));
                    Pending p{from, fromLen, q->id, withDnsId(msg, id), *q, 0, 0};
                    send(p, id);
                    pending.emplace(id, std::move(p));
                }
            }
        }
        for (size_t i = 1; i < pfd.size(); ++i) {
            if (!(pfd[i].revents & POLLIN)) continue;
            struct sockaddr_storage from = {};
            socklen_t fromLen = sizeof from;
            ssize_t n = ::recvfrom(pfd[i].fd, buf, sizeof buf, MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from), &fromLen);
            if (n <= 0) continue;
            std::string_view msg(buf, static_cast<size_t>(n));
            auto a = parseDnsAnswer(msg);
            if (!a) continue;
            auto it = pending.find(a->id);
            if (it == pending.end()) continue;
            Pending& p = it->second;
            if (!sameAddress(from, upstreams[p.server], fromLen) ||
                a->question.name != p.question.name || a->question.type != p.question.type ||
                a->question.cls != p.question.cls)
                continue;  // not the answer to this query
            std::string out = withDnsId(msg, p.clientId);
            const char* verdict = "allowed";
            if (std::string update = planDnsSetUpdate(a->addresses); !update.empty()) {
                if (!applyFirewall(update)) {
                    // The program could not reach the address: better no answer than a
                    // misleading one.
                    out = dnsErrorReply(p.query, kDnsServFail);
                    out = withDnsId(out, p.clientId);
                    verdict = "failed";
                }
            }
            reply(p.client, p.clientLen, out);
            event(p.question, verdict, a->rcode, a->addresses);
            pending.erase(it);
        }
    }
}

// Keep CAP_NET_ADMIN (the sets) and nothing else: the socket on port 53 is bound already.
bool keepOnlyNetAdmin() {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {};
    d[0].effective = d[0].permitted = 1u << CAP_NET_ADMIN;
    return ::syscall(SYS_capset, &h, d) == 0 && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
}

// Close every descriptor but stdin/out/err and `keep` (the runner's channel, terminal, locks
// are no business of the resolver's).
void closeAllBut(std::vector<int> keep) {
    std::sort(keep.begin(), keep.end());
    unsigned from = 3;
    for (int fd : keep) {
        if (fd < 3) continue;
        if (static_cast<unsigned>(fd) > from)
            ::syscall(SYS_close_range, from, static_cast<unsigned>(fd) - 1, 0);
        from = static_cast<unsigned>(fd) + 1;
    }
    ::syscall(SYS_close_range, from, ~0u, 0);
}

}  // namespace

Result<std::unique_ptr<DnsFilter>> DnsFilter::start(int usernsFd, int netnsFd,
                                                    const NetworkConfig& net,
                                                    const std::vector<std::string>& upstreams,
                                                    int logFd, const std::string& instance) {
    LB_TRY(loadFirewallLibrary());  // before the fork: the child only calls into it
    // The upstream sockets, in the host's network namespace (this process's): queries leave
    // from the host, not through the sandbox's firewall.
    std::vector<Upstream> servers;
    UniqueFd v4, v6;
    for (const auto& s : upstreams) {
        Upstream u;
        auto* in4 = reinterpret_cast<sockaddr_in*>(&u.addr);
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&u.addr);
        if (::inet_pton(AF_INET, s.c_str(), &in4->sin_addr) == 1) {
            in4->sin_family = AF_INET;
            in4->sin_port = htons(53);
            u.len = sizeof *in4;
            if (!v4.valid()) v4.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
            u.fd = v4.get();
        } else if (::inet_pton(AF_INET6, s.c_str(), &in6->sin6_addr) == 1) {
            in6->sin6_family = AF_INET6;
            in6->sin6_port = htons(53);
            u.len = sizeof *in6;
            if (!v6.valid()) v6.reset(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
            u.fd = v6.get();
        }
        if (u.fd >= 0) servers.push_back(u);
    }
    int pipeFds[2];
    if (::pipe2(pipeFds, O_CLOEXEC) != 0) return Error::fromErrno("pipe2");
    UniqueFd readEnd(pipeFds[0]), writeEnd(pipeFds[1]);
    pid_t parent = ::getpid();
    pid_t child = ::fork();
    if (child < 0) return Error::fromErrno("fork");
    if (child == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(1);
        ::setpgid(0, 0);  // Ctrl-C in the terminal is the runner's to handle
        readEnd.reset();
        std::string err;
        UniqueFd listen;
        // Enter the sandbox's namespaces as applyFirewallIn does (the runner owns them).
        if (::setns(usernsFd, CLONE_NEWUSER) != 0)
            err = Error::fromErrno("setns(the sandbox's user namespace)").message();
        else if (::setns(netnsFd, CLONE_NEWNET) != 0)
            err = Error::fromErrno("setns(the sandbox's network namespace)").message();
        else if (auto st = bringUpLoopback(); !st)
            err = st.error().message();
        if (err.empty()) {
            listen.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
            struct sockaddr_in a = {};
            a.sin_family = AF_INET;
            a.sin_port = htons(53);
            ::inet_pton(AF_INET, kDnsFilterAddress, &a.sin_addr);
            if (!listen.valid() || ::bind(listen.get(), reinterpret_cast<sockaddr*>(&a), sizeof a))
                err = Error::fromErrno(std::string("bind(") + kDnsFilterAddress + ":53)").message();
            else if (!keepOnlyNetAdmin())
                err = Error::fromErrno("capset(CAP_NET_ADMIN only)").message();
        }
        if (!err.empty()) {
            (void)!::write(writeEnd.get(), err.data(), err.size());
            ::_exit(1);
        }
        (void)!::write(writeEnd.get(), "", 0);
        std::vector<int> keep = {listen.get(), logFd, v4.get(), v6.get()};
        writeEnd.reset();  // the runner reads end of file: listening
        closeAllBut(keep);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        serve(listen.get(), std::move(servers), net, logFd, instance);
    }
    writeEnd.reset();
    auto filter = std::make_unique<DnsFilter>();
    filter->pid_ = child;
    std::string err;
    char buf[512];
    ssize_t n;
    while ((n = ::read(readEnd.get(), buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) err.append(buf, static_cast<size_t>(n));
    if (!err.empty()) return Error("starting the sandbox's resolver: " + err, EPERM);
    return filter;
}

DnsFilter::~DnsFilter() {
    stop();
}

void DnsFilter::stop() {
    if (pid_ <= 0) return;
    // It holds nothing that needs a clean end.
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = 0;
}

}  // namespace lb
