// The activity log's firewall source (launch/activity_log.h): with security.activity_log, every
// refusal of the sandbox's firewall (planFirewall) also logs the packet to NFLOG group
// kDropLogGroup of the sandbox's own network namespace, and the runner reads that group's
// netlink socket. The setup process opens and binds the socket inside the namespace (binding a
// group needs CAP_NET_ADMIN there, which it has before the program starts) and sends it to the
// runner with NamespacesReady; no sandbox process keeps it.
//
// The kernel's copy of a packet says where it went (address, protocol, port) but not which
// process sent it: a rejected TCP connect has no socket left by the time the runner reads the
// message, and the uid is the same for every process of the sandbox. Firewall entries name no
// process.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "base/error.h"
#include "base/fsutil.h"

namespace lb {

// The group is per network namespace: one number for every sandbox.
inline constexpr int kDropLogGroup = 23;

struct DroppedPacket {
    std::string address;  // "192.168.1.1", "fd00::5"
    std::string proto;    // "tcp", "udp", "icmp", or the protocol's number
    int port = 0;         // destination port (tcp, udp), else 0
    // Source address and port with the above: one connection's packets (a SYN sent again, the
    // datagrams of one socket) share it, so they count once.
    std::string flow;
};

// Pure: one netlink message of the group (nlmsghdr, nfgenmsg, attributes); nothing when it is
// no packet, too short to say where it went, or the kernel's own IPv6 link-scope multicast.
std::optional<DroppedPacket> parseDropLogMessage(const char* data, size_t len);
// Pure: "192.168.1.1:53" (tcp), "192.168.1.1:53/udp", "[fd00::5]:443", "192.168.1.1/icmp".
std::string describeDrop(const DroppedPacket& p);

// In the sandbox's network namespace, with CAP_NET_ADMIN there: a netlink socket bound to
// kDropLogGroup copying each packet's first bytes (its headers), non-blocking.
Result<UniqueFd> openDropLog();

}  // namespace lb
