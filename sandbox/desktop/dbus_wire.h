// D-Bus messages on the wire, as far as the OpenURI gate (open_uri_gate.h) needs them: where a
// message ends in a byte stream, the header fields that say what a call is, the first string
// arguments of a call, and the few messages the gate writes itself (a method return, an error,
// the portal's Request.Response signal). Strict and bounded: anything it does not understand is
// "not understood", never guessed (the gate then forwards the message to xdg-dbus-proxy, whose
// filter refuses OpenURI all the same).
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
