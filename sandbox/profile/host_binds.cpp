#include "profile/host_binds.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "base/fsutil.h"

namespace lb {

namespace {

// `inner` is `outer` or below it.
bool within(const std::string& inner, const std::string& outer) {
    return inner == outer || outer == "/" || startsWith(inner, outer + "/");
}

// The socket paths of a D-Bus address list ("unix:path=/run/user/1000/bus,guid=...;...").
std::vector<std::string> busSocketPaths(const char* address) {
    std::vector<std::string> out;
    if (!address) return out;
    for (const auto& entry : split(address, ';')) {
        if (!startsWith(entry, "unix:")) continue;
        for (const auto& kv : split(entry.substr(5), ','))
            if (startsWith(kv, "path=") && kv.size() > 6 && kv[5] == '/')
                out.push_back(kv.substr(5));
    }
    return out;
}

}  // namespace

std::string resolveHostPath(const std::string& path) {
    // Component by component, so that a dangling link (to a path that does not exist yet) is
    // followed too: `create` would make its target.
    std::vector<std::string> todo;
    for (const auto& p : split(normalizePath(path), '/'))
        if (!p.empty()) todo.push_back(p);
    std::reverse(todo.begin(), todo.end());
    std::string done = "/";
    int links = 0;
    while (!todo.empty()) {
        std::string part = todo.back();
        todo.pop_back();
        if (part == ".") continue;
        if (part == "..") {
            done = dirName(done);
            continue;
        }
        std::string next = joinPath(done, part);
        struct stat st;
        if (::lstat(next.c_str(), &st) != 0) {
            // Missing: the rest is appended as written.
            done = next;
            while (!todo.empty()) {
                done = joinPath(done, todo.back());
                todo.pop_back();
            }
            return normalizePath(done);
        }
        if (!S_ISLNK(st.st_mode)) {
            done = next;
            continue;
        }
        if (++links > 40) return normalizePath(next);  // a loop: the open will fail anyway
        char buf[4096];
        ssize_t n = ::readlink(next.c_str(), buf, sizeof buf - 1);
        if (n <= 0) return normalizePath(next);
        std::string target(buf, static_cast<size_t>(n));
        if (target[0] == '/') done = "/";
        auto parts = split(target, '/');
        for (auto it = parts.rbegin(); it != parts.rend(); ++it)
            if (!it->empty()) todo.push_back(*it);
    }
    return done;
}

HostBindPolicy HostBindPolicy::forUser(const Paths& paths) {
    HostBindPolicy p;
    const std::string runtimeWhy =
        "which holds the session bus and systemd's private socket: through them a program "
        "could start anything outside the sandbox";
    std::vector<std::string> runtimes{"/run/user/" + std::to_string(::getuid())};
    // The Layerbox fallback (no logind session) is one of Layerbox's folders, hidden below.
    if (!paths.runtimeDir.empty() && !startsWith(paths.runtimeDir, paths.cacheHome + "/"))
        runtimes.push_back(paths.runtimeDir);
    for (const auto& rt : runtimes) {
        std::string r = resolveHostPath(rt);
        // The tests' runtime directory is a folder inside the real one: name the real one.
        bool known = false;
        for (const auto& have : p.refused)
            known = known || within(r, have.path);
        if (!known) p.refused.push_back({r, "your runtime directory", runtimeWhy});
    }
    for (const auto& bus : busSocketPaths(std::getenv("DBUS_SESSION_BUS_ADDRESS")))
        p.refused.push_back({resolveHostPath(bus), "the session bus",
                             "through which a program could ask systemd to start anything "
                             "outside the sandbox"});
    p.refused.push_back({"/proc", "the host's /proc", "which shows the host's processes"});
    for (const std::string& base :
         {paths.configHome, paths.cacheHome, paths.stateHome, paths.dataHome, paths.runtimeDir}) {
        if (base.empty()) continue;
        p.layerboxDirs.push_back(resolveHostPath(joinPath(base, "layerbox")));
    }
    p.layerboxDirs.push_back(resolveHostPath(joinPath(paths.cacheHome, "layerbox-runtime")));
    std::vector<std::string> literal;
    for (const std::string& base :
         {paths.configHome, paths.cacheHome, paths.stateHome, paths.dataHome, paths.runtimeDir})
        if (!base.empty()) literal.push_back(joinPath(base, "layerbox"));
    literal.push_back(joinPath(paths.cacheHome, "layerbox-runtime"));
    for (const auto& l : literal) {
        std::string prefix;
        for (const auto& part : split(normalizePath(l), '/')) {
            if (part.empty()) continue;
            prefix += "/" + part;
            struct stat st;
            if (::lstat(prefix.c_str(), &st) != 0) break;
            if (!S_ISLNK(st.st_mode)) continue;
            std::string at = joinPath(resolveHostPath(dirName(prefix)), baseName(prefix));
            if (std::find(p.layerboxLinks.begin(), p.layerboxLinks.end(), at) ==
                p.layerboxLinks.end())
                p.layerboxLinks.push_back(at);
        }
    }
    return p;
}

std::string HostBindPolicy::writableRefusal(const std::string& source) const {
    for (const auto& l : layerboxLinks)
        if (l != source && within(l, source))
            return quote(source) + " holds the link " + quote(l) +
                   " on the way to Layerbox's own folders: read-write, a program could replace "
                   "it with a folder of its own and change the profiles or sandboxes of later "
                   "launches (bind it read-only, or a folder beside the link)";
    return {};
}

std::string HostBindPolicy::refusal(const std::string& source) const {
    // Security: a bind is recursive, so a folder above a reserved path shows it too ("/run"
    // holds /run/user/UID/bus); only paths beside them are allowed.
    for (const auto& r : refused) {
        if (within(source, r.path))
            return quote(source) + " is " + (source == r.path ? "" : "inside ") + r.what + " " +
                   quote(r.path) + ", " + r.why;
        if (within(r.path, source))
            return quote(source) + " holds " + r.what + " " + quote(r.path) + ", " + r.why;
    }
    for (const auto& d : layerboxDirs)
        if (within(source, d))
            return quote(source) + " is " + (source == d ? "" : "inside ") +
                   "Layerbox's own folder " + quote(d) +
                   ": a program could change the profiles, caches or sandboxes of later "
                   "launches";
    return {};
}

std::vector<std::string> HostBindPolicy::hiddenBelow(const std::string& source,
                                                     const std::string& target) const {
    std::vector<std::string> out;
    for (const auto& d : layerboxDirs)
        if (d != source && within(d, source))
            out.push_back(
                normalizePath(joinPath(target, d.substr(source == "/" ? 1 : source.size() + 1))));
    return out;
}

std::string checkBindSource(const std::string& host, const Paths& paths) {
    return checkBindSource(host, paths, HostBindPolicy::forUser(paths));
}

std::string checkBindSource(const std::string& host, const Paths& paths,
                            const HostBindPolicy& policy, bool writable) {
    std::string abs = normalizePath(expandHome(host, paths.home));
    if (abs.empty() || abs[0] != '/') return {};  // the schema reports it
    const std::string real = resolveHostPath(abs);
    if (auto why = policy.refusal(real); !why.empty() || !writable) return why;
    return policy.writableRefusal(real);
}

}  // namespace lb
