#include "host/doctor.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/fsutil.h"
#include "base/helper_process.h"
#include "base/paths.h"
#include "desktop/wayland_globals.h"
#include "isolation/landlock.h"
#include "isolation/userns.h"
#include "layers/storage.h"
#include "network/host_networks.h"
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

int probeFirewall() {
    IdMapPlan ids = planIdMaps(::getuid(), ::getgid());
    return inChild([&] {
        if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) return 1;
        if (!applyIdMap(ids.outer)) return 2;
        auto s = applyFirewall(
            "table inet probe {\n  chain o {\n    type filter hook output priority 0;\n  }\n}\n");
        if (!s) return 3;
        // The launch loads its firewall as a netlink batch of its own (nft_batch.h): the
        // default preset's, sent as a launch sends it.
        NetworkConfig net;
        net.mode = NetMode::Nat;
        auto batch = planNftBatch(planFirewallTable(net));
        return batch && applyNftBatch(*batch) ? 0 : 4;
    });
}

// Whether a server accepts connections on this socket: a socket file left behind by a server
// that has gone is not a display. (Connecting and closing at once is what clients that give up
// do; the server just drops the connection.)
bool socketAnswers(const std::string& path) {
    struct sockaddr_un addr = {};
    if (path.size() >= sizeof addr.sun_path) return false;
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return false;
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    int rc;
    do {
        rc = ::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr);
    } while (rc != 0 && errno == EINTR);
    return rc == 0;
}

void probeDisplay(HostFacts& f) {
    const char* d = std::getenv("DISPLAY");
    const char* w = std::getenv("WAYLAND_DISPLAY");
    const char* rt = std::getenv("XDG_RUNTIME_DIR");
    if (d && *d) {
        f.x11Display = d;
        auto colon = f.x11Display.find(':');
        std::string num = colon == std::string::npos ? "" : f.x11Display.substr(colon + 1);
        num = num.substr(0, num.find('.'));
        f.x11Socket = pathExists("/tmp/.X11-unix/X" + num);
        f.x11Answers = f.x11Socket && socketAnswers("/tmp/.X11-unix/X" + num);
    }
    if (w && *w && rt) {
        f.waylandDisplay = w;
        const std::string sock = w[0] == '/' ? std::string(w) : std::string(rt) + "/" + w;
        f.waylandSocket = pathExists(sock);
        f.waylandAnswers = f.waylandSocket && socketAnswers(sock);
        if (f.waylandAnswers) {
            if (auto g = waylandGlobals(sock))
                f.waylandGlobals = std::move(*g);
            else
                f.waylandGlobalsError = g.error().message();
        }
    }
    if (rt) {
        f.pulseaudio = pathExists(std::string(rt) + "/pulse/native");
        f.pipewire = pathExists(std::string(rt) + "/pipewire-0");
    }
    if (DIR* dir = ::opendir("/dev/dri")) {
        while (auto* e = ::readdir(dir))
            if (e->d_name[0] != '.') f.gpuDevices.push_back(e->d_name);
        ::closedir(dir);
        std::sort(f.gpuDevices.begin(), f.gpuDevices.end());
    }
}

Check userns(const HostFacts& f) {
    if (f.usernsError == 0) return {"userns", "ok", "unprivileged user namespaces work", ""};
    Check c{"userns", "failure",
            std::string("cannot create a user namespace: ") + strerrordesc_np(f.usernsError), ""};
    if (f.apparmorRestrictsUserns == "1")
        c.fix =
            "AppArmor restricts user namespaces (Ubuntu 23.10+): load the profile the package "
            "installs, sudo apparmor_parser -r /etc/apparmor.d/usr.bin.layerbox (built from "
            "source: copy packaging/apparmor/usr.bin.layerbox there first)";
    else if (f.unprivilegedUsernsClone == "0")
        c.fix = "enable them: sudo sysctl kernel.unprivileged_userns_clone=1";
    else if (f.maxUserNamespaces == "0")
        c.fix = "allow some: sudo sysctl user.max_user_namespaces=15000";
    else
        c.fix = "check the kernel configuration (CONFIG_USER_NS) and any security module";
    return c;
}

