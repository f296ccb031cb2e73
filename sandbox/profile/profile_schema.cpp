#include "profile/profile_schema.h"

#include <arpa/inet.h>
#include <seccomp.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <regex>
#include <set>

#include "base/fsutil.h"
#include "profile/profile.h"

namespace lb::schema {

using nlohmann::json;

namespace {

Field obj(std::string key, std::string desc, std::vector<Field> fields) {
    Field f;
    f.key = std::move(key);
    f.kind = Kind::Object;
    f.description = std::move(desc);
    f.fields = std::move(fields);
    return f;
}

Field list(std::string key, std::string desc, Field item, std::string example = {},
           std::string def = {}) {
    Field f;
    f.key = std::move(key);
    f.kind = Kind::List;
    f.description = std::move(desc);
    f.fields = {std::move(item)};
    f.exampleJson = std::move(example);
    f.defaultJson = std::move(def);
    return f;
}

Field item(Kind k) {
    Field f;
    f.key = "*";
    f.kind = k;
    return f;
}

Field itemChoice(std::vector<std::string> choices) {
    Field f = item(Kind::Enum);
    f.choices = std::move(choices);
    return f;
}

Field itemObj(std::vector<Field> fields) {
    Field f;
    f.key = "*";
    f.kind = Kind::Object;
    f.fields = std::move(fields);
    return f;
}

Field scalar(std::string key, Kind kind, std::string desc, std::string def = {},
             std::string example = {}) {
    Field f;
    f.key = std::move(key);
    f.kind = kind;
    f.description = std::move(desc);
    f.defaultJson = std::move(def);
    f.exampleJson = std::move(example);
    return f;
}

Field integer(std::string key, std::string desc, long long min, long long max, std::string def = {},
              std::string example = {}) {
    Field f =
        scalar(std::move(key), Kind::Int, std::move(desc), std::move(def), std::move(example));
    f.min = min;
    f.max = max;
    return f;
}

Field choice(std::string key, std::string desc, std::vector<std::string> choices,
             std::string def = {}) {
    Field f = scalar(std::move(key), Kind::Enum, std::move(desc), std::move(def));
    f.choices = std::move(choices);
    return f;
}

Field required(Field f) {
    f.required = true;
    return f;
}

// A default written as JSON, taken from the typed structs' initialisers (profile.h): those are
// the one place a default is written. The table, schema.json, the man page, the GUI's
// placeholders and the loader all read it from here.
std::string q(const std::string& s) {
    return json(s).dump();
}
std::string b(bool v) {
    return v ? "true" : "false";
}
std::string strs(const std::vector<std::string>& v) {
    std::string out = "[";
    for (const auto& x : v)
        out += (out.size() > 1 ? ", " : "") + q(x);
    return out + "]";
}

Field buildRoot() {
    using K = Kind;
    static const Profile d{};
    static const Bind dBind{};
    static const PortForward dPort{};
    static const FirewallRule dRule{};
    Field bind = itemObj({
        required(scalar("host", K::Path, "Path on the host (~ is your real home).", {},
                        "\"~/Downloads\"")),
        scalar("sandbox", K::SandboxPath,
               "Where it appears inside the sandbox; defaults to the host path (~ is the "
               "sandbox's home, which has the same path as yours).",
               {}, "\"~/Downloads\""),
        choice("mode", "ro: read-only; rw: writes go straight to the host folder.", {"ro", "rw"},
               q(dBind.rw ? "rw" : "ro")),
        scalar("create", K::Bool, "Create the host directory when it does not exist.",
               b(dBind.create)),
        scalar("optional", K::Bool, "Skip the bind silently when the host path does not exist.",
               b(dBind.optional)),
    });
    Field port = itemObj({
        required(integer("host", "Port on the host.", 1, 65535, {}, "8080")),
        required(integer("sandbox", "Port inside the sandbox.", 1, 65535, {}, "80")),
        choice("proto", "Protocol.", {"tcp", "udp"}, q(dPort.proto)),
        scalar("host_addr", K::IpAddr,
               "Host address to listen on. Never 0.0.0.0 unless you write it.", q(dPort.hostAddr)),
    });
    Field rule = itemObj({
        required(choice("action", "What to do with matching packets.", {"allow", "deny"})),
        scalar("to", K::Cidr, "Destination network (CIDR); absent means any.", {},
               "\"192.168.1.0/24\""),
        scalar("ports", K::PortSpec, "Destination port or range (\"8000-8100\"); absent means any.",
               {}, "443"),
        choice("proto", "Protocol.", {"tcp", "udp", "icmp", "any"}, q(dRule.proto)),
    });

    Field root = obj("", "A Layerbox profile: how one application is sandboxed.", {});
    root.fields = {
        required(integer("version", "Profile format version. This Layerbox reads version 1.", 1,
                         kProfileVersion, {}, "1")),
        scalar("name", K::Name,
               "Identifier; must match the file name (firefox.json -> firefox). Used for the "
               "sandbox's data folder, unit and default host name.",
               {}, "\"firefox\""),
        scalar("title", K::String, "Name shown to people (menus, the GUI).", {}, "\"Firefox\""),
        scalar("description", K::String, "One sentence on what this profile is for.", {}),
        scalar("icon", K::String, "Icon name from the icon theme, or an absolute path.", {},
               "\"firefox-esr\""),
        scalar("desktop_entry", K::String,
               "The application's own desktop file, used for its name and icon.", {},
               "\"firefox-esr.desktop\""),
        scalar("extends", K::Name,
               "Start from another profile; this file's keys override it (objects merge, lists "
               "replace, null removes).",
               {}, "\"browser\""),
        list("command", "Program and arguments run when no command is given.", item(K::String),
             "[\"firefox-esr\"]"),
        obj("filesystem", "What the program sees of files.",
            {
                choice("driver",
                       "Copy-on-write storage: native (kernel overlayfs), fuse (fuse-overlayfs) or "
                       "auto (native when this kernel allows it).",
                       {"auto", "native", "fuse"}, q(driverName(d.filesystem.driver))),
                scalar("ephemeral", K::Bool, "Throw every change away when the last program exits.",
                       b(d.filesystem.ephemeral)),
                list("layers",
                     "Committed read-only layers stacked under this profile's changes, "
                     "top first.",
                     item(K::Name), "[\"toolchain\"]", "[]"),
                choice("home",
                       "private: an empty home kept in the sandbox; tmpfs: an empty home thrown "
                       "away at exit; overlay: your real home, read-only, with changes kept in "
                       "the sandbox.",
                       {"private", "tmpfs", "overlay"}, q(homeModeName(d.filesystem.home))),
                list("binds", "Host paths made visible inside.", bind,
                     "[{\"host\": \"~/Downloads\", \"mode\": \"rw\", \"create\": true}]", "[]"),
                list("hide", "Paths inside the sandbox replaced by an empty, read-only node.",
                     item(K::SandboxPath), "[\"~/.ssh\", \"~/.gnupg\"]", "[]"),
                list("recover_watch",
                     "Sandbox folders whose new files are offered for recovery as soon as they "
                     "are written (a line, a notification, the GUI) and listed after exit.",
                     item(K::SandboxPath), "[\"~/Downloads\"]", "[]"),
                list("recover_auto",
                     "Folders of recover_watch whose new files are copied at once to the same "
                     "path in your real home (an existing file is kept: the copy gets a suffix).",
                     item(K::SandboxPath), "[\"~/Downloads\"]", "[]"),
                list("devices", "Extra device nodes to expose.", item(K::DevicePath),
                     "[\"/dev/kvm\"]", "[]"),
                list("private_etc",
                     "When set, /etc holds only these entries of your /etc, read-only, and the "
                     "files Layerbox writes itself (host name, hosts, name servers); other "
                     "changes to /etc are not kept. Unset: all of /etc, copy-on-write.",
                     item(K::FileName),
                     "[\"fonts\", \"ssl\", \"ca-certificates\", \"passwd\", \"group\"]"),
            }),
        obj("network", "Network access.",
            {
                choice("mode", "none: loopback only; nat: outgoing traffic through slirp4netns.",
                       {"none", "nat"}, q(netModeName(d.network.mode))),
                scalar("host_loopback", K::Bool,
                       "Let the sandbox reach services on the host's 127.0.0.1 via 10.0.2.2.",
                       b(d.network.hostLoopback)),
                list("ports", "Ports forwarded from the host into the sandbox (nat only).", port,
                     "[{\"host\": 8080, \"sandbox\": 80}]", "[]"),
                obj("firewall", "Rules inside the sandbox's own network namespace.",
                    {
                        choice("preset",
                               "open: no filtering; internet-only: no LAN, link-local, CGNAT or "
                               "host; host-only: only the host services allowed below.",
                               {"open", "internet-only", "host-only"}, q(d.network.firewall)),
                        list("rules", "Extra rules, evaluated in order after the preset.", rule,
                             "[{\"action\": \"deny\", \"ports\": 25, \"proto\": \"tcp\"}]", "[]"),
                    }),
                list("dns",
                     "DNS servers; default is slirp4netns' 10.0.2.3 (with allow_domains or "
                     "deny_domains: the servers Layerbox's resolver asks; default the host's).",
                     item(K::IpAddr), "[\"9.9.9.9\"]", "[]"),
                list("allow_domains",
                     "Only these names resolve, and only their addresses can be reached "
                     "(Layerbox's resolver; *.example.org is every name below example.org).",
                     item(K::DomainPattern), "[\"example.org\", \"*.example.org\"]", "[]"),
                list("deny_domains",
                     "Names that never resolve, even when allow_domains has them; with either "
                     "list only resolved addresses can be reached.",
                     item(K::DomainPattern), "[\"*.ads.example\"]", "[]"),
                scalar("hostname", K::Hostname, "Host name inside; defaults to the profile name.",
                       {}, "\"sandbox\""),
                integer("mtu", "MTU of the sandbox's interface.", 1280, 65520,
                        std::to_string(d.network.mtu)),
                scalar("ipv6", K::Bool, "Give the sandbox IPv6 through slirp4netns.",
                       b(d.network.ipv6)),
            }),
        obj("resources", "Limits, applied through a systemd user scope.",
            {
                scalar("memory_max", K::Size, "Hard memory limit.", {}, "\"2G\""),
                scalar("memory_high", K::Size, "Memory above which the sandbox is throttled.", {},
                       "\"1536M\""),
                scalar("memory_swap_max", K::Size, "Swap limit.", {}, "\"0\""),
                integer("cpu_percent", "CPU time, in percent of one core (200 = two cores).", 1,
                        100000, {}, "150"),
                integer("cpu_weight", "CPU weight against other programs (default 100).", 1, 10000,
                        {}, "50"),
                integer("tasks_max", "Most processes and threads at once.", 1, 4194304, {}, "512"),
                integer("io_weight", "Disk I/O weight (default 100).", 1, 10000, {}, "50"),
                scalar("require_limits", K::Bool,
                       "Refuse to start when the limits cannot be applied.",
                       b(d.resources.requireLimits)),
            }),
        obj("security", "System call filter and privileges.",
            {
                choice("seccomp",
                       "default: Flatpak's filter; strict: also denies io_uring, userfaultfd, "
                       "ptrace and personality even for devel.",
                       {"default", "strict"}, q(d.security.seccomp)),
                list("deny_syscalls", "Extra system calls to deny (EPERM).", item(K::Syscall),
                     "[\"ptrace\"]", "[]"),
                list("allow_syscalls", "System calls to take out of the default filter.",
                     item(K::Syscall), "[\"perf_event_open\"]", "[]"),
                scalar("nested_sandboxes", K::Bool,
                       "Allow new user namespaces (browsers build their own sandbox with them).",
                       b(d.security.nestedSandboxes)),
                scalar("devel", K::Bool,
                       "Allow ptrace, perf_event_open and personality (debuggers).",
                       b(d.security.devel)),
                list("socket_families",
                     "Socket families the program may open: unix (local sockets: display, "
                     "sound, D-Bus), inet and inet6 (the network, and the sandbox's own "
                     "loopback), netlink (network configuration, device events). Every other "
                     "family is always refused.",
                     itemChoice({"unix", "inet", "inet6", "netlink"}), "[\"unix\"]",
                     strs(d.security.socketFamilies)),
                scalar("memory_deny_write_execute", K::Bool,
                       "Refuse memory that is both writable and executable, and making memory "
                       "executable later (mmap, mprotect, shmat): code cannot be written and "
                       "then run. Breaks programs with a just-in-time compiler (browsers' "
                       "JavaScript, Java, some emulators) and 32-bit programs.",
                       b(d.security.memoryDenyWriteExecute)),
                scalar("activity_log", K::Bool,
                       "Record what the sandbox refused (system calls the filter denied, D-Bus "
                       "names it hid) for layerbox log; each denied call then costs a round trip "
                       "to the runner.",
                       b(d.security.activityLog)),
            }),
        obj("desktop", "Display, sound, GPU and D-Bus.",
            {
                [] {
                    Field f = choice(
                        "x11",
                        "off: no X11; isolated: a nested X server of its own (Xephyr) in a "
                        "window of your desktop; host: your X server itself, where the program "
                        "can read every keystroke and window of the desktop (true means host).",
                        {"off", "isolated", "host"}, q(x11ModeName(d.desktop.x11)));
                    f.boolTrue = "host";
                    f.boolFalse = "off";
                    return f;
                }(),
                scalar("wayland", K::Bool, "Give access to the Wayland compositor.",
                       b(d.desktop.wayland)),
                choice("clipboard",
                       "With x11 isolated: what crosses between the sandbox's clipboard and "
                       "yours. none; in: what you copy can be pasted inside (the program can "
                       "read it); out: what the program copies can be pasted outside; both. "
                       "Text only; the highlight selection never crosses.",
                       {"none", "in", "out", "both"}, q(d.desktop.clipboard)),
                choice("open_uri",
                       "Whether the program may have a link or file opened by a program of your "
                       "desktop (the portal's OpenURI, Email; xdg-open inside), which then runs "
                       "outside the sandbox with your real home. deny: refused; ask: for each "
                       "web or mail link, a notification on your desktop names the sandbox and "
                       "the exact link, and only your \"Open link\" opens it (other kinds of "
                       "link, files and Email are refused; a few questions at a time); allow: "
                       "the portal opens web and mail links in your default browser or mail "
                       "client without asking, and asks which program for other types (only "
                       "with a dbus talk entry covering org.freedesktop.portal.Desktop).",
                       {"deny", "ask", "allow"}, q(d.desktop.openUri)),
                choice("audio", "Sound server sockets to pass in.",
                       {"none", "pulseaudio", "pipewire", "both"}, q(d.desktop.audio)),
                scalar("gpu", K::Bool,
                       "Expose /dev/dri for hardware rendering. An isolated X11 display is "
                       "drawn in software whatever this says (no GLX, no DRI3 there).",
                       b(d.desktop.gpu)),
                scalar("theme", K::Bool,
                       "Read-only access to your fonts, GTK/Qt themes and appearance settings.",
                       b(d.desktop.theme)),
                obj("dbus", "D-Bus through xdg-dbus-proxy; no bus at all when off and empty.",
                    {
                        scalar("session", K::Bool, "Provide the (filtered) session bus.",
                               b(d.desktop.dbus.session)),
                        scalar("system", K::Bool, "Provide the (filtered) system bus.",
                               b(d.desktop.dbus.system)),
                        list("talk", "Session bus names the program may talk to.", item(K::String),
                             "[\"org.freedesktop.Notifications\"]", "[]"),
                        list("own", "Session bus names the program may own.", item(K::String),
                             "[\"org.mozilla.firefox.*\"]", "[]"),
                        list("see", "Session bus names the program may see but not call.",
                             item(K::String), "[]", "[]"),
                        list("call", "RULE=name=interface.method@/path call rules.",
                             item(K::String), "[]", "[]"),
                        list("system_talk", "System bus names the program may talk to.",
                             item(K::String), "[\"org.freedesktop.UPower\"]", "[]"),
                    }),
            }),
        obj("environment", "Environment variables; everything else is dropped.",
            {
                list("keep",
                     "Variables passed from your environment (a trailing * matches a "
                     "prefix).",
                     item(K::EnvPattern), "[\"LANG\", \"LC_*\", \"TERM\"]",
                     strs(d.environment.keep)),
                [] {
                    Field f = scalar("set", K::Map, "Variables set inside.", "{}",
                                     "{\"MOZ_ENABLE_WAYLAND\": \"1\"}");
                    return f;
                }(),
            }),
        obj("lifetime", "How long the sandbox lives, and how layerbox stop ends it.",
            {
                choice("until",
                       "all: until every process of the sandbox has ended (a program that "
                       "restarts itself keeps its sandbox; so does a daemon it leaves behind, "
                       "until layerbox stop); main: until the program's first process ends, "
                       "then the rest is ended.",
                       {"all", "main"}, q(d.lifetime.until)),
                integer("grace",
                        "With until main: seconds the processes left behind get between SIGTERM "
                        "and SIGKILL.",
                        0, 3600, std::to_string(d.lifetime.grace)),
                integer("stop_timeout",
                        "layerbox stop: seconds the windows get to close, then the processes "
                        "after SIGTERM, before everything is killed.",
                        0, 3600, std::to_string(d.lifetime.stopTimeout)),
            }),
    };
    return root;
}

std::string shortJson(const json& v) {
    std::string s = v.dump();
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return s;
}

const char* typeName(const json& v) {
    switch (v.type()) {
        case json::value_t::null:
            return "null";
        case json::value_t::boolean:
            return "a boolean";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
            return "an integer";
        case json::value_t::number_float:
            return "a number";
        case json::value_t::string:
            return "a string";
        case json::value_t::array:
            return "a list";
        case json::value_t::object:
            return "an object";
        default:
            return "something else";
    }
}

const std::vector<std::string>& syscallNames() {
    static const std::vector<std::string> names = [] {
        std::set<std::string> s;
        for (int n = 0; n < 1024; ++n) {
            char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, n);
            if (name) {
                s.insert(name);
                free(name);
            }
        }
        return std::vector<std::string>(s.begin(), s.end());
    }();
    return names;
}

bool validIp(const std::string& s, bool* v6 = nullptr) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
        if (v6) *v6 = false;
        return true;
    }
    if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
        if (v6) *v6 = true;
        return true;
    }
    return false;
}

}  // namespace

