// Networking inside the sandbox's own network namespace: loopback, the files that describe the
// network (/etc/hostname, /etc/hosts, /etc/resolv.conf) and the firewall. The firewall needs no
// privilege on the host: the sandbox owns its network namespace, so nftables rules loaded there
// (before any program starts, by the setup process) filter everything the program sends, and
// the program, holding no capability, cannot change them.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/error.h"

namespace lb {

struct NetworkConfig;

// Addresses slirp4netns gives the sandbox.
inline constexpr const char* kSlirpGuest = "10.0.2.100";
inline constexpr const char* kSlirpHost = "10.0.2.2";
inline constexpr const char* kSlirpDns = "10.0.2.3";
inline constexpr const char* kSlirpHost6 = "fd00::2";
inline constexpr const char* kSlirpDns6 = "fd00::3";

// Bring the loopback interface up (a new network namespace starts with it down).
Status bringUpLoopback();

// Contents of /etc/hostname, /etc/hosts and (with nat) /etc/resolv.conf: (path, contents).
std::vector<std::pair<std::string, std::string>> planNetworkFiles(const NetworkConfig& net);

// What internet-only refuses by number, whatever the host: private, link-local, CGNAT,
// unique-local and multicast ranges (the host's own addresses come on top, host_networks.h).
inline constexpr const char* kInternetOnlyRanges4 =
    "0.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, 169.254.0.0/16, 172.16.0.0/12, 192.168.0.0/16, "
    "224.0.0.0/4, 240.0.0.0/4";
inline constexpr const char* kInternetOnlyRanges6 = "fc00::/7, fe80::/10, ff00::/8";

// The nftables script for a profile's firewall; empty when nothing needs filtering.
// `logDrops` (security.activity_log): every refusal is also logged to NFLOG (drop_log.h).
std::string planFirewall(const NetworkConfig& net, bool logDrops = false);
// Load it into the current network namespace (libnftables).
Status applyFirewall(const std::string& script);
// Load libnftables now (once per process), e.g. before a fork whose child only calls into it.
Status loadFirewallLibrary();
// The same from outside: a forked child of the runner enters the sandbox's user and network
// namespaces (descriptors of /proc/SETUP/ns/user and ns/net) and loads it there.
Status applyFirewallIn(int usernsFd, int netnsFd, const std::string& script);

}  // namespace lb
