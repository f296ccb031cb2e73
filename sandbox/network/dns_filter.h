// Domain allow-lists (network.allow_domains, deny_domains): the sandbox's names go to a small
// forwarding resolver that Layerbox runs outside the program's reach, and the program can
// reach only the addresses that resolver gave it.
//
// The resolver is a forked child of the runner. It opens its upstream sockets in the host's
// network namespace, then enters the sandbox's user and network namespaces (as applyFirewallIn
// does) and listens on 127.0.0.53:53 there, UDP and TCP (an answer too large for UDP comes
// truncated and is asked again over TCP), the only nameserver of the sandbox's resolv.conf.
// A TCP query goes upstream over TCP on a socket of the host's namespace too: a small child it
// forks before leaving (the socket maker) hands it a new socket per connection.
// It keeps CAP_NET_ADMIN of the sandbox's namespace only (to fill the firewall's sets) and is
// invisible to the program: it lives in the runner's PID namespace, and the program's only way
// to it is a DNS message. A name that is not allowed is answered NXDOMAIN and never leaves the
// machine; for an allowed one the query goes upstream, and the A and AAAA records of the answer
// go into the nftables sets dns_v4 / dns_v6 with their TTL as timeout *before* the answer is
// passed on, so the program's connect that follows finds them. The firewall (planFirewall)
// accepts only those sets, after the profile's rules and the preset's refusals, and refuses DNS
// to any other server (53, 853), so numbers learnt elsewhere lead nowhere.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "network/dns_message.h"

namespace lb {

struct NetworkConfig;

// Where the sandbox's resolv.conf points: the resolver's socket inside the sandbox's own
// network namespace (loopback, so it never crosses slirp4netns).
inline constexpr const char* kDnsFilterAddress = "127.0.0.53";

// "example.org" matches itself only; "*.example.org" every name below example.org (not
// example.org itself); "*" every name. Both lower case, without the trailing dot.
bool domainMatches(const std::string& pattern, const std::string& name);
// Whether the resolver answers `name`: not in deny_domains, and in allow_domains when that
// list is not empty.
bool nameAllowed(const NetworkConfig& net, const std::string& name);

// How long the program may use a record's address: its TTL, at least 1 s (a TTL of 0 still
// lets the connect that follows through), at most a day.
uint32_t setTimeoutFor(uint32_t ttl);
// An element is written for that long and kDnsSetGraceSeconds more, so that the answers that
// follow within the grace need no firewall update (DnsSetElements).
inline constexpr uint32_t kDnsSetGraceSeconds = 1;
// nftables commands that put the addresses into dns_v4 / dns_v6, each with its TTL (and the
// grace) as timeout (an address already there gets the new timeout). Empty for no address.
std::string planDnsSetUpdate(const std::vector<DnsAddress>& addresses);

// The elements the resolver wrote and until when they live, so that an answer whose addresses
// are all in the sets for at least its TTL costs no nftables transaction (one costs
// milliseconds, and glibc keeps no cache: a program that resolves before each connection asks
// again and again). A cache upstream counts its TTLs down, so its answers never need one; a
// server that always gives the same TTL needs one per address and grace. Bounded: past
// kMaxEntries the expired entries go, then all (which only means more updates).
class DnsSetElements {
public:
    static constexpr size_t kMaxEntries = 4096;
    // Of `answer`, the addresses whose elements must be written at `nowMs` (each once).
    std::vector<DnsAddress> due(const std::vector<DnsAddress>& answer, int64_t nowMs) const;
    // They were written at `nowMs`, with planDnsSetUpdate's timeouts.
    void written(const std::vector<DnsAddress>& addresses, int64_t nowMs);
    size_t size() const { return expiry_.size(); }

private:
    std::map<std::string, int64_t> expiry_;  // address -> when its element goes (ms)
};
// The sets' declarations, shared by the firewall script and the updates.
inline constexpr const char* kDnsSetV4 = "dns_v4 { type ipv4_addr; flags timeout; }";
inline constexpr const char* kDnsSetV6 = "dns_v6 { type ipv6_addr; flags timeout; }";

// The "nameserver" lines of a resolv.conf.
std::vector<std::string> parseResolvConf(const std::string& text);
// The servers the resolver asks: the profile's network.dns, else the host's resolv.conf's.
std::vector<std::string> planDnsUpstreams(const NetworkConfig& net,
                                          const std::string& hostResolvConf);

// One query, for the activity log (a JSON line; docs/architecture.md).
struct DnsQueryEvent {
    int64_t unixSeconds = 0;
    std::string instance, name, type;
    std::string verdict;  // allowed | denied | failed | malformed
    uint8_t rcode = 0;
    std::vector<std::string> addresses;
    uint32_t ttl = 0;  // the smallest of the addresses' TTLs
};
std::string formatDnsEvent(const DnsQueryEvent& e);
// Append it to `fd` (O_APPEND), one line; nothing when fd < 0.
void recordDnsQuery(int fd, const DnsQueryEvent& e);

class DnsFilter {
public:
    // Start the resolver for the sandbox whose namespaces the descriptors name. `logFd` (may be
    // -1) receives the query events; `instance` names the sandbox in them.
    static Result<std::unique_ptr<DnsFilter>> start(int usernsFd, int netnsFd,
                                                    const NetworkConfig& net,
                                                    const std::vector<std::string>& upstreams,
                                                    int logFd, const std::string& instance);
    ~DnsFilter();
    pid_t pid() const { return pid_; }
    void markExited() { pid_ = 0; }
    void stop();

private:
    pid_t pid_ = 0;
};

}  // namespace lb