Check overlay(const HostFacts& f) {
    if (!f.dataDirUsable) return {"overlay", "warning", "cannot create " + f.dataDir, ""};
    if (f.nativeOverlay)
        return {"overlay", "ok",
                "kernel overlayfs works in a user namespace here (driver auto = native)", ""};
    if (f.nativeOverlayTransient)  // a full disk says nothing about the kernel
        return {"overlay", "warning",
                "could not be tried now (" + f.nativeOverlayError +
                    "); until it can, driver auto uses fuse-overlayfs",
                "free space (or memory) where " + f.dataDir + " lies, then run doctor again"};
    return {"overlay", "warning",
            f.nativeOverlayError + "; driver auto uses fuse-overlayfs (slower)",
            "use Linux 5.11 or later and keep the data directory on ext4, xfs or btrfs"};
}

Check fuse(const HostFacts& f) {
    if (!f.fuseOverlayfsVersion.empty() && f.devFuse)
        return {"fuse", "ok", f.fuseOverlayfsVersion + ", /dev/fuse usable", ""};
    if (f.fuseOverlayfsVersion.empty())
        return {"fuse", "warning",
                "fuse-overlayfs is not installed (needed where kernel overlayfs is not)",
                "sudo apt-get install fuse-overlayfs"};
    return {"fuse", "warning", "/dev/fuse is not usable by you",
            "sudo chmod 0666 /dev/fuse (desktops ship it so)"};
}

Check tun(const HostFacts& f) {
    if (f.slirp4netnsVersion.empty())
        return {"slirp4netns", "warning",
                "slirp4netns is not installed: network mode nat is unavailable",
                "sudo apt-get install slirp4netns"};
    if (!f.devNetTun)
        return {"slirp4netns", "warning",
                f.slirp4netnsVersion + ", but /dev/net/tun is not usable by you",
                "sudo chmod 0666 /dev/net/tun (desktops ship it so)"};
    std::string flags = std::string(f.slirpSandbox ? "sandbox" : "no sandbox") + ", " +
                        (f.slirpSeccomp ? "seccomp" : "no seccomp");
    return {"slirp4netns", "ok", f.slirp4netnsVersion + " (" + flags + "), /dev/net/tun usable",
            ""};
}

Check nftables(const HostFacts& f) {
    if (f.firewallStep == 0)
        return {"firewall", "ok", "nftables works inside a sandbox's network namespace", ""};
    return {"firewall", "warning",
            "nftables rules cannot be loaded in a user network namespace (step " +
                std::to_string(f.firewallStep) + "): the firewall presets will fail",
            "make sure the nf_tables module is available (modprobe nf_tables)"};
}

Check internetOnly(const HostFacts& f) {
    if (!f.hostNetworksError.empty())
        return {"internet-only", "warning",
                "the host's addresses cannot be read (" + f.hostNetworksError +
                    "): internet-only sandboxes cannot start",
                "check that rtnetlink is usable (ip address show)"};
    return {"internet-only", "ok",
            "internet-only refuses the LAN ranges and, on this machine now: " +
                (f.hostNetworks.empty() ? std::string("no other address")
                                        : joinStrings(f.hostNetworks)) +
                " (the host's addresses and on-link networks, followed while a sandbox runs)",
            ""};
}

Check dbusProxy(const HostFacts& f) {
    if (!f.dbusProxyVersion.empty()) return {"dbus-proxy", "ok", f.dbusProxyVersion, ""};
    return {"dbus-proxy", "warning",
            "xdg-dbus-proxy is not installed: profiles with D-Bus access cannot start",
            "sudo apt-get install xdg-dbus-proxy"};
}

