#include "network/nft_batch.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "base/fsutil.h"
#include "network/host_networks.h"

namespace lb {

namespace {

const char* keyword(NftField f) {
    switch (f) {
        case NftField::OifName:
            return "oifname";
        case NftField::IpDaddr:
            return "ip daddr";
        case NftField::Ip6Daddr:
            return "ip6 daddr";
        case NftField::MetaL4proto:
            return "meta l4proto";
        case NftField::TcpDport:
            return "tcp dport";
        case NftField::UdpDport:
            return "udp dport";
        case NftField::TcpSport:
            return "tcp sport";
        case NftField::UdpSport:
            return "udp sport";
        case NftField::ThDport:
            return "th dport";
        case NftField::Icmpv6Type:
            return "icmpv6 type";
        case NftField::CtState:
            return "ct state";
    }
    return "?";
}

constexpr const char* kRejectText = "reject with icmpx type admin-prohibited";

}  // namespace

std::string formatNftRule(const NftRule& rule) {
    std::vector<std::string> parts;
    for (const auto& m : rule.matches) {
        std::string value;
        if (m.field == NftField::OifName && m.values.size() == 1)
            value = "\"" + m.values[0] + "\"";
        else if (m.values.size() == 1)
            value = m.values[0];
        else
            value = "{ " + joinStrings(m.values) + " }";
        parts.push_back(std::string(keyword(m.field)) + " " + value);
    }
    if (rule.logGroup >= 0) parts.push_back("log group " + std::to_string(rule.logGroup));
    parts.push_back(rule.accept ? "accept" : kRejectText);
    return joinStrings(parts, " ");
}

std::string formatNftTable(const NftTable& table) {
    std::string s = "table inet " + table.name + " {\n";
    for (const auto& set : table.sets) {
        s += "  set " + set.name + " { type " + (set.v6 ? "ipv6_addr" : "ipv4_addr") + "; ";
        if (set.interval) s += "flags interval; ";
        if (set.timeout) s += "flags timeout; ";
        // No empty element list: nftables refuses it.
        if (!set.elements.empty()) s += "elements = { " + joinStrings(set.elements) + " }; ";
        s += "}\n";
    }
    s += "  chain output {\n";
    s += "    type filter hook output priority filter; policy accept;\n";
    for (const auto& r : table.output)
        s += "    " + formatNftRule(r) + "\n";
    return s + "  }\n}\n";
}

NftTable withoutLogging(NftTable table) {
    for (auto& r : table.output)
        r.logGroup = -1;
    return table;
}

namespace {

// A set's element list is cut into messages of about this many bytes (an element is under 100).
constexpr size_t kElementListChunk = 32 * 1024;

// ---- the TLV writer: netlink messages and attributes, 4-byte aligned, in one buffer ----

class NlWriter {
public:
    explicit NlWriter(std::vector<uint8_t>& out) : b_(out) {}

    // nlmsghdr + nfgenmsg; returns where the message starts (for end()).
    size_t begin(uint16_t type, uint16_t flags, uint32_t seq, uint8_t family, uint16_t resId) {
        size_t at = b_.size();
        nlmsghdr h = {};
        h.nlmsg_type = type;
        h.nlmsg_flags = flags;
        h.nlmsg_seq = seq;
        append(&h, sizeof h);
        nfgenmsg g = {};
        g.nfgen_family = family;
        g.version = NFNETLINK_V0;
        g.res_id = htons(resId);
        append(&g, sizeof g);
        return at;
    }
    void addFlags(size_t msgAt, uint16_t flags) {
        nlmsghdr h;
        std::memcpy(&h, b_.data() + msgAt, sizeof h);
        h.nlmsg_flags = uint16_t(h.nlmsg_flags | flags);
        std::memcpy(b_.data() + msgAt, &h, sizeof h);
    }
    void end(size_t msgAt) {
        uint32_t len = static_cast<uint32_t>(b_.size() - msgAt);
        std::memcpy(b_.data() + msgAt, &len, sizeof len);
    }

    void put(uint16_t type, const void* data, size_t len) {
        if (NLA_HDRLEN + len > 0xffff) overflow_ = true;
        nlattr a = {};
        a.nla_len = static_cast<uint16_t>(NLA_HDRLEN + len);
        a.nla_type = type;
        append(&a, sizeof a);
        append(data, len);
        pad();
    }
    void putU32(uint16_t type, uint32_t v) {
        v = htonl(v);
        put(type, &v, sizeof v);
    }
    void putU16(uint16_t type, uint16_t v) {
        v = htons(v);
        put(type, &v, sizeof v);
    }
    void putU8(uint16_t type, uint8_t v) { put(type, &v, 1); }
    void putStr(uint16_t type, const std::string& s) { put(type, s.c_str(), s.size() + 1); }
    void putRaw(const std::vector<uint8_t>& v) { append(v.data(), v.size()); }
    void putBytes(uint16_t type, const std::vector<uint8_t>& v) { put(type, v.data(), v.size()); }

