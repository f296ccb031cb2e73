#include "profile/profile.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <set>

#include "base/fsutil.h"
#include "base/paths.h"
#include "base/safe_open.h"
#include "profile/host_binds.h"
#include "profile/nat_only.h"
#include "profile/profile_schema.h"
#include "profile/profile_store.h"

namespace lb {

using nlohmann::json;
using schema::Field;
using schema::Kind;

std::string Diagnostic::text() const {
    if (line > 0)
        return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
    if (pointer.empty()) return file + ": " + message;
    return file + ": " + pointer + ": " + message;
}

const char* x11ModeName(X11Mode m) {
    switch (m) {
        case X11Mode::Host:
            return "host";
        case X11Mode::Isolated:
            return "isolated";
        case X11Mode::Off:
            break;
    }
    return "off";
}

bool dbusNameCovers(const std::string& pattern, const std::string& name) {
    if (pattern == name) return true;
    if (pattern.size() >= 2 && pattern.compare(pattern.size() - 2, 2, ".*") == 0)
        return name.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
    return false;
}

bool DbusConfig::talksToPortals() const {
    for (const auto& t : talk)
        if (dbusNameCovers(t, "org.freedesktop.portal.Desktop")) return true;
    return false;
}

std::string DbusConfig::broadPortalPattern() const {
    for (const auto& t : talk)
        if (dbusNameCovers(t, "org.freedesktop.portal.Desktop") &&
            t != "org.freedesktop.portal.Desktop" && t != "org.freedesktop.portal.*")
            return t;
    return {};
}

std::vector<std::string> profileWarnings(const Profile& p) {
    std::vector<std::string> out;
    if (p.desktop.x11 == X11Mode::Host)
        out.push_back(
            "/desktop/x11: \"host\" (or true) gives the program your X server itself: it can "
            "read every keystroke, see every window and type into them; \"isolated\" gives it "
            "a display of its own");
    if (p.desktop.clipboard != "none" && p.desktop.x11 != X11Mode::Isolated)
        out.push_back("/desktop/clipboard: \"" + p.desktop.clipboard +
                      "\" has no effect unless /desktop/x11 is \"isolated\"" +
                      (p.desktop.x11 == X11Mode::Host
                           ? std::string(" (on your X server the program reads and sets your "
                                         "clipboard freely)")
                           : std::string()));
    if (p.desktop.openUri != "allow")
        if (std::string broad = p.desktop.dbus.broadPortalPattern(); !broad.empty())
            out.push_back(
                "/desktop/dbus/talk: \"" + broad +
                "\" covers the desktop portal and names beyond it; with /desktop/"
                "open_uri \"deny\" or \"ask\" the program may only see those names (list them "
                "one by one, or use \"org.freedesktop.portal.*\")");
    return out;
}

bool isValidProfileName(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!ok(name[0])) return false;
    return std::all_of(name.begin(), name.end(),
                       [&](char c) { return ok(c) || c == '-' || c == '_'; });
}

std::string profileNameFrom(std::string_view word) {
    std::string out;
    for (char c : word) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (ok)
            out += c;
        else if (out.empty() || out.back() != '-')
            out += '-';  // a run of anything else is one dash
    }
    const size_t first = out.find_first_not_of("-_");
    out = first == std::string::npos ? std::string() : out.substr(first, 64);
    return isValidProfileName(out) ? out : std::string();
}