Check userManager(const HostFacts& f) {
    if (!f.userManager)
        return {
            "systemd", "warning",
            f.userManagerInfo + ": sandboxes run without scopes (no limits, pause or stats)",
            "log in through a desktop session (systemd --user), or run: systemctl --user status"};
    std::string list;
    for (const auto& c : f.delegated)
        list += (list.empty() ? "" : " ") + c;
    std::string enforced;
    if (f.delegated.count("memory")) enforced += "memory ";
    if (f.delegated.count("pids")) enforced += "tasks ";
    if (f.delegated.count("cpu")) enforced += "cpu ";
    if (f.delegated.count("io")) enforced += "io ";
    if (enforced.empty())
        return {"systemd", "warning",
                f.userManagerInfo + "; no cgroup controller is delegated to you (" +
                    (list.empty() ? "none" : list) + "): limits are recorded, not enforced",
                "use a cgroup v2 desktop (systemd.unified_cgroup_hierarchy=1); memory and pids are "
                "delegated by default"};
    return {"systemd", "ok", f.userManagerInfo + "; limits enforced here: " + trim(enforced), ""};
}

Check cgroups(const HostFacts& f) {
    if (f.cgroup2Root.empty())
        return {"cgroup2", "warning",
                "no cgroup v2 hierarchy: pause, kill-all and stats are unavailable",
                "boot with cgroup v2"};
    bool hybrid = f.hybridCgroups();
    return {"cgroup2", hybrid ? "warning" : "ok",
            hybrid ? "hybrid cgroups (v2 at " + f.cgroup2Root +
                         "): pause, kill-all and CPU time work; limits are not enforced"
                   : "cgroup v2 at /sys/fs/cgroup",
            hybrid ? "boot with systemd.unified_cgroup_hierarchy=1 for enforced limits" : ""};
}

Check display(const HostFacts& f) {
    std::string found;
    if (!f.x11Display.empty()) {
        std::string num = f.x11Display.substr(f.x11Display.find(':') + 1);
        num = num.substr(0, num.find('.'));
        std::string sock = "/tmp/.X11-unix/X" + num;
        found += f.x11Answers  ? "X11 " + f.x11Display + " (" + sock + ")"
                 : f.x11Socket ? "X11 " + f.x11Display + ": no server answers on " + sock
                               : "X11 " + f.x11Display + " without a local socket";
    }
    if (!f.waylandDisplay.empty())
        found += std::string(found.empty() ? "" : ", ") +
                 (f.waylandAnswers ? "Wayland " + f.waylandDisplay
                  : f.waylandSocket
                      ? "Wayland " + f.waylandDisplay + ": no compositor answers on its socket"
                      : "Wayland socket missing");
    if (found.empty())
        return {"display", "warning", "no display: graphical profiles cannot show windows here",
                ""};
    // ok only when a server really answers: a socket file alone shows no window.
    if (!f.x11Answers && !f.waylandAnswers)
        return {"display", "warning", found + ": graphical profiles cannot show windows here",
                "start the display server, or set DISPLAY / WAYLAND_DISPLAY to one that runs"};
    return {"display", "ok", found, ""};
}

// What a sandbox given desktop.wayland can do on this compositor beyond its own windows.
Check waylandReach(const HostFacts& f) {
    if (!f.waylandAnswers)
        return {"wayland", "ok", "no Wayland compositor in this session: nothing to reach", ""};
    if (!f.waylandGlobalsError.empty())
        return {"wayland", "warning",
                "Wayland " + f.waylandDisplay + ": its globals could not be read (" +
                    f.waylandGlobalsError + ")",
                ""};
    const auto reach = waylandPrivileged(f.waylandGlobals);
    const std::string context =
        waylandHasSecurityContext(f.waylandGlobals)
            ? "it offers wp_security_context_v1 (Layerbox does not use it yet)"
            : "it offers no wp_security_context_v1, so a sandbox's connection cannot be "
              "restricted";
    if (reach.empty())
        return {"wayland", "ok",
                "Wayland " + f.waylandDisplay +
                    ": no protocol that reaches other windows is "
                    "offered to clients (" +
                    std::to_string(f.waylandGlobals.size()) + " globals); " + context,
                ""};
    std::vector<std::string> can;
    for (const auto& r : reach)
        can.push_back(r.what + " (" + r.global + ")");
    return {"wayland", "warning",
            "Wayland " + f.waylandDisplay + ": a sandbox given desktop.wayland can " +
                joinStrings(can, "; ") + "; " + context,
            "give such programs x11 \"isolated\" and no wayland, or use a compositor that "
            "offers wp_security_context_v1"};
}

