// Profiles: one JSON file per application. This header is the typed view every other concern
// reads; parsing, the schema, validation and `extends` merging live in profile*.cpp, the only
// files that include nlohmann/json.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/units.h"

namespace lb {

inline constexpr int kProfileVersion = 1;

// Defaults: the initialisers of the structs below are the one place a profile's defaults are
// written. The schema table (profile_schema.cpp) reads them from a default-constructed Profile,
// and from it come schema.json, the man page, the GUI's placeholders and the loader.

enum class Driver { Auto, Native, Fuse };
enum class HomeMode { Private, Tmpfs, Overlay };
enum class NetMode { None, Nat };
// desktop.x11: off; host (the user's own X server: the program can read every keystroke and
// window of the desktop); isolated (a nested X server of its own, desktop/nested_x11.h).
enum class X11Mode { Off, Host, Isolated };
const char* x11ModeName(X11Mode m);

// The one spelling of each, as profiles, options and JSON output write it; parse* give
// std::nullopt for anything else.
const char* driverName(Driver d);
std::optional<Driver> parseDriver(std::string_view s);
const char* homeModeName(HomeMode h);
std::optional<HomeMode> parseHomeMode(std::string_view s);
const char* netModeName(NetMode n);
std::optional<NetMode> parseNetMode(std::string_view s);

struct Bind {
    std::string host;     // absolute host path (~ expanded)
    std::string sandbox;  // absolute path inside the sandbox
    bool rw = false;
    bool create = false;    // create the host directory when missing
    bool optional = false;  // skip silently when the host path is missing
};

struct PortForward {
    int host = 0;
    int sandbox = 0;
    std::string proto = "tcp";
    std::string hostAddr = "127.0.0.1";
};

struct FirewallRule {
    std::string action;  // allow | deny
    std::string to;      // CIDR, empty = any
    int portMin = 0;     // 0 = any port
    int portMax = 0;
    std::string proto = "any";  // tcp | udp | icmp | any
};

struct FilesystemConfig {
    Driver driver = Driver::Auto;
    bool ephemeral = false;
    std::vector<std::string> layers;
    HomeMode home = HomeMode::Private;
    std::vector<Bind> binds;
    std::vector<std::string> hide;          // sandbox paths masked by an empty, read-only node
    std::vector<std::string> recoverWatch;  // sandbox paths whose new files are offered back
    // Watched folders whose new files are copied to the same path in the real home at once.
    std::vector<std::string> recoverAuto;
    std::vector<std::string> devices;  // extra /dev nodes
    // When set, /etc holds only these entries of the host's /etc (read-only) and the files
    // Layerbox writes itself; unset, /etc is a copy-on-write overlay of the host's.
    std::optional<std::vector<std::string>> privateEtc;
};

struct NetworkConfig {
    NetMode mode = NetMode::None;
    bool hostLoopback = false;
    std::vector<PortForward> ports;
    std::string firewall = "internet-only";  // open | internet-only | host-only
    std::vector<FirewallRule> rules;
    std::vector<std::string> dns;
    // Names the program may resolve (and so reach), and names it may not: "example.org" or
    // "*.example.org" (every name below it). Either list turns on Layerbox's resolver
    // (network/dns_filter.h): only its answers' addresses can be reached.
    std::vector<std::string> allowDomains, denyDomains;
    bool filtersNames() const { return !allowDomains.empty() || !denyDomains.empty(); }
    std::string hostname;  // defaults to the profile name
    int mtu = 65520;
    bool ipv6 = false;
};

struct ResourceConfig {
    std::optional<uint64_t> memoryMax, memoryHigh, memorySwapMax;  // bytes
    std::optional<int> cpuPercent;                                 // 100 = one core
    std::optional<int> cpuWeight, tasksMax, ioWeight;
    bool requireLimits = false;
    bool hasAnyLimit() const {
        return memoryMax || memoryHigh || memorySwapMax || cpuPercent || cpuWeight || tasksMax ||
               ioWeight;
    }
};

struct SecurityConfig {
    std::string seccomp = "default";  // default | strict
    std::vector<std::string> denySyscalls;
    std::vector<std::string> allowSyscalls;
    bool nestedSandboxes = false;
    bool devel = false;
    // Socket families the program may open (socket(2)'s domain): a subset of unix, inet,
    // inet6, netlink; every other family is refused whatever this says.
    std::vector<std::string> socketFamilies{"unix", "inet", "inet6", "netlink"};
    // Refuse memory that is writable and executable, and making memory executable later.
    bool memoryDenyWriteExecute = false;
    // The activity log (launch/activity_log.h): denied system calls recorded by the runner.
    bool activityLog = false;
};

struct DbusConfig {
    bool session = false;
    bool system = false;
    std::vector<std::string> talk, own, see, call, systemTalk;
    bool sessionWanted() const {
        return session || !talk.empty() || !own.empty() || !see.empty() || !call.empty();
    }
    bool systemWanted() const { return system || !systemTalk.empty(); }
    // A talk entry covers the desktop portal (org.freedesktop.portal.Desktop).
    bool talksToPortals() const;
    // A talk entry that covers the portal and names beyond org.freedesktop.portal.* ("org.*").
    std::string broadPortalPattern() const;
};

// Whether an xdg-dbus-proxy name pattern (NAME or PREFIX.*) covers `name`.
bool dbusNameCovers(const std::string& pattern, const std::string& name);

struct DesktopConfig {
    X11Mode x11 = X11Mode::Off;  // the old boolean: true is Host, false Off
    bool wayland = false;
    std::string audio = "none";  // none | pulseaudio | pipewire | both
    // x11 "isolated": what crosses between its clipboard and the desktop's (x11_clipboard.h):
    // none | in | out | both
    std::string clipboard = "none";
    // OpenURI (and Email) of the desktop portal, which start a host program: deny | allow
    // (portals.h)
    std::string openUri = "deny";
    bool gpu = false;
    bool theme = true;
    DbusConfig dbus;
};

struct EnvironmentConfig {
    // names; a trailing * matches a prefix
    std::vector<std::string> keep = {"LANG", "LANGUAGE", "LC_*", "TERM", "COLORTERM", "TZ"};
    std::map<std::string, std::string> set;
};

// How long a sandbox lives, and how `layerbox stop` ends it (issue 21).
struct LifetimeConfig {
    // all: until every process of the sandbox has ended (a program that restarts itself, its
    // first process exiting after starting its successor, keeps its sandbox; so does a daemon it
    // left behind, until `layerbox stop`); main: until the program's first process (and the
    // commands joined to it) ends, the rest then gets SIGTERM and, after `grace`, SIGKILL.
    std::string until = "all";
    int grace = 2;         // seconds between SIGTERM and SIGKILL for processes left behind
    int stopTimeout = 10;  // layerbox stop: seconds for windows to close, then for SIGTERM
};

struct Profile {
    std::string name;  // identifier: file name without .json
    std::string title;
    std::string description;
    std::string icon;
    std::string desktopEntry;
    std::string extends;
    std::vector<std::string> command;
    FilesystemConfig filesystem;
    NetworkConfig network;
    ResourceConfig resources;
    SecurityConfig security;
    DesktopConfig desktop;
    EnvironmentConfig environment;
    LifetimeConfig lifetime;

