// The sandbox's firewall as data, and that data as one nftables netlink batch written by
// Layerbox itself (issue 25): loading the launch-time firewall through libnftables cost ~5 ms
// of CPU to load the library and ~7 ms to parse, evaluate and fetch its cache, on every `--net
// nat` launch. The batch is built from the kernel's uapi headers only (nf_tables.h,
// nfnetlink.h, netlink.h) with a small TLV writer: no libnftnl or libmnl, nothing more to load.
//
// The bytes are those `nft -f` sends for the same script (nftables 1.0.6: the same expressions,
// dependencies, prefix and range forms, anonymous sets and their interval elements, the same
// set user data), so that `nft list ruleset` shows the same text (tst_network_nft_batch loads
// both into fresh namespaces and compares the listings). Only the forms planFirewall produces
// are supported; anything else is an error of the plan, never a silently different rule.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"

namespace lb {

// What a rule's match looks at; the text is `nft`'s keyword for it.
enum class NftField {
    OifName,      // oifname "lo"
    IpDaddr,      // ip daddr 10.0.0.0/8
    Ip6Daddr,     // ip6 daddr fc00::/7
    MetaL4proto,  // meta l4proto tcp
    TcpDport,     // tcp dport 80 | 80-90
    UdpDport,     // udp dport 53
    TcpSport,     // tcp sport 8080
    UdpSport,     // udp sport 8080
    ThDport,      // th dport 53 | 1000-2000 (no protocol dependency: after meta l4proto)
    Icmpv6Type,   // icmpv6 type nd-router-solicit
    CtState,      // ct state established,related (one value: the states joined by commas)
};

// One match: one value is compared (a port range "lo-hi" as a range); several make an
// anonymous set (`{ tcp, udp }`); "@name" looks the value up in the table's named set.
struct NftMatch {
    NftField field;
    std::vector<std::string> values;
};

struct NftRule {
    std::vector<NftMatch> matches;
    int logGroup = -1;   // >= 0: `log group N` before the verdict (the drop log)
    bool accept = true;  // false: reject with icmpx type admin-prohibited
};

struct NftSet {
    std::string name;
    bool v6 = false;  // ipv6_addr, else ipv4_addr
    bool interval = false;
    bool timeout = false;
    std::vector<std::string> elements;  // addresses or prefixes ("192.0.2.0/24")
};

// `table inet NAME` with its named sets and one chain `output` (type filter hook output
// priority filter; policy accept): the only shape Layerbox's firewall has.
struct NftTable {
    std::string name = "layerbox";
    std::vector<NftSet> sets;
    std::vector<NftRule> output;
    bool empty() const { return output.empty() && sets.empty(); }
};

// The nftables script of the table, as `nft -f` reads it (planFirewall's text).
std::string formatNftTable(const NftTable& table);
std::string formatNftRule(const NftRule& rule);
// The same table with no rule logging (a kernel without NFLOG refuses `log group`).
NftTable withoutLogging(NftTable table);

// One NFNL batch: BATCH_BEGIN, NEWTABLE, NEWCHAIN, NEWSET/NEWSETELEM, NEWRULE..., BATCH_END,
// every message but the batch's own with NLM_F_ACK. `what[i]` names message i + 1 (its
// sequence number) for errors: "rule 5 (ip daddr @host_v4 reject ...)".
struct NftBatch {
    std::vector<uint8_t> bytes;
    std::vector<std::string> what;
};

// Pure: the batch for the table; an error for a form Layerbox does not write.
Result<NftBatch> planNftBatch(const NftTable& table);

// Send it on a NETLINK_NETFILTER socket made now, in the caller's network namespace, and read
// every acknowledgement: one transaction, all or nothing; an error names the message refused
// and the kernel's errno.
Status applyNftBatch(const NftBatch& batch);

}  // namespace lb
