#include "base/dbus_wire.h"

#include <utility>
#include <vector>

#include "base/fsutil.h"

namespace lb {

namespace {

constexpr size_t kMaxFields = 1u << 26;  // the specification's limit for the header's array

size_t align8(size_t n) {
    return (n + 7) & ~size_t(7);
}

uint32_t readU32(std::string_view b, size_t at, bool le) {
    auto u = [&](size_t i) { return uint32_t(static_cast<unsigned char>(b[at + i])); };
    return le ? u(0) | u(1) << 8 | u(2) << 16 | u(3) << 24
              : u(3) | u(2) << 8 | u(1) << 16 | u(0) << 24;
}

// Reads values at offsets from the message's first byte (D-Bus aligns to those), never past
// `end`.
struct Reader {
    std::string_view m;
    size_t pos = 0, end = 0;
    bool le = true;

    bool align(size_t a) {
        size_t p = (pos + a - 1) / a * a;
        if (p > end) return false;
        for (size_t i = pos; i < p; ++i)
            if (m[i] != '\0') return false;  // padding is zero
        pos = p;
        return true;
    }
    bool u8(uint8_t& v) {
        if (pos >= end) return false;
        v = static_cast<uint8_t>(m[pos++]);
        return true;
    }
    bool u32(uint32_t& v) {
        if (!align(4) || end - pos < 4) return false;
        v = readU32(m, pos, le);
        pos += 4;
        return true;
    }
    bool fixed8() {
        if (!align(8) || end - pos < 8) return false;
        pos += 8;
        return true;
    }
    bool chars(size_t n, std::string& s) {
        if (end - pos < n + 1 || m[pos + n] != '\0') return false;
        s.assign(m.substr(pos, n));
        if (s.find('\0') != std::string::npos) return false;
        pos += n + 1;
        return true;
    }
    bool str(std::string& s) {
        uint32_t n = 0;
        return u32(n) && chars(n, s);
    }
    bool sig(std::string& s) {
        uint8_t n = 0;
        return u8(n) && chars(n, s);
    }
    // A value of a basic type (the only kinds a header field or option here may hold).
    bool skipBasic(const std::string& type, std::string* asString) {
        if (type.size() != 1) return false;
        std::string s;
        uint32_t u = 0;
        uint8_t y = 0;
        switch (type[0]) {
            case 's':
            case 'o':
                if (!str(s)) return false;
                if (asString) *asString = std::move(s);
                return true;
            case 'g':
                return sig(s);
            case 'b':
            case 'u':
            case 'i':
            case 'h':
                return u32(u);
            case 'y':
                return u8(y);
            case 'x':
            case 't':
            case 'd':
                return fixed8();
            default:
                return false;
        }
    }
};

using Writer = DbusWriter;

struct Field {
    uint8_t code;
    char type;  // 's', 'o', 'g' or 'u'
    std::string text;
    uint32_t number = 0;
};

std::string build(DbusType type, uint32_t serial, const std::vector<Field>& fields,
                  const std::string& signature, const std::string& body) {
    Writer w;
    w.u8('l');
    w.u8(static_cast<uint8_t>(type));
    // NO_REPLY_EXPECTED: nothing answers a return, an error or a signal
    w.u8(type == DbusType::Call ? 0 : 0x1);
    w.u8(1);
    w.u32(static_cast<uint32_t>(body.size()));
    w.u32(serial);
    w.u32(0);  // the fields' length, below
    for (const auto& f : fields) {
        if (f.type != 'u' && f.text.empty()) continue;
        w.pad(8);
        w.u8(f.code);
        w.sig(std::string(1, f.type));
        if (f.type == 'u')
            w.u32(f.number);
        else if (f.type == 'g')
            w.sig(f.text);
        else
            w.str(f.text);
    }
    if (!signature.empty()) {
        w.pad(8);
        w.u8(8);
        w.sig("g");
        w.sig(signature);
    }
    const uint32_t fieldsLength = static_cast<uint32_t>(w.bytes().size() - 16);
    for (int i = 0; i < 4; ++i)
        w.raw()[12 + i] = static_cast<char>((fieldsLength >> (8 * i)) & 0xff);
    w.pad(8);
    return w.bytes() + body;
}

// The first `n` signature characters are 's' or 'o'.
bool leadingStrings(const std::string& signature, size_t n) {
    if (signature.size() < n) return false;
    for (size_t i = 0; i < n; ++i)
        if (signature[i] != 's' && signature[i] != 'o') return false;
    return true;
}

}  // namespace

std::optional<size_t> dbusMessageSize(std::string_view buf) {
    if (buf.size() < 16) return size_t(0);
    if (buf[0] != 'l' && buf[0] != 'B') return std::nullopt;
    const bool le = buf[0] == 'l';
    const auto type = static_cast<uint8_t>(buf[1]);
    if (type < 1 || type > 4 || buf[3] != 1) return std::nullopt;
    const size_t body = readU32(buf, 4, le), fields = readU32(buf, 12, le);
    if (fields > kMaxFields || body > kDbusMaxMessage) return std::nullopt;
    const size_t total = 16 + align8(fields) + body;
    if (total > kDbusMaxMessage) return std::nullopt;
    return total;
}

std::optional<DbusHeader> parseDbusHeader(std::string_view msg) {
    auto size = dbusMessageSize(msg);
    if (!size || *size == 0 || *size != msg.size()) return std::nullopt;
    DbusHeader h;
    h.littleEndian = msg[0] == 'l';
    h.type = static_cast<DbusType>(msg[1]);
    h.flags = static_cast<uint8_t>(msg[2]);
    h.serial = readU32(msg, 8, h.littleEndian);
    if (h.serial == 0) return std::nullopt;
    const size_t fieldsEnd = 16 + readU32(msg, 12, h.littleEndian);
    Reader r{msg, 16, fieldsEnd, h.littleEndian};
    while (r.pos < fieldsEnd) {
        uint8_t code = 0;
        std::string type;
        if (!r.align(8) || !r.u8(code) || !r.sig(type)) return std::nullopt;
        static const char* const kExpected[] = {"", "o", "s", "s", "s", "u", "s", "s", "g", "u"};
        if (code >= 1 && code <= 9 && type != kExpected[code]) return std::nullopt;
        std::string text;
        uint32_t number = 0;
        bool ok = type == "u"   ? r.u32(number)
                  : type == "g" ? r.sig(text)
                                : r.skipBasic(type, &text);
        if (!ok) return std::nullopt;
        switch (code) {
            case 1:
                h.path = text;
                break;
            case 2:
                h.interface = text;
                break;
            case 3:
                h.member = text;
                break;
            case 4:
                h.errorName = text;
                break;
            case 5:
                h.replySerial = number;
                break;
            case 6:
                h.destination = text;
                break;
            case 7:
                h.sender = text;
                break;
            case 8:
                h.signature = text;
                break;
            case 9:
                h.unixFds = number;
                break;
            default:
                break;  // unknown fields of a basic type are ignored, as the spec says
        }
    }
    h.bodyOffset = align8(fieldsEnd);
    h.bodyLength = readU32(msg, 4, h.littleEndian);
    if (h.bodyOffset + h.bodyLength != msg.size()) return std::nullopt;
    for (size_t i = fieldsEnd; i < h.bodyOffset; ++i)
        if (msg[i] != '\0') return std::nullopt;
    if (h.bodyLength > 0 && h.signature.empty()) return std::nullopt;
    return h;
}

std::optional<std::vector<std::string>> dbusLeadingStrings(std::string_view msg,
                                                           const DbusHeader& h, size_t n) {
    if (!leadingStrings(h.signature, n)) return std::nullopt;
    Reader r{msg, h.bodyOffset, msg.size(), h.littleEndian};
    std::vector<std::string> out(n);
    for (auto& s : out)
        if (!r.str(s)) return std::nullopt;
    return out;
}

std::optional<uint32_t> dbusUint32After(std::string_view msg, const DbusHeader& h,
                                        size_t skipStrings) {
    if (!leadingStrings(h.signature, skipStrings) || h.signature.size() <= skipStrings ||
        h.signature[skipStrings] != 'u')
        return std::nullopt;
    Reader r{msg, h.bodyOffset, msg.size(), h.littleEndian};
    std::string s;
    for (size_t i = 0; i < skipStrings; ++i)
        if (!r.str(s)) return std::nullopt;
    uint32_t v = 0;
    if (!r.u32(v)) return std::nullopt;
    return v;
}

std::string dbusOptionString(std::string_view msg, const DbusHeader& h, size_t skipStrings,
                             const std::string& key) {
    if (!leadingStrings(h.signature, skipStrings) ||
        h.signature.compare(skipStrings, 5, "a{sv}") != 0)
        return {};
    Reader r{msg, h.bodyOffset, msg.size(), h.littleEndian};
    std::string s;
    for (size_t i = 0; i < skipStrings; ++i)
        if (!r.str(s)) return {};
    uint32_t length = 0;
    if (!r.u32(length) || !r.align(8) || length > r.end - r.pos) return {};
    const size_t arrayEnd = r.pos + length;
    r.end = arrayEnd;
    while (r.pos < arrayEnd) {
        std::string k, type, value;
        if (!r.align(8) || !r.str(k) || !r.sig(type)) return {};
        if (!r.skipBasic(type, &value)) return {};  // a container: stop looking
        if (k == key) return type == "s" ? value : std::string();
    }
    return {};
}

std::optional<std::vector<std::string>> dbusBasicArguments(std::string_view msg,
                                                           const DbusHeader& h) {
    Reader r{msg, h.bodyOffset, msg.size(), h.littleEndian};
    std::vector<std::string> out;
    for (char type : h.signature) {
        std::string value;
        uint32_t number = 0;
        switch (type) {
            case 'u':
            case 'b':
                if (!r.u32(number)) return std::nullopt;
                value = std::to_string(number);
                break;
            case 's':
            case 'o':
            case 'g':
                if (!(type == 'g' ? r.sig(value) : r.str(value))) return std::nullopt;
                break;
            default:
                return std::nullopt;  // other numbers are not needed; containers are not read
        }
        out.push_back(std::move(value));
    }
    if (r.pos != msg.size()) return std::nullopt;
    return out;
}

void DbusWriter::pad(size_t a) {
    while (b_.size() % a)
        b_ += '\0';
}

void DbusWriter::u32(uint32_t v) {
    pad(4);
    for (int i = 0; i < 4; ++i)
        b_ += static_cast<char>((v >> (8 * i)) & 0xff);
}

void DbusWriter::u64(uint64_t v) {
    pad(8);
    for (int i = 0; i < 8; ++i)
        b_ += static_cast<char>((v >> (8 * i)) & 0xff);
}

void DbusWriter::str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    b_ += s;
    b_ += '\0';
}