    size_t nest(uint16_t type) {
        size_t at = b_.size();
        nlattr a = {};
        a.nla_type = static_cast<uint16_t>(type | NLA_F_NESTED);
        append(&a, sizeof a);
        return at;
    }
    void endNest(size_t at) {
        // An attribute's length is 16 bits: a longer one would be cut short, and the kernel
        // reads a cut-short list leniently (elements past the cut would be missing, not
        // refused). Remembered, and the batch refused (planNftBatch).
        if (b_.size() - at > 0xffff) overflow_ = true;
        uint16_t len = static_cast<uint16_t>(b_.size() - at);
        std::memcpy(b_.data() + at, &len, sizeof len);
    }

    // NFTA_DATA_VALUE inside a nested attribute of `type`.
    void putData(uint16_t type, const std::vector<uint8_t>& v) {
        size_t n = nest(type);
        putBytes(NFTA_DATA_VALUE, v);
        endNest(n);
    }

private:
    void append(const void* p, size_t n) {
        const auto* c = static_cast<const uint8_t*>(p);
        b_.insert(b_.end(), c, c + n);
    }
    void pad() { b_.resize((b_.size() + 3) & ~size_t(3), 0); }
    std::vector<uint8_t>& b_;

public:
    bool overflowed() const { return overflow_; }
    size_t size() const { return b_.size(); }

private:
    bool overflow_ = false;
};

// ---- values: what nftables' parser would make of the words planFirewall writes ----

std::vector<uint8_t> be16(unsigned v) {
    return {uint8_t(v >> 8), uint8_t(v)};
}

Result<int> number(const std::string& s, int max) {
    if (s.empty() || s.size() > 5 ||
        !std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= '0' && c <= '9'; }))
        return Error("\"" + s + "\" is not a number", EINVAL);
    int n = std::stoi(s);
    if (n > max) return Error("\"" + s + "\" is out of range", EINVAL);
    return n;
}

Result<uint8_t> l4proto(const std::string& s) {
    if (s == "tcp") return uint8_t(IPPROTO_TCP);
    if (s == "udp") return uint8_t(IPPROTO_UDP);
    if (s == "icmp") return uint8_t(IPPROTO_ICMP);
    if (s == "ipv6-icmp") return uint8_t(IPPROTO_ICMPV6);
    LB_ASSIGN(int n, number(s, 255));
    return uint8_t(n);
}

Result<uint8_t> icmpv6Type(const std::string& s) {
    if (s == "nd-router-solicit") return uint8_t(133);
    if (s == "nd-router-advert") return uint8_t(134);
    if (s == "nd-neighbor-solicit") return uint8_t(135);
    if (s == "nd-neighbor-advert") return uint8_t(136);
    LB_ASSIGN(int n, number(s, 255));
    return uint8_t(n);
}

// "80" or "80-90": (lo, hi).
Result<std::pair<int, int>> portRange(const std::string& s) {
    auto dash = s.find('-');
    LB_ASSIGN(int lo, number(s.substr(0, dash), 65535));
    int hi = lo;
    if (dash != std::string::npos) {
        LB_ASSIGN(hi, number(s.substr(dash + 1), 65535));
    }
    if (hi < lo) return Error("\"" + s + "\" is not a port range", EINVAL);
    return std::pair{lo, hi};
}

// ct state bits as the kernel keeps them (NF_CT_STATE_BIT), in host byte order.
Result<uint32_t> ctStates(const std::string& s) {
    uint32_t bits = 0;
    size_t from = 0;
    while (from <= s.size()) {
        size_t comma = s.find(',', from);
        std::string w =
            s.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
        if (w == "invalid")
            bits |= 1u;
        else if (w == "established")
            bits |= 1u << 1;
        else if (w == "related")
            bits |= 1u << 2;
        else if (w == "new")
            bits |= 1u << 3;
        else if (w == "untracked")
            bits |= 1u << 6;
        else
            return Error("\"" + w + "\" is not a conntrack state", EINVAL);
        if (comma == std::string::npos) break;
        from = comma + 1;
    }
    return bits;
}

std::vector<uint8_t> hostU32(uint32_t v) {
    std::vector<uint8_t> b(4);
    std::memcpy(b.data(), &v, 4);
    return b;
}

