// Firejail directives -> Layerbox profile + report (firejail_convert.h). The mapping table is
// this file; docs/firejail-import.md explains it to users.
#include "profile/firejail/firejail_convert.h"

#include <fnmatch.h>
#include <glob.h>
#include <seccomp.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include "base/fsutil.h"
#include "base/jsonw.h"
#include "profile/profile.h"

namespace lb::firejail {

const char* outcomeName(Outcome o) {
    switch (o) {
        case Outcome::Mapped:
            return "mapped";
        case Outcome::Stricter:
            return "stricter";
        case Outcome::NotMapped:
            return "not-mapped";
        case Outcome::Skipped:
            return "skipped";
    }
    return "?";
}

namespace {

struct OutBind {
    std::string host, sandbox;
    bool rw = true, create = false, optional = true;
};

bool hasGlob(const std::string& s) {
    return s.find_first_of("*?[") != std::string::npos;
}

bool under(std::string_view p, std::string_view dir) {
    if (dir == "/") return !p.empty() && p[0] == '/';
    return startsWith(p, dir) && (p.size() == dir.size() || p[dir.size()] == '/');
}

// A noblacklist pattern, with what a cheap test needs: its part before any wildcard.
struct Pattern {
    std::string text, literal;
    bool glob = false;
    explicit Pattern(std::string t) : text(std::move(t)) {
        size_t g = text.find_first_of("*?[");
        glob = g != std::string::npos;
        literal = text.substr(0, g);
    }
    // fnmatch(FNM_PATHNAME), without its cost where the literal part already differs.
    bool matches(const std::string& path) const {
        if (!glob) return text == path;
        return startsWith(path, literal) &&
               ::fnmatch(text.c_str(), path.c_str(), FNM_PATHNAME) == 0;
    }
};

std::string firstWord(const std::string& s) {
    return s.substr(0, s.find(' '));
}

std::string argOf(const std::string& s) {
    size_t sp = s.find(' ');
    return sp == std::string::npos ? std::string() : s.substr(sp + 1);
}

// Paths a pattern names on this machine now; a literal path is kept even when missing (hiding
// a missing path costs nothing and covers a program installed later).
const std::vector<std::string>& globPaths(const std::string& pattern) {
    // The shared .inc files name the same patterns in every profile: an import of many profiles
    // in one process globs (and normalises) each once (the files do not change meanwhile; one
    // thread).
    static std::unordered_map<std::string, std::vector<std::string>> cache;
    if (auto it = cache.find(pattern); it != cache.end()) return it->second;
    std::vector<std::string>& out = cache[pattern];
    if (!hasGlob(pattern)) {
        out.push_back(normalizePath(pattern));
        return out;
    }
    glob_t g{};
    if (::glob(pattern.c_str(), GLOB_NOSORT | GLOB_PERIOD, nullptr, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; ++i) {
            std::string p = g.gl_pathv[i], b = baseName(p);
            if (b == "." || b == "..") continue;  // /home/me/.* must not name /home
            out.push_back(normalizePath(p));
        }
    ::globfree(&g);
    std::sort(out.begin(), out.end());
    return out;
}

struct Converter {
    const ReadResult& read;
    const Environment& env;
    const ConvertOptions& opt;

    std::vector<ReportItem> items;
    // Parallel to items: the reading position of its line (canonical: the first line of the same
    // file, text and number), for merging the report back into reading order.
    std::vector<int> itemOrder;
    std::vector<int> canonical;        // per line of read.lines
    std::vector<Pattern> noblacklist;  // in the order read
    std::set<std::string> nowhitelist;
    std::set<std::string> mkdirs, mkfiles;
    std::vector<OutBind> binds;
    std::vector<OutBind> roBinds;  // read-only over part of a rw bind
    std::vector<std::string> hide;
    std::set<std::string> hideSet;
    bool netNone = false, netSeen = false, netfilter = false;
    bool x11Seen = false, x11Off = false, x11Isolated = false, x11Socket = true, wayland = true;
    bool noSound = false, no3d = false, privateHome = false, devel = false, strict = false;
    bool protocolSeen = false, mdwe = false, privateEtcSeen = false;
    bool browserSandbox = false, restrictNamespaces = false;
    std::vector<std::string> privateEtc;  // Firejail's joined private-etc list
    std::set<std::string> protocols;      // Firejail's combined protocol list
    std::string dbusUser, dbusSystem;     // "", none, filter
    std::vector<std::string> talk, own, see, systemTalk;
    std::vector<std::string> deny, allow;
    std::map<std::string, std::string> envSet;
    std::string hostname;
    std::vector<std::string> dns;

    void add(const Line& l, Outcome o, std::string why) {
        items.push_back({firstWord(l.text), l.text, l.file, l.line, o, std::move(why)});
        const Line* base = read.lines.data();
        std::less<const Line*> before;
        const bool ours = !before(&l, base) && before(&l, base + read.lines.size());
        itemOrder.push_back(ours ? canonical[static_cast<size_t>(&l - base)] : 0);
    }
    void addDefault(const std::string& what, Outcome o, std::string why) {
        items.push_back({"(default) " + what, "", "", 0, o, std::move(why)});
        itemOrder.push_back(0);
    }

    std::string inside(const std::string& p) const {
        // The sandbox spelling: ~/x for the home (the sandbox's home has your home's path).
        if (p == env.home) return "~";
        if (under(p, env.home)) return "~" + p.substr(env.home.size());
        return p;
    }
    bool inHome(const std::string& p) const { return under(p, env.home); }
    const OutBind* boundAt(const std::string& p) const {
        for (const auto& b : binds)
            if (under(p, b.host)) return &b;
        return nullptr;
    }

    void hidePath(const std::string& p) {
        if (hideSet.insert(p).second) hide.push_back(p);
    }

    // The ${PATH} macro names each program folder; other macros one path.
    std::vector<std::string> expand(const std::string& arg) const {
        if (startsWith(arg, "${PATH}")) {
            std::vector<std::string> out;
            for (const auto& d : env.pathDirs)
                out.push_back(d + arg.substr(7));
            return out;
        }
        return {expandMacros(env, arg)};
    }

    // Pass 1: whitelists (fs_whitelist runs on its own list, before the blacklists are laid
    // over it), and the mkdir/mkfile that make their folders.
    void whitelists() {
        for (const auto& l : read.lines) {
            const std::string w = firstWord(l.text), arg = argOf(l.text);
            if (w == "mkdir" || w == "mkfile")
                (w == "mkdir" ? mkdirs : mkfiles).insert(normalizePath(expandMacros(env, arg)));
        }
    }

    Outcome whitelist(const Line& l, std::string& why) {
        std::string p = expandMacros(env, argOf(l.text));
        if (startsWith(p, "${")) {
            why = "the folder " + firstWord(argOf(l.text)) +
                  " names does not exist here; skipped "
                  "as Firejail does";
            return Outcome::Stricter;
        }
        if (p.empty() || p[0] != '/') {
            why = "not an absolute path";
            return Outcome::NotMapped;
        }
        p = normalizePath(p);
        if (nowhitelist.count(p)) {
            why = "cancelled by an earlier nowhitelist";
            return Outcome::Mapped;
        }
        if (inHome(p)) {
            if (p == env.home) {
                why = "the whole home: Layerbox gives a private one instead";
                return Outcome::Stricter;
            }
            const auto paths = hasGlob(p) ? globPaths(p) : std::vector<std::string>{p};
            if (paths.empty()) {
                why = "matches nothing here now; left out (your private home has none of it)";
                return Outcome::Stricter;
            }
            for (const auto& q : paths) {
                if (nowhitelist.count(q)) continue;
                bool dup = false;
                for (const auto& b : binds)
                    dup |= b.host == q;
                if (dup) continue;
                OutBind b{q, q, true, mkdirs.count(q) > 0, !mkdirs.count(q)};
                binds.push_back(b);
            }
            why = "bind " + inside(p) + " (rw" +
                  (mkdirs.count(p) ? ", created" : ", when it exists") +
                  "); the rest of your home is private";
            return Outcome::Mapped;
        }
        if (under(p, "/tmp")) {
            why = "/tmp is the sandbox's own; the display's socket comes through desktop.x11";
            return Outcome::Stricter;
        }
        if (under(p, env.runUser) || under(p, "/run/user")) {
            why = "the sandbox's runtime folder holds only the sockets desktop.* passes";
            return Outcome::Stricter;
        }
        if (under(p, "/run") || under(p, "/var/tmp")) {
            why = std::string(under(p, "/run") ? "/run" : "/var/tmp") +
                  " is an empty tmpfs of the sandbox's own (Layerbox writes its resolv.conf)";
            return Outcome::Stricter;
        }
        if (under(p, "/dev")) {
            why = "/dev holds only the harmless devices and the profile's devices";
            return Outcome::Stricter;
        }
        why = "Layerbox shows " + dirName(p) +
              " read-only as the host has it; it cannot narrow it to listed entries (weaker: the "
              "rest stays readable, never writable)";
        return Outcome::NotMapped;
    }

    void blacklist(const Line& l) {
        int hidden = 0, cancelled = 0, home = 0, notMapped = 0, dev = 0;
        std::string notWhy;
        for (const auto& pattern : expand(argOf(l.text))) {
            for (const auto& p : globPaths(pattern)) {
                // A home path outside the binds is not in the sandbox whether a noblacklist
                // spares it or not: no need to match (most blacklists are such paths).
                if (inHome(p) && !boundAt(p)) {
                    ++home;
                    continue;
                }
                bool keep = false;
                for (const auto& nb : noblacklist)
                    if (nb.matches(p)) {
                        keep = true;
                        break;
                    }
                if (keep) {
                    ++cancelled;
                    continue;
                }
                if (p.empty() || p[0] != '/' || p == "/") {
                    ++notMapped;
                    notWhy = quote(p) + " is not a path Layerbox can hide";
                } else if (inHome(p) && !boundAt(p)) {
                    ++home;
                } else if (under(p, "/proc") || under(p, "/sys")) {
                    ++notMapped;
                    notWhy =
                        "Layerbox mounts /proc and /sys itself and hides only its own list "
                        "there (weaker: " +
                        p + " stays readable)";
                } else if (under(p, "/dev")) {
                    ++dev;
                } else {
                    if (p == "/tmp/.X11-unix") x11Socket = false;
                    if (startsWith(p, env.runUser + "/wayland-") ||
                        (hasGlob(argOf(l.text)) &&
                         argOf(l.text).find("wayland-") != std::string::npos))
                        wayland = false;
                    hidePath(inside(p));
                    ++hidden;
                }
            }
            if (startsWith(pattern, env.runUser + "/wayland-")) wayland = false;
        }
        std::vector<std::string> parts;
        if (hidden)
            parts.push_back("hidden (" + std::to_string(hidden) + " path" +
                            (hidden > 1 ? "s" : "") + ")");
        if (cancelled)
            parts.push_back(std::to_string(cancelled) + " kept by an earlier noblacklist");
        if (home) parts.push_back("not in the private home");
        if (dev) parts.push_back("not in the sandbox's /dev");
        if (notMapped) parts.push_back(notWhy);
        if (parts.empty()) parts.push_back("matches nothing here now");
        Outcome o = notMapped                                ? Outcome::NotMapped
                    : hidden || cancelled || (!home && !dev) ? Outcome::Mapped
                                                             : Outcome::Stricter;
        add(l, o, joinStrings(parts, "; "));
    }

    void seccompList(const Line& l, bool dropOnly) {
        std::vector<std::string> bad;
        for (auto name : split(argOf(l.text), ',')) {
            name = trim(name);
            if (name.empty()) continue;
            bool keep = name[0] == '!';
            if (keep) name = name.substr(1);
            if (name.empty() || name[0] == '@' ||
                seccomp_syscall_resolve_name(name.c_str()) == __NR_SCMP_ERROR) {
                bad.push_back(name);
                continue;
            }
            auto& list = keep ? allow : deny;
            if (std::find(list.begin(), list.end(), name) == list.end()) list.push_back(name);
        }
        std::string why = dropOnly ? "security.deny_syscalls on top of Layerbox's default filter"
                                   : "Layerbox's default filter";
        if (!allow.empty() || !deny.empty())
            why += (dropOnly ? "" : ", with deny_syscalls/allow_syscalls for the names listed");
        if (!bad.empty()) why += "; not known here: " + joinStrings(bad, ",") + " (left out)";
        add(l, dropOnly ? Outcome::Stricter : Outcome::Mapped, why);
    }

    void dbusName(const Line& l, std::vector<std::string>& list, const char* field) {
        std::string n = argOf(l.text);
        if (n.empty()) return add(l, Outcome::NotMapped, "no name given");
        if (std::find(list.begin(), list.end(), n) == list.end()) list.push_back(n);
        add(l, Outcome::Mapped, std::string("desktop.dbus.") + field + " " + n);
    }

    void directive(const Line& l) {
        const std::string w = firstWord(l.text), arg = argOf(l.text);
        std::string why;
        if (w == "whitelist") {
            Outcome o = whitelist(l, why);
            return add(l, o, why);
        }
        if (w == "nowhitelist") {
            nowhitelist.insert(normalizePath(expandMacros(env, arg)));
            return add(l, Outcome::Mapped, "keeps later whitelists of this path out");
        }
        if (w == "noblacklist") {
            for (auto& p : expand(arg))
                noblacklist.emplace_back(std::move(p));
            std::string p = expandMacros(env, arg);
            if (inHome(p) && !boundAt(p))
                return add(l, Outcome::Stricter,
                           "later blacklists keep it, but it is your private home's copy, not "
                           "yours");
            return add(l, Outcome::Mapped, "later blacklists of it do not hide it");
        }
        if (w == "blacklist" || w == "blacklist-nolog") return blacklist(l);
        if (w == "mkdir" || w == "mkfile") {
            std::string p = normalizePath(expandMacros(env, arg));
            if (boundAt(p))
                return add(l, w == "mkdir" ? Outcome::Mapped : Outcome::Stricter,
                           w == "mkdir" ? "the bind creates it"
                                        : "a missing file is not created; its bind is skipped");
            return add(l, Outcome::Mapped, "not needed: the sandbox's own folders are writable");
        }
        if (w == "read-only") {
            bool any = false;
            for (const auto& p0 : expand(arg))
                for (const auto& p : globPaths(p0)) {
                    bool exact = false;
                    for (auto& b : binds)
                        if (b.host == p) {
                            b.rw = false;  // the bind itself becomes read-only
                            exact = true;
                        }
                    const OutBind* b = boundAt(p);
                    bool dup = false;
                    for (const auto& r : roBinds)
                        dup |= r.host == p;
                    if (!exact && !dup && b && b->rw) roBinds.push_back({p, p, false, false, true});
                    any |= b != nullptr;
                }
            return add(l, any ? Outcome::Mapped : Outcome::Stricter,
                       "your files outside the profile's rw binds are never writable; a rw "
                       "bind holding it gets a read-only bind over it");
        }
        if (w == "read-write" || w == "writable-etc" || w == "writable-var" ||
            w == "writable-var-log" || w == "writable-run-user")
            return add(l, Outcome::Stricter,
                       "the host stays read-only: writes go to the sandbox's own layer");
        if (w == "noexec")
            return add(l, Outcome::NotMapped,
                       "Layerbox has no per-path noexec (weaker: programs there can run)");
        if (w == "tmpfs") {
            std::string p = normalizePath(expandMacros(env, arg));
            if (inHome(p) && !boundAt(p))
                return add(l, Outcome::Stricter, "your home is private already");
            if (under(p, "/proc") || under(p, "/sys") || under(p, "/dev") || p == "/")
                return add(l, Outcome::NotMapped, "Layerbox manages " + p + " itself");
            hidePath(inside(p));
            return add(l, Outcome::Stricter, "hidden (an empty read-only folder, not a tmpfs)");
        }
        if (w == "disable-mnt") {
            for (const char* p : {"/mnt", "/media", "/run/mount", "/run/media"})
                hidePath(p);
            return add(l, Outcome::Mapped, "hidden: /mnt, /media, /run/mount, /run/media");
        }
        if (w == "private") {
            if (!arg.empty())
                return add(l, Outcome::Stricter,
                           "filesystem.home tmpfs: an empty home, not " + arg);
            privateHome = true;
            return add(l, Outcome::Mapped, "filesystem.home tmpfs");
        }
        if (w == "private-dev" || w == "private-tmp" || w == "private-cache")
            return add(l, Outcome::Mapped,
                       w == "private-dev"   ? "the sandbox's /dev is minimal"
                       : w == "private-tmp" ? "the sandbox's /tmp is its own"
                                            : "the private home has its own ~/.cache");
        if (w == "private-etc") {
            // Firejail joins every private-etc line into one list.
            privateEtcSeen = true;
            std::vector<std::string> skipped;
            for (auto f : split(arg, ',')) {
                f = trim(f);
                if (f.empty()) continue;
                if (f.find('/') != std::string::npos || f == "." || f == "..")
                    skipped.push_back(f);
                else if (std::find(privateEtc.begin(), privateEtc.end(), f) == privateEtc.end())
                    privateEtc.push_back(f);
            }
            if (!skipped.empty())
                return add(l, Outcome::Stricter,
                           "filesystem.private_etc (left out, not a name in /etc: " +
                               joinStrings(skipped) + ")");
            return add(l, Outcome::Mapped, "filesystem.private_etc");
        }
        if (w == "private-bin" || w == "private-lib" || w == "private-opt" || w == "private-srv")
            return add(l, Outcome::NotMapped,
                       "Layerbox shows /" + w.substr(8) +
                           " read-only as the host has it (weaker: the rest stays readable)");
        if (w == "caps.drop")
            return add(l, arg == "all" ? Outcome::Mapped : Outcome::Stricter,
                       "Layerbox drops every capability");
        if (w == "caps.keep" || w == "caps") {
            // sys_admin with sys_chroot is what a browser's own sandbox needs (Chromium's and
            // Electron's profiles keep them for chrome-sandbox's namespaces and chroot).
            // Layerbox keeps no capability but lets the program make user namespaces, which
            // need none and stay inside ours; without that Chromium refuses to start.
            auto caps = split(arg, ',');
            auto has = [&](const char* c) {
                return std::find(caps.begin(), caps.end(), std::string(c)) != caps.end();
            };
            if (w == "caps.keep" && has("sys_admin") && has("sys_chroot")) {
                browserSandbox = true;
                return add(l, Outcome::Stricter,
                           "Layerbox drops every capability; the program's own sandbox gets "
                           "user namespaces instead (security.nested_sandboxes true, unless "
                           "restrict-namespaces)");
            }
            return add(l, Outcome::Stricter, "Layerbox drops every capability");
        }
        if (w == "nonewprivs") return add(l, Outcome::Mapped, "always set (no_new_privs)");
        if (w == "noroot")
            return add(l, Outcome::Mapped, "the user namespace maps only your own user");
        if (w == "nogroups")
            return add(l, Outcome::NotMapped,
                       "your supplementary groups stay (an unprivileged user namespace cannot "
                       "drop them)");
        if (w == "seccomp") {
            if (arg.empty()) return add(l, Outcome::Mapped, "Layerbox's default filter");
            return seccompList(l, false);
        }
        if (w == "seccomp.drop") return seccompList(l, true);
        if (w == "seccomp.block-secondary") {
            strict = true;
            return add(l, Outcome::Stricter,
                       "security.seccomp strict (no 32-bit calls; also no io_uring, "
                       "userfaultfd, ptrace, personality)");
        }
        if (w == "seccomp.keep" || w == "seccomp.32" || w == "seccomp.32.drop" ||
            w == "seccomp.32.keep" || w == "seccomp-error-action")
            return add(l, Outcome::NotMapped, "Layerbox has no allow-list filter");
        if (w == "protocol") {
            // Firejail augments one list across lines (profile_list_augment): "x" and "+x"
            // add, "-x" removes, "=x" starts over with x.
            static const std::set<std::string> ours{"unix", "inet", "inet6", "netlink"};
            bool beyond = false;
            for (auto f : split(arg, ',')) {
                f = trim(f);
                if (f.empty()) continue;
                char op = f[0];
                std::string fam = (op == '-' || op == '+' || op == '=') ? f.substr(1) : f;
                if (op == '=') protocols.clear();
                if (op == '-')
                    protocols.erase(fam);
                else if (!fam.empty())
                    protocols.insert(fam);
                if (!fam.empty() && op != '-' && !ours.count(fam)) beyond = true;
            }
            protocolSeen = true;
            return add(l, beyond ? Outcome::Stricter : Outcome::Mapped,
                       beyond ? "security.socket_families (Layerbox never allows families "
                                "beyond unix, inet, inet6 and netlink)"
                              : "security.socket_families");
        }
        if (w == "memory-deny-write-execute") {
            mdwe = true;
            return add(l, Outcome::Mapped, "security.memory_deny_write_execute true");
        }
        if (w == "restrict-namespaces") restrictNamespaces = true;
        if (w == "restrict-namespaces" || w == "ipc-namespace")
            return add(l, Outcome::Mapped,
                       w == "ipc-namespace" ? "the sandbox has its own IPC namespace"
                                            : "no new namespaces (security.nested_sandboxes "
                                              "false)");
        if (w == "net") {
            netSeen = true;
            if (arg == "none") {
                netNone = true;
                return add(l, Outcome::Mapped, "network.mode none");
            }
            return add(l, Outcome::Stricter,
                       "network.mode nat, firewall internet-only (no bridge to " + arg + ")");
        }
        if (w == "netfilter" || w == "netfilter6")
            return add(l, Outcome::Mapped, "the nat network's internet-only firewall");
        if (w == "hostname") {
            hostname = arg;
            return add(l, Outcome::Mapped, "network.hostname " + arg);
        }
        if (w == "dns") {
            dns.push_back(arg);
            return add(l, Outcome::Mapped, "network.dns " + arg);
        }
        if (w == "dbus-user" || w == "dbus-system") {
            std::string& pol = w == "dbus-user" ? dbusUser : dbusSystem;
            if (arg == "none") {
                pol = "none";
                return add(l, Outcome::Mapped,
                           "no " + std::string(w == "dbus-user" ? "session" : "system") + " bus");
            }
            pol = "filter";
            return add(l, arg == "filter" ? Outcome::Mapped : Outcome::Stricter,
                       "filtered through xdg-dbus-proxy");
        }
        if (w == "dbus-user.talk") return dbusName(l, talk, "talk");
        if (w == "dbus-user.own") return dbusName(l, own, "own");
        if (w == "dbus-user.see") return dbusName(l, see, "see");
        if (w == "dbus-system.talk") return dbusName(l, systemTalk, "system_talk");
        if (startsWith(w, "dbus-"))
            return add(l, Outcome::Stricter, "not allowed: the filtered bus refuses it");
        if (w == "nosound") {
            noSound = true;
            return add(l, Outcome::Mapped, "desktop.audio none");
        }
        if (w == "no3d") {
            no3d = true;
            return add(l, Outcome::Mapped, "desktop.gpu false");
        }
        if (w == "novideo" || w == "noinput" || w == "nodvd" || w == "notv" || w == "nou2f" ||
            w == "noprinters")
            return add(l, Outcome::Mapped, "the sandbox's /dev has no such device");
        if (w == "machine-id")
            return add(l, Outcome::NotMapped, "the sandbox sees the host's /etc/machine-id");
        if (w == "x11") {
            x11Seen = true;
            if (arg == "none") {
                x11Off = true;
                return add(l, Outcome::Mapped, "desktop.x11 off");
            }
            x11Isolated = true;
            return add(l, arg == "xorg" ? Outcome::Stricter : Outcome::Mapped,
                       "desktop.x11 isolated (a nested X server)");
        }
        if (w == "env") {
            size_t eq = arg.find('=');
            std::string k = arg.substr(0, eq);
            static const std::string ok =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
            if (eq == std::string::npos || k.empty() ||
                k.find_first_not_of(ok) != std::string::npos || (k[0] >= '0' && k[0] <= '9'))
                return add(l, Outcome::NotMapped, "not NAME=VALUE");
            envSet[k] = arg.substr(eq + 1);
            return add(l, Outcome::Mapped, "environment.set " + k);
        }
        if (w == "rmenv")
            return add(l, Outcome::Mapped, "dropped: only environment.keep passes in");
        if (w == "name" || w == "join-or-start" || w == "join")
            return add(l, Outcome::Mapped,
                       "one sandbox per profile: a second start of it joins the running one");
        if (w == "allow-debuggers") {
            devel = true;
            return add(l, Outcome::Mapped, "security.devel true");
        }
        if (w == "allusers")
            return add(l, Outcome::Stricter, "the sandbox's home is its own; no other home");
        if (w == "apparmor" || w == "apparmor-replace")
            return add(l, Outcome::NotMapped, "Layerbox uses no AppArmor profile");
        if (w == "tracelog" || w == "deterministic-exit-code" || w == "deterministic-shutdown" ||
            w == "keep-fd" || w == "keep-var-tmp" || w == "keep-dev-shm" ||
            w == "keep-config-pulse" || w == "private-cwd" || w == "tab")
            return add(l, Outcome::NotMapped, "no Layerbox equivalent (no access it grants)");
        if (w == "bind") return add(l, Outcome::NotMapped, "only root may use it in Firejail");
        add(l, Outcome::NotMapped, "not known to this converter");
    }

    std::string json() {
        JsonWriter j;
        j.beginObject().field("version", 1).field("name", opt.name);
        j.field("title", opt.programName + " (Firejail profile)");
        j.field("description", "Imported from Firejail's " + baseName(read.profileFile) +
                                   " by layerbox profile import-firejail.");
        j.key("command").strings({opt.programName});
        if (!opt.desktopEntry.empty()) j.field("desktop_entry", opt.desktopEntry);
        j.key("filesystem").beginObject();
        j.field("home", privateHome ? "tmpfs" : "private");
        j.key("binds").beginArray();
        auto bind = [&](const OutBind& b) {
            j.beginObject().field("host", inside(b.host)).field("sandbox", inside(b.sandbox));
            j.field("mode", b.rw ? "rw" : "ro");
            if (b.create) j.field("create", true);
            if (b.optional) j.field("optional", true);
            j.endObject();
        };
        for (const auto& b : binds)
            bind(b);
        for (const auto& b : roBinds)
            bind(b);
        j.endArray();
        j.key("hide").strings(hide);
        if (privateEtcSeen) j.key("private_etc").strings(privateEtc);
        j.endObject();
        j.key("network").beginObject().field("mode", netNone ? "none" : "nat");
        if (!netNone) j.key("firewall").beginObject().field("preset", "internet-only").endObject();
        if (!hostname.empty()) j.field("hostname", hostname);
        if (!dns.empty() && !netNone) j.key("dns").strings(dns);
        j.endObject();
        j.key("security").beginObject().field("seccomp", strict ? "strict" : "default");
        if (!deny.empty()) j.key("deny_syscalls").strings(deny);
        if (!allow.empty()) j.key("allow_syscalls").strings(allow);
        if (devel) j.field("devel", true);
        if (protocolSeen) {
            std::vector<std::string> fams;
            for (const char* f : {"unix", "inet", "inet6", "netlink"})
                if (protocols.count(f)) fams.push_back(f);
            j.key("socket_families").strings(fams);
        }
        if (mdwe) j.field("memory_deny_write_execute", true);
        if (browserSandbox && !restrictNamespaces) j.field("nested_sandboxes", true);
        j.endObject();
        j.key("desktop").beginObject();
        bool x11 = !x11Off && x11Socket;
        j.field("x11", !x11 ? "off" : x11Isolated ? "isolated" : "host");
        j.field("wayland", wayland && !x11Off);
        j.field("audio", noSound ? "none" : "pulseaudio");
        j.field("gpu", !no3d);
        j.key("dbus").beginObject();
        j.field("session", dbusUser != "none");
        j.field("system", dbusSystem == "filter" && !systemTalk.empty());
        if (dbusUser != "none") {
            if (!talk.empty()) j.key("talk").strings(talk);
            if (!own.empty()) j.key("own").strings(own);
            if (!see.empty()) j.key("see").strings(see);
        }
        if (dbusSystem == "filter" && !systemTalk.empty()) j.key("system_talk").strings(systemTalk);
        j.endObject();
        j.endObject();
        if (!envSet.empty()) {
            j.key("environment").beginObject().key("set").beginObject();
            for (const auto& [k, v] : envSet)
                j.field(k, v);
            j.endObject().endObject();
        }
        j.endObject();
        return j.str();
    }

    void defaults() {
        if (!netSeen)
            addDefault("network", Outcome::Stricter,
                       "Firejail shares the host's network; Layerbox gives nat with the "
                       "internet-only firewall (no LAN, no host services)");
        if (!x11Seen)
            addDefault("x11", x11Socket ? Outcome::Mapped : Outcome::Mapped,
                       x11Socket ? "desktop.x11 host, as Firejail shows your X server"
                                 : "desktop.x11 off (the profile blacklists the X socket)");
        if (!noSound)
            addDefault("sound", Outcome::Mapped, "desktop.audio pulseaudio, as Firejail allows");
        if (!no3d) addDefault("gpu", Outcome::Mapped, "desktop.gpu true, as Firejail allows");
        if (dbusUser.empty())
            addDefault("dbus-user", Outcome::Stricter,
                       "Firejail passes the whole session bus; Layerbox a filtered one that "
                       "lets the program talk to no one");
        addDefault("home", Outcome::Stricter,
                   "Firejail shows your home less its blacklists; Layerbox gives a private "
                   "home with only the whitelisted paths bound in");
        addDefault("environment", Outcome::Stricter,
                   "only environment.keep and the desktop's variables pass in");
    }
};

}  // namespace

Result<Conversion> convert(const ReadResult& read, const Environment& env,
                           const ConvertOptions& options) {
    if (!isValidProfileName(options.name))
        return Error(
            quote(options.name) + " is not a valid profile name (use --as NAME: a-z, 0-9, - and _)",
            EDESTADDRREQ);  // the code the CLI's "name unusable" answers use
    Converter c{read, env, options};
    {
        std::unordered_map<std::string, int> first;
        first.reserve(read.lines.size());
        int n = 0;
        for (const auto& l : read.lines) {
            auto [it, added] =
                first.emplace(l.file + "\n" + l.text + "\n" + std::to_string(l.line), n);
            c.canonical.push_back(it->second);
            ++n;
        }
    }
    c.whitelists();
    // Whitelists first (their binds decide what a home blacklist can still hide), then the rest
    // in order; the report keeps the profile's order.
    std::vector<ReportItem> wl;
    std::vector<int> wlOrder;
    for (const auto& l : read.lines)
        if (firstWord(l.text) == "whitelist" || firstWord(l.text) == "nowhitelist") c.directive(l);
    wl.swap(c.items);
    wlOrder.swap(c.itemOrder);
    std::vector<ReportItem> rest;
    std::vector<int> restOrder;
    for (const auto& l : read.lines)
        if (firstWord(l.text) != "whitelist" && firstWord(l.text) != "nowhitelist") c.directive(l);
    rest.swap(c.items);
    restOrder.swap(c.itemOrder);
    c.defaults();
    std::vector<ReportItem> defaults;
    defaults.swap(c.items);
    Conversion out;
    // Merge back into reading order (each list is in order; whitelist lines carry their line).
    size_t a = 0, b = 0;
    while (a < wl.size() || b < rest.size())
        if (b == rest.size() || (a < wl.size() && wlOrder[a] < restOrder[b]))
            out.report.push_back(std::move(wl[a++]));
        else
            out.report.push_back(std::move(rest[b++]));
    for (const auto& l : read.skipped)
        out.report.push_back(
            {firstWord(l.text), l.text, l.file, l.line, Outcome::Skipped,
             l.text[0] == '?' ? "its condition does not hold" : "dropped by an ignore"});
    out.report.insert(out.report.end(), std::make_move_iterator(defaults.begin()),
                      std::make_move_iterator(defaults.end()));
    out.name = options.name;
    LB_ASSIGN(out.profileJson, renamedProfileText(c.json(), options.name));  // pretty-printed
    out.hidden = c.hide;
    for (const auto& bd : c.binds)
        out.binds.push_back(c.inside(bd.host) + " " + c.inside(bd.sandbox) +
                            (bd.rw ? " rw" : " ro"));
    for (const auto& bd : c.roBinds)
        out.binds.push_back(c.inside(bd.host) + " " + c.inside(bd.sandbox) + " ro");
    return out;
}

std::string reportText(const Conversion& c) {
    std::string out;
    std::map<Outcome, int> counts;
    for (const auto& it : c.report) {
        ++counts[it.outcome];
        std::string where =
            it.file.empty() ? "" : baseName(it.file) + ":" + std::to_string(it.line) + ": ";
        out += std::string(outcomeName(it.outcome)) + "  " + where +
               (it.text.empty() ? it.directive : it.text) + " -> " + it.why + "\n";
    }
    out += "summary: " + std::to_string(counts[Outcome::Mapped]) + " mapped, " +
           std::to_string(counts[Outcome::Stricter]) + " stricter, " +
           std::to_string(counts[Outcome::NotMapped]) + " not mapped, " +
           std::to_string(counts[Outcome::Skipped]) + " skipped\n";
    return out;
}

std::string reportJson(const Conversion& c, const std::string& path, bool saved) {
    JsonWriter j;
    j.beginObject().field("name", c.name).field("path", path).field("saved", saved);
    j.key("report").beginArray();
    for (const auto& it : c.report) {
        j.beginObject()
            .field("directive", it.directive)
            .field("text", it.text)
            .field("file", it.file)
            .field("line", it.line)
            .field("outcome", outcomeName(it.outcome))
            .field("why", it.why)
            .endObject();
    }
    j.endArray();
    // One line: a pretty-printed JSON text has newlines only between tokens.
    std::string profile = c.profileJson;
    profile.erase(std::remove(profile.begin(), profile.end(), '\n'), profile.end());
    j.key("profile").raw(profile);
    j.endObject();
    return j.str();
}

}  // namespace lb::firejail