// x11 "isolated" needs Xephyr, and an X11 display on the host for its window.
Check isolatedX11(const HostFacts& f) {
    if (f.xephyr.empty())
        return {"x11-isolated", "warning",
                "Xephyr is not installed: profiles with x11 \"isolated\" (browser, terminal, "
                "untrusted-gui) get no X11 display",
                "install the xserver-xephyr package"};
    if (f.x11Display.empty())
        return {"x11-isolated", "warning",
                f.xephyr + ": no X11 display here (DISPLAY is not set) for its window", ""};
    return {"x11-isolated", "ok",
            f.xephyr + ": profiles with x11 \"isolated\" get an X server of their own", ""};
}

Check gpu(const HostFacts& f) {
    if (f.gpuDevices.empty())
        return {"gpu", "warning",
                "no /dev/dri: profiles with gpu render in software (or not at all)", ""};
    const std::string list = joinStrings(f.gpuDevices);
    return {"gpu", "ok", "/dev/dri: " + list, ""};
}

Check audio(const HostFacts& f) {
    std::string found;
    if (f.pulseaudio) found += "PulseAudio";
    if (f.pipewire) found += std::string(found.empty() ? "" : ", ") + "PipeWire";
    if (found.empty())
        return {"audio", "warning", "no sound server socket: profiles with audio are silent", ""};
    return {"audio", "ok", found, ""};
}

Check space(const HostFacts& f) {
    if (!f.freeSpaceKnown)
        return {"space", "warning", "cannot read free space of " + f.dataDir, ""};
    std::string s = formatSize(f.freeBytes) + " free in " + f.dataDir;
    if (f.freeBytes < (100ull << 20))
        return {"space", "failure", s, "free some space: sandboxes cannot write their changes"};
    if (f.freeBytes < (1ull << 30))
        return {"space", "warning", s, "sandboxes' changes live here; see layerbox layer du"};
    return {"space", "ok", s, ""};
}

Check landlock(const HostFacts& f) {
    if (f.landlockAbi > 0)
        return {"landlock", "ok",
                "Landlock ABI " + std::to_string(f.landlockAbi) +
                    ": programs of a sandbox cannot reach into each other",
                ""};
    return {"landlock", "warning",
            "no Landlock: a process of a sandbox can read the memory of another program joined "
            "to the same sandbox with devel on (seccomp still refuses it otherwise)",
            "use a kernel with CONFIG_SECURITY_LANDLOCK and landlock in its lsm= list (5.13+)"};
}

Check kernel(const HostFacts& f) {
    std::string s = "Linux " + f.kernelRelease + (f.seccomp ? ", seccomp filters" : ", NO seccomp");
    return {"kernel", f.seccomp ? "ok" : "failure", s,
            f.seccomp ? "" : "use a kernel with CONFIG_SECCOMP_FILTER"};
}

}  // namespace

