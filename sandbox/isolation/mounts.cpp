#include "isolation/mounts.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <latch>
#include <mutex>
#include <system_error>
#include <thread>

#include "base/appimage.h"
#include "base/fsutil.h"
#include "base/hostinfo.h"
#include "base/paths.h"
#include "base/safe_open.h"
#include "base/syscalls.h"
#include "isolation/caps.h"
#include "isolation/file_grants.h"
#include "network/network.h"

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#endif
#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

namespace lb {

// ---------------------------------------------------------------------------------------------
// Plan (pure)

const std::vector<std::string>& systemDirs() {
    static const std::vector<std::string> dirs = {"usr",    "etc",  "opt", "var",   "srv",
                                                  "bin",    "sbin", "lib", "lib32", "lib64",
                                                  "libx32", "nix",  "gnu"};
    return dirs;
}

int MountOp::phase() const {
    switch (kind) {
        case MountKind::Proc:
        case MountKind::Cgroup:
        case MountKind::ProcReadOnly:
        case MountKind::ProcHide:
        case MountKind::RemountRootReadOnly:
            return 2;
        default:
            return 1;
    }
}

std::string MountOp::describe() const {
    auto ro = [&] { return readOnly ? std::string(" ro") : std::string(" rw"); };
    switch (kind) {
        case MountKind::RootTmpfs:
            return "root tmpfs";
        case MountKind::Tmpfs: {
            char m[16];
            std::snprintf(m, sizeof m, "%04o", mode);
            return "tmpfs " + target + " mode " + m;
        }
        case MountKind::Dir:
            return "dir " + target;
        case MountKind::Symlink:
            return "symlink " + target + " -> " + content;
        case MountKind::File:
            return "file " + target;
        case MountKind::Bind:
            if (grant) return "grant " + source + ro();
            return std::string(device ? "dev-bind " : "bind ") + (fromStorage ? "storage:" : "") +
                   source + " -> " + target + ro() + (optional ? " optional" : "") +
                   (createSource ? " create" : "");
        case MountKind::Overlay: {
            std::string l;
            for (const auto& x : overlay.lowers)
                l += (l.empty() ? "" : ":") + x;
            return "overlay " + target + " lower=" + l + " upper=" + overlay.upper + " (" +
                   (overlay.driver == Driver::Fuse ? "fuse" : "native") +
                   (overlay.shared ? ", shared" : "") + ")";
        }
        case MountKind::Devpts:
            return "devpts " + target;
        case MountKind::Mqueue:
            return "mqueue " + target;
        case MountKind::Hide:
            return "hide " + target;
        case MountKind::GeneratedFile:
            return "generated " + target;
        case MountKind::Proc:
            return "proc " + target;
        case MountKind::Sysfs:
            return "sysfs " + target + " ro";
        case MountKind::AppImage:
            return "appimage " + source + " offset " + std::to_string(offset) + " -> " + target +
                   " ro (squashfuse)";
        case MountKind::Cgroup:
            return "cgroup2 " + target + " ro";
        case MountKind::ProcReadOnly:
            return "proc-ro " + target;
        case MountKind::ProcHide:
            return "proc-hide " + target;
        case MountKind::RemountRootReadOnly:
            return "root read-only";
    }
    return "?";
}

namespace {

MountOp op(MountKind k, std::string target) {
    MountOp o;
    o.kind = k;
    o.target = std::move(target);
    return o;
}

MountOp tmpfs(std::string target, unsigned mode) {
    MountOp o = op(MountKind::Tmpfs, std::move(target));
    o.mode = mode;
    return o;
}

MountOp symlink(std::string target, std::string content) {
    MountOp o = op(MountKind::Symlink, std::move(target));
    o.content = std::move(content);
    return o;
}

MountOp bind(std::string source, std::string target, bool readOnly) {
    MountOp o = op(MountKind::Bind, std::move(target));
    o.source = std::move(source);
    o.readOnly = readOnly;
    return o;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

std::string rel(const std::string& abs) {
    return abs.size() > 1 ? abs.substr(1) : std::string();
}

}  // namespace

MountPlan planMounts(const Profile& profile, const HostInfo& host, const StorageLayout& storage,
                     const std::vector<MountOp>& desktop, const std::vector<MountOp>& grants) {
    MountPlan p;
    p.home = host.home;
    p.runtimeDir = "/run/user/" + std::to_string(host.uid);
    auto& ops = p.ops;
    ops.push_back(op(MountKind::RootTmpfs, "/"));

    // Top-level symlinks of the host that point into the system directories (merged /usr:
    // /bin -> usr/bin ...).
    for (const auto& [name, target] : host.rootSymlinks) {
        std::string first = split(target[0] == '/' ? target.substr(1) : target, '/')[0];
        if (contains(systemDirs(), name) || contains(systemDirs(), first))
            ops.push_back(symlink("/" + name, target));
    }

    auto layerLowers = [&](const std::string& sandboxPath) {
        std::vector<std::string> l;
        for (const auto& layer : storage.layerDirs)
            l.push_back(joinPath(layer, rel(sandboxPath)));
        return l;
    };
    auto overlay = [&](const std::string& target, std::vector<std::string> lowers) {
        MountOp o = op(MountKind::Overlay, target);
        o.overlay.lowers = std::move(lowers);
        o.overlay.upper = joinPath("upper", rel(target));
        o.overlay.driver = storage.driver;
        // Each driver keeps its own work directory: kernel overlayfs leaves a mode-000
        // work/work behind that fuse-overlayfs cannot open.
        o.overlay.work =
            joinPath(storage.driver == Driver::Fuse ? "work/fuse" : "work/native", rel(target));
        p.storageDirs.push_back(o.overlay.upper);
        p.storageDirs.push_back(o.overlay.work);
        return o;
    };

    // The host's system directories, each its own copy-on-write overlay.
    bool haveVar = false;
    for (const auto& dir : systemDirs()) {
        if (!contains(host.rootDirs, dir)) continue;
        if (dir == "etc" && profile.filesystem.privateEtc) {
            // A private /etc: a fresh tmpfs holding only the listed entries of the host's,
            // read-only. Safe: each is a bind of what the default overlay would show anyway
            // (less, never more); the names are single components (the schema refuses '/' and
            // ".."), and the bind policy checks each opened source like a profile bind.
            ops.push_back(tmpfs("/etc", 0755));
            for (const auto& name : *profile.filesystem.privateEtc) {
                MountOp b = bind("/etc/" + name, "/etc/" + name, true);
                b.optional = true;
                b.checkSource = true;
                ops.push_back(b);
            }
            continue;
        }
        auto lowers = layerLowers("/" + dir);
        lowers.push_back("/" + dir);
        MountOp o = overlay("/" + dir, std::move(lowers));
        // Kernel overlayfs refuses a lower layer carrying locked submounts; fuse-overlayfs
        // reads through them.
        if (host.dirsWithSubmounts.count(dir) && o.overlay.driver != Driver::Fuse) {
            o.overlay.driver = Driver::Fuse;
            p.storageDirs.pop_back();
            o.overlay.work = joinPath("work/fuse", dir);
            p.storageDirs.push_back(o.overlay.work);
        }
        ops.push_back(std::move(o));
        if (dir == "var") haveVar = true;
    }

    // Private temporary and runtime directories: never the host's.
    ops.push_back(tmpfs("/tmp", 01777));
    if (haveVar) ops.push_back(tmpfs("/var/tmp", 01777));
    ops.push_back(tmpfs("/run", 0755));
    {
        MountOp rt = op(MountKind::Dir, p.runtimeDir);
        rt.mode = 0700;
        ops.push_back(rt);
    }

    // Home: the same path as the user's real home, with the sandbox's own contents.
    const std::string& home = p.home;
    if (startsWith(home, "/home/")) ops.push_back(tmpfs("/home", 0755));
    switch (profile.filesystem.home) {
        case HomeMode::Tmpfs:
            ops.push_back(tmpfs(home, 0700));
            break;
        case HomeMode::Overlay: {
            auto lowers = layerLowers(home);
            lowers.push_back(home);
            ops.push_back(overlay(home, std::move(lowers)));
            break;
        }
        case HomeMode::Private:
            if (storage.layerDirs.empty()) {
                // Nothing below it: a plain directory of the sandbox's storage, no overlay.
                MountOp b = bind(joinPath("upper", rel(home)), home, false);
                b.fromStorage = true;
                p.storageDirs.push_back(b.source);
                ops.push_back(b);
            } else {
                ops.push_back(overlay(home, layerLowers(home)));
            }
            break;
    }

    // A minimal /dev, as bubblewrap's --dev: a tmpfs with the harmless devices bound in.
    ops.push_back(tmpfs("/dev", 0755));
    for (const char* d : {"null", "zero", "full", "random", "urandom", "tty"}) {
        MountOp b = bind(std::string("/dev/") + d, std::string("/dev/") + d, false);
        b.device = true;
        ops.push_back(b);
    }
    ops.push_back(op(MountKind::Devpts, "/dev/pts"));
    ops.push_back(symlink("/dev/ptmx", "pts/ptmx"));
    ops.push_back(tmpfs("/dev/shm", 01777));
    ops.push_back(symlink("/dev/fd", "/proc/self/fd"));
    ops.push_back(symlink("/dev/stdin", "/proc/self/fd/0"));
    ops.push_back(symlink("/dev/stdout", "/proc/self/fd/1"));
    ops.push_back(symlink("/dev/stderr", "/proc/self/fd/2"));
    ops.push_back(symlink("/dev/core", "/proc/kcore"));
    {
        MountOp mq = op(MountKind::Mqueue, "/dev/mqueue");
        mq.optional = true;
        ops.push_back(mq);
    }
    for (const auto& dev : profile.filesystem.devices) {
        MountOp b = bind(dev, dev, false);
        b.device = true;
        b.optional = true;
        ops.push_back(b);
    }

    // /sys, read-only: a sysfs of our own shows the sandbox's network devices, not the host's.
    // /proc and the cgroup view are mounted later, from inside the PID and cgroup namespaces.
    ops.push_back(op(MountKind::Sysfs, "/sys"));
    ops.push_back(op(MountKind::Dir, "/proc"));

    // Desktop: the user's appearance settings, read-only in the home, then the sockets and
    // devices of the display, sound and buses (desktop/desktop.h plans them).
    ops.insert(ops.end(), desktop.begin(), desktop.end());

    // The profile's binds, in order, then the hidden paths over everything.
    for (const auto& b : profile.filesystem.binds) {
        MountOp o = bind(normalizePath(expandHome(b.host, host.home)),
                         normalizePath(expandHome(b.sandbox, home)), !b.rw);
        o.createSource = b.create;
        o.optional = b.optional;
        o.checkSource = true;
        ops.push_back(o);
    }
    ops.insert(ops.end(), grants.begin(), grants.end());
    for (const auto& h : profile.filesystem.hide)
        ops.push_back(op(MountKind::Hide, normalizePath(expandHome(h, home))));
    // When the real home shows through (overlay home, or a bind of the home at its place),
    // Layerbox's folders would too: a sandbox must not read another's data, nor plant a profile
    // or a cache entry for later launches. (A bind elsewhere that holds one hides it itself.)
    std::vector<std::string> own = storage.ownDirs;
    if (own.empty())
        for (const char* d : {".local/share/layerbox", ".config/layerbox", ".cache/layerbox",
                              ".local/state/layerbox"})
            own.push_back(joinPath(host.home, d));
    for (const auto& d : own)
        ops.push_back(op(MountKind::Hide, d));
    // The sandbox's own host name, hosts and name servers, over the host's files (a bind, so
    // they are not changes of the sandbox's layer).
    for (auto& [path, content] : planNetworkFiles(profile.network)) {
        MountOp f = op(MountKind::GeneratedFile, path);
        f.content = content;
        ops.push_back(f);
    }

    // Phase 2, inside the PID namespace.
    ops.push_back(op(MountKind::Proc, "/proc"));
    {
        MountOp cg = op(MountKind::Cgroup, "/sys/fs/cgroup");
        cg.optional = true;
        ops.push_back(cg);
    }
    for (const char* pth : {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"})
        ops.push_back(op(MountKind::ProcReadOnly, pth));
    for (const char* pth : {"/proc/kcore", "/proc/keys", "/proc/timer_list"})
        ops.push_back(op(MountKind::ProcHide, pth));
    ops.push_back(op(MountKind::RemountRootReadOnly, "/"));

    // The fuse overlays one fuse-overlayfs serves together (the top of mounts.h): all of them
    // but one nested in another's directory (a home below /var), which keeps a daemon of its own.
    std::vector<MountOp*> fuseOps;
    for (auto& o : ops)
        if (o.kind == MountKind::Overlay && o.overlay.driver == Driver::Fuse) fuseOps.push_back(&o);
    for (MountOp* o : fuseOps) {
        bool nested = std::any_of(fuseOps.begin(), fuseOps.end(), [&](const MountOp* other) {
            return other != o && (startsWith(o->target, other->target + "/") ||
                                  startsWith(other->target, o->target + "/"));
        });
        if (nested) continue;
        std::erase(p.storageDirs, o->overlay.work);
        o->overlay.shared = true;
        o->overlay.work = kSharedFuseWork;
        if (!contains(p.storageDirs, o->overlay.work)) p.storageDirs.push_back(o->overlay.work);
    }
    p.usesFuse = !fuseOps.empty();
    return p;
}

void planAppImageMount(MountPlan& plan, const std::string& image, uint64_t offset, uint64_t dev,
                       uint64_t ino) {
    MountOp o = op(MountKind::AppImage, kAppImageDir);
    o.source = image;
    o.offset = offset;
    o.dev = dev;
    o.ino = ino;
    o.readOnly = true;
    // Phase 1 ends where phase 2 starts: after the binds and hidden paths, over the fresh /run.
    auto firstPhase2 = std::find_if(plan.ops.begin(), plan.ops.end(),
                                    [](const MountOp& m) { return m.phase() == 2; });
    plan.ops.insert(firstPhase2, o);
    plan.usesSquashfuse = true;
}

// ---------------------------------------------------------------------------------------------
// Apply

namespace {

std::string fdPath(int fd) {
    return "/proc/self/fd/" + std::to_string(fd);
}

// Open `path` inside the tree rooted at `rootfd`, never leaving it: ".." and symlinks (even
// absolute ones planted by the sandboxed program in its persistent layer) resolve as if
// `rootfd` were "/". Missing components are created one at a time (base/safe_open.h).
Result<UniqueFd> openInRoot(int rootfd, const std::string& path, Create create, unsigned mode) {
    return openBeneath(rootfd, path,
                       {.create = create, .resolve = Resolve::InRoot, .flags = 0, .mode = mode});
}

// A directory of the sandbox's storage, made when missing, refusing every symlink: a link
// planted there by the program must never redirect a mount to a host path (Flatpak's
// CVE-2024-42472). One component at a time: mkdirat("a/b/c") would follow a link in "a/b".
Result<UniqueFd> openStorageDir(int storagefd, const std::string& relPath) {
    return openBeneath(storagefd, relPath,
                       {.create = Create::Dirs, .flags = O_PATH | O_DIRECTORY, .mode = 0755});
}

// The path an open descriptor really is (links resolved), as the kernel knows it.
Result<std::string> realPathOf(int fd, const std::string& what) {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(fdPath(fd).c_str(), buf, sizeof buf - 1);
    if (n <= 0) return Error::fromErrno("readlink(" + quote(what) + ")");
    return std::string(buf, static_cast<size_t>(n));
}

Status doMount(const std::string& src, int targetFd, const std::string& target, const char* type,
               unsigned long flags, const std::string& data) {
    if (::mount(src.empty() ? nullptr : src.c_str(), fdPath(targetFd).c_str(), type, flags,
                data.empty() ? nullptr : data.c_str()) != 0)
        return Error::fromErrno(std::string("mount(") + (type ? type : "bind") + ", " +
                                quote(target) + ")");
    return Ok();
}

// Set read-only/nosuid/nodev on a mount and (with `recursive`) everything below it. Setting
// these is always allowed; clearing flags the host locked is not, and is never asked.
Status setMountAttrs(const std::string& absPath, const std::string& target, bool readOnly,
                     bool nodev, bool recursive) {
    struct {
        uint64_t attr_set, attr_clr, propagation, userns_fd;
    } attr = {};
    attr.attr_set =
        MOUNT_ATTR_NOSUID | (nodev ? MOUNT_ATTR_NODEV : 0) | (readOnly ? MOUNT_ATTR_RDONLY : 0);
    unsigned flags = recursive ? AT_RECURSIVE : 0;
    if (::syscall(SYS_mount_setattr, AT_FDCWD, absPath.c_str(), flags, &attr, sizeof attr) != 0)
        return Error::fromErrno("mount_setattr(" + quote(target) + ")");
    return Ok();
}

Status waitForFuse(const std::string& absTarget, pid_t pid, const std::string& target, int errFd,
                   const std::string& daemon) {
    // A stat through the mount blocks until the daemon serves requests; run it in a child so
    // a daemon that died before answering cannot hang us.
    pid_t probe = ::fork();
    if (probe < 0) return Error::fromErrno("fork");
    if (probe == 0) {
        // Hold nothing of the fuse connection (the /dev/fuse descriptor is inherited): if the
        // daemon dies before answering, the connection must abort, or this stat would wait for
        // ever. And die with the setup process.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        sys::closeRange(3, ~0U);
        struct stat st;
        ::_exit(::stat(absTarget.c_str(), &st) == 0 ? 0 : 1);
    }
    using namespace std::chrono;
    auto deadline = steady_clock::now() + seconds(10);
    for (;;) {
        int status;
        if (::waitpid(probe, &status, WNOHANG) == probe) {
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Ok();
            break;
        }
        if (::waitpid(pid, &status, WNOHANG) == pid) break;
        if (steady_clock::now() > deadline) break;
        std::this_thread::sleep_for(microseconds(100));
    }
    ::kill(probe, SIGKILL);
    ::waitpid(probe, nullptr, 0);
    ::kill(pid, SIGKILL);
    std::string why;
    char buf[512];
    int fl = ::fcntl(errFd, F_GETFL);
    ::fcntl(errFd, F_SETFL, fl | O_NONBLOCK);
    ssize_t n = ::read(errFd, buf, sizeof buf - 1);
    if (n > 0) why = trim(std::string(buf, static_cast<size_t>(n)));
    return Error(
        daemon + " for " + quote(target) + " did not start" + (why.empty() ? "" : ": " + why), EIO);
}

struct Applier {
    const MountPlan& plan;
    const StorageLayout& storage;
    const MountContext& ctx;
    FuseDaemons& fuse;
    UniqueFd root;
    UniqueFd storageRoot;
    UniqueFd sharedFuse;  // the root of the shared fuse-overlayfs mount, once started
    int generatedCount = 0;
    std::vector<std::string> pinned;  // folders bound onto themselves (pinFoldersAbove)

    // A lower layer: the host's directory, or part of a committed layer. Inside a layer no
    // symlink is followed: its contents were written by a sandboxed program.
    Result<UniqueFd> openLower(const std::string& l) {
        for (const auto& layer : storage.layerDirs) {
            if (!startsWith(l, layer + "/")) continue;
            int base = ::open(layer.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (base < 0) return Error::fromErrno("open layer " + quote(layer));
            UniqueFd b(base);
            std::string relPart = l.substr(layer.size() + 1);
            auto fd = openBeneath(b.get(), relPart, {.flags = O_PATH | O_DIRECTORY});
            if (!fd) return std::move(fd).error().wrap("layer " + quote(layer));
            return fd;
        }
        int fd = ::open(l.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return Error::fromErrno("open lower layer " + quote(l));
        return UniqueFd(fd);
    }

    std::string abs(const std::string& target) const {
        return target == "/" ? ctx.newRoot() : ctx.newRoot() + target;
    }

    Status overlay(const MountOp& o) {
        if (o.overlay.shared) return sharedOverlay(o);
        // Layer parts a committed layer does not have are simply not part of the stack.
        std::vector<UniqueFd> lowerFds;
        std::string lowers;
        for (const auto& l : o.overlay.lowers) {
            auto fd = openLower(l);
            if (!fd) {
                if (fd.error().code() == ENOENT) continue;
                return std::move(fd).error();
            }
            lowers += (lowers.empty() ? "" : ":") + fdPath(fd->get());
            lowerFds.push_back(std::move(fd.value()));
        }
        if (lowerFds.empty()) {
            // Nothing below (a home with no layer part): the upper directory alone.
            LB_ASSIGN(UniqueFd up, openStorageDir(storageRoot.get(), o.overlay.upper));
            LB_ASSIGN(UniqueFd tgt, openInRoot(root.get(), o.target, Create::Dirs, 0755));
            LB_TRY(doMount(fdPath(up.get()), tgt.get(), o.target, nullptr, MS_BIND | MS_REC, {}));
            return setMountAttrs(abs(o.target), o.target, false, true, false);
        }
        LB_ASSIGN(UniqueFd up, openStorageDir(storageRoot.get(), o.overlay.upper));
        LB_ASSIGN(UniqueFd work, openStorageDir(storageRoot.get(), o.overlay.work));
        LB_ASSIGN(UniqueFd tgt, openInRoot(root.get(), o.target, Create::Dirs, 0755));
        std::string opts = "lowerdir=" + lowers + ",upperdir=" + fdPath(up.get()) +
                           ",workdir=" + fdPath(work.get());
        if (o.overlay.driver == Driver::Native) {
            // userxattr: overlayfs keeps its metadata in user.overlay.* xattrs, which an
            // unprivileged mounter may write (kernel >= 5.11).
            LB_TRY(doMount("overlay", tgt.get(), o.target, "overlay", MS_NOSUID | MS_NODEV,
                           opts + ",userxattr"));
            if (!storage.ephemeral) {
                int root =
                    ::open(abs(o.target).c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (root < 0) return Error::fromErrno("open(" + quote(o.target) + ")");
                fuse.diskOverlays.emplace_back(root);
            }
            return Ok();
        }
        // fuse-overlayfs sees host files of other owners (root) as the overflow id, which the
        // kernel then refuses to delete or rename (EOVERFLOW). Presenting every file as the
        // user's lets the program change anything *in its own layer*; reads still happen with
        // the user's real rights on the host, so nothing unreadable becomes readable.
        return fuseOverlay(o,
                           opts + ",squash_to_uid=" + std::to_string(::getuid()) +
                               ",squash_to_gid=" + std::to_string(::getgid()),
                           lowerFds, up.get(), work.get(), tgt.get());
    }

    // A directory served by the sandbox's one fuse-overlayfs (started at the first of them):
    // a bind of that directory of the shared mount.
    Status sharedOverlay(const MountOp& o) {
        if (!sharedFuse.valid()) LB_TRY(startSharedFuse());
        LB_ASSIGN(UniqueFd src,
                  openBeneath(sharedFuse.get(), rel(o.target), {.flags = O_PATH | O_DIRECTORY}));
        LB_ASSIGN(UniqueFd tgt, openInRoot(root.get(), o.target, Create::Dirs, 0755));
        LB_TRY(doMount(fdPath(src.get()), tgt.get(), o.target, nullptr, MS_BIND, {}));
        return setMountAttrs(abs(o.target), o.target, false, true, false);
    }

    // The one fuse-overlayfs for every shared overlay of the plan. Lower layer k is a staging
    // tree, STAGING/lowers/k, holding for each overlaid directory D (usr, etc, home/USER ...)
    // a read-only bind at D of that directory's part of layer k (the committed layers top
    // first, the host last). The upper layer is the sandbox's upper/, whose directories are
    // upper/D as with one overlay per directory, so changes, diff, recover and commit read the
    // same layout.
    //
    // Security: what the daemon serves, and so all the sandbox can reach through it, is its
    // lower and upper layers: the staging trees hold nothing but the directories the plan
    // overlays, the same ones that one daemon per directory served (the host's "/" is never a
    // lower layer: the whitelist stays a whitelist). The staging trees live in the setup
    // process's private tmpfs (mode 0700), invisible from the sandbox, whose root binds only
    // each overlaid directory of the mount, never its top. The daemon itself is what each
    // per-directory daemon was: a process of the user with no capability, in a copy of the
    // setup process's mount namespace (the host's tree, as the user sees it, plus the staging
    // tmpfs), outside the sandbox's PID namespace; it reaches no more of the host than before.
    Status startSharedFuse() {
        if (ctx.fuseOverlayfs.empty())
            return Error("fuse-overlayfs is not installed; see layerbox doctor", ENOENT);
        const std::string stage = ctx.stagingDir + "/lowers";
        const size_t hostIndex = storage.layerDirs.size();
        std::vector<bool> used(hostIndex + 1, false);
        std::string targets;
        for (const auto& o : plan.ops) {
            if (o.kind != MountKind::Overlay || !o.overlay.shared) continue;
            targets += (targets.empty() ? "" : ", ") + o.target;
            LB_ASSIGN(UniqueFd up, openStorageDir(storageRoot.get(), o.overlay.upper));
            (void)up;
            for (const auto& l : o.overlay.lowers) {
                auto fd = openLower(l);
                if (!fd) {
                    if (fd.error().code() == ENOENT) continue;
                    return std::move(fd).error();
                }
                size_t k = hostIndex;
                for (size_t i = 0; i < hostIndex; ++i)
                    if (startsWith(l, storage.layerDirs[i] + "/")) k = i;
                const std::string at = stage + "/" + std::to_string(k) + o.target;
                LB_TRY(makeDirs(at, 0755));
                // Recursive: fuse-overlayfs crosses the host's submounts, as it did before.
                if (::mount(fdPath(fd->get()).c_str(), at.c_str(), nullptr, MS_BIND | MS_REC,
                            nullptr) != 0)
                    return Error::fromErrno("mount(bind, lower layer " + quote(l) + ")");
                LB_TRY(setMountAttrs(at, l, true, true, true));
                used[k] = true;
            }
        }
        std::string lowers;
        for (size_t k = 0; k <= hostIndex; ++k)
            if (used[k]) lowers += (lowers.empty() ? "" : ":") + stage + "/" + std::to_string(k);
        if (lowers.empty()) {  // nothing below any of them: an empty lower layer
            lowers = stage + "/empty";
            LB_TRY(makeDirs(lowers, 0755));
        }
        LB_ASSIGN(UniqueFd up, openStorageDir(storageRoot.get(), "upper"));
        LB_ASSIGN(UniqueFd work, openStorageDir(storageRoot.get(), kSharedFuseWork));
        const std::string mnt = ctx.stagingDir + "/fuse";
        if (::mkdir(mnt.c_str(), 0755) != 0) return Error::fromErrno("mkdir " + quote(mnt));
        int fd = ::open(mnt.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return Error::fromErrno("open " + quote(mnt));
        UniqueFd tgt(fd);
        // The uid options: as overlay() says for one directory.
        const std::string opts = "lowerdir=" + lowers + ",upperdir=" + fdPath(up.get()) +
                                 ",workdir=" + fdPath(work.get()) +
                                 ",squash_to_uid=" + std::to_string(::getuid()) +
                                 ",squash_to_gid=" + std::to_string(::getgid());
        LB_TRY(startFuseDaemon(targets, mnt, tgt.get(), "fuse-overlayfs", MS_NOSUID | MS_NODEV,
                               {up.get(), work.get()}, {ctx.fuseOverlayfs, "-f", "-o", opts}));
        fd = ::open(mnt.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return Error::fromErrno("open the shared fuse-overlayfs mount");
        sharedFuse.reset(fd);
        return Ok();
    }

    // fuse-overlayfs, without giving it any capability (startFuseDaemon).
    Status fuseOverlay(const MountOp& o, const std::string& opts, std::vector<UniqueFd>& lowers,
                       int up, int work, int tgt) {
        if (ctx.fuseOverlayfs.empty())
            return Error("fuse-overlayfs is not installed (needed for " + quote(o.target) +
                             "); see layerbox doctor",
                         ENOENT);
        std::vector<int> keep = {up, work};
        for (auto& l : lowers)
            keep.push_back(l.get());
        return startFuseDaemon(o.target, abs(o.target), tgt, "fuse-overlayfs", MS_NOSUID | MS_NODEV,
                               keep, {ctx.fuseOverlayfs, "-f", "-o", opts});
    }

    // An AppImage's squashfs, served by squashfuse from the image file opened here (the file
    // that was read when the launch was planned, its payload checked again), read-only.
    Status appImage(const MountOp& o) {
        if (ctx.squashfuse.empty())
            return Error("squashfuse is not installed; it is needed to run AppImages", ENOENT);
        UniqueFd img(::open(o.source.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
        if (!img.valid()) return Error::fromErrno("open " + quote(o.source));
        struct stat st;
        if (::fstat(img.get(), &st) != 0) return Error::fromErrno("stat " + quote(o.source));
        char magic[4] = {};
        if (!S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_dev) != o.dev ||
            static_cast<uint64_t>(st.st_ino) != o.ino ||
            ::pread(img.get(), magic, sizeof magic, static_cast<off_t>(o.offset)) != 4)
            return Error(quote(o.source) + " changed after it was read; not mounted", ESTALE);
        LB_TRY(checkSquashfsMagic(std::string_view(magic, 4), o.offset, o.source));
        LB_ASSIGN(UniqueFd tgt, openInRoot(root.get(), o.target, Create::Dirs, 0755));
        // Security: squashfs is read-only by design, and the mount is too (MS_RDONLY), nosuid
        // and nodev: nothing the image holds can gain privileges or reach a device. squashfuse
        // parses a downloaded file, so it runs as the fuse-overlayfs daemons do: no capability,
        // outside the sandbox's PID namespace, ended with the setup process.
        const int imgFd = img.get();
        return startFuseDaemon(o.target, abs(o.target), tgt.get(), "squashfuse",
                               MS_NOSUID | MS_NODEV | MS_RDONLY, {imgFd},
                               {ctx.squashfuse, "-f", "-o", "offset=" + std::to_string(o.offset),
                                "/dev/fd/" + std::to_string(imgFd)});
    }

    // A fuse daemon without giving it any capability: we open /dev/fuse and mount the fuse
    // file system ourselves, then hand the daemon the connection as "/dev/fd/N" (libfuse serves
    // an already-mounted connection), appended to `argv`. Requests made before it answers
    // simply wait. `keep`: descriptors the daemon inherits. `target`: what it serves, as said
    // in messages; `absTarget`: its mount point in our namespace; `tgt`: that, open.
    Status startFuseDaemon(const std::string& target, const std::string& absTarget, int tgt,
                           const std::string& name, unsigned long flags,
                           const std::vector<int>& keep, std::vector<std::string> argv) {
        UniqueFd dev(::open("/dev/fuse", O_RDWR | O_CLOEXEC));
        if (!dev.valid()) return Error::fromErrno("open(\"/dev/fuse\") (see layerbox doctor)");
        char data[128];
        std::snprintf(data, sizeof data, "fd=%d,rootmode=40000,user_id=%u,group_id=%u", dev.get(),
                      ::getuid(), ::getgid());
        LB_TRY(doMount(name, tgt, target, ("fuse." + name).c_str(), flags, data));
        argv.push_back("/dev/fd/" + std::to_string(dev.get()));
        std::vector<const char*> args;
        for (const auto& a : argv)
            args.push_back(a.c_str());
        args.push_back(nullptr);
        int errPipe[2];
        if (::pipe2(errPipe, O_CLOEXEC) != 0) return Error::fromErrno("pipe2");
        UniqueFd errRead(errPipe[0]), errWrite(errPipe[1]);
        const pid_t setupPid = ::getpid();
        pid_t pid = ::fork();
        if (pid < 0) return Error::fromErrno("fork(" + name + ")");
        if (pid == 0) {
            // The daemon dies with the setup process: it lives outside the sandbox's PID
            // namespace, where the sandboxed program cannot signal it, so nothing else would.
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            // A mount namespace of its own keeps the daemon's view of the host's directories
            // when PID 1 pivots the sandbox's namespace to the new root: fuse-overlayfs
            // resolves some layer paths again after start-up.
            if (::unshare(CLONE_NEWNS) != 0) ::_exit(126);
            // It needs no capability (we mounted for it). Dropping them before exec also keeps
            // the parent-death signal, which the kernel clears when exec changes credentials.
            if (!dropAllCapabilities()) ::_exit(126);
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != setupPid) ::_exit(126);
            for (int fd : keep)
                ::fcntl(fd, F_SETFD, 0);
            ::fcntl(dev.get(), F_SETFD, 0);
            ::dup2(errWrite.get(), 2);
            int devnull = ::open("/dev/null", O_RDWR);
            if (devnull >= 0) {
                ::dup2(devnull, 0);
                ::dup2(devnull, 1);
            }
            ::execv(args[0], const_cast<char* const*>(args.data()));
            std::fprintf(stderr, "exec %s: %s\n", args[0], strerror(errno));
            ::_exit(127);
        }
        errWrite.reset();
        fuse.pids.push_back(pid);
        fuse.targets.push_back(target);
        fuse.names.push_back(name);
        // Wait until the daemon has answered the kernel's INIT (a stat through the mount
        // returns), or report why it died.
        return waitForFuse(absTarget, pid, target, errRead.get(), name);
    }

    // One file given to the sandbox: opened without following any link, and only when it is
    // still the file that was checked; its mount point made without following links either.
    Status grantOp(const MountOp& o) {
        int fd = sys::openat2(AT_FDCWD, o.source.c_str(), O_PATH | O_CLOEXEC,
                              RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
        if (fd < 0) return Error::fromErrno("open " + quote(o.source));
        UniqueFd src(fd);
        struct stat st;
        if (::fstat(src.get(), &st) != 0) return Error::fromErrno("stat " + quote(o.source));
        if (static_cast<uint64_t>(st.st_dev) != o.dev || static_cast<uint64_t>(st.st_ino) != o.ino)
            return Error(quote(o.source) + " changed after it was checked; nothing was granted",
                         ESTALE);
        LB_ASSIGN(UniqueFd tgt, makeGrantMountPoint(root.get(), o.target));
        LB_TRY(doMount(fdPath(src.get()), tgt.get(), o.target, nullptr, MS_BIND, {}));
        return setMountAttrs(abs(o.target), o.target, o.readOnly, true, false);
    }

    Status bindOp(const MountOp& o) {
        if (o.grant) {
            auto s = grantOp(o);
            if (!s && o.optional && ctx.verbose)
                std::fprintf(stderr, "layerbox: %s not shown: %s\n", o.target.c_str(),
                             s.error().message().c_str());
            return o.optional ? Ok() : s;
        }
        UniqueFd src;
        bool isDir = true;
        std::string real;  // the opened source's path, links resolved (checkSource)
        if (o.fromStorage) {
            LB_ASSIGN(src, openStorageDir(storageRoot.get(), o.source));
        } else {
            int fd = ::open(o.source.c_str(), O_PATH | O_CLOEXEC);
            if (fd < 0 && errno == ENOENT && o.createSource) {
                LB_TRY_CTX(makeDirs(o.source, 0755), "bind " + quote(o.source));
                fd = ::open(o.source.c_str(), O_PATH | O_CLOEXEC);
            }
            if (fd < 0) {
                if (errno == ENOENT && o.optional) return Ok();
                return Error::fromErrno("bind source " + quote(o.source));
            }
            src.reset(fd);
            struct stat st;
            if (::fstat(src.get(), &st) != 0) return Error::fromErrno("stat " + quote(o.source));
            isDir = S_ISDIR(st.st_mode);
            if (o.checkSource) {
                // Security: what was opened, not what the profile said when it was read: a link
                // changed since (or a directory renamed) must not reach the user manager.
                LB_ASSIGN(real, realPathOf(src.get(), o.source));
                if (auto why = ctx.bindPolicy.refusal(real); !why.empty())
                    return Error("bind source " + quote(o.source) + " refused: " + why, EPERM);
                if (auto why = o.readOnly ? "" : ctx.bindPolicy.writableRefusal(real); !why.empty())
                    return Error("bind source " + quote(o.source) + " refused: " + why, EPERM);
            }
        }
        // The target's last component must not be a symlink: a program could have planted one
        // in its persistent layer to have a later launch mount the host folder elsewhere.
        {
            LB_ASSIGN(UniqueFd parent,
                      openInRoot(root.get(), dirName(o.target), Create::Dirs, 0755));
            struct stat st;
            if (::fstatat(parent.get(), baseName(o.target).c_str(), &st, AT_SYMLINK_NOFOLLOW) ==
                    0 &&
                S_ISLNK(st.st_mode))
                return Error("bind target " + quote(o.target) +
                                 " is a symbolic link inside the sandbox; refusing to follow it",
                             ELOOP);
        }
        LB_ASSIGN(UniqueFd tgt,
                  openInRoot(root.get(), o.target, isDir ? Create::Dirs : Create::File,
                             isDir ? 0755 : 0644));
        LB_TRY(doMount(fdPath(src.get()), tgt.get(), o.target, nullptr, MS_BIND | MS_REC, {}));
        // Every bind is nosuid, and nodev unless it is a device.
        LB_TRY(setMountAttrs(abs(o.target), o.target, o.readOnly, !o.device, true));
        // Layerbox's folders inside the bound folder (the home bound elsewhere) are hidden.
        if (o.checkSource)
            for (const auto& h : ctx.bindPolicy.hiddenBelow(real, o.target)) {
                if (!o.readOnly) LB_TRY(pinFoldersAbove(o.target, h));
                LB_TRY(hide(op(MountKind::Hide, h)));
            }
        return Ok();
    }

    // Security: a hiding mount moves with its folder. In a read-write bind two or more levels
    // above a Layerbox folder (the home bound: ~/.config/layerbox), the program could rename a
    // folder in between (~/.config) aside, hiding mount and all, make a new ~/.config/layerbox
    // on the host and plant a profile or a layer for later launches. Each folder between the
    // bind and the hidden one is bound onto itself, so it is a mount point inside the sandbox,
    // which rename(2) and rmdir(2) refuse (EBUSY); the program cannot unmount it (no
    // capabilities, and seccomp refuses umount). A missing Layerbox folder is made first
    // (0700), or the program could make it and fill it.
    Status pinFoldersAbove(const std::string& bindTarget, const std::string& hidden) {
        // On a read-only file system nobody makes it; any other failure ends the launch (a
        // folder of the user's own that we may not write to, the program could chmod).
        if (auto made = openInRoot(root.get(), hidden, Create::Dirs, 0700); !made) {
            if (made.error().code() == EROFS) return Ok();
            return std::move(made).error().wrap("making " + quote(hidden) + " to hide it");
        }
        std::vector<std::string> between;
        for (std::string d = dirName(hidden); d != bindTarget && startsWith(d, bindTarget + "/");
             d = dirName(d))
            between.insert(between.begin(), d);
        for (const auto& d : between) {
            if (contains(pinned, d)) continue;
            LB_ASSIGN(UniqueFd fd, openInRoot(root.get(), d, Create::No, 0));
            LB_TRY(doMount(fdPath(fd.get()), fd.get(), d, nullptr, MS_BIND | MS_REC, {}));
            LB_TRY(setMountAttrs(abs(d), d, false, true, true));
            pinned.push_back(d);
        }
        return Ok();
    }

    Status hide(const MountOp& o) {
        // A link is hidden where it leads (as Firejail's blacklist does): the read-only step
        // below names the path, and an absolute link (/usr/bin/cc -> /etc/alternatives/cc)
        // would otherwise be followed on the host's side of the new root. Links are resolved
        // inside the new root only, so this never reaches a host path.
        const std::string target = resolveLink(o.target);
        auto tgt = openInRoot(root.get(), target, Create::No, 0);
        if (!tgt) return Ok();  // nothing there to hide
        struct stat st;
        if (::fstat(tgt->get(), &st) != 0) return Error::fromErrno("stat " + quote(o.target));
        if (S_ISDIR(st.st_mode)) {
            LB_TRY(doMount("tmpfs", tgt->get(), target, "tmpfs",
                           MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "mode=000,size=4k"));
            return Ok();
        }
        std::string empty = ctx.stagingDir + "/empty";
        LB_TRY(doMount(empty, tgt->get(), target, nullptr, MS_BIND, {}));
        return setMountAttrs(abs(target), target, true, true, false);
    }

    // Follow a symlink at `target` inside the new root, even a dangling one (the host's
    // /etc/resolv.conf often points into /run, which is a fresh tmpfs here).
    std::string resolveLink(std::string target) {
        for (int depth = 0; depth < 8; ++depth) {
            auto parent = openInRoot(root.get(), dirName(target), Create::No, 0);
            if (!parent) return target;
            char buf[4096];
            ssize_t n = ::readlinkat(parent->get(), baseName(target).c_str(), buf, sizeof buf - 1);
            if (n <= 0) return target;
            std::string link(buf, static_cast<size_t>(n));
            target = normalizePath(link[0] == '/' ? link : joinPath(dirName(target), link));
        }
        return target;
    }

    Status generated(const MountOp& o) {
        std::string file = ctx.stagingDir + "/generated-" + std::to_string(++generatedCount);
        LB_TRY(writeFileAtomic(file, o.content, 0644, false));
        std::string target = resolveLink(o.target);
        LB_ASSIGN(UniqueFd tgt, openInRoot(root.get(), target, Create::File, 0644));
        LB_TRY(doMount(file, tgt.get(), target, nullptr, MS_BIND, {}));
        return setMountAttrs(abs(target), target, true, true, false);
    }

    Status apply(const MountOp& o) {
        switch (o.kind) {
            case MountKind::RootTmpfs: {
                std::string r = ctx.newRoot();
                if (::mount("tmpfs", r.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0)
                    return Error::fromErrno("mount(tmpfs, new root)");
                int fd = ::open(r.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0) return Error::fromErrno("open new root");
                root.reset(fd);
                return Ok();
            }
            case MountKind::Tmpfs: {
                LB_ASSIGN(UniqueFd tgt, openInRoot(root.get(), o.target, Create::Dirs, 0755));
                char data[32];
                std::snprintf(data, sizeof data, "mode=%04o", o.mode);
                return doMount("tmpfs", tgt.get(), o.target, "tmpfs", MS_NOSUID | MS_NODEV, data);
            }
            case MountKind::Dir: {
                LB_ASSIGN(UniqueFd tgt, openInRoot(root.get(), o.target, Create::Dirs, o.mode));
                (void)tgt;
                return Ok();
            }
            case MountKind::Symlink: {
                LB_ASSIGN(UniqueFd parent,
                          openInRoot(root.get(), dirName(o.target), Create::Dirs, 0755));
                if (::symlinkat(o.content.c_str(), parent.get(), baseName(o.target).c_str()) != 0 &&
                    errno != EEXIST)
                    return Error::fromErrno("symlink " + quote(o.target));
                return Ok();
            }
            case MountKind::File: {
                LB_ASSIGN(UniqueFd parent,
                          openInRoot(root.get(), dirName(o.target), Create::Dirs, 0755));
                int fd = ::openat(parent.get(), baseName(o.target).c_str(),
                                  O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, o.mode);
                if (fd < 0) return Error::fromErrno("create " + quote(o.target));
                UniqueFd f(fd);
                return writeAll(f.get(), o.content, o.target);
            }
            case MountKind::Bind:
                return bindOp(o);
            case MountKind::Overlay:
                return overlay(o);
            case MountKind::Devpts: {
                LB_ASSIGN(UniqueFd tgt, openInRoot(root.get(), o.target, Create::Dirs, 0755));
                return doMount("devpts", tgt.get(), o.target, "devpts", MS_NOSUID | MS_NOEXEC,
                               "newinstance,ptmxmode=0666,mode=620");
            }
            case MountKind::Mqueue: {
                LB_ASSIGN(UniqueFd tgt, openInRoot(root.get(), o.target, Create::Dirs, 0755));
                auto s = doMount("mqueue", tgt.get(), o.target, "mqueue",
                                 MS_NOSUID | MS_NODEV | MS_NOEXEC, {});
                return o.optional ? Ok() : s;
            }
            case MountKind::Hide:
                return hide(o);
            case MountKind::GeneratedFile:
                return generated(o);
            case MountKind::Sysfs: {
                LB_ASSIGN(UniqueFd tgt, openInRoot(root.get(), o.target, Create::Dirs, 0755));
                auto s = doMount("sysfs", tgt.get(), o.target, "sysfs",
                                 MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, {});
                if (s) return Ok();
                // Some kernels refuse a new sysfs here: show the host's, read-only.
                return bindOp(bind("/sys", "/sys", true));
            }
            case MountKind::AppImage:
                return appImage(o);
            default:
                return Ok();  // phase 2
        }
    }
};

}  // namespace

Status applyMountsPhase1(const MountPlan& plan, const StorageLayout& storage,
                         const MountContext& ctx, FuseDaemons& started) {
    // A private tmpfs over the staging directory (in our mount namespace only): the new root
    // and, for ephemeral sandboxes, the throw-away upper layers live in it.
    if (::mount("tmpfs", ctx.stagingDir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") != 0)
        return Error::fromErrno("mount(tmpfs, " + quote(ctx.stagingDir) + ")");
    for (const char* d : {"/root", "/storage"})
        if (::mkdir((ctx.stagingDir + d).c_str(), 0755) != 0)
            return Error::fromErrno("mkdir " + quote(ctx.stagingDir + d));
    {
        int fd = ::open((ctx.stagingDir + "/empty").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0);
        if (fd < 0) return Error::fromErrno("create the empty file");
        ::close(fd);
    }
    Applier a{plan, storage, ctx, started, {}, {}, {}};
    std::string storageRoot = ctx.storageRoot(storage);
    int sfd = ::open(storageRoot.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (sfd < 0) return Error::fromErrno("open the sandbox storage " + quote(storageRoot));
    a.storageRoot.reset(sfd);
    for (const auto& o : plan.ops) {
        if (o.phase() != 1) continue;
        if (ctx.verbose) std::fprintf(stderr, "layerbox: mount: %s\n", o.describe().c_str());
        LB_TRY_CTX(a.apply(o), "setting up " + quote(o.target));
    }
    return Ok();
}

Status applyMountsPhase2(const MountPlan& plan, const MountContext& ctx) {
    const std::string root = ctx.newRoot();
    for (const auto& o : plan.ops) {
        if (o.phase() != 2) continue;
        const std::string path = o.target == "/" ? root : root + o.target;
        switch (o.kind) {
            case MountKind::Proc:
                if (::mount("proc", path.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                            nullptr) != 0)
                    return Error::fromErrno("mount(proc, \"/proc\")");
                break;
            case MountKind::Cgroup:
                // The sandbox's own part of the cgroup tree (programs such as the JVM size
                // themselves from it); not every host has cgroup v2, so this may fail.
                // Made ahead, the scope's directory is that part already (this process's
                // cgroup namespace starts there): a bind of it shows the same files and, unlike
                // a cgroup2 mount, does not wait for the cgroup lock that the user manager
                // holds for an RCU grace period while its job moves the setup process (about
                // 10 ms here, issue 25). Read-only, and nothing above it is reachable: a bind's
                // ".." stops at its root.
                if (!ctx.scopeCgroup.empty()) {
                    if (::mount(ctx.scopeCgroup.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) !=
                        0)
                        return Error::fromErrno("mount(bind " + quote(ctx.scopeCgroup) + ", " +
                                                quote(o.target) + ")");
                    LB_TRY(setMountAttrs(path, o.target, true, true, false));
                    break;
                }
                if (::mount("cgroup2", path.c_str(), "cgroup2",
                            MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0 &&
                    !o.optional)
                    return Error::fromErrno("mount(cgroup2, " + quote(o.target) + ")");
                break;
            case MountKind::ProcReadOnly:
                if (!pathExists(path)) break;
                if (::mount(path.c_str(), path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
                    return Error::fromErrno("mount(bind, " + quote(o.target) + ")");
                LB_TRY(setMountAttrs(path, o.target, true, true, true));
                break;
            case MountKind::ProcHide:
                if (!pathExists(path)) break;
                if (::mount((root + "/dev/null").c_str(), path.c_str(), nullptr, MS_BIND,
                            nullptr) != 0)
                    return Error::fromErrno("mount(bind /dev/null, " + quote(o.target) + ")");
                break;
            case MountKind::RemountRootReadOnly:
                if (::mount(nullptr, root.c_str(), nullptr,
                            MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0)
                    return Error::fromErrno("remount the root read-only");
                break;
            default:
                break;
        }
    }
    return Ok();
}

size_t plannedDiskOverlays(const MountPlan& plan, const StorageLayout& storage) {
    if (storage.ephemeral) return 0;
    return static_cast<size_t>(
        std::count_if(plan.ops.begin(), plan.ops.end(), [](const MountOp& o) {
            return o.kind == MountKind::Overlay && !o.overlay.shared &&
                   o.overlay.driver == Driver::Native;
        }));
}

struct OverlayUnmounter::Shared {
    explicit Shared(size_t count) : slots(count) {}
    UniqueFd go;  // eventfd: readable once released
    std::latch started{1};
    std::mutex mutex;             // slots: filled by hold(), emptied by the threads after "go"
    std::vector<UniqueFd> slots;  // the overlays' roots, one per thread at the end
    std::vector<int> raw;         // go and every overlay held, for closeInChild

    // Take down slots[i], in the calling thread: a working directory of its own (threads share
    // one) in "." of this overlay's root, whatever path leads to it now. Once the descriptor and
    // the working directory let go, the detached overlay's last reference is gone and the kernel
    // shuts it down (the sync) in this thread, on its way out of chdir. What could not be done
    // goes back to its slot, for release() to try in its own thread.
    void unmount(size_t i) {
        UniqueFd root;
        {
            std::lock_guard<std::mutex> lock(mutex);
            root = std::move(slots[i]);
        }
        if (!root.valid()) return;
        if (::unshare(CLONE_FS) != 0 || !unmountRoot(root)) {
            std::lock_guard<std::mutex> lock(mutex);
            slots[i] = std::move(root);
        }
    }

    // fchdir into the overlay's root, detach it, let go: the last reference goes with the chdir.
    // False (and `root` kept) when it could not be detached.
    static bool unmountRoot(UniqueFd& root) {
        if (::fchdir(root.get()) != 0) return false;
        if (::umount2(".", MNT_DETACH) != 0) {
            (void)!::chdir("/");
            return false;
        }
        root.reset();
        (void)!::chdir("/");
        return true;
    }
};

OverlayUnmounter::OverlayUnmounter(size_t count) {
    if (count == 0) return;
    // Without it the overlays are simply let go: the kernel unmounts them in our exit.
    UniqueFd go(::eventfd(0, EFD_CLOEXEC));
    if (!go.valid()) return;
    shared_ = std::make_unique<Shared>(count);
    shared_->raw.push_back(go.get());
    shared_->go = std::move(go);
    try {
        // One thread now (issue 25: five made here cost the launch 1.5-2 ms on this VM); it
        // makes the others at the end. It may: clone refuses CLONE_THREAD to the setup process's
        // main thread once that one has unshared its PID namespace for PID 1, but the namespaces
        // for children are each thread's own, and this one keeps those it was made with.
        threads_.emplace_back([sh = shared_.get()] {
            sh->started.count_down();
            struct pollfd p = {sh->go.get(), POLLIN, 0};
            while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
            }
            std::vector<std::thread> others;
            for (size_t i = 1; i < sh->slots.size(); ++i) {
                try {
                    others.emplace_back([sh, i] { sh->unmount(i); });
                } catch (const std::system_error&) {
                    sh->unmount(i);  // one after the other, then
                }
            }
            sh->unmount(0);
            for (auto& t : others)
                t.join();
        });
    } catch (const std::system_error&) {
        shared_.reset();  // the overlays go down in our exit
    }
}

void OverlayUnmounter::hold(std::vector<UniqueFd> overlays) {
    size_t i = 0;
    if (shared_) {
        std::lock_guard<std::mutex> lock(shared_->mutex);
        for (; i < overlays.size() && i < shared_->slots.size(); ++i) {
            shared_->raw.push_back(overlays[i].get());
            shared_->slots[i] = std::move(overlays[i]);
        }
    }
    for (; i < overlays.size(); ++i)
        rest_.push_back(std::move(overlays[i]));
}

void OverlayUnmounter::waitStarted() {
    if (shared_) shared_->started.wait();
}

OverlayUnmounter::~OverlayUnmounter() {
    release();
}

bool OverlayUnmounter::release() {
    if (released_) return true;
    released_ = true;
    if (shared_) {
        uint64_t one = 1;
        (void)!::write(shared_->go.get(), &one, sizeof one);
        for (auto& t : threads_)
            t.join();
        threads_.clear();
        for (auto& s : shared_->slots)
            if (s.valid()) rest_.push_back(std::move(s));
        shared_.reset();
    }
    bool all = true;
    for (auto& root : rest_)
        if (root.valid() && !Shared::unmountRoot(root)) all = false;
    rest_.clear();
    return all;
}

void OverlayUnmounter::closeInChild() {
    for (auto& root : rest_)
        if (root.valid()) ::close(root.release());
    if (!shared_) return;
    for (int fd : shared_->raw)
        ::close(fd);
}

Status enterNewRoot(const MountContext& ctx) {
    // pivot_root(".", ".") stacks the old root on top of the new one; detaching "." then
    // removes the old root, leaving no path back to the host's file system.
    const std::string root = ctx.newRoot();
    if (::chdir(root.c_str()) != 0) return Error::fromErrno("chdir(new root)");
    if (::syscall(SYS_pivot_root, ".", ".") != 0) return Error::fromErrno("pivot_root");
    if (::umount2(".", MNT_DETACH) != 0) return Error::fromErrno("umount2(old root)");
    if (::chdir("/") != 0) return Error::fromErrno("chdir(\"/\")");
    return Ok();
}

}  // namespace lb
