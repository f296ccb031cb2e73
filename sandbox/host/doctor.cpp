#include "host/doctor.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/fsutil.h"
#include "base/helper_process.h"
#include "base/paths.h"
#include "isolation/userns.h"
#include "layers/storage.h"
#include "network/network.h"
#include "network/slirp.h"
#include "profile/profile.h"
#include "resources/cgroup.h"
#include "resources/scope.h"

namespace lb {

namespace {

std::string firstLine(const std::string& s) {
    return trim(s.substr(0, s.find('\n')));
}

std::string sysctl(const char* path) {
    auto v = readFile(path);
    return v ? trim(*v) : std::string();
}

// Run `fn` in a child: 0 on success, else the errno it reports through its exit status.
template <class F>
int inChild(F fn) {
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(fn());
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

Check userns() {
    int err = inChild([] { return ::unshare(CLONE_NEWUSER) == 0 ? 0 : errno; });
    if (err == 0) return {"userns", "ok", "unprivileged user namespaces work", ""};
    Check c{"userns", "failure",
            std::string("cannot create a user namespace: ") + strerrordesc_np(err), ""};
    if (sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1")
        c.fix =
            "AppArmor restricts user namespaces (Ubuntu 23.10+): load the profile the package "
            "installs, sudo apparmor_parser -r /etc/apparmor.d/usr.bin.layerbox (built from "
            "source: copy packaging/apparmor/usr.bin.layerbox there first)";
    else if (sysctl("/proc/sys/kernel/unprivileged_userns_clone") == "0")
        c.fix = "enable them: sudo sysctl kernel.unprivileged_userns_clone=1";
    else if (sysctl("/proc/sys/user/max_user_namespaces") == "0")
        c.fix = "allow some: sudo sysctl user.max_user_namespaces=15000";
    else
        c.fix = "check the kernel configuration (CONFIG_USER_NS) and any security module";
    return c;
}

Check overlay(const Paths& paths) {
    if (!makeDirs(paths.dataDir(), 0700))
        return {"overlay", "warning", "cannot create " + paths.dataDir(), ""};
    auto s = probeNativeOverlay(paths.dataDir());
    if (s)
        return {"overlay", "ok",
                "kernel overlayfs works in a user namespace here (driver auto = native)", ""};
    return {"overlay", "warning",
            s.error().message() + "; driver auto uses fuse-overlayfs (slower)",
            "use Linux 5.11 or later and keep the data directory on ext4, xfs or btrfs"};
}

Check fuse() {
    std::string version;
    for (const auto& line : split(captureOutput({"fuse-overlayfs", "--version"}), '\n'))
        if (startsWith(line, "fuse-overlayfs")) version = trim(line);
    bool dev = ::access("/dev/fuse", R_OK | W_OK) == 0;
    if (!version.empty() && dev) return {"fuse", "ok", version + ", /dev/fuse usable", ""};
    if (version.empty())
        return {"fuse", "warning",
                "fuse-overlayfs is not installed (needed where kernel overlayfs is not)",
                "sudo apt-get install fuse-overlayfs"};
    return {"fuse", "warning", "/dev/fuse is not usable by you",
            "sudo chmod 0666 /dev/fuse (desktops ship it so)"};
}

Check tun() {
    auto f = probeSlirp();
    bool dev = ::access("/dev/net/tun", R_OK | W_OK) == 0;
    if (f.path.empty())
        return {"slirp4netns", "warning",
                "slirp4netns is not installed: network mode nat is unavailable",
                "sudo apt-get install slirp4netns"};
    std::string version = firstLine(captureOutput({f.path, "--version"}));
    if (!dev)
        return {"slirp4netns", "warning", version + ", but /dev/net/tun is not usable by you",
                "sudo chmod 0666 /dev/net/tun (desktops ship it so)"};
    std::string flags = std::string(f.sandbox ? "sandbox" : "no sandbox") + ", " +
                        (f.seccomp ? "seccomp" : "no seccomp");
    return {"slirp4netns", "ok", version + " (" + flags + "), /dev/net/tun usable", ""};
}

Check nftables() {
    IdMapPlan ids = planIdMaps(::getuid(), ::getgid());
    int err = inChild([&] {
        if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) return 1;
        if (!applyIdMap(ids.outer)) return 2;
        auto s = applyFirewall(
            "table inet probe {\n  chain o {\n    type filter hook output priority 0;\n  }\n}\n");
        return s ? 0 : 3;
    });
    if (err == 0)
        return {"firewall", "ok", "nftables works inside a sandbox's network namespace", ""};
    return {"firewall", "warning",
            "nftables rules cannot be loaded in a user network namespace (step " +
                std::to_string(err) + "): the firewall presets will fail",
            "make sure the nf_tables module is available (modprobe nf_tables)"};
}

Check dbusProxy() {
    std::string v = firstLine(captureOutput({"xdg-dbus-proxy", "--version"}));
    if (!v.empty()) return {"dbus-proxy", "ok", v, ""};
    return {"dbus-proxy", "warning",
            "xdg-dbus-proxy is not installed: profiles with D-Bus access cannot start",
            "sudo apt-get install xdg-dbus-proxy"};
}

Check userManager() {
    std::string why;
    if (!userManagerAvailable(&why))
        return {
            "systemd", "warning",
            why + ": sandboxes run without scopes (no limits, pause or stats)",
            "log in through a desktop session (systemd --user), or run: systemctl --user status"};
    auto delegated = delegatedControllers();
    std::string list;
    for (const auto& c : delegated)
        list += (list.empty() ? "" : " ") + c;
    std::string enforced;
    if (delegated.count("memory")) enforced += "memory ";
    if (delegated.count("pids")) enforced += "tasks ";
    if (delegated.count("cpu")) enforced += "cpu ";
    if (delegated.count("io")) enforced += "io ";
    if (enforced.empty())
        return {"systemd", "warning",
                why + "; no cgroup controller is delegated to you (" +
                    (list.empty() ? "none" : list) + "): limits are recorded, not enforced",
                "use a cgroup v2 desktop (systemd.unified_cgroup_hierarchy=1); memory and pids are "
                "delegated by default"};
    return {"systemd", "ok", why + "; limits enforced here: " + trim(enforced), ""};
}

Check cgroups() {
    std::string root = cgroup2Root();
    if (root.empty())
        return {"cgroup2", "warning",
                "no cgroup v2 hierarchy: pause, kill-all and stats are unavailable",
                "boot with cgroup v2"};
    bool hybrid = root != "/sys/fs/cgroup";
    return {"cgroup2", hybrid ? "warning" : "ok",
            hybrid ? "hybrid cgroups (v2 at " + root +
                         "): pause, kill-all and CPU time work; limits are not enforced"
                   : "cgroup v2 at /sys/fs/cgroup",
            hybrid ? "boot with systemd.unified_cgroup_hierarchy=1 for enforced limits" : ""};
}

Check display() {
    const char* d = std::getenv("DISPLAY");
    const char* w = std::getenv("WAYLAND_DISPLAY");
    const char* rt = std::getenv("XDG_RUNTIME_DIR");
    std::string found;
    if (d && *d) {
        std::string n = d;
        auto colon = n.find(':');
        std::string num = colon == std::string::npos ? "" : n.substr(colon + 1);
        num = num.substr(0, num.find('.'));
        std::string sock = "/tmp/.X11-unix/X" + num;
        found += pathExists(sock) ? "X11 " + n + " (" + sock + ")"
                                  : "X11 " + n + " without a local socket";
    }
    if (w && *w && rt) {
        std::string sock = w[0] == '/' ? w : std::string(rt) + "/" + w;
        found += std::string(found.empty() ? "" : ", ") +
                 (pathExists(sock) ? "Wayland " + std::string(w) : "Wayland socket missing");
    }
    if (found.empty())
        return {"display", "warning", "no display: graphical profiles cannot show windows here",
                ""};
    return {"display", "ok", found, ""};
}

Check audio() {
    const char* rt = std::getenv("XDG_RUNTIME_DIR");
    std::string found;
    if (rt && pathExists(std::string(rt) + "/pulse/native")) found += "PulseAudio";
    if (rt && pathExists(std::string(rt) + "/pipewire-0"))
        found += std::string(found.empty() ? "" : ", ") + "PipeWire";
    if (found.empty())
        return {"audio", "warning", "no sound server socket: profiles with audio are silent", ""};
    return {"audio", "ok", found, ""};
}

Check space(const Paths& paths) {
    struct statvfs sv;
    std::string dir = paths.dataDir();
    if (::statvfs(dir.c_str(), &sv) != 0 && ::statvfs(paths.dataHome.c_str(), &sv) != 0)
        return {"space", "warning", "cannot read free space of " + dir, ""};
    uint64_t free = static_cast<uint64_t>(sv.f_bavail) * sv.f_frsize;
    std::string s = formatSize(free) + " free in " + dir;
    if (free < (100ull << 20))
        return {"space", "failure", s, "free some space: sandboxes cannot write their changes"};
    if (free < (1ull << 30))
        return {"space", "warning", s, "sandboxes' changes live here; see layerbox layer du"};
    return {"space", "ok", s, ""};
}

Check kernel() {
    struct utsname u;
    ::uname(&u);
    auto status = readFile("/proc/self/status");
    bool seccomp = status && status->find("Seccomp:") != std::string::npos;
    std::string s =
        std::string("Linux ") + u.release + (seccomp ? ", seccomp filters" : ", NO seccomp");
    return {"kernel", seccomp ? "ok" : "failure", s,
            seccomp ? "" : "use a kernel with CONFIG_SECCOMP_FILTER"};
}

}  // namespace

std::vector<Check> runDoctor(const Paths& paths) {
    return {kernel(),    userns(),      overlay(paths), fuse(),    tun(),   nftables(),
            dbusProxy(), userManager(), cgroups(),      display(), audio(), space(paths)};
}

}  // namespace lb
