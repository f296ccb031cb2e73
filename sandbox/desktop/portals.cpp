#include "desktop/portals.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "base/fsutil.h"
#include "profile/profile.h"

namespace lb {

namespace {

constexpr const char* kPortalPrefix = "org.freedesktop.portal.";

// The desktop portal's interfaces a program may call when OpenURI is kept from it
// (xdg-desktop-portal 1.16 and later). Email is left out with OpenURI: it too starts a host
// program (the mail client, with the real home).
const char* const kPortalInterfaces[] = {
    "Account",         "Background",      "Camera",       "Clipboard",
    "Device",          "DynamicLauncher", "FileChooser",  "GameMode",
    "GlobalShortcuts", "Inhibit",         "InputCapture", "Location",
    "MemoryMonitor",   "NetworkMonitor",  "Notification", "PowerProfileMonitor",
    "Print",           "ProxyResolver",   "Realtime",     "RemoteDesktop",
    "Request",         "ScreenCast",      "Screenshot",   "Secret",
    "Session",         "Settings",        "Trash",        "Wallpaper"};

// The portal's other well-known names under org.freedesktop.portal.* that programs talk to.
const char* const kOtherPortalNames[] = {"org.freedesktop.portal.Documents",
                                         "org.freedesktop.portal.IBus",
                                         "org.freedesktop.portal.Fcitx"};

}  // namespace

std::string portalAppId(const std::string& profile) {
    // The last element of an app id: [A-Za-z0-9_-] (xdp_is_valid_app_id).
    std::string id;
    for (char c : profile)
        id += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') ? c : '_';
    if (id.empty()) id = "_";
    return "io.github.layerbox." + id;
}

std::string flatpakInfo(const std::string& appId, const std::string& instance, bool network) {
    // The keys xdg-desktop-portal reads: [Application] name (the app id), [Instance]
    // instance-id, [Context] shared (whether it has the network, for the portals that ask).
    std::string s = "[Application]\nname=" + appId + "\n\n[Instance]\ninstance-id=" + instance +
                    "\nsandbox=layerbox\n\n[Context]\n";
    s += network ? "shared=network;\n" : "shared=\n";
    return s;
}

std::vector<std::string> portalTalkArgs(const std::vector<std::string>& talk, bool allowOpenUri) {
    std::vector<std::string> out;
    bool restricted = false;
    for (const auto& t : talk) {
        if (allowOpenUri || !dbusNameCovers(t, kPortalDesktop)) {
            out.push_back("--talk=" + t);
            continue;
        }
        // Visible, but a call passes only where a rule below matches: xdg-dbus-proxy's
        // policies only add up, so `talk` cannot be narrowed afterwards.
        out.push_back("--see=" + t);
        if (t == std::string(kPortalPrefix) + "*")
            for (const char* n : kOtherPortalNames)
                out.push_back(std::string("--talk=") + n);
        restricted = true;
    }
    if (restricted) {
        std::string d = kPortalDesktop;
        for (const char* i : kPortalInterfaces)
            out.push_back("--call=" + d + "=" + kPortalPrefix + i + ".*");
        for (const char* i : {"org.freedesktop.DBus.Properties", "org.freedesktop.DBus.Peer",
                              "org.freedesktop.DBus.Introspectable"})
            out.push_back("--call=" + d + "=" + i + ".*");
        out.push_back("--broadcast=" + d + "=@/org/freedesktop/portal/*");
    }
    return out;
}

std::string enterPortalIdentity(const std::string& stagingDir, const std::string& info) {
    // Runs in the forked child only: it changes nothing of the runner's. The proxy keeps the
    // user's rights (its uid and gid map to themselves); what changes is its root, which only
    // the portal reads. The sandboxed program cannot reach this root: it is another process's
    // mount namespace, and /.flatpak-info is written here, by Layerbox, before the proxy runs.
    auto fail = [](const char* what) { return std::string(what) + ": " + std::strerror(errno); };
    uid_t uid = ::getuid();
    gid_t gid = ::getgid();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return fail("unshare");
    if (!writeSmallFile("/proc/self/setgroups", "deny"))
        return fail("writing /proc/self/setgroups");
    if (!writeSmallFile("/proc/self/gid_map",
                        std::to_string(gid) + " " + std::to_string(gid) + " 1\n"))
        return fail("writing gid_map");
    if (!writeSmallFile("/proc/self/uid_map",
                        std::to_string(uid) + " " + std::to_string(uid) + " 1\n"))
        return fail("writing uid_map");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return fail("making mounts private");
    if (::mount("tmpfs", stagingDir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0)
        return fail("mounting the proxy's root");
    DIR* root = ::opendir("/");
    if (!root) return fail("reading /");
    while (dirent* e = ::readdir(root)) {
        std::string n = e->d_name;
        if (n == "." || n == "..") continue;
        std::string from = "/" + n, to = stagingDir + "/" + n;
        struct stat st;
        if (::lstat(from.c_str(), &st) != 0) continue;
        if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t len = ::readlink(from.c_str(), target, sizeof target - 1);
            if (len > 0 && ::symlink(std::string(target, len).c_str(), to.c_str()) != 0)
                return fail("copying a symbolic link");
        } else if (S_ISDIR(st.st_mode)) {
            if (::mkdir(to.c_str(), 0755) != 0) return fail("mkdir in the proxy's root");
            // The same tree as before: the proxy's sockets and the bus are where they were.
            if (::mount(from.c_str(), to.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
                return fail(("binding " + from).c_str());
        }
    }
    ::closedir(root);
    std::string infoPath = stagingDir + "/.flatpak-info";
    int fd = ::open(infoPath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0) return fail("creating .flatpak-info");
    bool written = ::write(fd, info.data(), info.size()) == static_cast<ssize_t>(info.size());
    ::close(fd);
    if (!written) return fail("writing .flatpak-info");
    // Read-only from now on, also for the proxy.
    if (::mount(nullptr, stagingDir.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) !=
        0)
        return fail("making the proxy's root read-only");
    if (::chdir(stagingDir.c_str()) != 0 || ::chroot(".") != 0 || ::chdir("/") != 0)
        return fail("entering the proxy's root");
    return {};
}

std::string documentPortalMount(std::string& why) {
    // libsystemd is loaded only for profiles that use the portals (see resources/scope.cpp for
    // why it is not linked in).
    void* h = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        why = "libsystemd is not installed";
        return {};
    }
    auto openUser = reinterpret_cast<decltype(&sd_bus_open_user)>(::dlsym(h, "sd_bus_open_user"));
    auto callMethod =
        reinterpret_cast<decltype(&sd_bus_call_method)>(::dlsym(h, "sd_bus_call_method"));
    auto readArray = reinterpret_cast<decltype(&sd_bus_message_read_array)>(
        ::dlsym(h, "sd_bus_message_read_array"));
    auto unrefMsg =
        reinterpret_cast<decltype(&sd_bus_message_unref)>(::dlsym(h, "sd_bus_message_unref"));
    auto closeBus = reinterpret_cast<decltype(&sd_bus_flush_close_unref)>(
        ::dlsym(h, "sd_bus_flush_close_unref"));
    auto errorFree =
        reinterpret_cast<decltype(&sd_bus_error_free)>(::dlsym(h, "sd_bus_error_free"));
    if (!openUser || !callMethod || !readArray || !unrefMsg || !closeBus || !errorFree) {
        why = "libsystemd lacks sd-bus";
        return {};
    }
    sd_bus* bus = nullptr;
    if (int r = openUser(&bus); r < 0) {
        why = std::string("cannot connect to the session bus: ") + std::strerror(-r);
        return {};
    }
    sd_bus_error err = SD_BUS_ERROR_NULL;
    sd_bus_message* reply = nullptr;
    std::string out;
    int r = callMethod(bus, "org.freedesktop.portal.Documents", "/org/freedesktop/portal/documents",
                       "org.freedesktop.portal.Documents", "GetMountPoint", &err, &reply, "");
    if (r < 0) {
        why = std::string("the document portal did not answer: ") +
              (err.message ? err.message : std::strerror(-r));
    } else {
        const void* p = nullptr;
        size_t n = 0;
        if (readArray(reply, 'y', &p, &n) >= 0 && p) {
            out.assign(static_cast<const char*>(p), n);
            if (!out.empty() && out.back() == '\0') out.pop_back();
        }
        if (out.empty()) why = "the document portal gave no mount point";
    }
    errorFree(&err);
    if (reply) unrefMsg(reply);
    closeBus(bus);
    return out;
}

}  // namespace lb
