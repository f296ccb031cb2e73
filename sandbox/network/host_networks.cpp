#include "network/host_networks.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

namespace lb {

Result<IpPrefix> IpPrefix::parse(const std::string& text) {
    IpPrefix p;
    std::string addr = text;
    auto slash = text.find('/');
    if (slash != std::string::npos) addr = text.substr(0, slash);
    p.family = addr.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    const int max = p.family == AF_INET6 ? 128 : 32;
    p.length = max;
    if (::inet_pton(p.family, addr.c_str(), p.bytes) != 1)
        return Error(quote(text) + " is not an address", EINVAL);
    if (slash != std::string::npos) {
        std::string len = text.substr(slash + 1);
        if (len.empty() || len.size() > 3 ||
            !std::all_of(len.begin(), len.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            std::stoi(len) > max)
            return Error(quote(text) + " has no valid prefix length", EINVAL);
        p.length = std::stoi(len);
    }
    return p;
}

std::string IpPrefix::toString() const {
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(family, bytes, buf, sizeof buf);
    return std::string(buf) + "/" + std::to_string(length);
}

IpPrefix IpPrefix::network() const {
    IpPrefix n = *this;
    const int total = family == AF_INET6 ? 16 : 4;
    for (int i = 0; i < total; ++i) {
        int keep = std::clamp(length - i * 8, 0, 8);
        n.bytes[i] &= static_cast<uint8_t>(0xff00 >> keep);
    }
    return n;
}

bool IpPrefix::contains(const IpPrefix& o) const {
    if (family != o.family || o.length < length) return false;
    IpPrefix narrowed = o;
    narrowed.length = length;
    return narrowed.network() == network();
}

bool IpPrefix::operator==(const IpPrefix& o) const {
    return family == o.family && length == o.length &&
           std::memcmp(bytes, o.bytes, family == AF_INET6 ? 16 : 4) == 0;
}

namespace {

bool isLoopback(const IpPrefix& p) {
    static const IpPrefix lo4 = IpPrefix::parse("127.0.0.0/8").value();
    static const IpPrefix lo6 = IpPrefix::parse("::1/128").value();
    return lo4.contains(p) || lo6.contains(p);
}

// Sorted, without duplicates and without a prefix inside another (nftables refuses overlapping
// elements of an interval set).
std::vector<std::string> normalize(std::vector<IpPrefix> in) {
    std::sort(in.begin(), in.end(), [](const IpPrefix& a, const IpPrefix& b) {
        int c = std::memcmp(a.bytes, b.bytes, 16);
        return c != 0 ? c < 0 : a.length < b.length;
    });
    std::vector<IpPrefix> kept;
    for (const auto& p : in)
        if (kept.empty() || !kept.back().contains(p)) kept.push_back(p);
    std::vector<std::string> out;
    for (const auto& p : kept)
        out.push_back(p.toString());
    return out;
}

}  // namespace

HostNetworks planHostNetworks(const std::vector<IpPrefix>& addresses,
                              const std::vector<IpPrefix>& onLinkRoutes) {
    std::vector<IpPrefix> v4, v6;
    auto add = [&](IpPrefix p) {
        p = p.network();
        if (isLoopback(p)) return;  // the sandbox's own loopback, never the host's
        (p.family == AF_INET6 ? v6 : v4).push_back(p);
    };
    for (IpPrefix a : addresses) {
        a.length = a.family == AF_INET6 ? 128 : 32;
        add(a);
    }
    for (const auto& r : onLinkRoutes)
        if (r.length >= (r.family == AF_INET6 ? kWidestLan6 : kWidestLan4)) add(r);
    return {normalize(std::move(v4)), normalize(std::move(v6))};
}

namespace {

Result<UniqueFd> routeSocket(unsigned groups) {
    UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!fd.valid()) return Error::fromErrno("socket(AF_NETLINK, NETLINK_ROUTE)");
    struct sockaddr_nl sa = {};
    sa.nl_family = AF_NETLINK;
    sa.nl_groups = groups;
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
        return Error::fromErrno("bind(NETLINK_ROUTE)");
    return fd;
}

// One dump request (RTM_GETADDR or RTM_GETROUTE, every family); `each` sees every answer.
template <class F>
Status dump(int fd, uint16_t type, uint32_t seq, F each) {
    struct {
        struct nlmsghdr h;
        struct rtgenmsg g;
    } req = {};
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = type;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.h.nlmsg_seq = seq;
    req.g.rtgen_family = AF_UNSPEC;
    struct sockaddr_nl kernel = {};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(fd, &req, sizeof req, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
        return Error::fromErrno("sendto(NETLINK_ROUTE dump)");
    alignas(struct nlmsghdr) char buf[32768];
    bool interrupted = false;
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::fromErrno("recv(NETLINK_ROUTE dump)");
        }
        auto len = static_cast<unsigned>(n);
        for (auto* h = reinterpret_cast<struct nlmsghdr*>(buf); NLMSG_OK(h, len);
             h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_seq != seq) continue;  // a notification of a watching socket
            if (h->nlmsg_flags & NLM_F_DUMP_INTR) interrupted = true;
            if (h->nlmsg_type == NLMSG_DONE)
                return interrupted ? Status(Error::sys("NETLINK_ROUTE dump", EINTR)) : Ok();
            if (h->nlmsg_type == NLMSG_ERROR) {
                auto* e = static_cast<struct nlmsgerr*>(NLMSG_DATA(h));
                // The dump was interrupted by a change: the caller reads again.
                return Error::sys("NETLINK_ROUTE dump", e->error ? -e->error : EINTR);
            }
            each(h);
        }
    }
}