HostFacts probeHost(const Paths& paths) {
    HostFacts f;
    struct utsname u;
    ::uname(&u);
    f.kernelRelease = u.release;
    auto status = readFile("/proc/self/status");
    f.seccomp = status && status->find("Seccomp:") != std::string::npos;
    f.landlockAbi = landlockAbi();

    f.usernsError = inChild([] { return ::unshare(CLONE_NEWUSER) == 0 ? 0 : errno; });
    f.apparmorRestrictsUserns = sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
    f.unprivilegedUsernsClone = sysctl("/proc/sys/kernel/unprivileged_userns_clone");
    f.maxUserNamespaces = sysctl("/proc/sys/user/max_user_namespaces");

    f.dataDir = paths.dataDir();
    f.dataDirUsable = makeDirs(f.dataDir, 0700).ok();
    if (f.dataDirUsable) {
        auto s = probeNativeOverlay(f.dataDir);
        f.nativeOverlay = s.ok();
        if (!s) {
            f.nativeOverlayError = s.error().message();
            f.nativeOverlayTransient = storageProbeFailureIsTransient(s.error().code());
        }
    }
    for (const auto& line : split(captureOutput({"fuse-overlayfs", "--version"}), '\n'))
        if (startsWith(line, "fuse-overlayfs")) f.fuseOverlayfsVersion = trim(line);
    f.devFuse = ::access("/dev/fuse", R_OK | W_OK) == 0;

    auto slirp = probeSlirp();
    if (!slirp.path.empty()) {
        f.slirp4netnsVersion = firstLine(captureOutput({slirp.path, "--version"}));
        if (f.slirp4netnsVersion.empty()) f.slirp4netnsVersion = slirp.path;
        f.slirpSandbox = slirp.sandbox;
        f.slirpSeccomp = slirp.seccomp;
    }
    f.devNetTun = ::access("/dev/net/tun", R_OK | W_OK) == 0;
    f.firewallStep = probeFirewall();
    f.dbusProxyVersion = firstLine(captureOutput({"xdg-dbus-proxy", "--version"}));
    if (auto nets = readHostNetworks(); nets) {
        f.hostNetworks = nets->v4;
        f.hostNetworks.insert(f.hostNetworks.end(), nets->v6.begin(), nets->v6.end());
    } else {
        f.hostNetworksError = nets.error().message();
    }
    for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"})
        if (f.xephyr.empty() && ::access((std::string(dir) + "/Xephyr").c_str(), X_OK) == 0)
            f.xephyr = std::string(dir) + "/Xephyr";

    auto manager = userManagerVersion();
    f.userManager = manager.ok();
    f.userManagerInfo = manager ? *manager : manager.error().message();
    f.delegated = delegatedControllers();
    f.cgroup2Root = cgroup2Root();

    probeDisplay(f);

    struct statvfs sv;
    if (::statvfs(f.dataDir.c_str(), &sv) == 0 || ::statvfs(paths.dataHome.c_str(), &sv) == 0) {
        f.freeSpaceKnown = true;
        f.freeBytes = static_cast<uint64_t>(sv.f_bavail) * sv.f_frsize;
    }
    return f;
}

std::vector<Check> checkHost(const HostFacts& f) {
    return {kernel(f),      landlock(f),     userns(f),    overlay(f),     fuse(f),    tun(f),
            nftables(f),    internetOnly(f), dbusProxy(f), userManager(f), cgroups(f), display(f),
            isolatedX11(f), waylandReach(f), gpu(f),       audio(f),       space(f)};
}

std::vector<Check> runDoctor(const Paths& paths) {
    return checkHost(probeHost(paths));
}

std::vector<HostLimit> hostLimits(const HostFacts& f) {
    // Every limit a profile can set, planned as a launch plans them: the same keys and
    // controllers, and the same rule for which are enforced.
    ResourceConfig all;
    all.memoryMax = all.memoryHigh = all.memorySwapMax = 1;
    all.cpuPercent = all.cpuWeight = all.tasksMax = all.ioWeight = 1;
    const ScopePlan plan = planScope("doctor", "0", all);
    const LimitsReport report =
        planLimitsReport(plan, f.userManager ? f.delegated : std::set<std::string>());
    std::vector<HostLimit> out;
    for (const auto& l : plan.limits) {
        bool enforced = std::find(report.enforced.begin(), report.enforced.end(), l.key) !=
                        report.enforced.end();
        out.push_back({l.key, l.controller, enforced});
    }
    return out;
}

}  // namespace lb
