// Networking inside the sandbox's own network namespace: loopback, the files that describe the
// network (/etc/hostname, /etc/hosts, /etc/resolv.conf) and the firewall. The firewall needs no
// privilege on the host: the sandbox owns its network namespace, so nftables rules loaded there
// (before any program starts, by the setup process) filter everything the program sends, and
// the program, holding no capability, cannot change them.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/fsutil.h"
#include "network/host_networks.h"

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
// `host` (internet-only): the host's addresses and networks, the first elements of the sets
// host_v4 and host_v6, so that one transaction loads the rules and what they refuse.
std::string planFirewall(const NetworkConfig& net, bool logDrops = false,
                         const HostNetworks& host = {});
// The same script without the drop log's statements (a kernel without NFLOG refuses them).
std::string withoutDropLog(const std::string& script);
// Load it into the current network namespace (libnftables).
Status applyFirewall(const std::string& script);
// Load libnftables now (once per process), e.g. before a fork whose child only calls into it.
Status loadFirewallLibrary();

// The firewall loaded from outside the sandbox while the caller goes on: a forked child of the
// runner enters the sandbox's user and network namespaces (descriptors of /proc/SETUP/ns/user
// and ns/net) and loads the script there in one nftables transaction. At launch this runs
// while the setup process builds the file system and slirp4netns starts (issue 25).
class FirewallLoad {
public:
    // `dropLogOptional`: should the script be refused, load it again without the drop log's
    // statements (withoutDropLog) and say so through wait()'s `warning`.
    static Result<std::unique_ptr<FirewallLoad>> start(int usernsFd, int netnsFd,
                                                       const std::string& script,
                                                       bool dropLogOptional = false);
    // Until the child is done: Ok once the rules are in the sandbox's namespace.
    Status wait(std::string* warning = nullptr);
    ~FirewallLoad();  // a child not waited for is killed and reaped

private:
    FirewallLoad() = default;
    pid_t pid_ = 0;
    UniqueFd report_;  // what the child says: nothing, "W..." (a warning) or "E..." (failed)
};

// Start and wait: the runner's updates of a running sandbox's sets.
Status applyFirewallIn(int usernsFd, int netnsFd, const std::string& script);

}  // namespace lb