std::string checkPath(const std::string& s, bool sandbox) {
    if (s.empty()) return "is empty";
    if (s.find('\0') != std::string::npos) return "contains a NUL byte";
    if (!(s[0] == '/' || s == "~" || startsWith(s, "~/")))
        return "is not an absolute path (start with / or ~/)";
    for (const auto& part : split(s, '/'))
        if (part == "..") return "contains \"..\" (not allowed: paths must not climb out)";
    if (sandbox) {
        std::string n = normalizePath(s[0] == '~' ? "/home" : s);
        for (const char* forbidden : {"/proc", "/sys", "/dev"})
            if (n == forbidden || startsWith(n, std::string(forbidden) + "/"))
                return std::string("points into ") + forbidden +
                       ", which the sandbox manages itself";
        if (n == "/") return "is the sandbox's root";
    }
    return {};
}

const Field& root() {
    static const Field r = buildRoot();
    return r;
}

std::string kindName(Kind k) {
    switch (k) {
        case Kind::Object:
            return "object";
        case Kind::List:
            return "list";
        case Kind::Map:
            return "map";
        case Kind::String:
            return "string";
        case Kind::Bool:
            return "boolean";
        case Kind::Int:
            return "integer";
        case Kind::Size:
            return "size";
        case Kind::Enum:
            return "choice";
        case Kind::Name:
            return "name";
        case Kind::Path:
            return "path";
        case Kind::SandboxPath:
            return "path";
        case Kind::DevicePath:
            return "device";
        case Kind::Hostname:
            return "hostname";
        case Kind::IpAddr:
            return "ip-address";
        case Kind::Cidr:
            return "cidr";
        case Kind::PortSpec:
            return "port";
        case Kind::Syscall:
            return "syscall";
        case Kind::EnvName:
            return "variable";
        case Kind::EnvPattern:
            return "variable";
        case Kind::DomainPattern:
            return "domain";
        case Kind::FileName:
            return "file-name";
    }
    return "?";
}