// An address or prefix of one family: its first and last address, network order.
struct Interval {
    std::vector<uint8_t> lo, hi;
};

Result<IpPrefix> address(const std::string& s, bool v6) {
    LB_ASSIGN(IpPrefix p, IpPrefix::parse(s));
    if ((p.family == AF_INET6) != v6)
        return Error("\"" + s + "\" is not an " + (v6 ? "IPv6" : "IPv4") + " address", EINVAL);
    return p;
}

Interval interval(const IpPrefix& p) {
    const size_t n = p.family == AF_INET6 ? 16 : 4;
    Interval r{std::vector<uint8_t>(p.bytes, p.bytes + n),
               std::vector<uint8_t>(p.bytes, p.bytes + n)};
    for (size_t i = 0; i < n; ++i) {
        int bits = std::clamp(p.length - int(i) * 8, 0, 8);
        uint8_t mask = bits == 0 ? 0 : uint8_t(0xff << (8 - bits));
        r.lo[i] &= mask;
        r.hi[i] = uint8_t(r.lo[i] | ~mask);
    }
    return r;
}

// v + 1; false when it wraps (v was the last address).
bool increment(std::vector<uint8_t>& v) {
    for (size_t i = v.size(); i-- > 0;)
        if (++v[i] != 0) return true;
    return false;
}

// ---- nftables' set user data (libnftnl's udata TLVs: type, length, host-order values) ----

std::string udU32(uint8_t type, uint32_t v) {
    std::string s{char(type), char(4)};
    s.append(reinterpret_cast<const char*>(&v), 4);
    return s;
}
std::string udNest(uint8_t type, const std::string& inner) {
    return std::string{char(type), char(inner.size())} + inner;
}
enum : uint8_t { kUdKeyByteorder = 0, kUdMergeElements = 2, kUdKeyTypeof = 3 };
enum : uint32_t { kHostEndian = 1, kBigEndian = 2 };
// nftables' expression and protocol description numbers in `typeof` (src/*.c of nftables).
enum : uint32_t { kTypeofPayload = 7, kTypeofMeta = 9 };
std::string typeofPayload(uint32_t desc, uint32_t field) {
    return udNest(kUdKeyTypeof,
                  udU32(0, kTypeofPayload) + udNest(1, udU32(0, desc) + udU32(1, field)));
}

// nftables' datatype numbers (TYPE_* of nftables' datatype.h), the set's key type.
enum : uint32_t {
    kTypeIpv4 = 7,
    kTypeIpv6 = 8,
    kTypeInetProto = 12,
    kTypeInetService = 13,
    kTypeIcmp6Type = 29,
};

// ---- the batch ----

class BatchBuilder {
public:
    BatchBuilder(const NftTable& t, NftBatch& out) : t_(t), out_(out), w_(out.bytes) {}

