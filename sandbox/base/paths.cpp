#include "base/paths.h"

#include <pwd.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "base/fsutil.h"

#ifndef LAYERBOX_INSTALL_DATADIR
#define LAYERBOX_INSTALL_DATADIR "/usr/share"
#endif

namespace lb {

static std::string envOr(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    // The XDG spec says relative values are invalid and must be ignored.
    if (v && *v == '/') return v;
    return fallback;
}

std::string executableDir() {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return {};
    buf[n] = 0;
    return dirName(buf);
}

std::string expandHome(const std::string& path, const std::string& home) {
    if (path == "~") return home;
    if (startsWith(path, "~/")) return joinPath(home, path.substr(2));
    return path;
}

std::string Paths::userProfileDir() const {
    return joinPath(configHome, "layerbox/profiles");
}
std::string Paths::dataDir() const {
    return joinPath(dataHome, "layerbox");
}
std::string Paths::sandboxDir(const std::string& p) const {
    return joinPath(dataDir(), "sandboxes/" + p);
}
std::string Paths::layersDir() const {
    return joinPath(dataDir(), "layers");
}
std::string Paths::layerDir(const std::string& l) const {
    return joinPath(layersDir(), l);
}
std::string Paths::runtimeStateDir() const {
    return joinPath(runtimeDir, "layerbox");
}
std::string Paths::instancesDir() const {
    return joinPath(runtimeStateDir(), "instances");
}
std::string Paths::logDir() const {
    return joinPath(stateHome, "layerbox/logs");
}

Paths Paths::fromEnvironment() {
    Paths p;
    std::string home;
    if (const char* h = std::getenv("HOME"); h && *h == '/') {
        home = h;
    } else if (struct passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) {
        home = pw->pw_dir;
    } else {
        home = "/";
    }
    p.home = normalizePath(home);
    p.configHome = envOr("XDG_CONFIG_HOME", joinPath(p.home, ".config"));
    p.dataHome = envOr("XDG_DATA_HOME", joinPath(p.home, ".local/share"));
    p.cacheHome = envOr("XDG_CACHE_HOME", joinPath(p.home, ".cache"));
    p.stateHome = envOr("XDG_STATE_HOME", joinPath(p.home, ".local/state"));
    // Without a runtime dir (no logind session) keep runtime state under the cache directory:
    // never a predictable path in a shared /tmp (bubblewrap CVE-2019-12439).
    std::string fallbackRuntime = joinPath(p.cacheHome, "layerbox-runtime");
    std::string uidRun = "/run/user/" + std::to_string(::getuid());
    if (::access(uidRun.c_str(), W_OK) == 0) fallbackRuntime = uidRun;
    p.runtimeDir = envOr("XDG_RUNTIME_DIR", fallbackRuntime);

    if (const char* b = std::getenv("LAYERBOX_BUILTIN_DIR"); b && *b == '/') {
        p.builtinProfileDir = b;
    } else {
        // bin/layerbox -> share/layerbox/profiles, in the build tree and when installed
        std::string rel = joinPath(dirName(executableDir()), "share/layerbox/profiles");
        p.builtinProfileDir =
            isDirectory(rel) ? rel : std::string(LAYERBOX_INSTALL_DATADIR) + "/layerbox/profiles";
    }
    return p;
}

}  // namespace lb
