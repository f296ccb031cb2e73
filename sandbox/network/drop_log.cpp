#include "network/drop_log.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace lb {

namespace {

// Enough for an IPv6 header and the ports after it.
constexpr uint32_t kCopyBytes = 64;

std::string protoName(int p) {
    switch (p) {
        case IPPROTO_TCP:
            return "tcp";
        case IPPROTO_UDP:
            return "udp";
        case IPPROTO_ICMP:
        case IPPROTO_ICMPV6:
            return "icmp";
        default:
            return std::to_string(p);
    }
}

// One config command of the group: a message and its acknowledgement.
Status configure(int fd, uint16_t attrType, const void* attr, uint16_t attrLen) {
    struct {
        nlmsghdr h;
        nfgenmsg g;
        nfattr a;
        char data[16];
    } req{};
    req.h.nlmsg_len = NLMSG_LENGTH(sizeof req.g) + NFA_LENGTH(attrLen);
    req.h.nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    req.h.nlmsg_seq = 1;
    req.g.nfgen_family = AF_UNSPEC;
    req.g.version = NFNETLINK_V0;
    req.g.res_id = htons(kDropLogGroup);
    req.a.nfa_len = NFA_LENGTH(attrLen);
    req.a.nfa_type = attrType;
    std::memcpy(req.data, attr, attrLen);
    if (::send(fd, &req, req.h.nlmsg_len, 0) < 0) return Error::fromErrno("send(NFLOG config)");
    alignas(nlmsghdr) char buf[512];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < static_cast<ssize_t>(NLMSG_LENGTH(sizeof(nlmsgerr))))
        return Error::fromErrno("recv(NFLOG config)");
    auto* h = reinterpret_cast<nlmsghdr*>(buf);
    if (h->nlmsg_type == NLMSG_ERROR) {
        int err = -static_cast<nlmsgerr*>(NLMSG_DATA(h))->error;
        if (err != 0)
            return Error(
                "binding NFLOG group " + std::to_string(kDropLogGroup) + ": " + std::strerror(err),
                err);
    }
    return Ok();
}

}  // namespace

std::optional<DroppedPacket> parseDropLogMessage(const char* data, size_t len) {
    if (len < NLMSG_LENGTH(sizeof(nfgenmsg))) return std::nullopt;
    nlmsghdr h;
    std::memcpy(&h, data, sizeof h);
    if (h.nlmsg_len > len || h.nlmsg_len < NLMSG_LENGTH(sizeof(nfgenmsg)) ||
        h.nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET))
        return std::nullopt;
    nfgenmsg g;
    std::memcpy(&g, data + NLMSG_HDRLEN, sizeof g);
    // The attributes, each 4-aligned: the packet is NFULA_PAYLOAD.
    size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
    const unsigned char* pkt = nullptr;
    size_t plen = 0;
    while (off + sizeof(nfattr) <= h.nlmsg_len) {
        nfattr a;
        std::memcpy(&a, data + off, sizeof a);
        if (a.nfa_len < sizeof a || off + a.nfa_len > h.nlmsg_len) break;
        if ((a.nfa_type & NLA_TYPE_MASK) == NFULA_PAYLOAD) {
            pkt = reinterpret_cast<const unsigned char*>(data + off + NFA_LENGTH(0));
            plen = a.nfa_len - NFA_LENGTH(0);
        }
        off += NFA_ALIGN(a.nfa_len);
    }
    if (!pkt || plen < 20) return std::nullopt;
    DroppedPacket p;
    char addr[INET6_ADDRSTRLEN] = {}, from[INET6_ADDRSTRLEN] = {};
    size_t l4 = 0;
    int proto = -1;
    const int version = pkt[0] >> 4;
    if (version == 4) {
        l4 = static_cast<size_t>(pkt[0] & 0x0f) * 4;
        proto = pkt[9];
        if (l4 < 20 || !::inet_ntop(AF_INET, pkt + 16, addr, sizeof addr) ||
            !::inet_ntop(AF_INET, pkt + 12, from, sizeof from))
            return std::nullopt;
    } else if (version == 6 && plen >= 40) {
        l4 = 40;  // extension headers are not followed: the port is then not said
        proto = pkt[6];
        // Link-scope multicast (ff02::/16) is the kernel's own neighbour and router discovery
        // and MLD, which the firewall refuses without IPv6: sent by no program, not logged.
        if (pkt[24] == 0xff && pkt[25] == 0x02) return std::nullopt;
        if (!::inet_ntop(AF_INET6, pkt + 24, addr, sizeof addr) ||
            !::inet_ntop(AF_INET6, pkt + 8, from, sizeof from))
            return std::nullopt;
    } else {
        return std::nullopt;
    }
    (void)g;
    p.address = addr;
    p.proto = protoName(proto);
    int sport = 0;
    if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && plen >= l4 + 4) {
        sport = (pkt[l4] << 8) | pkt[l4 + 1];
        p.port = (pkt[l4 + 2] << 8) | pkt[l4 + 3];
    }
    p.flow = p.proto + " " + from + " " + std::to_string(sport) + " " + p.address + " " +
             std::to_string(p.port);
    return p;
}

std::string describeDrop(const DroppedPacket& p) {
    const bool v6 = p.address.find(':') != std::string::npos;
    if (p.port == 0) return p.address + "/" + p.proto;
    std::string s = (v6 ? "[" + p.address + "]" : p.address) + ":" + std::to_string(p.port);
    return p.proto == "tcp" ? s : s + "/" + p.proto;
}

Result<UniqueFd> openDropLog() {
    UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
    if (!fd.valid()) return Error::fromErrno("socket(NETLINK_NETFILTER)");
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
        return Error::fromErrno("bind(NETLINK_NETFILTER)");
    const nfulnl_msg_config_cmd bind{NFULNL_CFG_CMD_BIND};
    LB_TRY(configure(fd.get(), NFULA_CFG_CMD, &bind, sizeof bind));
    nfulnl_msg_config_mode mode{};
    mode.copy_range = htonl(kCopyBytes);
    mode.copy_mode = NFULNL_COPY_PACKET;
    LB_TRY(configure(fd.get(), NFULA_CFG_MODE, &mode, sizeof mode));
    // Without a flush timeout the kernel may hold packets back to batch them.
    const uint32_t timeout = htonl(0);
    LB_TRY(configure(fd.get(), NFULA_CFG_TIMEOUT, &timeout, sizeof timeout));
    const uint32_t qthresh = htonl(1);
    LB_TRY(configure(fd.get(), NFULA_CFG_QTHRESH, &qthresh, sizeof qthresh));
    ::fcntl(fd.get(), F_SETFL, O_NONBLOCK);
    return fd;
}

}  // namespace lb
