// D-Bus messages on the wire, as far as the OpenURI gate (desktop/open_uri_gate.h) and the talk
// with the systemd user manager (resources/manager_bus.h) need them: where a message ends in a
// byte stream, the header fields that say what a message is, its leading or basic arguments,
// and the few messages they write themselves (a method return, an error, the portal's
// Request.Response signal, a method call). Strict and bounded: anything it does not understand
// is "not understood", never guessed (the gate then forwards the message to xdg-dbus-proxy,
// whose filter refuses OpenURI all the same; the scope's talk ends with an error).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lb {

// The specification's limit for a whole message.
inline constexpr size_t kDbusMaxMessage = 128u << 20;

enum class DbusType : uint8_t { Call = 1, Return = 2, Error = 3, Signal = 4 };

struct DbusHeader {
    bool littleEndian = true;
    DbusType type = DbusType::Call;
    uint8_t flags = 0;
    uint32_t serial = 0;
    uint32_t replySerial = 0;
    uint32_t unixFds = 0;
    std::string path, interface, member, errorName, destination, sender, signature;
    size_t bodyOffset = 0;  // from the message's first byte (8-aligned)
    size_t bodyLength = 0;
};

// The length of the message at the front of `buf` (fixed header, fields, padding, body), 0
// while fewer than its first 16 bytes are there. nullopt: not a D-Bus message (bad endianness
// mark, type or version, or longer than kDbusMaxMessage).
std::optional<size_t> dbusMessageSize(std::string_view buf);

// The header of one whole message (`msg` is exactly dbusMessageSize long). nullopt when a
// field is malformed or of a kind this reader does not know.
std::optional<DbusHeader> parseDbusHeader(std::string_view msg);

// The call's first `n` arguments when they are strings ('s' or 'o'), from a body whose
// signature starts with as many of them; nullopt otherwise.
std::optional<std::vector<std::string>> dbusLeadingStrings(std::string_view msg,
                                                           const DbusHeader& h, size_t n);

// The uint32 argument that follows `skipStrings` string arguments (Notify's replaces_id,
// CloseNotification's id); nullopt when the signature says otherwise or the body is short.
std::optional<uint32_t> dbusUint32After(std::string_view msg, const DbusHeader& h,
                                        size_t skipStrings);

// The value of a string entry `key` of an a{sv} argument that follows `skipStrings` string
// arguments (the portal's options: handle_token). Empty when absent or not a string.
std::string dbusOptionString(std::string_view msg, const DbusHeader& h, size_t skipStrings,
                             const std::string& key);

// Every argument of a body made only of basic types ("uoss", "o", "s"): strings as they are,
// numbers in decimal. nullopt when the signature holds a container or the body is malformed.
std::optional<std::vector<std::string>> dbusBasicArguments(std::string_view msg,
                                                           const DbusHeader& h);

// A body being written, little-endian, with the specification's alignment (the body starts
// 8-aligned in a message, so alignment from its start is the same as from the message's).
class DbusWriter {
public:
    void pad(size_t a);
    void u8(uint8_t v) { b_ += static_cast<char>(v); }
    void u32(uint32_t v);
    void u64(uint64_t v);
    void str(const std::string& s);  // 's' or 'o'
    void sig(const std::string& s);
    // An array: begin returns a mark for end; `elementAlign`: its elements' alignment (8 for
    // structs and dict entries).
    struct ArrayMark {
        size_t lengthAt = 0, firstElement = 0;
    };
    ArrayMark beginArray(size_t elementAlign);
    void endArray(const ArrayMark& mark);
    void beginStruct() { pad(8); }
    // A variant of one value: "s", "b", "t" or "au".
    void variantString(const std::string& v);
    void variantBool(bool v);
    void variantU64(uint64_t v);
    void variantU32Array(const std::vector<uint32_t>& v);
    const std::string& bytes() const { return b_; }
    std::string& raw() { return b_; }

private:
    std::string b_;
};

// A method call expecting a reply, with `body` of `signature` (little-endian).
std::string dbusMethodCall(uint32_t serial, const std::string& destination, const std::string& path,
                           const std::string& interface, const std::string& member,
                           const std::string& signature, const std::string& body);

// Messages the gate writes (little-endian; `sender` and `destination` may be empty).
std::string dbusReturnObjectPath(uint32_t serial, uint32_t replySerial, const std::string& sender,
                                 const std::string& destination, const std::string& objectPath);
std::string dbusErrorReply(uint32_t serial, uint32_t replySerial, const std::string& sender,
                           const std::string& destination, const std::string& errorName,
                           const std::string& text);
// org.freedesktop.portal.Request.Response(u response, a{sv} results = {}) on `path`.
std::string dbusRequestResponse(uint32_t serial, const std::string& sender,
                                const std::string& destination, const std::string& path,
                                uint32_t response);

}  // namespace lb