    Status build() {
        size_t m =
            w_.begin(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
        w_.end(m);
        // As `nft -f`: the table without NLM_F_CREATE, the rest with it (no NLM_F_EXCL: what
        // exists already is no error), rules appended.
        m = msg(NFT_MSG_NEWTABLE, 0, "table inet " + t_.name);
        w_.putStr(NFTA_TABLE_NAME, t_.name);
        w_.putU32(NFTA_TABLE_FLAGS, 0);
        w_.end(m);

        m = msg(NFT_MSG_NEWCHAIN, NLM_F_CREATE, "chain output");
        w_.putStr(NFTA_CHAIN_TABLE, t_.name);
        w_.putStr(NFTA_CHAIN_NAME, "output");
        w_.putStr(NFTA_CHAIN_TYPE, "filter");
        w_.putU32(NFTA_CHAIN_POLICY, NF_ACCEPT);
        size_t hook = w_.nest(NFTA_CHAIN_HOOK);
        w_.putU32(NFTA_HOOK_HOOKNUM, NF_INET_LOCAL_OUT);
        w_.putU32(NFTA_HOOK_PRIORITY, 0);  // priority filter
        w_.endNest(hook);
        w_.end(m);

        for (const auto& s : t_.sets)
            LB_TRY(namedSet(s));
        for (size_t i = 0; i < t_.output.size(); ++i) {
            auto st = rule(t_.output[i], i + 1);
            if (!st)
                return Error(st.error())
                    .wrap("rule " + std::to_string(i + 1) + " (" + formatNftRule(t_.output[i]) +
                          ")");
        }
        // Only the last message asks for an acknowledgement: the kernel reports every refused
        // message whatever its flags, and one acknowledgement per message could overrun the
        // socket's receive buffer on a long batch (ENOBUFS: the outcome unknown).
        w_.addFlags(lastMsgAt_, NLM_F_ACK);
        m = w_.begin(NFNL_MSG_BATCH_END, NLM_F_REQUEST, seq_ + 1, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
        w_.end(m);
        if (w_.overflowed())
            return Error("an attribute longer than netlink's 64 KiB (a set of too many elements)",
                         E2BIG);
        return Ok();
    }

private:
    size_t msg(uint16_t type, uint16_t flags, std::string what) {
        out_.what.push_back(std::move(what));
        lastMsgAt_ = w_.begin(uint16_t((NFNL_SUBSYS_NFTABLES << 8) | type),
                              uint16_t(NLM_F_REQUEST | flags), ++seq_, NFPROTO_INET, 0);
        return lastMsgAt_;
    }
    size_t lastMsgAt_ = 0;

    struct SetSpec {
        std::string name;  // "__set%d": the kernel names an anonymous set
        uint32_t flags = 0, keyType = 0, keyLen = 0;
        std::string userdata;
        bool anonymous = false;
    };

    // NEWSET and, with elements, NEWSETELEM; returns the set's id in this batch.
    uint32_t set(const SetSpec& s, const std::vector<std::vector<uint8_t>>& keys,
                 const std::vector<uint32_t>& flags, const std::vector<bool>& open,
                 const std::string& what) {
        const uint32_t id = ++setId_;
        size_t m = msg(NFT_MSG_NEWSET, NLM_F_CREATE, what);
        w_.putStr(NFTA_SET_TABLE, t_.name);
        w_.putStr(NFTA_SET_NAME, s.name);
        w_.putU32(NFTA_SET_FLAGS, s.flags);
        w_.putU32(NFTA_SET_KEY_TYPE, s.keyType);
        w_.putU32(NFTA_SET_KEY_LEN, s.keyLen);
        w_.putU32(NFTA_SET_ID, id);
        if (s.anonymous) {
            size_t d = w_.nest(NFTA_SET_DESC);
            // nftables sizes an anonymous interval set one more than its elements.
            w_.putU32(NFTA_SET_DESC_SIZE,
                      uint32_t(keys.size() + ((s.flags & NFT_SET_INTERVAL) ? 1 : 0)));
            w_.endNest(d);
        }
        w_.put(NFTA_SET_USERDATA, s.userdata.data(), s.userdata.size());
        w_.end(m);
        if (keys.empty()) return id;
        // The element list is one attribute, 64 KiB at most (its length is 16 bits): a long
        // one (a host with a thousand addresses) goes in several messages of the same batch,
        // as nftables does; still one transaction.
        size_t list = 0, part = 0;
        auto startList = [&] {
            m = msg(NFT_MSG_NEWSETELEM, NLM_F_CREATE,
                    "the elements of " + what +
                        (part ? " (part " + std::to_string(part + 1) + ")" : std::string()));
            w_.putStr(NFTA_SET_ELEM_LIST_TABLE, t_.name);
            w_.putStr(NFTA_SET_ELEM_LIST_SET, s.name);
            w_.putU32(NFTA_SET_ELEM_LIST_SET_ID, id);
            list = w_.nest(NFTA_SET_ELEM_LIST_ELEMENTS);
        };
        startList();
        for (size_t i = 0; i < keys.size(); ++i) {
            if (w_.size() - list > kElementListChunk) {
                w_.endNest(list);
                w_.end(m);
                ++part;
                startList();
            }
            size_t e =
                w_.nest(uint16_t(i + 1));  // numbered as libnftnl does; the kernel ignores it
            if (flags[i]) w_.putU32(NFTA_SET_ELEM_FLAGS, flags[i]);
            w_.putData(NFTA_SET_ELEM_KEY, keys[i]);
            // An interval that runs to the last address has no end element; nftables marks
            // its start "open" in the element's user data (NFTNL_UDATA_SET_ELEM_FLAGS).
            if (open[i]) {
                std::string ud = udU32(1, 1);
                w_.put(NFTA_SET_ELEM_USERDATA, ud.data(), ud.size());
            }
            w_.endNest(e);
        }
        w_.endNest(list);
        w_.end(m);
        return id;
    }

    // Addresses and prefixes as interval elements: each start, then the address after its end
    // flagged INTERVAL_END; an end element at 0 first unless an interval starts there.
    // `merge`: adjacent and overlapping intervals become one (nftables' auto-merge of
    // anonymous sets); named sets keep them as written.
    static Status intervalElements(const std::vector<std::string>& in, bool v6, bool merge,
                                   std::vector<std::vector<uint8_t>>& keys,
                                   std::vector<uint32_t>& flags, std::vector<bool>& open) {
        std::vector<Interval> r;
        for (const auto& e : in) {
            LB_ASSIGN(IpPrefix p, address(e, v6));
            r.push_back(interval(p));
        }
        std::sort(r.begin(), r.end(),
                  [](const Interval& a, const Interval& b) { return a.lo < b.lo; });
        if (merge) {
            std::vector<Interval> merged;
            for (auto& i : r) {
                if (!merged.empty()) {
                    auto next = merged.back().hi;
                    bool wraps = !increment(next);
                    if (wraps || i.lo <= next) {
                        merged.back().hi = std::max(merged.back().hi, i.hi);
                        continue;
                    }
                }
                merged.push_back(i);
            }
            r = std::move(merged);
        }
        auto push = [&](std::vector<uint8_t> k, uint32_t f, bool o) {
            keys.push_back(std::move(k));
            flags.push_back(f);
            open.push_back(o);
        };
        if (!r.empty() && std::any_of(r[0].lo.begin(), r[0].lo.end(), [](uint8_t b) { return b; }))
            push(std::vector<uint8_t>(r[0].lo.size(), 0), NFT_SET_ELEM_INTERVAL_END, false);
        for (auto& i : r) {
            auto after = i.hi;
            bool closed = increment(after);
            push(i.lo, 0, !closed);
            if (closed) push(after, NFT_SET_ELEM_INTERVAL_END, false);
        }
        return Ok();
    }

    Status namedSet(const NftSet& s) {
        SetSpec spec;
        spec.name = s.name;
        spec.flags = (s.interval ? NFT_SET_INTERVAL : 0) | (s.timeout ? NFT_SET_TIMEOUT : 0);
        spec.keyType = s.v6 ? kTypeIpv6 : kTypeIpv4;
        spec.keyLen = s.v6 ? 16 : 4;
        spec.userdata = udU32(kUdKeyByteorder, kBigEndian);
        std::vector<std::vector<uint8_t>> keys;
        std::vector<uint32_t> flags;
        std::vector<bool> open;
        if (!s.elements.empty()) {
            if (!s.interval)
                return Error("set " + s.name + ": elements only in an interval set", EINVAL);
            LB_TRY(intervalElements(s.elements, s.v6, false, keys, flags, open));
        }
        namedIds_.emplace_back(s.name, set(spec, keys, flags, open, "set " + s.name));
        return Ok();
    }

    // ---- expressions ----
    void expr(const char* name, auto&& data) {
        size_t e = x_->nest(NFTA_LIST_ELEM);
        x_->putStr(NFTA_EXPR_NAME, name);
        size_t d = x_->nest(NFTA_EXPR_DATA);
        data();
        x_->endNest(d);
        x_->endNest(e);
    }
    void meta(uint32_t key) {
        expr("meta", [&] {
            x_->putU32(NFTA_META_KEY, key);
            x_->putU32(NFTA_META_DREG, NFT_REG_1);
        });
    }
    void cmp(uint32_t op, const std::vector<uint8_t>& v) {
        expr("cmp", [&] {
            x_->putU32(NFTA_CMP_SREG, NFT_REG_1);
            x_->putU32(NFTA_CMP_OP, op);
            x_->putData(NFTA_CMP_DATA, v);
        });
    }
    void payload(uint32_t base, uint32_t offset, uint32_t len) {
        expr("payload", [&] {
            x_->putU32(NFTA_PAYLOAD_DREG, NFT_REG_1);
            x_->putU32(NFTA_PAYLOAD_BASE, base);
            x_->putU32(NFTA_PAYLOAD_OFFSET, offset);
            x_->putU32(NFTA_PAYLOAD_LEN, len);
        });
    }
    void bitwise(const std::vector<uint8_t>& mask) {
        expr("bitwise", [&] {
            x_->putU32(NFTA_BITWISE_SREG, NFT_REG_1);
            x_->putU32(NFTA_BITWISE_DREG, NFT_REG_1);
            x_->putU32(NFTA_BITWISE_LEN, uint32_t(mask.size()));
            x_->putData(NFTA_BITWISE_MASK, mask);
            x_->putData(NFTA_BITWISE_XOR, std::vector<uint8_t>(mask.size(), 0));
        });
    }
    void lookup(const std::string& set, uint32_t id) {
        expr("lookup", [&] {
            x_->putU32(NFTA_LOOKUP_SREG, NFT_REG_1);
            x_->putStr(NFTA_LOOKUP_SET, set);
            x_->putU32(NFTA_LOOKUP_SET_ID, id);
        });
    }
    // The protocol a match depends on, as nftables adds it in an inet table.
    void nfproto(uint8_t family) {
        meta(NFT_META_NFPROTO);
        cmp(NFT_CMP_EQ, {family});
    }
    void l4dependency(uint8_t proto) {
        meta(NFT_META_L4PROTO);
        cmp(NFT_CMP_EQ, {proto});
    }

    // An anonymous set of single values (not intervals); its id in the batch.
    uint32_t anonymousSet(uint32_t keyType, uint32_t keyLen, const std::string& userdata,
                          const std::vector<std::vector<uint8_t>>& keys, const std::string& what) {
        SetSpec s;
        s.name = "__set%d";
        s.flags = NFT_SET_ANONYMOUS | NFT_SET_CONSTANT;
        s.keyType = keyType;
        s.keyLen = keyLen;
        s.userdata = userdata;
        s.anonymous = true;
        return set(s, keys, std::vector<uint32_t>(keys.size(), 0),
                   std::vector<bool>(keys.size(), false), what);
    }

    Status addresses(const NftMatch& m, bool v6, const std::string& what) {
        const uint32_t offset = v6 ? 24 : 16, len = v6 ? 16 : 4;
        nfproto(v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
        if (m.values.size() == 1 && m.values[0].starts_with("@")) {
            const std::string name = m.values[0].substr(1);
            auto it = std::find_if(namedIds_.begin(), namedIds_.end(),
                                   [&](const auto& p) { return p.first == name; });
            if (it == namedIds_.end()) return Error("no set " + name + " in the table", ENOENT);
            payload(NFT_PAYLOAD_NETWORK_HEADER, offset, len);
            lookup(name, it->second);
            return Ok();
        }
        if (m.values.size() > 1) {
            SetSpec s;
            s.name = "__set%d";
            s.keyType = v6 ? kTypeIpv6 : kTypeIpv4;
            s.keyLen = len;
            s.anonymous = true;
            bool prefixes = std::any_of(m.values.begin(), m.values.end(), [](const auto& v) {
                return v.find('/') != std::string::npos;
            });
            if (!prefixes) return Error("a set of single addresses is not written here", EINVAL);
            s.flags = NFT_SET_ANONYMOUS | NFT_SET_CONSTANT | NFT_SET_INTERVAL;
            s.userdata = udU32(kUdKeyByteorder, kBigEndian) + udU32(kUdMergeElements, 1) +
                         (v6 ? typeofPayload(13, 9) : typeofPayload(12, 12));
            std::vector<std::vector<uint8_t>> keys;
            std::vector<uint32_t> flags;
            std::vector<bool> open;
            LB_TRY(intervalElements(m.values, v6, true, keys, flags, open));
            uint32_t id = set(s, keys, flags, open, what);
            payload(NFT_PAYLOAD_NETWORK_HEADER, offset, len);
            lookup(s.name, id);
            return Ok();
        }
        LB_ASSIGN(IpPrefix p, address(m.values[0], v6));
        Interval r = interval(p);
        const int bits = int(len) * 8;
        if (m.values[0].find('/') == std::string::npos || p.length == bits) {
            payload(NFT_PAYLOAD_NETWORK_HEADER, offset, len);
            cmp(NFT_CMP_EQ, r.lo);
        } else if (p.length > 0 && p.length % 8 == 0) {
            // A prefix on a byte boundary: only its bytes are loaded and compared.
            const uint32_t n = uint32_t(p.length / 8);
            payload(NFT_PAYLOAD_NETWORK_HEADER, offset, n);
            cmp(NFT_CMP_EQ, std::vector<uint8_t>(r.lo.begin(), r.lo.begin() + n));
        } else {
            std::vector<uint8_t> mask(len);
            for (size_t i = 0; i < len; ++i)
                mask[i] = uint8_t(r.lo[i] ^ r.hi[i] ^ 0xff);
            payload(NFT_PAYLOAD_NETWORK_HEADER, offset, len);
            bitwise(mask);
            cmp(NFT_CMP_EQ, r.lo);
        }
        return Ok();
    }

    Status ports(const NftMatch& m, uint32_t offset) {
        if (m.values.size() != 1) {
            if (m.field != NftField::ThDport)
                return Error("a set of ports is written as th dport", EINVAL);
            std::vector<std::vector<uint8_t>> keys;
            for (const auto& v : m.values) {
                LB_ASSIGN(auto r, portRange(v));
                if (r.first != r.second)
                    return Error("a set of port ranges is not written here", EINVAL);
                keys.push_back(be16(unsigned(r.first)));
            }
            uint32_t id = anonymousSet(kTypeInetService, 2,
                                       udU32(kUdKeyByteorder, kBigEndian) + typeofPayload(11, 2),
                                       keys, "a set of ports");
            payload(NFT_PAYLOAD_TRANSPORT_HEADER, offset, 2);
            lookup("__set%d", id);
            return Ok();
        }
        LB_ASSIGN(auto r, portRange(m.values[0]));
        payload(NFT_PAYLOAD_TRANSPORT_HEADER, offset, 2);
        if (r.first == r.second) {
            cmp(NFT_CMP_EQ, be16(unsigned(r.first)));
        } else {
            cmp(NFT_CMP_GTE, be16(unsigned(r.first)));
            cmp(NFT_CMP_LTE, be16(unsigned(r.second)));
        }
        return Ok();
    }

    Status match(const NftMatch& m) {
        if (m.values.empty()) return Error("a match without a value", EINVAL);
        switch (m.field) {
            case NftField::OifName: {
                if (m.values.size() != 1 || m.values[0].size() >= 16)
                    return Error("oifname: one interface name", EINVAL);
                std::vector<uint8_t> name(16, 0);
                std::memcpy(name.data(), m.values[0].data(), m.values[0].size());
                meta(NFT_META_OIFNAME);
                cmp(NFT_CMP_EQ, name);
                return Ok();
            }
            case NftField::IpDaddr:
                return addresses(m, false, "the addresses of a rule");
            case NftField::Ip6Daddr:
                return addresses(m, true, "the addresses of a rule");
            case NftField::MetaL4proto: {
                std::vector<std::vector<uint8_t>> keys;
                for (const auto& v : m.values) {
                    LB_ASSIGN(uint8_t p, l4proto(v));
                    keys.push_back({p});
                }
                if (keys.size() == 1) {
                    meta(NFT_META_L4PROTO);
                    cmp(NFT_CMP_EQ, keys[0]);
                    return Ok();
                }
                uint32_t id = anonymousSet(
                    kTypeInetProto, 1,
                    udU32(kUdKeyByteorder, kHostEndian) +
                        udNest(kUdKeyTypeof,
                               udU32(0, kTypeofMeta) + udNest(1, udU32(0, NFT_META_L4PROTO))),
                    keys, "a set of protocols");
                meta(NFT_META_L4PROTO);
                lookup("__set%d", id);
                return Ok();
            }
            case NftField::TcpDport:
            case NftField::TcpSport:
                l4dependency(IPPROTO_TCP);
                return ports(m, m.field == NftField::TcpDport ? 2 : 0);
            case NftField::UdpDport:
            case NftField::UdpSport:
                l4dependency(IPPROTO_UDP);
                return ports(m, m.field == NftField::UdpDport ? 2 : 0);
            case NftField::ThDport:
                return ports(m, 2);
            case NftField::Icmpv6Type: {
                std::vector<std::vector<uint8_t>> keys;
                for (const auto& v : m.values) {
                    LB_ASSIGN(uint8_t t, icmpv6Type(v));
                    keys.push_back({t});
                }
                uint32_t id = 0;
                if (keys.size() > 1)
                    id = anonymousSet(kTypeIcmp6Type, 1,
                                      udU32(kUdKeyByteorder, kBigEndian) + typeofPayload(14, 1),
                                      keys, "a set of ICMPv6 types");
                nfproto(NFPROTO_IPV6);
                l4dependency(IPPROTO_ICMPV6);
                payload(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
                if (keys.size() == 1)
                    cmp(NFT_CMP_EQ, keys[0]);
                else
                    lookup("__set%d", id);
                return Ok();
            }
            case NftField::CtState: {
                if (m.values.size() != 1) return Error("ct state: one list of states", EINVAL);
                LB_ASSIGN(uint32_t bits, ctStates(m.values[0]));
                expr("ct", [&] {
                    x_->putU32(NFTA_CT_KEY, NFT_CT_STATE);
                    x_->putU32(NFTA_CT_DREG, NFT_REG_1);
                });
                bitwise(hostU32(bits));
                cmp(NFT_CMP_NEQ, hostU32(0));
                return Ok();
            }
        }
        return Error("unknown match", EINVAL);
    }

    // A rule's anonymous sets are messages of their own before it, so the rule's expressions
    // are written into a buffer of their own first.
    Status rule(const NftRule& r, size_t number) {
        std::vector<uint8_t> exprs;
        {
            // Expressions go to `exprs`; set messages (made on the way) to the batch.
            NlWriter inner(exprs);
            x_ = &inner;
            for (const auto& m : r.matches)
                LB_TRY(match(m));
            if (r.logGroup >= 0) {
                expr("log", [&] { x_->putU16(NFTA_LOG_GROUP, uint16_t(r.logGroup)); });
            }
            if (r.accept) {
                expr("immediate", [&] {
                    x_->putU32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
                    size_t d = x_->nest(NFTA_IMMEDIATE_DATA);
                    size_t v = x_->nest(NFTA_DATA_VERDICT);
                    x_->putU32(NFTA_VERDICT_CODE, NF_ACCEPT);
                    x_->endNest(v);
                    x_->endNest(d);
                });
            } else {
                // Rejected, not dropped: a connect fails at once (EHOSTUNREACH).
                expr("reject", [&] {
                    x_->putU32(NFTA_REJECT_TYPE, NFT_REJECT_ICMPX_UNREACH);
                    x_->putU8(NFTA_REJECT_ICMP_CODE, NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
                });
            }
        }
        size_t m = msg(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
                       "rule " + std::to_string(number) + " (" + formatNftRule(r) + ")");
        w_.putStr(NFTA_RULE_TABLE, t_.name);
        w_.putStr(NFTA_RULE_CHAIN, "output");
        size_t e = w_.nest(NFTA_RULE_EXPRESSIONS);
        w_.putRaw(exprs);
        w_.endNest(e);
        w_.end(m);
        return Ok();
    }

    const NftTable& t_;
    NftBatch& out_;
    NlWriter w_;
    uint32_t seq_ = 0, setId_ = 0;
    std::vector<std::pair<std::string, uint32_t>> namedIds_;
    NlWriter* x_ = nullptr;  // where a rule's expressions go
};

}  // namespace

Result<NftBatch> planNftBatch(const NftTable& table) {
    NftBatch batch;
    LB_TRY(BatchBuilder(table, batch).build());
    return batch;
}

Status applyNftBatch(const NftBatch& batch) {
    UniqueFd s(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
    if (!s.valid()) return Error::fromErrno("socket(AF_NETLINK, NETLINK_NETFILTER)");
    // Acknowledgements without a copy of the message they answer: ~40 bytes each.
    int one = 1;
    (void)::setsockopt(s.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    // A batch longer than the default send buffer would be refused (EMSGSIZE), and the
    // refusals of a long one could fill the receive buffer: both sized to the batch, as
    // nftables does (FORCE: this child has CAP_NET_ADMIN in the sandbox's namespaces; a
    // plain SO_*BUF is capped by the host's rmem_max/wmem_max).
    const int bytes = static_cast<int>(std::min<size_t>(batch.bytes.size() + 65536, 64u << 20));
    for (int opt : {SO_SNDBUFFORCE, SO_RCVBUFFORCE})
        if (::setsockopt(s.get(), SOL_SOCKET, opt, &bytes, sizeof bytes) != 0)
            (void)::setsockopt(s.get(), SOL_SOCKET, opt == SO_SNDBUFFORCE ? SO_SNDBUF : SO_RCVBUF,
                               &bytes, sizeof bytes);
    sockaddr_nl kernel = {};
    kernel.nl_family = AF_NETLINK;
    ssize_t n = ::sendto(s.get(), batch.bytes.data(), batch.bytes.size(), 0,
                         reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
    if (n < 0) return Error::fromErrno("sendto(NETLINK_NETFILTER, the firewall's batch)");
    if (size_t(n) != batch.bytes.size())
        return Error("sendto(NETLINK_NETFILTER): the batch was cut short", EMSGSIZE);
    // The kernel handles the batch within sendto: its answers (an error for each refused
    // message, the last message's acknowledgement) are queued by now. The transaction is all
    // or nothing; the first error names the message the kernel refused.
    size_t acked = 0;
    std::string failed;
    int failedErr = 0;
    alignas(nlmsghdr) char buf[8192];
    for (;;) {
        ssize_t got = ::recv(s.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (got < 0) return Error::fromErrno("recv(NETLINK_NETFILTER, the firewall's acks)");
        if (got == 0) break;
        size_t left = size_t(got);
        for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, left);
             h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_type != NLMSG_ERROR) continue;
            const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
            const uint32_t seq = e->msg.nlmsg_seq;
            if (e->error == 0) {
                ++acked;
            } else if (failedErr == 0) {
                failedErr = -e->error;
                failed = seq >= 1 && seq <= batch.what.size() ? batch.what[seq - 1]
                                                              : "message " + std::to_string(seq);
            }
        }
    }
    if (failedErr != 0)
        return Error::sys("loading the firewall (nftables netlink batch): " + failed, failedErr);
    if (acked != 1)
        return Error(
            "loading the firewall (nftables netlink batch): the batch's last message was " +
                std::string(acked ? "acknowledged more than once" : "not acknowledged"),
            EPROTO);
    return Ok();
}

}  // namespace lb
