// Internal to the profile module: the one table that describes every profile field. The
// validator, the defaults, profiles/schema.json, the man page and the GUI's tooltips and
// placeholders come from it, so they cannot drift apart. The typed loader (buildTyped in
// profile.cpp) is written by hand; it reads a profile whose defaults the table has filled in.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lb::schema {

enum class Kind {
    Object,  // members in `fields`
    List,    // array; the item is fields[0]
    Map,     // object of string -> string (environment variables)
    String,
    Bool,
    Int,          // integer within [min, max]
    Size,         // "2G", "512M" or a byte count
    Enum,         // one of `choices`
    Name,         // a profile or layer name
    Path,         // absolute or ~-relative path without ".."
    SandboxPath,  // Path that may not point into /proc, /sys or /dev
    DevicePath,   // /dev/...
    Hostname,
    IpAddr,
    Cidr,
    PortSpec,  // 80 or "8000-8100"
    Syscall,
    EnvName,
    EnvPattern,     // EnvName with an optional trailing *
    DomainPattern,  // "example.org" or "*.example.org"
    FileName,       // one name of a directory entry: no '/', not "." or ".."
};

struct Field {
    std::string key;
    Kind kind = Kind::String;
    std::string description;
    std::string defaultJson;  // empty: no default (absent means "not set")
    std::string exampleJson;
    std::vector<std::string> choices;
    // Enum only: a boolean is also accepted (the field's older form), meaning these choices.
    std::string boolTrue, boolFalse;
    long long min = 0, max = 0;
    std::vector<Field> fields;
    bool required = false;
};

// The root of the table: the profile object.
const Field& root();

// Why `s` is not an acceptable path (absolute or ~, no ".."; a sandbox path also not in /proc,
// /sys, /dev or the root), or "". The profile's fields and the command line's --bind.
std::string checkPath(const std::string& s, bool sandbox);

// Why `s` is not a domain pattern ("example.org", "*.example.org": labels of letters, digits,
// '-' and '_', at most 63 each, 253 in all; '*' only as the whole first label), or "".
std::string checkDomainPattern(const std::string& s);

// Append problems of `value` against `field` at JSON pointer `ptr`.
struct Problem {
    std::string pointer;
    std::string message;
};
void validate(const nlohmann::json& value, const Field& field, const std::string& ptr,
              std::vector<Problem>& out);

// An object holding every default of the table (objects nested).
nlohmann::json defaults();

std::string kindName(Kind k);

}  // namespace lb::schema
