// DNS messages (RFC 1035), as much as Layerbox's resolver needs: the question of a query from
// the sandbox, and the addresses in an answer from the upstream server. Both come from outside
// Layerbox's trust (the program writes the queries; an answer crosses the network), so the
// parser is strict and bounded: every length is checked against the message, a name is at
// most 255 bytes, compression pointers only point backwards and past the header, at most 64
// are followed, and anything it does not expect is an error, never a guess.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lb {

inline constexpr uint16_t kDnsTypeA = 1;
inline constexpr uint16_t kDnsTypeCname = 5;
inline constexpr uint16_t kDnsTypeAaaa = 28;
inline constexpr uint16_t kDnsClassIn = 1;
inline constexpr uint8_t kDnsNoError = 0, kDnsFormErr = 1, kDnsServFail = 2, kDnsNxDomain = 3,
                         kDnsRefused = 5;
// The largest query the resolver reads, and the largest message over UDP it reads or sends
// (EDNS0's usual buffer).
inline constexpr size_t kDnsMaxMessage = 4096;
// The largest message over TCP (its two-byte length prefix allows no more): an answer too
// large for UDP comes this way.
inline constexpr size_t kDnsMaxTcpMessage = 65535;

struct DnsQuestion {
    uint16_t id = 0;
    std::string name;  // lower case, no trailing dot; "" for the root
    uint16_t type = 0, cls = 0;
};

// A standard query (QR 0, opcode QUERY) with exactly one question, no answer or authority
// records and at most one additional record (EDNS0's OPT). nullopt: not such a query.
std::optional<DnsQuestion> parseDnsQuery(std::string_view msg);

struct DnsAddress {
    int family = 0;  // AF_INET or AF_INET6
    uint8_t bytes[16] = {};
    uint32_t ttl = 0;
    std::string toString() const;
};

struct DnsAnswer {
    uint16_t id = 0;
    uint8_t rcode = 0;
    bool truncated = false;
    DnsQuestion question;
    // A and AAAA records of the name asked for, or of a name it is an alias of (CNAME chain).
    std::vector<DnsAddress> addresses;
};

// An answer (QR 1) with one question. nullopt: malformed.
std::optional<DnsAnswer> parseDnsAnswer(std::string_view msg);

// DNS over TCP (RFC 1035 4.2.2, RFC 7766): each message follows its length in two bytes.
enum class DnsFrame {
    Partial,   // not all there yet: read more
    Complete,  // `message` is the first message, `used` the bytes it took with its prefix
    Invalid,   // a length no message can have (under a header's 12 bytes): close the stream
};
// The first message of `stream` (the bytes a TCP connection gave so far).
DnsFrame nextDnsFrame(std::string_view stream, std::string_view& message, size_t& used);
// `msg` after its length; empty when it is longer than kDnsMaxTcpMessage (never sent).
std::string dnsTcpFrame(std::string_view msg);

// A reply to `query` with no records and `rcode` (NXDOMAIN for a name that is not allowed,
// SERVFAIL when the upstream server did not answer). Empty when the query has no header.
std::string dnsErrorReply(std::string_view query, uint8_t rcode);

// The same message with another id (forwarding renumbers queries, answers get theirs back).
std::string withDnsId(std::string_view msg, uint16_t id);

// A query for `name` (tests, bench): id, RD set, one question.
std::string buildDnsQuery(uint16_t id, const std::string& name, uint16_t type);

std::string dnsTypeName(uint16_t type);  // "A", "AAAA", "MX", ... or "TYPE65"

}  // namespace lb
