// What "internet only" must refuse besides the private ranges: the host's own addresses (every
// interface, IPv4 and IPv6: a docker or libvirt bridge, a VPN, a public address on eth0) and
// the networks the host is attached to without a router (its on-link routes: the real LAN,
// whichever range it uses). slirp4netns connects out from the host's own network stack, so a
// sandbox reaches whatever the host reaches, its own services on 0.0.0.0 included; the ranges
// alone miss a host or LAN with public addresses.
//
// Read from the host's network namespace by the runner (rtnetlink), loaded into two nftables
// sets of the sandbox's firewall (host_v4, host_v6) and kept current while the sandbox runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fsutil.h"

namespace lb {

// An address or network: family AF_INET or AF_INET6, bytes in network order.
struct IpPrefix {
    int family = 0;
    uint8_t bytes[16] = {};
    int length = 0;  // prefix length; 32 or 128 for one address

    static Result<IpPrefix> parse(const std::string& text);  // "192.0.2.1/24", "2001:db8::1"
    std::string toString() const;                            // "192.0.2.0/24" (host bits kept)
    IpPrefix network() const;                                // host bits cleared
    bool contains(const IpPrefix& other) const;
    bool operator==(const IpPrefix& o) const;
};

struct HostNetworks {
    std::vector<std::string> v4, v6;  // "a.b.c.d/len": sorted, none inside another
    bool operator==(const HostNetworks&) const = default;
};

// On-link routes wider than these are taken for tunnels to the internet (a VPN's 0.0.0.0/1 or
// 2000::/3 "dev tun0"), not for a LAN: refusing them would refuse the internet itself.
inline constexpr int kWidestLan4 = 8;
inline constexpr int kWidestLan6 = 32;

// Pure: the host's addresses (each refused alone) and its on-link routes (refused as networks)
// as the two sets. Loopback is left out (the sandbox's own), so are default and too wide routes.
HostNetworks planHostNetworks(const std::vector<IpPrefix>& addresses,
                              const std::vector<IpPrefix>& onLinkRoutes);

// The current network namespace's addresses and on-link unicast routes (every table), through
// rtnetlink dumps on `fd` (a NETLINK_ROUTE socket), or on a socket of its own when fd < 0.
Result<HostNetworks> readHostNetworks(int fd = -1);

// A NETLINK_ROUTE socket subscribed to address and route changes of the namespace it was
// opened in; the runner polls it while the sandbox runs.
class HostNetworkWatch {
public:
    static Result<HostNetworkWatch> open();
    int fd() const { return fd_.get(); }  // -1 until opened
    // Read every pending notification; true when there was any (or the queue overflowed).
    bool drain();

private:
    UniqueFd fd_;
};

// The nftables commands that make the sets hold exactly `nets` (creating the table and the
// sets when the firewall is not loaded yet, so that it does not matter which comes first).
std::string planHostSetsUpdate(const HostNetworks& nets);

}  // namespace lb
