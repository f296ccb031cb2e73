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
#include "base/helper_process.h"
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
        timed +=
            addr + " timeout " + std::to_string(setTimeoutFor(a.ttl) + kDnsSetGraceSeconds) + "s,";
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

std::vector<DnsAddress> DnsSetElements::due(const std::vector<DnsAddress>& answer,
                                            int64_t nowMs) const {
    std::vector<DnsAddress> out;
    std::vector<std::string> seen;
    for (const auto& a : answer) {
        std::string key = a.toString();
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
        seen.push_back(key);
        auto it = expiry_.find(key);
        // Written before and living at least as long as this answer's TTL: nothing to do.
        if (it != expiry_.end() && it->second >= nowMs + int64_t{setTimeoutFor(a.ttl)} * 1000)
            continue;
        out.push_back(a);
    }
    return out;
}

void DnsSetElements::written(const std::vector<DnsAddress>& addresses, int64_t nowMs) {
    for (const auto& a : addresses)
        expiry_[a.toString()] = nowMs + int64_t{setTimeoutFor(a.ttl) + kDnsSetGraceSeconds} * 1000;
    if (expiry_.size() <= kMaxEntries) return;
    std::erase_if(expiry_, [&](const auto& e) { return e.second < nowMs; });
    if (expiry_.size() > kMaxEntries) expiry_.clear();
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
// DNS over TCP, from the program: at most this many connections at once (then the one idle the
// longest is closed, RFC 7766 6.2.3), each closed after this long without a query or with an
// answer it does not read. Each holds at most one message in, one being asked upstream and one
// going back: about 200 KiB, 3 MiB for all.
constexpr size_t kMaxTcpClients = 16;
constexpr int kTcpIdleMs = 10000;
constexpr size_t kMaxTcpBuffer = 2 + kDnsMaxTcpMessage;

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

// One DNS-over-TCP connection from the program, and the connection upstream that answers its
// current query (one query at a time; the next ones wait in `in`, answered in order).
struct TcpClient {
    UniqueFd fd;
    std::string in;   // bytes read and not yet taken as a query
    std::string out;  // the answer being written back
    int64_t deadline = 0;
    bool busy = false;  // a query is being asked upstream
    std::string query;  // as the program sent it
    DnsQuestion question;
    uint16_t id = 0;  // the id upstream
    size_t server = 0;
    UniqueFd up;
    bool upConnected = false;
    std::string upOut, upIn;
};

// The upstream TCP sockets come from the socket maker (below) over `makerFd`, in the host's
// network namespace. -1 when it is gone.
int upstreamTcpSocket(int makerFd, int family) {
    char want = family == AF_INET ? '4' : '6';
    if (::send(makerFd, &want, 1, MSG_NOSIGNAL) != 1) return -1;
    char byte;
    struct iovec iov = {&byte, 1};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    struct msghdr mh = {};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    if (::recvmsg(makerFd, &mh, MSG_CMSG_CLOEXEC) != 1) return -1;
    struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
    if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
        c->cmsg_len != CMSG_LEN(sizeof(int)))
        return -1;
    int fd;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

// The socket maker: a child of the resolver that stays in the host's network namespace and
// answers each byte '4' or '6' with a new, unconnected, non-blocking TCP socket of that family
// (a socket belongs to the namespace it was made in, and the resolver has left the host's for
// good). It makes sockets and nothing else, for the resolver only: the program cannot reach it.
[[noreturn]] void makeSockets(int fd) {
    for (;;) {
        char want;
        ssize_t n = ::recv(fd, &want, 1, 0);
        if (n == 0) ::_exit(0);  // the resolver is gone
        if (n < 0) {
            if (errno == EINTR) continue;
            ::_exit(1);
        }
        int family = want == '4' ? AF_INET : want == '6' ? AF_INET6 : -1;
        if (family < 0) ::_exit(1);
        UniqueFd s(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        struct iovec iov = {&want, 1};
        alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
        struct msghdr mh = {};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        if (s.valid()) {
            mh.msg_control = control;
            mh.msg_controllen = sizeof control;
            struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            int sfd = s.get();
            std::memcpy(CMSG_DATA(c), &sfd, sizeof sfd);
        }
        if (::sendmsg(fd, &mh, MSG_NOSIGNAL) != 1) ::_exit(1);
    }
}

// The resolver's loop, in the child, inside the sandbox's network namespace. Every byte it
// reads from the program (UDP and TCP) is hostile: messages go through the strict parser,
// every buffer has a bound, and nothing the program does blocks the loop (non-blocking sockets,
// no SIGPIPE, deadlines).
class Resolver {
public:
    Resolver(int udpFd, int tcpFd, int makerFd, std::vector<Upstream> upstreams,
             const NetworkConfig& net, int logFd, const std::string& instance)
        : udp_(udpFd)
        , tcp_(tcpFd)
        , maker_(makerFd)
        , upstreams_(std::move(upstreams))
        , net_(net)
        , logFd_(logFd)
        , instance_(instance) {
        for (const auto& u : upstreams_)
            if (std::find(upstreamFds_.begin(), upstreamFds_.end(), u.fd) == upstreamFds_.end())
                upstreamFds_.push_back(u.fd);
    }

    [[noreturn]] void run() {
        for (;;) {
            int timeout = expire();
            // 0: UDP, 1: TCP listener, then the upstream UDP sockets, then per TCP client its
            // connection and its upstream connection (-1 when it has none: poll skips it).
            // A full house of connections all asking upstream: new ones wait in the kernel's
            // backlog (polling the listener then would only spin).
            short accepting = roomForClient() ? POLLIN : 0;
            std::vector<struct pollfd> pfd = {{udp_, POLLIN, 0}, {tcp_, accepting, 0}};
            for (int fd : upstreamFds_)
                pfd.push_back({fd, POLLIN, 0});
            const size_t clientsAt = pfd.size();
            for (auto& c : clients_) {
                short events = 0;
                if (!c.out.empty())
                    events = POLLOUT;
                else if (c.in.size() < kMaxTcpBuffer && !c.busy)
                    events = POLLIN;
                pfd.push_back({c.fd.get(), events, 0});
                short upEvents = !c.upConnected || !c.upOut.empty() ? POLLOUT : POLLIN;
                pfd.push_back({c.up.valid() ? c.up.get() : -1, upEvents, 0});
            }
            if (::poll(pfd.data(), pfd.size(), timeout) < 0) {
                if (errno == EINTR) continue;
                ::_exit(1);
            }
            if (pfd[0].revents & POLLIN) readUdpQuery();
            for (size_t i = 2; i < clientsAt; ++i)
                if (pfd[i].revents & POLLIN) readUdpAnswer(pfd[i].fd);
            // Clients may be closed below: walk them in the order of pfd, by index.
            std::vector<bool> gone(clients_.size(), false);
            for (size_t k = 0; k < clients_.size(); ++k) {
                short ev = pfd[clientsAt + 2 * k].revents,
                      upEv = pfd[clientsAt + 2 * k + 1].revents;
                if (ev & (POLLERR | POLLHUP | POLLNVAL) && !(ev & POLLIN))
                    gone[k] = true;
                else if (ev & POLLOUT)
                    gone[k] = !writeToClient(clients_[k]);
                else if (ev & POLLIN)
                    gone[k] = !readFromClient(clients_[k]);
                if (!gone[k] && upEv && clients_[k].up.valid()) upstreamReady(clients_[k], upEv);
            }
            for (size_t k = clients_.size(); k-- > 0;)
                if (gone[k]) clients_.erase(clients_.begin() + static_cast<ptrdiff_t>(k));
            if (pfd[1].revents & POLLIN) accept();
        }
    }

private:
    int udp_, tcp_, maker_;
    std::vector<Upstream> upstreams_;
    std::vector<int> upstreamFds_;
    const NetworkConfig& net_;
    int logFd_;
    std::string instance_;
    std::map<uint16_t, Pending> pending_;
    std::vector<TcpClient> clients_;
    DnsSetElements elements_;
    char buf_[kDnsMaxMessage + 1];

    void event(const DnsQuestion& q, const char* verdict, uint8_t rcode,
               const std::vector<DnsAddress>& addrs = {}) {
        DnsQueryEvent e;
        e.unixSeconds = static_cast<int64_t>(::time(nullptr));
        e.instance = instance_;
        e.name = q.name;
        e.type = dnsTypeName(q.type);
        e.verdict = verdict;
        e.rcode = rcode;
        e.ttl = addrs.empty() ? 0 : UINT32_MAX;
        for (const auto& a : addrs) {
            e.addresses.push_back(a.toString());
            e.ttl = std::min(e.ttl, a.ttl);
        }
        recordDnsQuery(logFd_, e);
    }

    // What is done with a query before it goes upstream, for UDP and TCP alike: an empty
    // string to ask upstream, else the reply to give at once.
    std::string decide(std::string_view msg, const std::optional<DnsQuestion>& q, bool full) {
        if (!q) {
            event(DnsQuestion{}, "malformed", kDnsFormErr);
            return dnsErrorReply(msg, kDnsFormErr);
        }
        if (!nameAllowed(net_, q->name)) {
            // Not allowed: answered here, the name never leaves the machine.
            event(*q, "denied", kDnsNxDomain);
            return dnsErrorReply(msg, kDnsNxDomain);
        }
        if (upstreams_.empty() || full) {
            event(*q, "failed", kDnsServFail);
            return dnsErrorReply(msg, kDnsServFail);
        }
        return {};
    }

    // The answer to a query asked upstream, checked against it: the addresses go into the
    // sets before the program sees them. The reply to pass on (with the program's id).
    std::string answered(const DnsAnswer& a, std::string_view msg, const DnsQuestion& question,
                         std::string_view query, uint16_t clientId) {
        std::string out = withDnsId(msg, clientId);
        const char* verdict = "allowed";
        int64_t now = nowMs();
        auto due = elements_.due(a.addresses, now);
        if (std::string update = planDnsSetUpdate(due); !update.empty()) {
            if (applyFirewall(update)) {
                elements_.written(due, now);
            } else {
                // The program could not reach the address: better no answer than a misleading
                // one.
                out = withDnsId(dnsErrorReply(query, kDnsServFail), clientId);
                verdict = "failed";
            }
        }
        event(question, verdict, a.rcode, a.addresses);
        return out;
    }

    static bool matches(const DnsAnswer& a, const DnsQuestion& q) {
        return a.question.name == q.name && a.question.type == q.type && a.question.cls == q.cls;
    }

    // A fresh random id per forwarded query: an answer must match it, the server's address
    // and the question (no blind spoofing of the sets).
    uint16_t randomId() {
        uint16_t id = 0;
        do {
            if (::getrandom(&id, sizeof id, 0) != sizeof id) ::_exit(1);
        } while (pending_.count(id));
        return id;
    }

    // Deadlines: UDP queries go to the next server or fail, TCP clients likewise or are
    // closed when idle. The poll timeout until the next deadline (-1: none).
    int expire() {
        int64_t now = nowMs();
        int timeout = -1;
        auto until = [&](int64_t deadline) {
            int left = static_cast<int>(std::max<int64_t>(deadline - now, 0));
            timeout = timeout < 0 ? left : std::min(timeout, left);
        };
        for (auto it = pending_.begin(); it != pending_.end();) {
            Pending& p = it->second;
            if (p.deadline <= now) {
                if (p.server + 1 < upstreams_.size()) {
                    ++p.server;
                    sendUdp(p);
                } else {
                    udpReply(p.client, p.clientLen, dnsErrorReply(p.query, kDnsServFail));
                    event(p.question, "failed", kDnsServFail);
                    it = pending_.erase(it);
                    continue;
                }
            }
            until(p.deadline);
            ++it;
        }
        for (size_t k = clients_.size(); k-- > 0;) {
            TcpClient& c = clients_[k];
            if (c.deadline <= now) {
                if (!c.busy) {
                    clients_.erase(clients_.begin() + static_cast<ptrdiff_t>(k));
                    continue;
                }
                nextServer(c);
            }
            until(c.deadline);
        }
        return timeout;
    }

    // UDP

    void udpReply(const sockaddr_storage& to, socklen_t len, const std::string& msg) {
        if (!msg.empty())
            (void)::sendto(udp_, msg.data(), msg.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                           len);
    }

    void sendUdp(Pending& p) {
        const Upstream& u = upstreams_[p.server];
        p.deadline = nowMs() + kServerTimeoutMs;
        (void)::sendto(u.fd, p.query.data(), p.query.size(), 0,
                       reinterpret_cast<const sockaddr*>(&u.addr), u.len);
    }

    void readUdpQuery() {
        struct sockaddr_storage from = {};
        socklen_t fromLen = sizeof from;
        ssize_t n = ::recvfrom(udp_, buf_, sizeof buf_, MSG_DONTWAIT,
                               reinterpret_cast<sockaddr*>(&from), &fromLen);
        if (n <= 0) return;
        std::string_view msg(buf_, static_cast<size_t>(n));
        auto q = parseDnsQuery(msg);
        if (std::string now = decide(msg, q, pending_.size() >= kMaxPending); !now.empty() || !q) {
            udpReply(from, fromLen, now);
            return;
        }
        uint16_t id = randomId();
        Pending p{from, fromLen, q->id, withDnsId(msg, id), *q, 0, 0};
        sendUdp(p);
        pending_.emplace(id, std::move(p));
    }

    void readUdpAnswer(int fd) {
        struct sockaddr_storage from = {};
        socklen_t fromLen = sizeof from;
        ssize_t n = ::recvfrom(fd, buf_, sizeof buf_, MSG_DONTWAIT,
                               reinterpret_cast<sockaddr*>(&from), &fromLen);
        if (n <= 0) return;
        std::string_view msg(buf_, static_cast<size_t>(n));
        auto a = parseDnsAnswer(msg);
        if (!a) return;
        auto it = pending_.find(a->id);
        if (it == pending_.end()) return;
        Pending& p = it->second;
        if (!sameAddress(from, upstreams_[p.server], fromLen) || !matches(*a, p.question))
            return;  // not the answer to this query
        // A truncated answer (TC) is passed on as it is: the program asks again over TCP.
        udpReply(p.client, p.clientLen, answered(*a, msg, p.question, p.query, p.clientId));
        pending_.erase(it);
    }

    // TCP, from the program

    bool roomForClient() const {
        return clients_.size() < kMaxTcpClients ||
               std::any_of(clients_.begin(), clients_.end(),
                           [](const TcpClient& c) { return !c.busy; });
    }

    void accept() {
        if (clients_.size() >= kMaxTcpClients) {
            // Full: the connection idle the longest makes room (a client of its own program;
            // one asking upstream keeps its place).
            auto idle = std::min_element(
                clients_.begin(), clients_.end(), [](const TcpClient& a, const TcpClient& b) {
                    return (a.busy ? INT64_MAX : a.deadline) < (b.busy ? INT64_MAX : b.deadline);
                });
            if (idle->busy) return;  // all busy (roomForClient): not polled then
            clients_.erase(idle);
        }
        int fd = ::accept4(tcp_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        TcpClient c;
        c.fd.reset(fd);
        c.deadline = nowMs() + kTcpIdleMs;
        clients_.push_back(std::move(c));
    }

    // False: close the connection.
    bool readFromClient(TcpClient& c) {
        char chunk[4096];
        size_t room = std::min(sizeof chunk, kMaxTcpBuffer - c.in.size());
        ssize_t n = ::recv(c.fd.get(), chunk, room, MSG_DONTWAIT);
        if (n == 0) return false;
        if (n < 0) return errno == EAGAIN || errno == EINTR;
        c.in.append(chunk, static_cast<size_t>(n));
        return takeQuery(c);
    }

    // The next whole query of `in`, when the connection is free for it. False: close.
    bool takeQuery(TcpClient& c) {
        if (c.busy || !c.out.empty()) return true;
        std::string_view msg;
        size_t used = 0;
        switch (nextDnsFrame(c.in, msg, used)) {
            case DnsFrame::Partial:
                return true;
            case DnsFrame::Invalid:
                return false;
            case DnsFrame::Complete:
                break;
        }
        std::string query(msg);
        c.in.erase(0, used);
        auto q = parseDnsQuery(query);
        if (std::string now = decide(query, q, false); !now.empty() || !q) {
            if (now.empty()) return false;  // not even a header to answer
            c.out = dnsTcpFrame(now);
            c.deadline = nowMs() + kTcpIdleMs;
            return true;
        }
        c.busy = true;
        c.query = std::move(query);
        c.question = *q;
        c.id = randomId();
        c.server = 0;
        askUpstream(c);
        return true;
    }

    bool writeToClient(TcpClient& c) {
        ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) return errno == EAGAIN || errno == EINTR;
        c.out.erase(0, static_cast<size_t>(n));
        if (!c.out.empty()) return true;
        c.deadline = nowMs() + kTcpIdleMs;
        return takeQuery(c);  // a query that came meanwhile
    }

    // TCP, upstream: one connection per query, from the host's network namespace.

    void askUpstream(TcpClient& c) {
        const Upstream& u = upstreams_[c.server];
        c.deadline = nowMs() + kServerTimeoutMs;
        c.upConnected = false;
        c.upIn.clear();
        c.upOut = dnsTcpFrame(withDnsId(c.query, c.id));
        c.up.reset(upstreamTcpSocket(maker_, u.addr.ss_family));
        if (!c.up.valid() ||
            (::connect(c.up.get(), reinterpret_cast<const sockaddr*>(&u.addr), u.len) != 0 &&
             errno != EINPROGRESS))
            c.deadline = 0;  // the next server, at once
    }

    void nextServer(TcpClient& c) {
        c.up.reset();
        if (c.server + 1 < upstreams_.size()) {
            ++c.server;
            askUpstream(c);
            return;
        }
        finish(c, withDnsId(dnsErrorReply(c.query, kDnsServFail), c.question.id));
        event(c.question, "failed", kDnsServFail);
    }

    void finish(TcpClient& c, const std::string& reply) {
        c.up.reset();
        c.upIn.clear();
        c.upOut.clear();
        c.busy = false;
        c.out = dnsTcpFrame(reply);
        c.deadline = nowMs() + kTcpIdleMs;
    }

    void upstreamReady(TcpClient& c, short revents) {
        if (!c.upConnected) {
            int err = 0;
            socklen_t len = sizeof err;
            if (!(revents & (POLLOUT | POLLERR | POLLHUP))) return;
            if (::getsockopt(c.up.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
                return nextServer(c);
            c.upConnected = true;
        }
        if (!c.upOut.empty()) {
            ssize_t n =
                ::send(c.up.get(), c.upOut.data(), c.upOut.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0) {
                if (errno != EAGAIN && errno != EINTR) nextServer(c);
                return;
            }
            c.upOut.erase(0, static_cast<size_t>(n));
            return;
        }
        if (!(revents & (POLLIN | POLLHUP | POLLERR))) return;
        char chunk[16384];
        size_t room = std::min(sizeof chunk, kMaxTcpBuffer - c.upIn.size());
        ssize_t n = ::recv(c.up.get(), chunk, room, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n <= 0) return nextServer(c);
        c.upIn.append(chunk, static_cast<size_t>(n));
        std::string_view msg;
        size_t used = 0;
        DnsFrame f = nextDnsFrame(c.upIn, msg, used);
        if (f == DnsFrame::Partial) return;
        auto a = f == DnsFrame::Complete ? parseDnsAnswer(msg) : std::nullopt;
        if (!a || a->id != c.id || !matches(*a, c.question)) return nextServer(c);
        finish(c, answered(*a, msg, c.question, c.query, c.question.id));
    }
};

// Keep CAP_NET_ADMIN (the sets) and nothing else: the socket on port 53 is bound already.
bool keepOnlyNetAdmin() {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {};
    d[0].effective = d[0].permitted = 1u << CAP_NET_ADMIN;
    return ::syscall(SYS_capset, &h, d) == 0 && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
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
        enterHelperChild(parent);
        readEnd.reset();
        std::string err;
        UniqueFd udp, tcp, maker;
        // The socket maker, before this process leaves the host's network namespace.
        int pair[2];
        pid_t resolver = ::getpid();
        if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
            err = Error::fromErrno("socketpair").message();
        } else if (pid_t m = ::fork(); m < 0) {
            err = Error::fromErrno("fork").message();
        } else if (m == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != resolver) ::_exit(1);
            ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            closeAllBut({pair[1]});
            makeSockets(pair[1]);
        } else {
            ::close(pair[1]);
            maker.reset(pair[0]);
            ::signal(SIGCHLD, SIG_IGN);  // it is reaped by the kernel, should it end
        }
        // Enter the sandbox's namespaces as applyFirewallIn does (the runner owns them).
        if (err.empty()) {
            if (::setns(usernsFd, CLONE_NEWUSER) != 0)
                err = Error::fromErrno("setns(the sandbox's user namespace)").message();
            else if (::setns(netnsFd, CLONE_NEWNET) != 0)
                err = Error::fromErrno("setns(the sandbox's network namespace)").message();
            else if (auto st = bringUpLoopback(); !st)
                err = st.error().message();
        }
        if (err.empty()) {
            // UDP and TCP on the same address: an answer too large for UDP comes truncated
            // and the program asks again over TCP.
            udp.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
            tcp.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
            struct sockaddr_in a = {};
            a.sin_family = AF_INET;
            a.sin_port = htons(53);
            ::inet_pton(AF_INET, kDnsFilterAddress, &a.sin_addr);
            auto* sa = reinterpret_cast<sockaddr*>(&a);
            if (!udp.valid() || ::bind(udp.get(), sa, sizeof a))
                err = Error::fromErrno(std::string("bind(") + kDnsFilterAddress + ":53)").message();
            else if (!tcp.valid() || ::bind(tcp.get(), sa, sizeof a) || ::listen(tcp.get(), 16))
                err = Error::fromErrno(std::string("listen(") + kDnsFilterAddress + ":53/tcp)")
                          .message();
            else if (!keepOnlyNetAdmin())
                err = Error::fromErrno("capset(CAP_NET_ADMIN only)").message();
        }
        if (!err.empty()) {
            (void)!::write(writeEnd.get(), err.data(), err.size());
            ::_exit(1);
        }
        (void)!::write(writeEnd.get(), "", 0);
        std::vector<int> keep = {udp.get(), tcp.get(), maker.get(), logFd, v4.get(), v6.get()};
        writeEnd.reset();  // the runner reads end of file: listening
        closeAllBut(keep);
        Resolver(udp.get(), tcp.get(), maker.get(), std::move(servers), net, logFd, instance).run();
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