void DbusWriter::sig(const std::string& s) {
    u8(static_cast<uint8_t>(s.size()));
    b_ += s;
    b_ += '\0';
}

DbusWriter::ArrayMark DbusWriter::beginArray(size_t elementAlign) {
    ArrayMark m;
    u32(0);
    m.lengthAt = b_.size() - 4;
    pad(elementAlign);  // the length counts from the first element, after this padding
    m.firstElement = b_.size();
    return m;
}

void DbusWriter::endArray(const ArrayMark& m) {
    const auto length = static_cast<uint32_t>(b_.size() - m.firstElement);
    for (int i = 0; i < 4; ++i)
        b_[m.lengthAt + i] = static_cast<char>((length >> (8 * i)) & 0xff);
}

void DbusWriter::variantString(const std::string& v) {
    sig("s");
    str(v);
}

void DbusWriter::variantBool(bool v) {
    sig("b");
    u32(v ? 1 : 0);
}

void DbusWriter::variantU64(uint64_t v) {
    sig("t");
    u64(v);
}

void DbusWriter::variantU32Array(const std::vector<uint32_t>& v) {
    sig("au");
    ArrayMark a = beginArray(4);
    for (uint32_t x : v)
        u32(x);
    endArray(a);
}

std::string dbusMethodCall(uint32_t serial, const std::string& destination, const std::string& path,
                           const std::string& interface, const std::string& member,
                           const std::string& signature, const std::string& body) {
    return build(DbusType::Call, serial,
                 {{1, 'o', path}, {2, 's', interface}, {3, 's', member}, {6, 's', destination}},
                 signature, body);
}

