// Networking inside the sandbox's own network namespace: loopback, the files that describe the
// network (/etc/hostname, /etc/hosts, /etc/resolv.conf) and the firewall. The firewall needs no
// privilege on the host: the sandbox owns its network namespace, so nftables rules loaded there
// (before any program starts, by a child of the runner: FirewallLoad) filter everything the
// program sends, and the program, holding no capability, cannot change them.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/fsutil.h"
#include "network/host_networks.h"
#include "network/nft_batch.h"

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

// The firewall of a profile as data (nft_batch.h): table inet layerbox, its sets and its output
// chain; empty when nothing needs filtering. `logDrops` (security.activity_log): every refusal
// is also logged to NFLOG (drop_log.h). `host` (internet-only): the host's addresses and
// networks, the first elements of the sets host_v4 and host_v6, so that one transaction loads
// the rules and what they refuse.
NftTable planFirewallTable(const NetworkConfig& net, bool logDrops = false,
                           const HostNetworks& host = {});
// The same as an nftables script (formatNftTable): shown, tested, and what nft would load.
std::string planFirewall(const NetworkConfig& net, bool logDrops = false,
                         const HostNetworks& host = {});
// The same script without the drop log's statements (a kernel without NFLOG refuses them).
std::string withoutDropLog(const std::string& script);
// Load a script into the current network namespace (libnftables, loaded on first use): the
// runtime updates of the sets (host_networks.h, dns_filter.h), not the launch.
Status applyFirewall(const std::string& script);
// Load libnftables now (once per process), e.g. before a fork whose child only calls into it.
Status loadFirewallLibrary();
// `nft list ruleset` of the current network namespace, through libnftables (tests, doctor).
Result<std::string> listFirewall();

// The firewall loaded from outside the sandbox while the caller goes on: a forked child of the
// runner enters the sandbox's user and network namespaces (descriptors of /proc/SETUP/ns/user
// and ns/net) and loads it there in one nftables transaction. At launch this runs while the
// setup process builds the file system and slirp4netns starts (issue 25).
class FirewallLoad {
public:
    // The launch: the table as one netlink batch (nft_batch.h), encoded before the fork, no
    // libnftables. `dropLogOptional`: should the batch be refused, load it again without the
    // drop log (withoutLogging) and say so through wait()'s `warning`.
    static Result<std::unique_ptr<FirewallLoad>> start(int usernsFd, int netnsFd,
                                                       const NftTable& table,
                                                       bool dropLogOptional = false);
    // A script through libnftables (the runtime updates of the sets).
    static Result<std::unique_ptr<FirewallLoad>> startScript(int usernsFd, int netnsFd,
                                                             const std::string& script);
    // Until the child is done: Ok once the rules are in the sandbox's namespace.
    Status wait(std::string* warning = nullptr);
    ~FirewallLoad();  // a child not waited for is killed and reaped

private:
    FirewallLoad() = default;
    // Fork the child, enter the namespaces, run `load` there: "" (done), "W..." or "E...".
    static Result<std::unique_ptr<FirewallLoad>> fork(int usernsFd, int netnsFd,
                                                      const std::function<std::string()>& load);
    pid_t pid_ = 0;
    UniqueFd report_;  // what the child says: nothing, "W..." (a warning) or "E..." (failed)
};

// Start and wait: the runner's updates of a running sandbox's sets.
Status applyFirewallIn(int usernsFd, int netnsFd, const std::string& script);

}  // namespace lb