    std::string sourceFile;  // the file it was loaded from (empty for in-memory)
    bool builtin = false;
};

// One problem found in a profile. Syntax errors carry line/column, the rest a JSON pointer.
struct Diagnostic {
    std::string file;     // display name, usually the file name
    std::string pointer;  // "/resources/memory_max"; empty for syntax errors
    int line = 0, column = 0;
    std::string message;
    // "firefox.json: /resources/memory_max: \"2 GB\" is not a size (use 2G, 512M)"
    // "firefox.json:3:14: syntax error: ..."
    std::string text() const;
};

// Check one profile file on its own (syntax, known keys, types, ranges). `displayName` is used
// in messages; `fileStem`, when non-empty, must match the profile's "name".
std::vector<Diagnostic> validateProfileText(std::string_view text, std::string_view displayName,
                                            std::string_view fileStem = {});

// What a valid profile does that weakens the sandbox and deserves a word from `profile
// validate` (not an error: the user may mean it). One line each, naming the field.
std::vector<std::string> profileWarnings(const Profile& profile);

// Resolves profile names to files: user profiles override built-in ones of the same name.
class ProfileStore;

// Load a profile by name or by path (a value containing '/' or ending in .json is a path),
// resolve `extends`, validate the merged result and build the typed view. The error message is
// the first diagnostic's one line; `diagnostics`, when given, receives all of them.
Result<Profile> loadProfile(const ProfileStore& store, const std::string& nameOrPath,
                            std::vector<Diagnostic>* diagnostics = nullptr);

// The merged JSON text of a profile (extends resolved, defaults not filled in).
Result<std::string> mergedProfileJson(const ProfileStore& store, const std::string& nameOrPath,
                                      bool fillDefaults = false);

// Text-level helpers for the profile commands and the GUI (they keep JSON handling here).
// A new profile: {"version": 1, "name": NAME, "extends": TEMPLATE} (no extends when empty).
std::string newProfileText(const std::string& name, const std::string& fromTemplate,
                           const std::string& title = {});
// Set "name" in a profile's text (for import --as, duplicate, rename).
Result<std::string> renamedProfileText(std::string_view text, const std::string& name);
// The value of "extends" in a profile's text, or empty.
std::string extendsOfText(std::string_view text);
// The name a profile file is imported under: its file name without ".json" when that is a
// valid profile name, else the "name" the file gives itself when that is one, else empty (the
// caller must be told a name). One rule for `layerbox profile import` and the GUI.
std::string importName(std::string_view fileName, std::string_view text);
// The profiles that would be left without a parent if the user's profile `name` went away:
// those whose "extends" names it, when no built-in profile of that name would take its place.
// Sorted by name.
std::vector<std::string> dependentProfiles(const ProfileStore& store, const std::string& name);
// Set /filesystem/layers in a profile's text to `layers` (top first), keeping every other key
// and their order (for `layerbox commit`, which stacks a new layer on a profile).
Result<std::string> profileTextWithLayers(std::string_view text,
                                          const std::vector<std::string>& layers);
// /filesystem/layers of a profile's text; empty when absent or unreadable.
std::vector<std::string> layersOfText(std::string_view text);
// Self-contained form of a profile: merged, without "extends", pretty-printed.
Result<std::string> exportProfileJson(const ProfileStore& store, const std::string& nameOrPath);
// The smallest text that, extending `parentName`, gives `effectiveJson`: keys equal to the
// parent's merged value are dropped (what the GUI saves for a profile with a parent).
Result<std::string> overridesAgainst(const ProfileStore& store, const std::string& parentName,
                                     std::string_view effectiveJson);

// JSON Schema (draft 2020-12) of the profile format, generated from the same table the
// validator uses; profiles/schema.json is this text.
std::string profileSchemaJson();
// Every field as "pointer\tkind\tdefault\tdescription" lines, for the man page and docs.
std::vector<std::string> profileFieldTable();

// Profile names: [a-z0-9][a-z0-9_-]{0,63}
bool isValidProfileName(std::string_view name);
// A profile name made from a word (a program's or desktop entry's name): lower case, each run
// of other characters one '-', no leading '-' or '_', at most 64; empty when nothing is left.
// One rule for the GUI's wizard and its desktop entries.
std::string profileNameFrom(std::string_view word);
// Closest candidate within a small edit distance, or empty.
std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace lb