IpPrefix fromAttr(int family, const struct rtattr* a, int length) {
    IpPrefix p;
    p.family = family;
    p.length = length;
    std::memcpy(p.bytes, RTA_DATA(a), std::min<size_t>(RTA_PAYLOAD(a), sizeof p.bytes));
    return p;
}

}  // namespace

Result<HostNetworks> readHostNetworks(int fd) {
    UniqueFd own;
    if (fd < 0) {
        LB_ASSIGN(own, routeSocket(0));
        fd = own.get();
    }
    static uint32_t seq = 0x4c42;
    std::vector<IpPrefix> addresses, routes;
    auto addr = [&](const struct nlmsghdr* h) {
        if (h->nlmsg_type != RTM_NEWADDR) return;
        auto* ifa = static_cast<const struct ifaddrmsg*>(NLMSG_DATA(h));
        if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return;
        int len = static_cast<int>(IFA_PAYLOAD(h));
        for (auto* a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len))
            // IFA_LOCAL is the address of this end of a point-to-point link, IFA_ADDRESS the
            // peer's there; both belong to the host or its link.
            if (a->rta_type == IFA_ADDRESS || a->rta_type == IFA_LOCAL)
                addresses.push_back(fromAttr(ifa->ifa_family, a, 128));
    };
    auto route = [&](const struct nlmsghdr* h) {
        if (h->nlmsg_type != RTM_NEWROUTE) return;
        auto* rt = static_cast<const struct rtmsg*>(NLMSG_DATA(h));
        if ((rt->rtm_family != AF_INET && rt->rtm_family != AF_INET6) ||
            rt->rtm_type != RTN_UNICAST || rt->rtm_dst_len == 0)
            return;
        bool gateway = false;
        const struct rtattr* dst = nullptr;
        int len = static_cast<int>(RTM_PAYLOAD(h));
        for (auto* a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
            if (a->rta_type == RTA_GATEWAY || a->rta_type == RTA_VIA ||
                a->rta_type == RTA_MULTIPATH)
                gateway = true;
            if (a->rta_type == RTA_DST) dst = a;
        }
        // A route through a router leads elsewhere (the internet); one without is a network
        // the host reaches directly.
        if (!gateway && dst) routes.push_back(fromAttr(rt->rtm_family, dst, rt->rtm_dst_len));
    };
    // A dump interrupted by a change (NLM_F_DUMP_INTR, or EINTR) is read again.
    for (int attempt = 0;; ++attempt) {
        addresses.clear();
        routes.clear();
        Status s = dump(fd, RTM_GETADDR, ++seq, addr);
        if (s) s = dump(fd, RTM_GETROUTE, ++seq, route);
        if (s) break;
        if (s.error().code() != EINTR || attempt == 5)
            return s.error().wrap("reading the host's addresses");
    }
    return planHostNetworks(addresses, routes);
}

Result<HostNetworkWatch> HostNetworkWatch::open() {
    HostNetworkWatch w;
    LB_ASSIGN(w.fd_, routeSocket(RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE |
                                 RTMGRP_IPV6_ROUTE));
    return w;
}

bool HostNetworkWatch::drain() {
    bool any = false;
    char buf[8192];
    for (;;) {
        ssize_t n = ::recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            any = true;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        // ENOBUFS: notifications were lost; the caller reads everything again anyway.
        if (n < 0 && errno == ENOBUFS) {
            any = true;
            continue;
        }
        return any;
    }
}

std::string planHostSetsUpdate(const HostNetworks& nets) {
    // "add" leaves an existing table and sets as they are; the firewall's script (planFirewall)
    // declares the same sets, so whichever loads first, the result is the same.
    std::string s = "add table inet layerbox\n";
    s += "add set inet layerbox host_v4 { type ipv4_addr; flags interval; }\n";
    s += "add set inet layerbox host_v6 { type ipv6_addr; flags interval; }\n";
    s += "flush set inet layerbox host_v4\n";
    s += "flush set inet layerbox host_v6\n";
    if (!nets.v4.empty())
        s += "add element inet layerbox host_v4 { " + joinStrings(nets.v4) + " }\n";
    if (!nets.v6.empty())
        s += "add element inet layerbox host_v6 { " + joinStrings(nets.v6) + " }\n";
    return s;
}

}  // namespace lb
