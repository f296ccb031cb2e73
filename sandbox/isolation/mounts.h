// The sandbox's file system, as data. planMounts() turns a profile and the host's facts into
// an ordered list of typed operations (after bubblewrap: the mount setup is a list executed
// later); applyMounts() executes it inside the new mount namespace.
//
// Layout: a fresh tmpfs is the root. Each host system directory (/usr, /etc, /opt, /var ...)
// is its own copy-on-write overlay whose lower layers are the profile's committed layers and
// the host directory, and whose upper layer is the sandbox's (persistent under
// $XDG_DATA_HOME/layerbox/sandboxes/NAME/upper/<dir>, or on a tmpfs when ephemeral). One overlay
// per directory is needed because the kernel refuses the host's "/" as a lower layer inside a
// user namespace: it carries submounts that are locked there.
//
// The fuse driver (--driver fuse, or a directory kernel overlayfs refuses) needs no overlay per
// directory: fuse-overlayfs reads its lower layers with ordinary system calls, so it crosses
// mount points. ONE fuse-overlayfs serves every fuse overlay of a sandbox (issue 25: one daemon's
// memory instead of five). Its lower layers are staging trees in the setup process's private
// tmpfs that hold only bind mounts of exactly the directories the plan overlays (the host's
// /usr, /etc ... and home, and the committed layers' matching folders), its upper layer is the
// sandbox's upper/ (whose layout, upper/<dir>, is the same as with one overlay per directory),
// its work directory work/fuse-shared; the sandbox's root binds each overlaid directory from
// that one mount. A fuse overlay nested in another one (a home below /var) gets its own daemon.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "base/fsutil.h"
#include "profile/host_binds.h"
#include "profile/profile.h"

