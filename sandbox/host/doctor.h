// `layerbox doctor`: what this host can do for sandboxes. probeHost() gathers the facts (it
// forks, tries a user namespace, a test mount and a firewall, and runs the helpers'
// --version); checkHost() turns them into checks, each ok / warning / failure with the one-line
// fix (pure). `doctor --json` prints both, so the GUI shows the facts the checks are made of.
// Launch failures caused by one of these point here.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace lb {

struct Paths;

struct Check {
    std::string id;       // stable key: "userns", "overlay", ...
    std::string status;   // "ok", "warning", "failure"
    std::string summary;  // what was found
    std::string fix;      // what to do about it (empty when ok)
};

struct HostFacts {
    std::string kernelRelease;
    bool seccomp = false;  // the kernel has seccomp filters
    int landlockAbi = 0;   // 0: no Landlock (programs of a sandbox are kept apart less)

    // Unprivileged user namespaces: 0 when one could be made, else the errno of unshare(),
    // with the sysctls that explain a refusal.
    int usernsError = 0;
    std::string apparmorRestrictsUserns;  // kernel.apparmor_restrict_unprivileged_userns
    std::string unprivilegedUsernsClone;  // kernel.unprivileged_userns_clone
    std::string maxUserNamespaces;        // user.max_user_namespaces

    // Storage: whether the kernel's overlayfs works in a user namespace on the file system of
    // the data directory (driver "auto" is then native, else fuse), and fuse-overlayfs.
    std::string dataDir;
    bool dataDirUsable = true;
    bool nativeOverlay = false;
    std::string nativeOverlayError;
    bool nativeOverlayTransient = false;  // the probe failed for the moment (disk full, ...)
    std::string fuseOverlayfsVersion;     // empty: not installed
    bool devFuse = false;

    // Network.
    std::string slirp4netnsVersion;  // empty: not installed
    bool slirpSandbox = false, slirpSeccomp = false;
    bool devNetTun = false;
    int firewallStep = 0;  // 0: nftables rules load in a user network namespace; else the step
                           // that failed
    std::string dbusProxyVersion;  // empty: xdg-dbus-proxy not installed
    // What internet-only refuses on this machine now besides the fixed ranges: the host's
    // addresses and on-link networks (network/host_networks.h), or why they could not be read.
    std::vector<std::string> hostNetworks;
    std::string hostNetworksError;

    // Resources.
    bool userManager = false;
    std::string userManagerInfo;      // what answered, or why nothing did
    std::set<std::string> delegated;  // cgroup controllers delegated to the user manager
    std::string cgroup2Root;          // empty: no cgroup v2 hierarchy
    bool hybridCgroups() const { return !cgroup2Root.empty() && cgroup2Root != "/sys/fs/cgroup"; }

    // Desktop.
    std::string x11Display;   // $DISPLAY
    bool x11Socket = false;   // its socket in /tmp/.X11-unix
    bool x11Answers = false;  // and a server accepts connections on it
    std::string xephyr;       // Xephyr's path (x11 "isolated"); empty: not installed
    std::string waylandDisplay;
    bool waylandSocket = false;
    bool waylandAnswers = false;
    std::vector<std::string> waylandGlobals;  // what its compositor announces (sorted)
    std::string waylandGlobalsError;          // why they could not be read
    bool pulseaudio = false, pipewire = false;
    std::vector<std::string> gpuDevices;  // the nodes in /dev/dri

    // Disk.
    bool freeSpaceKnown = false;
    uint64_t freeBytes = 0;
};

HostFacts probeHost(const Paths& paths);
std::vector<Check> checkHost(const HostFacts& facts);
std::vector<Check> runDoctor(const Paths& paths);

// The profile's resource limits this host enforces (the rest are recorded, not enforced), each
// with the cgroup controller it needs: from the controllers delegated to the user manager.
struct HostLimit {
    std::string key;  // "memory_max"
    std::string controller;
    bool enforced = false;
};
std::vector<HostLimit> hostLimits(const HostFacts& facts);

}  // namespace lb