std::string dbusReturnObjectPath(uint32_t serial, uint32_t replySerial, const std::string& sender,
                                 const std::string& destination, const std::string& objectPath) {
    Writer body;
    body.str(objectPath);
    return build(DbusType::Return, serial,
                 {{5, 'u', {}, replySerial}, {6, 's', destination}, {7, 's', sender}}, "o",
                 body.bytes());
}

std::string dbusErrorReply(uint32_t serial, uint32_t replySerial, const std::string& sender,
                           const std::string& destination, const std::string& errorName,
                           const std::string& text) {
    Writer body;
    // A D-Bus string is valid UTF-8 without NUL, or the receiver drops the connection; the
    // text may quote what a program sent (a signature, a link): escaped as for a terminal.
    body.str(safeLine(text));
    return build(
        DbusType::Error, serial,
        {{4, 's', errorName}, {5, 'u', {}, replySerial}, {6, 's', destination}, {7, 's', sender}},
        "s", body.bytes());
}

std::string dbusRequestResponse(uint32_t serial, const std::string& sender,
                                const std::string& destination, const std::string& path,
                                uint32_t response) {
    Writer body;
    body.u32(response);
    body.u32(0);  // an empty a{sv}: its length, then padding to its elements' alignment
    body.pad(8);
    return build(DbusType::Signal, serial,
                 {{1, 'o', path},
                  {2, 's', "org.freedesktop.portal.Request"},
                  {3, 's', "Response"},
                  {6, 's', destination},
                  {7, 's', sender}},
                 "ua{sv}", body.bytes());
}

}  // namespace lb