namespace lb {

struct HostInfo;

enum class MountKind {
    RootTmpfs,      // the new root
    Tmpfs,          // a fresh tmpfs at target
    Dir,            // a directory (created when missing)
    Symlink,        // target -> content
    File,           // a file holding `content`
    Bind,           // host `source` at target
    Overlay,        // copy-on-write overlay (see OverlaySpec)
    Devpts,         // a private devpts instance
    Mqueue,         // POSIX message queues of the sandbox's IPC namespace
    Hide,           // an empty read-only node over target, when target exists
    GeneratedFile,  // `content` read-only over target (created when missing, even through a link)
    Sysfs,          // a read-only sysfs of the sandbox's network namespace
    AppImage,       // host AppImage `source`'s squashfs at `offset`, read-only (squashfuse)
    Proc,           // procfs of the sandbox's PID namespace (phase 2)
    Cgroup,         // cgroup2 of the sandbox's cgroup namespace, read-only (phase 2)
    ProcReadOnly,   // a read-only bind of a /proc path onto itself (phase 2)
    ProcHide,       // /dev/null over a /proc file (phase 2)
    RemountRootReadOnly,  // last: nothing can be created at the top level
};

struct OverlaySpec {
    std::vector<std::string> lowers;  // host paths, top first; missing layer parts are skipped
    std::string upper;                // relative to the storage root
    std::string work;                 // relative to the storage root
    Driver driver = Driver::Native;   // Native or Fuse
    bool shared = false;  // Fuse: served by the sandbox's one fuse-overlayfs (see above)
};

struct MountOp {
    MountKind kind = MountKind::Dir;
    std::string target;   // absolute path inside the sandbox
    std::string source;   // host path (Bind) or storage-relative path (Bind with fromStorage)
    std::string content;  // File contents, Symlink target
    unsigned mode = 0755;
    bool readOnly = false;
    bool device = false;        // Bind of device nodes: keep them usable (no nodev)
    bool optional = false;      // skip when the source is missing
    bool createSource = false;  // create a missing host directory
    bool fromStorage = false;   // source is relative to the storage root, opened without symlinks
    bool grant = false;  // one host file given to the sandbox (file_grants.h): no link followed
    uint64_t dev = 0, ino = 0;  // grant, AppImage: the file that was checked
    uint64_t offset = 0;        // AppImage: where its squashfs payload starts
    bool checkSource = false;   // a profile's bind or --bind: MountContext::bindPolicy applies
    OverlaySpec overlay;
    int phase() const;  // 1: setup process; 2: PID 1 (needs the PID namespace)
    std::string describe() const;
};

struct StorageLayout {
    std::string dataDir;                 // host: the profile's sandbox directory
    bool ephemeral = false;              // upper layer on a tmpfs, gone at exit
    std::vector<std::string> layerDirs;  // committed layers (their root/), top first
    Driver driver = Driver::Native;      // resolved: Native or Fuse
    // Layerbox's folders on the host (data, config, cache, state, runtime), hidden from inside
    // (default: those under the home).
    std::vector<std::string> ownDirs;
    std::string dataRoot;  // $XDG_DATA_HOME/layerbox (file grants below it are refused)
};

struct MountPlan {
    std::vector<MountOp> ops;
    std::string home;        // home directory inside (same path as the user's real one)
    std::string runtimeDir;  // XDG_RUNTIME_DIR inside
    std::vector<std::string> storageDirs;  // upper/ and work/ directories to create
    bool usesFuse = false;
    bool usesSquashfuse = false;  // an AppImage is mounted (planAppImageMount)
};

// The work directory of the one fuse-overlayfs that serves every shared fuse overlay.
inline constexpr const char* kSharedFuseWork = "work/fuse-shared";

// Top-level host directories that become overlays when present.
const std::vector<std::string>& systemDirs();

// `desktop`: the display, sound and bus sockets and devices the desktop concerns planned from
// the user's session (desktop.h); they go before the profile's binds and hidden paths.
// `grants`: single files given to the sandbox (planGrantMount), after the profile's binds.
MountPlan planMounts(const Profile& profile, const HostInfo& host, const StorageLayout& storage,
                     const std::vector<MountOp>& desktop = {},
                     const std::vector<MountOp>& grants = {});

// Pure: the AppImage `image` (base/appimage.h) served read-only at kAppImageDir, after every
// other phase 1 operation (over the fresh /run).
void planAppImageMount(MountPlan& plan, const std::string& image, uint64_t offset, uint64_t dev,
                       uint64_t ino);

// Executing a plan (inside the new user and mount namespaces): what the runner decided.
struct MountContext {
    std::string stagingDir;     // where the new root and the ephemeral storage are assembled
    std::string fuseOverlayfs;  // absolute path of the fuse-overlayfs binary
    std::string squashfuse;     // absolute path of squashfuse (an AppImage is mounted)
    bool verbose = false;
    HostBindPolicy bindPolicy;  // what a checkSource bind may show (checked on the opened source)
    // The scope's cgroup when the runner made it ahead (resources/scope_cgroup.h): the
    // sandbox's cgroup view is a read-only bind of it rather than a cgroup2 mount, which
    // waits for the kernel's cgroup lock while the user manager's job moves a process.
    std::string scopeCgroup;
    std::string newRoot() const { return stagingDir + "/root"; }
    std::string storageRoot(const StorageLayout& s) const {
        return s.ephemeral ? stagingDir + "/storage" : s.dataDir;
    }
};

// What phase 1 started: the fuse daemons (fuse-overlayfs, squashfuse), which the setup process
// watches and ends.
struct FuseDaemons {
    std::vector<int> pids;
    std::vector<std::string> targets;  // the directories each one serves ("/usr, /etc")
    std::vector<std::string> names;    // the daemon's program name
    // Kernel overlays whose upper layer is on disk (a persistent sandbox): the root of each
    // (O_PATH), for unmountDiskOverlays.
    std::vector<UniqueFd> diskOverlays;
};

// Phase 1 (setup process, before the PID namespace): everything but /proc. Daemons started are
// added to `started` as soon as they run, so that a failure later can end them.
Status applyMountsPhase1(const MountPlan& plan, const StorageLayout& storage,
                         const MountContext& ctx, FuseDaemons& started);
// Phase 2 (PID 1 of the new PID namespace): /proc, its masks, then the root made read-only.
Status applyMountsPhase2(const MountPlan& plan, const MountContext& ctx);
// Enter the new root and detach the host's (pivot_root).
Status enterNewRoot(const MountContext& ctx);

// The kernel overlays of a persistent upper layer the plan mounts (what becomes
// FuseDaemons::diskOverlays): one thread each for OverlayUnmounter.
size_t plannedDiskOverlays(const MountPlan& plan, const StorageLayout& storage);

// Takes down the kernel overlays of a persistent upper layer (FuseDaemons::diskOverlays) all at
// once, one thread each. The unmounting of each overlay syncs the upper layer's whole file
// system (overlayfs' sync_fs: every dirty page and a journal commit of the home's file system,
// not only the sandbox's); one after the other, as the kernel does in a process's exit, that
// is one commit after the other, while concurrent syncs share the journal's commits (issue 25:
// on a busy disk 5 overlays took 17 ms in a row, 5 together). The data is synced exactly as
// before; only the waiting overlaps.
//
// One thread starts at construction, before the mounts, and makes the others (one per overlay)
// at release() (issue 25: five threads made by the setup process, after the mounts, cost the
// launch 2 ms on 2 busy cores). The setup process makes it before it creates the sandbox's PID
// namespace, after which its main thread could not start a thread any more (clone refuses
// CLONE_THREAD once a thread's children go to another PID namespace; that thread's namespaces
// for children stay its own), and after its user namespace (unshare refuses CLONE_NEWUSER to a
// process with threads).
class OverlayUnmounter {
public:
    OverlayUnmounter() = default;
    explicit OverlayUnmounter(size_t count);
    OverlayUnmounter(const OverlayUnmounter&) = delete;
    OverlayUnmounter& operator=(const OverlayUnmounter&) = delete;
    ~OverlayUnmounter();
    // The overlays' roots, once mounted. Any beyond the count given (all, when the thread
    // could not be made) are taken down by release() in the calling thread.
    void hold(std::vector<UniqueFd> overlays);
    // Returns once its thread runs: nothing of it is half-started when the caller forks.
    void waitStarted();
    // Unmount them all, together; returns when they are gone: true when every one was
    // unmounted (whatever a thread could not take down is taken down here, one after the
    // other), false when an unmount failed (the kernel takes that one down in our exit).
    bool release();
    // In a child forked meanwhile (PID 1): close its copies of the descriptors, no threads.
    void closeInChild();

private:
    struct Shared;
    std::unique_ptr<Shared> shared_;
    std::vector<std::thread> threads_;
    std::vector<UniqueFd> rest_;  // held without a thread of their own
    bool released_ = false;
};

}  // namespace lb