static size_t editDistance(std::string_view a, std::string_view b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min(
                {prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0u : 1u)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates) {
    std::string best;
    size_t bestD = std::max<size_t>(2, word.size() / 3) + 1;
    for (const auto& c : candidates) {
        size_t d = editDistance(word, c);
        if (d < bestD) {
            bestD = d;
            best = c;
        }
    }
    return best;
}

const char* driverName(Driver d) {
    switch (d) {
        case Driver::Auto:
            return "auto";
        case Driver::Native:
            return "native";
        case Driver::Fuse:
            return "fuse";
    }
    return "auto";
}

std::optional<Driver> parseDriver(std::string_view s) {
    for (Driver d : {Driver::Auto, Driver::Native, Driver::Fuse})
        if (s == driverName(d)) return d;
    return std::nullopt;
}

const char* homeModeName(HomeMode h) {
    switch (h) {
        case HomeMode::Private:
            return "private";
        case HomeMode::Tmpfs:
            return "tmpfs";
        case HomeMode::Overlay:
            return "overlay";
    }
    return "private";
}

std::optional<HomeMode> parseHomeMode(std::string_view s) {
    for (HomeMode h : {HomeMode::Private, HomeMode::Tmpfs, HomeMode::Overlay})
        if (s == homeModeName(h)) return h;
    return std::nullopt;
}

const char* netModeName(NetMode n) {
    return n == NetMode::Nat ? "nat" : "none";
}

std::optional<NetMode> parseNetMode(std::string_view s) {
    for (NetMode n : {NetMode::None, NetMode::Nat})
        if (s == netModeName(n)) return n;
    return std::nullopt;
}

namespace {

// Parse JSON text; on a syntax error fill `diag` with line and column. Duplicate keys are
// errors too: nlohmann keeps the last one silently, which hides typos in hand-edited files.
std::optional<json> parseText(std::string_view text, const std::string& display,
                              std::vector<Diagnostic>& diags) {
    struct Frame {
        bool array = false;
        size_t index = 0;
        std::string key;
        std::set<std::string> keys;
    };
    std::vector<Frame> stack;
    std::vector<std::string> dupes;
    auto pointerOf = [&]() {
        std::string p;
        for (size_t i = 0; i + 1 < stack.size(); ++i)
            p += "/" + (stack[i].array ? std::to_string(stack[i].index) : stack[i].key);
        return p;
    };
    auto advance = [&] {
        if (!stack.empty() && stack.back().array) ++stack.back().index;
    };
    json::parser_callback_t cb = [&](int, json::parse_event_t ev, json& parsed) {
        switch (ev) {
            case json::parse_event_t::object_start:
                stack.push_back({false, 0, {}, {}});
                break;
            case json::parse_event_t::array_start:
                stack.push_back({true, 0, {}, {}});
                break;
            case json::parse_event_t::key: {
                auto& top = stack.back();
                top.key = parsed.get<std::string>();
                if (!top.keys.insert(top.key).second) dupes.push_back(pointerOf() + "/" + top.key);
                break;
            }
            case json::parse_event_t::object_end:
            case json::parse_event_t::array_end:
                stack.pop_back();
                advance();
                break;
            case json::parse_event_t::value:
                advance();
                break;
        }
        return true;
    };
    try {
        json j = json::parse(text.begin(), text.end(), cb);
        for (const auto& d : dupes)
            diags.push_back({display, d, 0, 0, "duplicate key"});
        if (!dupes.empty()) return std::nullopt;
        return j;
    } catch (const json::parse_error& e) {
        // Turn the byte offset into line:column and keep nlohmann's explanation only.
        size_t byte = e.byte == 0 ? 0 : e.byte - 1;
        int line = 1, col = 1;
        for (size_t i = 0; i < byte && i < text.size(); ++i) {
            if (text[i] == '\n') {
                ++line;
                col = 1;
            } else {
                ++col;
            }
        }
        std::string what = e.what();
        auto pos = what.find("syntax error");
        std::string msg = pos == std::string::npos ? what : what.substr(pos);
        // People write // or /* */ in hand-edited files; say why that fails and what to use.
        if (byte + 1 < text.size() && text[byte] == '/' &&
            (text[byte + 1] == '/' || text[byte + 1] == '*'))
            msg += " (JSON has no comments; use a \"$comment\" key)";
        if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
            // no position to point at: "x.json: file is empty", not "x.json:4:1: file is empty"
            diags.push_back({display, {}, 0, 0, "file is empty"});
            return std::nullopt;
        }
        diags.push_back({display, {}, line, col, msg});
        return std::nullopt;
    } catch (const json::exception& e) {
        // Not a syntax error but a value nlohmann cannot hold (a number like 1e999999):
        // found by fuzzing; it must be a diagnostic, not an abort.
        std::string what = e.what();
        auto pos = what.find("] ");
        diags.push_back(
            {display,
             {},
             0,
             0,
             "invalid JSON: " + (pos == std::string::npos ? what : what.substr(pos + 2))});
        return std::nullopt;
    }
}

void checkDocument(const json& j, const std::string& display, std::string_view fileStem,
                   std::vector<Diagnostic>& diags) {
    if (!j.is_object()) {
        diags.push_back({display, {}, 0, 0, "a profile must be a JSON object"});
        return;
    }
    // A newer format is refused before anything else: its keys would only produce noise.
    if (j.contains("version") && j["version"].is_number_integer() &&
        (j["version"].is_number_unsigned() ? j["version"].get<uint64_t>() > kProfileVersion
                                           : j["version"].get<long long>() > kProfileVersion)) {
        diags.push_back({display, "/version", 0, 0,
                         j["version"].dump() + " is newer than this Layerbox understands (" +
                             std::to_string(kProfileVersion) + "); update Layerbox"});
        return;
    }
    std::vector<schema::Problem> problems;
    schema::validate(j, schema::root(), "", problems);
    for (auto& p : problems)
        diags.push_back({display, p.pointer, 0, 0, p.message});
    if (!fileStem.empty() && j.contains("name") && j["name"].is_string() &&
        j["name"].get<std::string>() != fileStem)
        diags.push_back({display, "/name", 0, 0,
                         quote(j["name"].get<std::string>()) + " does not match the file name (" +
                             std::string(fileStem) + ".json)"});
    // "extends" naming the profile itself is not checked here: a user profile may extend the
    // built-in it overrides, which only the store can tell (loadChain reports the other case).
    // Refusing it here made `profile validate FILE` and `profile import` reject such overrides.
}

}  // namespace

const std::vector<NatOnlyField>& natOnlyFields() {
    static const std::vector<NatOnlyField> fields = {
        {"/network/ports", "port forwards need \"mode\": \"nat\""},
        {"/network/allow_domains", "needs \"mode\": \"nat\" (no network, no names)"},
        {"/network/deny_domains", "needs \"mode\": \"nat\" (no network, no names)"},
        // Unused with "none" (network.cpp writes no resolv.conf and no ruleset, slirp4netns
        // does not run), but harmless: a profile may switch its parent's NAT off.
        {"/network/host_loopback", {}},
        {"/network/ipv6", {}},
        {"/network/mtu", {}},
        {"/network/dns", {}},
        {"/network/firewall/preset", {}},
        {"/network/firewall/rules", {}},
    };
    return fields;
}