void validate(const json& v, const Field& f, const std::string& ptr, std::vector<Problem>& out) {
    auto bad = [&](std::string msg) { out.push_back({ptr, std::move(msg)}); };
    auto expect = [&](bool ok, const char* what) {
        if (!ok)
            bad(std::string("expected ") + what + ", got " + typeName(v) +
                (v.is_primitive() && !v.is_null() ? " " + shortJson(v) : ""));
        return ok;
    };
    // null removes an inherited value: allowed for an optional member of an object, never for
    // a list item (key "*"), which has nothing to remove and which the loader would trip on.
    if (v.is_null() && !f.required && !ptr.empty() && f.key != "*") return;

    switch (f.kind) {
        case Kind::Object: {
            if (!expect(v.is_object(), "an object")) return;
            std::vector<std::string> keys;
            for (const auto& c : f.fields)
                keys.push_back(c.key);
            for (auto it = v.begin(); it != v.end(); ++it) {
                const std::string& k = it.key();
                if (k == "$comment" || (ptr.empty() && k == "$schema")) continue;
                auto c = std::find_if(f.fields.begin(), f.fields.end(),
                                      [&](const Field& x) { return x.key == k; });
                std::string childPtr = ptr + "/" + k;
                if (c == f.fields.end()) {
                    std::string hint = didYouMean(k, keys);
                    out.push_back(
                        {childPtr,
                         "unknown key" + (hint.empty() ? std::string()
                                                       : " (did you mean " + quote(hint) + "?)")});
                    continue;
                }
                validate(*it, *c, childPtr, out);
            }
            for (const auto& c : f.fields)
                if (c.required && !v.contains(c.key))
                    out.push_back({ptr + "/" + c.key,
                                   "is missing" + (c.exampleJson.empty()
                                                       ? std::string()
                                                       : " (for example " + c.exampleJson + ")")});
            return;
        }
        case Kind::List: {
            if (!expect(v.is_array(), "a list")) return;
            for (size_t i = 0; i < v.size(); ++i)
                validate(v[i], f.fields[0], ptr + "/" + std::to_string(i), out);
            return;
        }
        case Kind::Map: {
            if (!expect(v.is_object(), "an object of names to strings")) return;
            static const std::regex envRe("[A-Za-z_][A-Za-z0-9_]*");
            for (auto it = v.begin(); it != v.end(); ++it) {
                if (!std::regex_match(it.key(), envRe))
                    out.push_back({ptr + "/" + it.key(), "is not a valid variable name"});
                else if (!it->is_string() && !it->is_null())  // null removes an inherited one
                    out.push_back({ptr + "/" + it.key(),
                                   std::string("expected a string, got ") + typeName(*it) +
                                       (it->is_primitive() ? " " + shortJson(*it) : "")});
            }
            return;
        }
        case Kind::Bool:
            expect(v.is_boolean(), "true or false");
            return;
        case Kind::Enum:
            if (v.is_boolean() && !f.boolTrue.empty()) return;  // the older boolean form
            break;
        case Kind::Int: {
            if (!expect(v.is_number_integer(), "an integer")) return;
            // an unsigned value above LLONG_MAX is out of every range; dump() prints it as written
            bool big = v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(LLONG_MAX);
            long long n = big ? 0 : v.get<long long>();
            if (big || n < f.min || n > f.max)
                bad(v.dump() + " is out of range (" + std::to_string(f.min) + " to " +
                    std::to_string(f.max) + ")");
            return;
        }
        case Kind::Size: {
            if (v.is_number_unsigned() || (v.is_number_integer() && v.get<long long>() >= 0))
                return;
            if (v.is_string() && parseSize(v.get<std::string>())) return;
            bad(shortJson(v) + " is not a size (use 2G, 512M)");
            return;
        }
        case Kind::PortSpec:
            if (v.is_number_integer()) {
                bool big = v.is_number_unsigned() && v.get<uint64_t>() > 65535;
                long long n = big ? 0 : v.get<long long>();
                if (big || n < 1 || n > 65535) bad(v.dump() + " is not a port (1 to 65535)");
                return;
            }
            break;
        default:
            break;
    }

    // Every remaining kind is a string.
    if (!expect(v.is_string(), f.kind == Kind::PortSpec ? "a port number" : "a string")) {
        return;
    }
    const std::string s = v.get<std::string>();
    switch (f.kind) {
        case Kind::String:
            return;
        case Kind::Enum:
            if (std::find(f.choices.begin(), f.choices.end(), s) == f.choices.end()) {
                const std::string all = joinStrings(f.choices);
                std::string hint = didYouMean(s, f.choices);
                bad(quote(s) + " is not one of " + all +
                    (hint.empty() ? "" : " (did you mean " + quote(hint) + "?)"));
            }
            return;
        case Kind::Name:
            if (!isValidProfileName(s))
                bad(quote(s) + " is not a valid name (a-z, 0-9, - and _, at most 64)");
            return;
        case Kind::Path:
        case Kind::SandboxPath:
            if (auto why = checkPath(s, f.kind == Kind::SandboxPath); !why.empty())
                bad(quote(s) + " " + why);
            return;
        case Kind::DevicePath:
            if (!startsWith(s, "/dev/") || !checkPath(s, false).empty() || s == "/dev/")
                bad(quote(s) + " is not a device path under /dev");
            return;
        case Kind::Hostname: {
            static const std::regex re("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
            if (!std::regex_match(s, re))
                bad(quote(s) + " is not a valid host name (letters, digits and -, at most 63)");
            return;
        }
        case Kind::IpAddr:
            if (!validIp(s)) bad(quote(s) + " is not an IP address");
            return;
        case Kind::Cidr: {
            auto slash = s.find('/');
            std::string addr = s.substr(0, slash);
            bool v6 = false;
            bool ok = validIp(addr, &v6);
            if (ok && slash != std::string::npos) {
                std::string len = s.substr(slash + 1);
                ok = !len.empty() && len.size() <= 3 &&
                     std::all_of(len.begin(), len.end(), ::isdigit) &&
                     std::stoi(len) <= (v6 ? 128 : 32);
            }
            if (!ok) bad(quote(s) + " is not a network (use 192.168.0.0/16 or fd00::/8)");
            return;
        }
        case Kind::PortSpec: {
            static const std::regex re("([0-9]{1,5})(-([0-9]{1,5}))?");
            std::smatch m;
            bool ok = std::regex_match(s, m, re);
            if (ok) {
                int a = std::stoi(m[1]), b = m[3].matched ? std::stoi(m[3]) : a;
                ok = a >= 1 && b <= 65535 && a <= b;
            }
            if (!ok) bad(quote(s) + " is not a port or range (use 443 or \"8000-8100\")");
            return;
        }
        case Kind::Syscall:
            if (seccomp_syscall_resolve_name(s.c_str()) == __NR_SCMP_ERROR) {
                std::string hint = didYouMean(s, syscallNames());
                bad(quote(s) + " is not a system call known here" +
                    (hint.empty() ? "" : " (did you mean " + quote(hint) + "?)"));
            }
            return;
        case Kind::EnvName:
        case Kind::EnvPattern: {
            static const std::regex name("[A-Za-z_][A-Za-z0-9_]*");
            static const std::regex pat("[A-Za-z_][A-Za-z0-9_]*\\*?");
            if (!std::regex_match(s, f.kind == Kind::EnvName ? name : pat))
                bad(quote(s) + " is not a variable name" +
                    (f.kind == Kind::EnvPattern ? " (a trailing * is allowed)" : ""));
            return;
        }
        case Kind::DomainPattern:
            if (auto why = checkDomainPattern(s); !why.empty()) bad(quote(s) + " " + why);
            return;
        case Kind::FileName:
            if (s.empty() || s == "." || s == ".." || s.size() > 255 ||
                s.find('/') != std::string::npos ||
                std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20; }))
                bad(quote(s) + " is not a file name (one name, no '/', not . or ..)");
            return;
        default:
            return;
    }
}

