#include "network/dns_message.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>

namespace lb {

namespace {

constexpr size_t kHeader = 12;
constexpr size_t kMaxName = 255;  // wire length, RFC 1035 2.3.4
constexpr int kMaxPointers = 64;

// A bounded reader over one message: every read checks what is left, and a failed read leaves
// `ok` false for good.
struct Reader {
    std::string_view m;
    size_t pos = 0;
    bool ok = true;

    uint8_t u8() {
        if (!ok || pos + 1 > m.size()) return fail();
        return static_cast<uint8_t>(m[pos++]);
    }
    uint16_t u16() {
        uint16_t hi = u8();
        return static_cast<uint16_t>(hi << 8 | u8());
    }
    uint32_t u32() {
        uint32_t hi = u16();
        return hi << 16 | u16();
    }
    bool skip(size_t n) {
        if (!ok || n > m.size() - pos) return fail();
        pos += n;
        return true;
    }
    uint8_t fail() {
        ok = false;
        return 0;
    }

    // A name at pos (following compression pointers, backwards only), lower-cased, dotted.
    std::optional<std::string> name() {
        std::string out;
        size_t at = pos, wire = 0;
        bool jumped = false;
        for (int pointers = 0;;) {
            if (at >= m.size()) return std::nullopt;
            auto len = static_cast<uint8_t>(m[at]);
            if ((len & 0xC0) == 0xC0) {
                if (at + 1 >= m.size() || ++pointers > kMaxPointers) return std::nullopt;
                size_t target =
                    static_cast<size_t>(len & 0x3F) << 8 | static_cast<uint8_t>(m[at + 1]);
                // Only backwards: a pointer can never make a loop or read ahead of itself.
                // Never into the header: that is no name, and its bytes change on the way (the
                // id is renumbered, the flags differ in the reply), so the same pointer would
                // name one thing here and another upstream or to the program.
                if (target >= at || target < kHeader) return std::nullopt;
                if (!jumped) pos = at + 2;
                jumped = true;
                at = target;
                continue;
            }
            if (len & 0xC0) return std::nullopt;  // 0x40, 0x80: extended label types, unused
            wire += len + 1u;
            if (wire > kMaxName) return std::nullopt;
            if (len == 0) {
                if (!jumped) pos = at + 1;
                return out;
            }
            if (at + 1 + len > m.size()) return std::nullopt;
            if (!out.empty()) out += '.';
            for (size_t i = 0; i < len; ++i) {
                char c = m[at + 1 + i];
                // A dot or a NUL inside a label would make the dotted name mean another name.
                if (c == '.' || c == '\0') return std::nullopt;
                out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
            }
            at += 1 + len;
        }
    }
};

struct Header {
    uint16_t id, flags, qd, an, ns, ar;
};

std::optional<Header> header(Reader& r) {
    Header h{r.u16(), r.u16(), r.u16(), r.u16(), r.u16(), r.u16()};
    if (!r.ok) return std::nullopt;
    return h;
}

std::optional<DnsQuestion> question(Reader& r, uint16_t id) {
    DnsQuestion q;
    q.id = id;
    auto n = r.name();
    if (!n) return std::nullopt;
    q.name = std::move(*n);
    q.type = r.u16();
    q.cls = r.u16();
    if (!r.ok) return std::nullopt;
    return q;
}

}  // namespace

std::optional<DnsQuestion> parseDnsQuery(std::string_view msg) {
    if (msg.size() > kDnsMaxMessage) return std::nullopt;
    Reader r{msg};
    auto h = header(r);
    // QR 0, opcode 0 (QUERY); one question and nothing else but an OPT record.
    if (!h || (h->flags & 0x8000) || ((h->flags >> 11) & 0xF) != 0 || h->qd != 1 || h->an != 0 ||
        h->ns != 0 || h->ar > 1)
        return std::nullopt;
    auto q = question(r, h->id);
    if (!q) return std::nullopt;
    if (h->ar == 1) {
        // EDNS0: the root name, type OPT (41); its data is for the server, passed on as is.
        auto n = r.name();
        uint16_t type = r.u16();
        r.skip(6);  // class (UDP size), TTL (extended rcode, flags)
        uint16_t len = r.u16();
        r.skip(len);
        if (!n || !n->empty() || type != 41 || !r.ok) return std::nullopt;
    }
    if (r.pos != msg.size()) return std::nullopt;  // nothing may follow
    return q;
}

std::optional<DnsAnswer> parseDnsAnswer(std::string_view msg) {
    if (msg.size() > kDnsMaxTcpMessage) return std::nullopt;
    Reader r{msg};
    auto h = header(r);
    if (!h || !(h->flags & 0x8000) || ((h->flags >> 11) & 0xF) != 0 || h->qd != 1)
        return std::nullopt;
    DnsAnswer a;
    a.id = h->id;
    a.rcode = static_cast<uint8_t>(h->flags & 0xF);
    a.truncated = h->flags & 0x0200;
    auto q = question(r, h->id);
    if (!q) return std::nullopt;
    a.question = std::move(*q);
    struct Record {
        std::string owner;
        uint16_t type;
        uint32_t ttl;
        std::string_view data;
        std::string target;  // CNAME
    };
    std::vector<Record> records;
    for (unsigned i = 0; i < h->an; ++i) {
        auto owner = r.name();
        if (!owner) return std::nullopt;
        Record rec{std::move(*owner), r.u16(), 0, {}, {}};
        uint16_t cls = r.u16();
        rec.ttl = r.u32();
        uint16_t len = r.u16();
        size_t start = r.pos;
        if (!r.skip(len)) return std::nullopt;
        rec.data = msg.substr(start, len);
        if (cls != kDnsClassIn) continue;
        if (rec.type == kDnsTypeCname) {
            Reader sub{msg, start};
            auto t = sub.name();
            if (!t || sub.pos != start + len) return std::nullopt;
            rec.target = std::move(*t);
        } else if ((rec.type == kDnsTypeA && len != 4) || (rec.type == kDnsTypeAaaa && len != 16)) {
            return std::nullopt;
        }
        records.push_back(std::move(rec));
    }
    // The authority and additional sections are not read: no address from them is trusted.
    // Only records of the name asked for count, or of the names it is an alias of: an address
    // for another name in the same answer does not make that name allowed.
    std::vector<std::string> names = {a.question.name};
    for (size_t round = 0; round < records.size(); ++round) {
        bool grew = false;
        for (const auto& rec : records)
            if (rec.type == kDnsTypeCname &&
                std::find(names.begin(), names.end(), rec.owner) != names.end() &&
                std::find(names.begin(), names.end(), rec.target) == names.end()) {
                names.push_back(rec.target);
                grew = true;
            }
        if (!grew) break;
    }
    for (const auto& rec : records) {
        if ((rec.type != kDnsTypeA && rec.type != kDnsTypeAaaa) ||
            std::find(names.begin(), names.end(), rec.owner) == names.end())
            continue;
        DnsAddress addr;
        addr.family = rec.type == kDnsTypeA ? AF_INET : AF_INET6;
        addr.ttl = rec.ttl;
        std::copy(rec.data.begin(), rec.data.end(), addr.bytes);
        a.addresses.push_back(addr);
    }
    return a;
}

DnsFrame nextDnsFrame(std::string_view stream, std::string_view& message, size_t& used) {
    if (stream.size() < 2) return DnsFrame::Partial;
    size_t len =
        static_cast<size_t>(static_cast<uint8_t>(stream[0])) << 8 | static_cast<uint8_t>(stream[1]);
    if (len < kHeader) return DnsFrame::Invalid;
    if (stream.size() - 2 < len) return DnsFrame::Partial;
    message = stream.substr(2, len);
    used = 2 + len;
    return DnsFrame::Complete;
}

std::string dnsTcpFrame(std::string_view msg) {
    if (msg.size() > kDnsMaxTcpMessage) return {};
    std::string out;
    out += static_cast<char>(msg.size() >> 8);
    out += static_cast<char>(msg.size() & 0xFF);
    out += msg;
    return out;
}

std::string DnsAddress::toString() const {
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(family, bytes, buf, sizeof buf);
    return buf;
}

std::string dnsErrorReply(std::string_view query, uint8_t rcode) {
    auto q = parseDnsQuery(query);
    if (query.size() < kHeader) return {};
    std::string out(query.substr(0, 2));
    // QR, the query's opcode and RD; RA (this server recurses).
    auto flags = static_cast<uint16_t>(0x8000 | (static_cast<uint8_t>(query[2]) & 0x79) << 8 |
                                       0x80 | (rcode & 0xF));
    out += static_cast<char>(flags >> 8);
    out += static_cast<char>(flags & 0xFF);
    if (!q) {
        out += std::string(8, '\0');  // no question echoed when it could not be read
        return out;
    }
    out += std::string("\0\1\0\0\0\0\0\0", 8);
    // The question as the client sent it (before any OPT record).
    Reader r{query, kHeader};
    (void)r.name();
    r.skip(4);
    out += query.substr(kHeader, r.pos - kHeader);
    return out;
}

std::string withDnsId(std::string_view msg, uint16_t id) {
    std::string out(msg);
    if (out.size() >= 2) {
        out[0] = static_cast<char>(id >> 8);
        out[1] = static_cast<char>(id & 0xFF);
    }
    return out;
}

std::string buildDnsQuery(uint16_t id, const std::string& name, uint16_t type) {
    std::string out;
    out += static_cast<char>(id >> 8);
    out += static_cast<char>(id & 0xFF);
    out += std::string("\1\0\0\1\0\0\0\0\0\0", 10);
    size_t start = 0;
    while (start < name.size()) {
        size_t dot = name.find('.', start);
        if (dot == std::string::npos) dot = name.size();
        out += static_cast<char>(dot - start);
        out += name.substr(start, dot - start);
        start = dot + 1;
    }
    out += '\0';
    out += static_cast<char>(type >> 8);
    out += static_cast<char>(type & 0xFF);
    out += std::string("\0\1", 2);
    return out;
}

std::string dnsTypeName(uint16_t type) {
    switch (type) {
        case kDnsTypeA:
            return "A";
        case 2:
            return "NS";
        case kDnsTypeCname:
            return "CNAME";
        case 6:
            return "SOA";
        case 12:
            return "PTR";
        case 15:
            return "MX";
        case 16:
            return "TXT";
        case kDnsTypeAaaa:
            return "AAAA";
        case 33:
            return "SRV";
        case 64:
            return "SVCB";
        case 65:
            return "HTTPS";
        case 255:
            return "ANY";
        default:
            return "TYPE" + std::to_string(type);
    }
}

}  // namespace lb