namespace {

// Rules that involve more than one field, checked on the merged profile.
void checkMerged(const json& m, const std::string& display, std::vector<Diagnostic>& diags) {
    auto add = [&](std::string ptr, std::string msg) {
        diags.push_back({display, std::move(ptr), 0, 0, std::move(msg)});
    };
    const json& net = m["network"];
    if (net["mode"] == "none")
        for (const NatOnlyField& f : natOnlyFields()) {
            const json::json_pointer ptr(f.pointer);
            if (!f.refusedWithout.empty() && m.contains(ptr) && !m.at(ptr).empty())
                add(f.pointer, f.refusedWithout);
        }
    // With "ask", Layerbox's question is a desktop notification and its answer the daemon's
    // ActionInvoked: a program that owned org.freedesktop.Notifications (none running) would
    // receive the question and answer it itself.
    const json& desktop = m["desktop"];
    if (desktop["open_uri"] == "ask") {
        const json& own = desktop["dbus"]["own"];
        for (size_t i = 0; i < own.size(); ++i)
            if (own[i].is_string() &&
                dbusNameCovers(own[i].get<std::string>(), "org.freedesktop.Notifications"))
                add("/desktop/dbus/own/" + std::to_string(i),
                    "covers org.freedesktop.Notifications: with /desktop/open_uri \"ask\" the "
                    "program could become the notification service and answer Layerbox's "
                    "question itself (remove it, or use \"deny\")");
    }
    for (const char* key : {"allow_domains", "deny_domains"}) {
        if (net[key].empty()) continue;
        if (net["mode"] != "none" && net["firewall"]["preset"] == "host-only")
            add(std::string("/network/") + key,
                "has no effect with the firewall preset \"host-only\" (nothing leaves)");
    }
    std::set<std::pair<int, std::string>> seen;
    for (size_t i = 0; i < net["ports"].size(); ++i) {
        const json& p = net["ports"][i];
        auto key = std::make_pair(p["host"].get<int>(), p.value("proto", std::string("tcp")));
        if (!seen.insert(key).second)
            add("/network/ports/" + std::to_string(i) + "/host",
                "host port " + std::to_string(key.first) + "/" + key.second +
                    " is forwarded twice");
    }
    const json& res = m["resources"];
    if (res.contains("memory_high") && res.contains("memory_max")) {
        auto size = [](const json& v) {
            return v.is_string() ? parseSize(v.get<std::string>()).value_or(0) : v.get<uint64_t>();
        };
        // Name both values: memory_max may come from a parent the reader is not looking at.
        if (size(res["memory_high"]) > size(res["memory_max"]))
            add("/resources/memory_high", res["memory_high"].dump() +
                                              " is larger than memory_max (" +
                                              res["memory_max"].dump() + ")");
    }
    std::set<std::string> targets;
    const json& binds = m["filesystem"]["binds"];
    for (size_t i = 0; i < binds.size(); ++i) {
        std::string t =
            normalizePath(binds[i].value("sandbox", binds[i]["host"].get<std::string>()));
        if (!targets.insert(t).second)
            add("/filesystem/binds/" + std::to_string(i),
                quote(t) + " is bound twice inside the sandbox");
    }
    // A NUL would silently cut the value short in the program's environment.
    const json envSet =
        m.contains("environment") ? m["environment"].value("set", json::object()) : json::object();
    for (auto it = envSet.begin(); it != envSet.end(); ++it)
        if (it->is_string() && it->get<std::string>().find('\0') != std::string::npos)
            add("/environment/set/" + it.key(),
                "contains a NUL byte, which an environment variable cannot hold");
    // Security: a profile may be imported or shared, so it is untrusted input; a bind that
    // reaches the user manager, the host's /proc or Layerbox's own folders is refused here (and
    // again by the setup process on the path it really opens, host_binds.h).
    if (!binds.empty()) {
        const Paths paths = Paths::fromEnvironment();
        const HostBindPolicy policy = HostBindPolicy::forUser(paths);
        for (size_t i = 0; i < binds.size(); ++i)
            if (auto why =
                    checkBindSource(binds[i]["host"].get<std::string>(), paths, policy,
                                    binds[i].contains("mode") && binds[i]["mode"].is_string() &&
                                        binds[i]["mode"] == "rw");
                !why.empty())
                add("/filesystem/binds/" + std::to_string(i) + "/host", "refused: " + why);
    }
}

struct Doc {
    std::string path;
    std::string display;
    std::string name;
    bool builtin = false;
    json j;
};

bool looksLikePath(const std::string& s) {
    return s.find('/') != std::string::npos || endsWith(s, ".json");
}

std::string stemOf(const std::string& path) {
    std::string b = baseName(path);
    return endsWith(b, ".json") ? b.substr(0, b.size() - 5) : b;
}

std::optional<Doc> readDoc(const std::string& path, bool builtin, bool checkStem,
                           std::vector<Diagnostic>& diags) {
    Doc d;
    d.path = path;
    d.display = baseName(path);
    d.builtin = builtin;
    // Security: an imported or shared profile is untrusted input: a fifo or /dev/zero given as
    // a profile must neither hang nor exhaust memory.
    auto text = readRegularFile(path, kProfileMaxBytes, "a profile");
    if (!text) {
        diags.push_back({d.display, {}, 0, 0, text.error().message()});
        return std::nullopt;
    }
    size_t before = diags.size();
    auto j = parseText(*text, d.display, diags);
    if (!j) return std::nullopt;
    std::string stem = stemOf(path);
    checkDocument(*j, d.display, checkStem ? stem : std::string(), diags);
    if (diags.size() != before) return std::nullopt;
    d.j = std::move(*j);
    d.name = d.j.contains("name") && d.j["name"].is_string()  // "name": null means the default
                 ? d.j["name"].get<std::string>()
                 : (isValidProfileName(stem) ? stem : std::string("sandbox"));
    return d;
}

// Load a profile and its `extends` chain, leaf first.
// `partial`, when given, receives the files read before a parent that does not exist.
std::optional<std::vector<Doc>> loadChain(const ProfileStore& store, const std::string& nameOrPath,
                                          std::vector<Diagnostic>& diags,
                                          std::vector<Doc>* partial = nullptr) {
    std::vector<Doc> chain;
    std::optional<Doc> leaf;
    if (looksLikePath(nameOrPath)) {
        // A file in a profile folder is what `run --profile NAME` reads, under its file name:
        // its "name" must match there too, or `profile validate FILE` would call valid a
        // profile that `run` refuses. A file anywhere else is named by its "name".
        auto real = [](const std::string& p) {
            char buf[PATH_MAX];
            return ::realpath(p.c_str(), buf) ? std::string(buf) : std::string();
        };
        const std::string dir = real(dirName(nameOrPath));
        const bool inStore = !dir.empty() && (dir == real(store.paths().userProfileDir()) ||
                                              dir == real(store.paths().builtinProfileDir));
        leaf = readDoc(nameOrPath, false, inStore, diags);
    } else {
        auto ref = store.find(nameOrPath);
        if (!ref) {
            diags.push_back({nameOrPath, {}, 0, 0, ref.error().message()});
            return std::nullopt;
        }
        leaf = readDoc(ref->path, ref->builtin, true, diags);
    }
    if (!leaf) return std::nullopt;
    chain.push_back(std::move(*leaf));
    std::vector<std::string> seen{chain.back().path};
    std::vector<std::string> names{chain.back().name};
    while (chain.back().j.contains("extends") && chain.back().j["extends"].is_string()) {
        const Doc& cur = chain.back();
        std::string parent = cur.j["extends"].get<std::string>();
        std::string path;
        bool builtin = false;
        if (parent == cur.name && !cur.builtin) {
            // A user profile that extends the built-in profile it overrides.
            path = joinPath(store.paths().builtinProfileDir, parent + ".json");
            builtin = true;
            if (!pathExists(path)) {
                diags.push_back({cur.display, "/extends", 0, 0,
                                 "a profile cannot extend itself (no built-in " + quote(parent) +
                                     " to extend)"});
                return std::nullopt;
            }
        } else {
            auto ref = store.find(parent);
            if (!ref) {
                diags.push_back({cur.display, "/extends", 0, 0, ref.error().message()});
                if (partial) *partial = chain;
                return std::nullopt;
            }
            path = ref->path;
            builtin = ref->builtin;
        }
        names.push_back(parent);
        if (std::find(seen.begin(), seen.end(), path) != seen.end()) {
            std::string cycle;
            for (const auto& n : names)
                cycle += (cycle.empty() ? "" : " -> ") + n;
            diags.push_back({chain.front().display, "/extends", 0, 0, "cycle: " + cycle});
            return std::nullopt;
        }
        seen.push_back(path);
        auto doc = readDoc(path, builtin, true, diags);
        if (!doc) return std::nullopt;
        chain.push_back(std::move(*doc));
    }
    return chain;
}

// Drop null members at every depth. merge_patch removes the nulls it applies, but not those
// inside list items (a list is copied whole), nor those of a file merged with nothing.
void stripNulls(json& j) {
    if (j.is_object()) {
        for (auto it = j.begin(); it != j.end();) {
            if (it->is_null()) {
                it = j.erase(it);
            } else {
                stripNulls(*it);
                ++it;
            }
        }
    } else if (j.is_array()) {
        for (auto& v : j)
            stripNulls(v);
    }
}

json mergeChain(const std::vector<Doc>& chain) {
    json merged = json::object();
    for (auto it = chain.rbegin(); it != chain.rend(); ++it)
        merged.merge_patch(it->j);
    stripNulls(merged);
    merged.erase("extends");
    merged.erase("$schema");
    merged["name"] = chain.front().name;
    if (chain.size() > 1) merged["extends"] = chain[1].name;
    return merged;
}

json withDefaults(const json& merged) {
    json full = schema::defaults();
    full.merge_patch(merged);
    return full;
}

std::vector<std::string> strings(const json& a) {
    std::vector<std::string> out;
    for (const auto& v : a)
        out.push_back(v.get<std::string>());
    return out;
}

std::optional<uint64_t> sizeOf(const json& o, const char* key) {
    if (!o.contains(key)) return std::nullopt;
    const json& v = o[key];
    if (v.is_string()) return parseSize(v.get<std::string>());
    return v.get<uint64_t>();
}

std::optional<int> intOf(const json& o, const char* key) {
    if (!o.contains(key)) return std::nullopt;
    return o[key].get<int>();
}

Profile buildTyped(const json& f) {
    Profile p;
    p.name = f["name"].get<std::string>();
    p.title = f.value("title", p.name);
    p.description = f.value("description", "");
    p.icon = f.value("icon", "");
    p.desktopEntry = f.value("desktop_entry", "");
    p.extends = f.value("extends", "");
    p.command = strings(f.value("command", json::array()));

    const json& fs = f["filesystem"];
    p.filesystem.driver = parseDriver(fs["driver"].get<std::string>()).value_or(Driver::Auto);
    p.filesystem.ephemeral = fs["ephemeral"];
    p.filesystem.layers = strings(fs["layers"]);
    p.filesystem.home = parseHomeMode(fs["home"].get<std::string>()).value_or(HomeMode::Private);
    for (const auto& b : fs["binds"]) {
        Bind bind;
        bind.host = b["host"];
        bind.sandbox = b.value("sandbox", bind.host);
        bind.rw = b.value("mode", bind.rw ? "rw" : "ro") == "rw";
        bind.create = b.value("create", bind.create);
        bind.optional = b.value("optional", bind.optional);
        p.filesystem.binds.push_back(bind);
    }
    p.filesystem.hide = strings(fs["hide"]);
    p.filesystem.recoverWatch = strings(fs["recover_watch"]);
    p.filesystem.recoverAuto = strings(fs["recover_auto"]);
    p.filesystem.devices = strings(fs["devices"]);
    if (fs.contains("private_etc") && fs["private_etc"].is_array())
        p.filesystem.privateEtc = strings(fs["private_etc"]);

    const json& net = f["network"];
    p.network.mode = parseNetMode(net["mode"].get<std::string>()).value_or(NetMode::None);
    p.network.hostLoopback = net["host_loopback"];
    for (const auto& pf : net["ports"]) {
        PortForward fw;
        fw.host = pf["host"];
        fw.sandbox = pf["sandbox"];
        fw.proto = pf.value("proto", fw.proto);
        fw.hostAddr = pf.value("host_addr", fw.hostAddr);
        p.network.ports.push_back(fw);
    }
    p.network.firewall = net["firewall"]["preset"];
    for (const auto& r : net["firewall"]["rules"]) {
        FirewallRule rule;
        rule.action = r["action"];
        rule.to = r.value("to", "");
        rule.proto = r.value("proto", rule.proto);
        if (r.contains("ports")) {
            if (r["ports"].is_number_integer()) {
                rule.portMin = rule.portMax = r["ports"].get<int>();
            } else {
                auto parts = split(r["ports"].get<std::string>(), '-');
                rule.portMin = std::stoi(parts[0]);
                rule.portMax = parts.size() > 1 ? std::stoi(parts[1]) : rule.portMin;
            }
        }
        p.network.rules.push_back(rule);
    }
    p.network.dns = strings(net["dns"]);
    // Compared with the names asked for, which are lower-cased (dns_filter.h).
    for (auto [to, key] : {std::pair{&p.network.allowDomains, "allow_domains"},
                           {&p.network.denyDomains, "deny_domains"}})
        for (std::string d : strings(net[key])) {
            std::transform(d.begin(), d.end(), d.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            if (d.size() > 1 && d.back() == '.') d.pop_back();
            to->push_back(d);
        }
    std::string defaultHost = p.name;
    std::replace(defaultHost.begin(), defaultHost.end(), '_', '-');
    p.network.hostname = net.value("hostname", defaultHost);
    p.network.mtu = net["mtu"];
    p.network.ipv6 = net["ipv6"];

    const json& res = f["resources"];
    p.resources.memoryMax = sizeOf(res, "memory_max");
    p.resources.memoryHigh = sizeOf(res, "memory_high");
    p.resources.memorySwapMax = sizeOf(res, "memory_swap_max");
    p.resources.cpuPercent = intOf(res, "cpu_percent");
    p.resources.cpuWeight = intOf(res, "cpu_weight");
    p.resources.tasksMax = intOf(res, "tasks_max");
    p.resources.ioWeight = intOf(res, "io_weight");
    p.resources.requireLimits = res["require_limits"];

    const json& sec = f["security"];
    p.security.seccomp = sec["seccomp"];
    p.security.denySyscalls = strings(sec["deny_syscalls"]);
    p.security.allowSyscalls = strings(sec["allow_syscalls"]);
    p.security.nestedSandboxes = sec["nested_sandboxes"];
    p.security.devel = sec["devel"];
    p.security.socketFamilies = strings(sec["socket_families"]);
    p.security.memoryDenyWriteExecute = sec["memory_deny_write_execute"];
    p.security.activityLog = sec["activity_log"];

    const json& d = f["desktop"];
    const json& x11 = d["x11"];
    if (x11.is_boolean())  // the older form: true was the host's display
        p.desktop.x11 = x11.get<bool>() ? X11Mode::Host : X11Mode::Off;
    else
        p.desktop.x11 = x11 == "isolated" ? X11Mode::Isolated
                        : x11 == "host"   ? X11Mode::Host
                                          : X11Mode::Off;
    p.desktop.wayland = d["wayland"];
    p.desktop.audio = d["audio"];
    p.desktop.clipboard = d["clipboard"];
    p.desktop.openUri = d["open_uri"];
    p.desktop.gpu = d["gpu"];
    p.desktop.theme = d["theme"];
    const json& bus = d["dbus"];
    p.desktop.dbus.session = bus["session"];
    p.desktop.dbus.system = bus["system"];
    p.desktop.dbus.talk = strings(bus["talk"]);
    p.desktop.dbus.own = strings(bus["own"]);
    p.desktop.dbus.see = strings(bus["see"]);
    p.desktop.dbus.call = strings(bus["call"]);
    p.desktop.dbus.systemTalk = strings(bus["system_talk"]);

    const json& env = f["environment"];
    p.environment.keep = strings(env["keep"]);
    for (auto it = env["set"].begin(); it != env["set"].end(); ++it)
        p.environment.set[it.key()] = it->get<std::string>();

    const json& life = f["lifetime"];
    p.lifetime.until = life["until"];
    p.lifetime.grace = life["grace"];
    p.lifetime.stopTimeout = life["stop_timeout"];
    return p;
}

}  // namespace

std::vector<Diagnostic> validateProfileText(std::string_view text, std::string_view displayName,
                                            std::string_view fileStem) {
    std::vector<Diagnostic> diags;
    std::string display(displayName);
    auto j = parseText(text, display, diags);
    if (!j) return diags;
    checkDocument(*j, display, fileStem, diags);
    if (diags.empty() && !j->contains("extends")) {
        stripNulls(*j);  // a null here removes nothing: the default applies
        checkMerged(withDefaults(*j), display, diags);
    }
    return diags;
}

Result<Profile> loadProfile(const ProfileStore& store, const std::string& nameOrPath,
                            std::vector<Diagnostic>* out) {
    std::vector<Diagnostic> diags;
    std::vector<Doc> partial;
    auto chain = loadChain(store, nameOrPath, diags, &partial);
    std::optional<json> full;
    if (chain) {
        full = withDefaults(mergeChain(*chain));
        checkMerged(*full, chain->front().display, diags);
    } else if (!partial.empty()) {
        // A missing parent stops the merge, not the checks: the files that were found are
        // checked with the defaults in the parent's place, so every problem shows at once;
        // each such finding says so, since the parent, once found, may change it.
        std::vector<Diagnostic> more;
        checkMerged(withDefaults(mergeChain(partial)), partial.front().display, more);
        for (auto& d : more) {
            d.message += " (checked without the missing parent)";
            diags.push_back(std::move(d));
        }
    }
    if (out) *out = diags;
    if (!diags.empty()) {
        std::string msg = diags.front().text();
        if (diags.size() > 1)
            msg += " (and " + std::to_string(diags.size() - 1) +
                   " more: run layerbox profile validate)";
        return Error(msg, EINVAL);
    }
    Profile p = buildTyped(*full);
    p.sourceFile = chain->front().path;
    p.builtin = chain->front().builtin;
    return p;
}

Result<std::string> mergedProfileJson(const ProfileStore& store, const std::string& nameOrPath,
                                      bool fillDefaults) {
    std::vector<Diagnostic> diags;
    auto chain = loadChain(store, nameOrPath, diags);
    if (!chain) return Error(diags.front().text(), EINVAL);
    json m = mergeChain(*chain);
    if (fillDefaults) m = withDefaults(m);
    return m.dump(2);
}

// Pretty-printed text with `first` keys leading, in that order, and the rest sorted: json keeps
// its keys sorted, which would put "version" and "name" at the end of every file we write.
static std::string textWithKeysFirst(const json& j, std::initializer_list<const char*> first) {
    // The usual case, scalar keys first: the same text as below, without a dump and parse of
    // every value (profile import-firejail --all writes 1,200 of them).
    bool scalars = j.is_object() && !j.empty();
    for (const char* k : first)
        if (scalars && j.contains(k) && j[k].is_structured()) scalars = false;
    if (scalars) {
        json rest = j;
        std::string head = "{\n";
        for (const char* k : first)
            if (j.contains(k)) {
                rest.erase(k);
                head += "  " + json(k).dump() + ": " + j[k].dump() + ",\n";
            }
        if (!rest.empty()) return head + rest.dump(2).substr(2) + "\n";
        head.resize(head.size() - 2);  // the last one takes no comma
        return head + "\n}\n";
    }
    using ordered = nlohmann::ordered_json;
    ordered out = ordered::object();
    for (const char* k : first)
        if (j.contains(k)) out[k] = ordered::parse(j[k].dump());
    for (auto it = j.begin(); it != j.end(); ++it)
        if (!out.contains(it.key())) out[it.key()] = ordered::parse(it->dump());
    return out.dump(2) + "\n";
}

std::string newProfileText(const std::string& name, const std::string& fromTemplate,
                           const std::string& title) {
    json j = json::object();
    j["version"] = kProfileVersion;
    j["name"] = name;
    if (!title.empty()) j["title"] = title;
    if (!fromTemplate.empty()) j["extends"] = fromTemplate;
    return textWithKeysFirst(j, {"version", "name", "extends", "title"});
}

Result<std::string> renamedProfileText(std::string_view text, const std::string& name) {
    std::vector<Diagnostic> diags;
    auto j = parseText(text, "profile", diags);
    if (!j) return Error(diags.front().text(), EINVAL);
    if (!j->is_object()) return Error("a profile must be a JSON object", EINVAL);
    (*j)["name"] = name;
    return textWithKeysFirst(*j, {"$schema", "version", "name", "extends"});
}

std::string extendsOfText(std::string_view text) {
    std::vector<Diagnostic> diags;
    auto j = parseText(text, "profile", diags);
    if (!j || !j->is_object() || !j->contains("extends") || !(*j)["extends"].is_string()) return {};
    return (*j)["extends"].get<std::string>();
}

std::string importName(std::string_view fileName, std::string_view text) {
    std::string stem = stemOf(std::string(fileName));
    if (isValidProfileName(stem)) return stem;
    std::vector<Diagnostic> diags;
    auto j = parseText(text, "profile", diags);
    if (j && j->is_object() && j->contains("name") && (*j)["name"].is_string() &&
        isValidProfileName((*j)["name"].get<std::string>()))
        return (*j)["name"].get<std::string>();
    return {};
}

std::vector<std::string> dependentProfiles(const ProfileStore& store, const std::string& name) {
    std::vector<std::string> out;
    // A built-in of the same name takes the place of the user's profile: nothing breaks.
    if (pathExists(joinPath(store.paths().builtinProfileDir, name + ".json"))) return out;
    for (const auto& ref : store.list()) {
        if (ref.name == name) continue;
        auto text = readFile(ref.path);
        if (text && extendsOfText(*text) == name) out.push_back(ref.name);
    }
    return out;  // list() is sorted by name
}

Result<std::string> profileTextWithLayers(std::string_view text,
                                          const std::vector<std::string>& layers) {
    // ordered_json keeps the file's key order: this edits a file people write by hand.
    using ordered = nlohmann::ordered_json;
    std::vector<Diagnostic> diags;
    if (!parseText(text, "profile", diags)) return Error(diags.front().text(), EINVAL);
    ordered j = ordered::parse(text.begin(), text.end());
    if (!j.is_object()) return Error("a profile must be a JSON object", EINVAL);
    if (!j.contains("filesystem") || !j["filesystem"].is_object())
        j["filesystem"] = ordered::object();
    j["filesystem"]["layers"] = layers;
    return j.dump(2) + "\n";
}

std::vector<std::string> layersOfText(std::string_view text) {
    std::vector<Diagnostic> diags;
    auto j = parseText(text, "profile", diags);
    std::vector<std::string> out;
    if (!j || !j->is_object() || !j->contains("filesystem")) return out;
    const json& fs = (*j)["filesystem"];
    if (!fs.is_object() || !fs.contains("layers") || !fs["layers"].is_array()) return out;
    for (const auto& l : fs["layers"])
        if (l.is_string()) out.push_back(l.get<std::string>());
    return out;
}

Result<std::string> exportProfileJson(const ProfileStore& store, const std::string& nameOrPath) {
    std::vector<Diagnostic> diags;
    auto chain = loadChain(store, nameOrPath, diags);
    if (!chain) return Error(diags.front().text(), EINVAL);
    json m = mergeChain(*chain);
    m.erase("extends");
    m["version"] = kProfileVersion;
    return textWithKeysFirst(m, {"version", "name"});  // "version" and "name" first for readers
}

static json minimalDiff(const json& parent, const json& child) {
    json out = json::object();
    for (auto it = child.begin(); it != child.end(); ++it) {
        if (!parent.contains(it.key())) {
            out[it.key()] = *it;
        } else if (it->is_object() && parent[it.key()].is_object()) {
            json sub = minimalDiff(parent[it.key()], *it);
            if (!sub.empty()) out[it.key()] = sub;
        } else if (*it != parent[it.key()]) {
            out[it.key()] = *it;
        }
    }
    // keys the parent has and the child dropped are removed with null (merge-patch)
    for (auto it = parent.begin(); it != parent.end(); ++it)
        if (!child.contains(it.key()) && !it->is_object()) out[it.key()] = nullptr;
    return out;
}

Result<std::string> overridesAgainst(const ProfileStore& store, const std::string& parentName,
                                     std::string_view effectiveJson) {
    std::vector<Diagnostic> diags;
    auto chain = loadChain(store, parentName, diags);
    if (!chain) return Error(diags.front().text(), EINVAL);
    json parent = withDefaults(mergeChain(*chain));
    auto child = parseText(effectiveJson, "profile", diags);
    if (!child) return Error(diags.front().text(), EINVAL);
    json full = withDefaults(*child);
    json diff = minimalDiff(parent, full);
    json out = json::object();
    out["version"] = kProfileVersion;
    out["name"] = full["name"];
    out["extends"] = parentName;
    for (auto it = diff.begin(); it != diff.end(); ++it)
        if (it.key() != "name" && it.key() != "extends" && it.key() != "version")
            out[it.key()] = *it;
    return textWithKeysFirst(out, {"version", "name", "extends"});
}

// JSON Schema generation --------------------------------------------------------------------

// The validator takes null for an optional member (it removes an inherited value); say so in
// the schema too, or editors flag "memory_max": null in a profile that validates.
static void allowNull(json& s) {
    if (s.contains("type") && s["type"].is_string()) s["type"] = json::array({s["type"], "null"});
    if (s.contains("enum")) s["enum"].push_back(nullptr);
    if (s.contains("oneOf")) s["oneOf"].push_back({{"type", "null"}});
}

static json schemaOf(const Field& f) {
    json s = json::object();
    if (!f.description.empty()) s["description"] = f.description;
    if (!f.defaultJson.empty()) s["default"] = json::parse(f.defaultJson);
    if (!f.exampleJson.empty()) s["examples"] = json::array({json::parse(f.exampleJson)});
    switch (f.kind) {
        case Kind::Object: {
            s["type"] = "object";
            s["additionalProperties"] = false;
            json props = json::object();
            json req = json::array();
            props["$comment"] = {{"type", "string"}};
            for (const auto& c : f.fields) {
                props[c.key] = schemaOf(c);
                if (!c.required) allowNull(props[c.key]);
                if (c.required) req.push_back(c.key);
            }
            s["properties"] = props;
            if (!req.empty()) s["required"] = req;
            break;
        }
        case Kind::List:
            s["type"] = "array";
            s["items"] = schemaOf(f.fields[0]);
            break;
        case Kind::Map:
            s["type"] = "object";
            s["propertyNames"] = {{"pattern", "^[A-Za-z_][A-Za-z0-9_]*$"}};
            s["additionalProperties"] = {{"type", json::array({"string", "null"})}};
            break;
        case Kind::Bool:
            s["type"] = "boolean";
            break;
        case Kind::Int:
            s["type"] = "integer";
            s["minimum"] = f.min;
            s["maximum"] = f.max;
            break;
        case Kind::Size:
            s["oneOf"] = json::array(
                {{{"type", "integer"}, {"minimum", 0}},
                 {{"type", "string"}, {"pattern", "^[0-9]+(\\.[0-9]+[KMGT]|[KMGT])?$"}}});
            break;
        case Kind::Enum:
            if (!f.boolTrue.empty()) {
                s["oneOf"] =
                    json::array({{{"type", "string"}, {"enum", f.choices}}, {{"type", "boolean"}}});
                break;
            }
            s["type"] = "string";
            s["enum"] = f.choices;
            break;
        case Kind::Name:
            s["type"] = "string";
            s["pattern"] = "^[a-z0-9][a-z0-9_-]{0,63}$";
            break;
        case Kind::FileName:
            s["type"] = "string";
            s["pattern"] = "^[^/]{1,255}$";
            s["not"] = {{"enum", json::array({".", ".."})}};
            break;
        case Kind::Path:
        case Kind::SandboxPath:
            s["type"] = "string";
            s["pattern"] = "^(/|~$|~/)";
            break;
        case Kind::DevicePath:
            s["type"] = "string";
            s["pattern"] = "^/dev/.+";
            break;
        case Kind::Hostname:
            s["type"] = "string";
            s["pattern"] = "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$";
            break;
        case Kind::PortSpec:
            s["oneOf"] =
                json::array({{{"type", "integer"}, {"minimum", 1}, {"maximum", 65535}},
                             {{"type", "string"}, {"pattern", "^[0-9]{1,5}(-[0-9]{1,5})?$"}}});
            break;
        case Kind::EnvName:
        case Kind::EnvPattern:
            s["type"] = "string";
            s["pattern"] = "^[A-Za-z_][A-Za-z0-9_]*\\*?$";
            break;
        case Kind::DomainPattern:
            s["type"] = "string";
            s["pattern"] = "^(\\*|(\\*\\.)?[A-Za-z0-9_-]{1,63}(\\.[A-Za-z0-9_-]{1,63})*\\.?)$";
            break;
        case Kind::IpAddr:
        case Kind::Cidr:
        case Kind::Syscall:
        case Kind::String:
            s["type"] = "string";
            break;
    }
    return s;
}

std::string profileSchemaJson() {
    json s = schemaOf(schema::root());
    json out = json::object();
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema";
    out["$id"] = "https://layerbox.invalid/schema/profile-v1.json";
    out["title"] = "Layerbox profile";
    for (auto it = s.begin(); it != s.end(); ++it)
        out[it.key()] = *it;
    out["properties"]["$schema"] = {{"type", "string"}};
    return out.dump(2) + "\n";
}

static void tableOf(const Field& f, const std::string& ptr, std::vector<std::string>& out) {
    for (const auto& c : f.fields) {
        std::string p = ptr + "/" + (c.key == "*" ? std::string("N") : c.key);
        std::string kind = schema::kindName(c.kind);
        if (c.kind == Kind::Enum) {
            kind.clear();
            for (const auto& ch : c.choices)
                kind += (kind.empty() ? "" : "|") + ch;
            if (!c.boolTrue.empty()) kind += "|true|false";
        }
        if (c.kind == Kind::Int) kind += " " + std::to_string(c.min) + ".." + std::to_string(c.max);
        if (c.kind == Kind::List) {
            kind = "list of " + schema::kindName(c.fields[0].kind);
            if (c.fields[0].kind == Kind::Enum)
                kind = "list of " + joinStrings(c.fields[0].choices);
        }
        out.push_back(p + "\t" + kind + "\t" + c.defaultJson + "\t" + c.description +
                      (c.required ? " Required." : ""));
        if (c.kind == Kind::Object) tableOf(c, p, out);
        if (c.kind == Kind::List && c.fields[0].kind == Kind::Object)
            tableOf(c.fields[0], p + "/N", out);
    }
}

std::vector<std::string> profileFieldTable() {
    std::vector<std::string> out;
    tableOf(schema::root(), "", out);
    return out;
}

}  // namespace lb