std::string checkDomainPattern(const std::string& s) {
    std::string name = s;
    if (!name.empty() && name.back() == '.') name.pop_back();  // "example.org." is the same
    if (name.empty()) return "is not a domain (use example.org or *.example.org)";
    if (name.size() > 253) return "is longer than a domain can be (253 characters)";
    if (name == "*") return {};  // every name: only resolved addresses can be reached
    size_t start = 0;
    for (int label = 0;; ++label) {
        size_t dot = name.find('.', start);
        std::string part =
            name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (part.empty()) return "has an empty label (two dots, or a leading dot)";
        if (part == "*") {
            if (label != 0) return "has '*' other than as its first label (*.example.org)";
        } else {
            if (part.size() > 63) return "has a label longer than 63 characters";
            for (char c : part)
                if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
                    return c == '*' ? "has '*' inside a label (only *.example.org is a wildcard)"
                                    : "has a character a domain cannot have (" +
                                          quote(std::string(1, c)) + ")";
        }
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return {};
}

static json defaultsOf(const Field& f) {
    json o = json::object();
    for (const auto& c : f.fields) {
        if (c.kind == Kind::Object) {
            json sub = defaultsOf(c);
            if (!sub.empty()) o[c.key] = std::move(sub);
        } else if (!c.defaultJson.empty()) {
            o[c.key] = json::parse(c.defaultJson);
        }
    }
    return o;
}

json defaults() {
    return defaultsOf(root());
}

}  // namespace lb::schema
