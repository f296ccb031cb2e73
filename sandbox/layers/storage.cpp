#include "layers/storage.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/hostinfo.h"
#include "base/paths.h"
#include "base/safe_open.h"
#include "isolation/userns.h"

namespace lb {

// The probe child: everything happens in a fresh user + mount namespace, so nothing it mounts
// is visible anywhere else and everything vanishes when it exits.
// Errors that come from the moment (a full disk, no memory), not from what the kernel can do.
bool storageProbeFailureIsTransient(int code) {
    return code == ENOSPC || code == EDQUOT || code == ENOMEM || code == EAGAIN || code == EMFILE ||
           code == ENFILE || code == EIO || code == EINTR || code == EROFS;
}

static int probeChild(const std::string& dir, uid_t uid, gid_t gid, int errFd) {
    auto fail = [&](const char* what) {
        // "ERRNO what: reason": the parent tells a transient failure from a refusal.
        std::string m = std::to_string(errno) + " " + std::string(what) + ": " + strerror(errno);
        (void)!::write(errFd, m.data(), m.size());
        return 1;
    };
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return fail("unshare");
    if (!applyIdMap(planIdMaps(uid, gid).outer)) return fail("writing id maps");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return fail("mount private");
    for (const char* d : {"/l1", "/l1/d", "/l2", "/u", "/w", "/m"})
        if (::mkdir((dir + d).c_str(), 0755) != 0) return fail("mkdir");
    for (const char* f : {"/l1/a", "/l1/d/x", "/l2/b"}) {
        int fd = ::open((dir + f).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0) return fail("create");
        ::close(fd);
    }
    std::string opts = "lowerdir=" + dir + "/l1:" + dir + "/l2,upperdir=" + dir +
                       "/u,workdir=" + dir + "/w,userxattr";
    if (::mount("overlay", (dir + "/m").c_str(), "overlay", 0, opts.c_str()) != 0)
        return fail("mount overlay");
    if (::unlink((dir + "/m/a").c_str()) != 0) return fail("delete through the overlay");
    if (::unlink((dir + "/m/d/x").c_str()) != 0 || ::rmdir((dir + "/m/d").c_str()) != 0 ||
        ::mkdir((dir + "/m/d").c_str(), 0755) != 0)
        return fail("replace a directory through the overlay");
    struct stat st;
    if (::lstat((dir + "/u/a").c_str(), &st) != 0 || !S_ISCHR(st.st_mode) ||
        st.st_rdev != makedev(0, 0)) {
        errno = EPROTO;
        return fail("no 0:0 whiteout in the upper layer");
    }
    if (::access((dir + "/m/d/x").c_str(), F_OK) == 0) {
        errno = EPROTO;
        return fail("replaced directory still shows the lower layer");
    }
    return 0;
}

Status probeNativeOverlay(const std::string& parent) {
    std::string tmpl = joinPath(parent, ".overlay-probe-XXXXXX");
    if (!::mkdtemp(tmpl.data())) return Error::fromErrno("mkdtemp(" + quote(tmpl) + ")");
    auto removeTmpl = [&] { (void)removeTree(tmpl); };
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return Error::fromErrno("pipe2");
    UniqueFd r(p[0]), w(p[1]);
    uid_t uid = ::getuid();
    gid_t gid = ::getgid();
    pid_t pid = ::fork();
    if (pid < 0) return Error::fromErrno("fork");
    if (pid == 0) ::_exit(probeChild(tmpl, uid, gid, w.get()));
    w.reset();
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    char buf[256];
    ssize_t n = ::read(r.get(), buf, sizeof buf);
    removeTmpl();
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Ok();
    std::string msg = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
    int code = ENOTSUP;
    if (size_t sp = msg.find(' '); sp != std::string::npos && sp > 0 && isdigit(msg[0])) {
        int e = std::atoi(msg.c_str());
        msg = msg.substr(sp + 1);
        if (storageProbeFailureIsTransient(e)) code = e;  // else: what the kernel refuses
    }
    return Error("kernel overlayfs in a user namespace: " + (msg.empty() ? "probe failed" : msg),
                 code);
}

Result<Driver> resolveDriver(Driver requested, const Paths& paths, std::string* reason) {
    if (requested != Driver::Auto) return requested;
    LB_TRY(makeDirs(paths.dataDir(), 0700));
    struct stat st;
    if (::stat(paths.dataDir().c_str(), &st) != 0) return Error::fromErrno("stat data dir");
    std::string kernel;
    if (auto r = readFile("/proc/sys/kernel/osrelease")) kernel = trim(*r);
    const std::string key = kernel + " dev " + std::to_string(st.st_dev);
    const std::string cacheFile = joinPath(paths.cacheHome, "layerbox/overlay-probe");
    // The cache: a small regular file (never a fifo that would hang the launch), and only an
    // answer this code writes; anything else is probed again.
    if (auto cached = readRegularFile(cacheFile, 4096, "the storage probe's cache", false)) {
        auto lines = split(*cached, '\n');
        if (lines.size() >= 2 && lines[0] == key) {
            if (parseDriver(lines[1]) == Driver::Native) return Driver::Native;
            if (parseDriver(lines[1]) == Driver::Fuse) {
                if (reason)
                    *reason = "cached probe result (" + cacheFile + "; delete it to probe again)" +
                              (lines.size() > 2 && !lines[2].empty() ? ": " + lines[2] : "");
                return Driver::Fuse;
            }
        }
    }
    auto probe = probeNativeOverlay(paths.dataDir());
    if (!probe && storageProbeFailureIsTransient(probe.error().code())) {
        // A full disk or a shortage of memory says nothing about the kernel: use fuse for this
        // launch only, and probe again next time.
        if (reason) *reason = probe.error().message() + " (transient: not cached)";
        return Driver::Fuse;
    }
    std::string text =
        key + "\n" +
        (probe ? std::string(driverName(Driver::Native))
               : driverName(Driver::Fuse) + std::string("\n") + probe.error().message()) +
        "\n";
    if (makeDirs(dirName(cacheFile), 0700)) (void)writeFileAtomic(cacheFile, text, 0600);
    if (probe) return Driver::Native;
    if (reason) *reason = probe.error().message();
    return Driver::Fuse;
}

Result<std::string> prepareSandboxDir(const Paths& paths, const std::string& profile) {
    LB_TRY(makeDirs(joinPath(paths.dataDir(), "sandboxes"), 0700));
    std::string dir = paths.sandboxDir(profile);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return Error::fromErrno("mkdir(" + quote(dir) + ")");
    // The sandbox directory itself must be a real directory, not a link somewhere else.
    struct stat st;
    if (::lstat(dir.c_str(), &st) != 0) return Error::fromErrno("lstat(" + quote(dir) + ")");
    if (!S_ISDIR(st.st_mode)) return Error(quote(dir) + " is not a directory", ENOTDIR);
    return dir;
}

Result<UniqueFd> holdLayerMounts(const std::string& sandboxDir, int timeoutMs) {
    const std::string path = joinPath(sandboxDir, ".mounted");
    // Opened for writing: the holder's last close is then an IN_CLOSE_WRITE for the waiter.
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) return Error::fromErrno("open(" + quote(path) + ")");
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return fd;
    if (errno != EWOULDBLOCK) return Error::fromErrno("flock(" + quote(path) + ")");
    // The holder lets go by closing its descriptor (or by ending): inotify says when, but only
    // as a hint: the kernel reports the close before it removes the lock, so a try right after
    // the event can still fail, and each wait is short (20 ms) so that such a wakeup is never
    // lost for long. Without inotify (its instances are few per user) the tries are timed alone.
    // The watch is added before the next try, so a close between the two is not missed.
    UniqueFd events(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (events.valid() && ::inotify_add_watch(events.get(), path.c_str(), IN_CLOSE_WRITE) < 0)
        events.reset();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return fd;
        if (errno != EWOULDBLOCK) return Error::fromErrno("flock(" + quote(path) + ")");
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              deadline - std::chrono::steady_clock::now())
                              .count();
        if (left <= 0)
            return Error("the profile's last sandbox still has its layer mounted after " +
                             std::to_string(timeoutMs / 1000) + " s (" + quote(path) + " is held)",
                         EBUSY);
        const int wait = static_cast<int>(std::min<long long>(left, 20));
        if (!events.valid()) {
            struct timespec ts = {0, wait * 1000000L};
            (void)::nanosleep(&ts, nullptr);
            continue;
        }
        struct pollfd p = {events.get(), POLLIN, 0};
        if (::poll(&p, 1, wait) > 0) {
            char buf[4096];
            while (::read(events.get(), buf, sizeof buf) > 0) {
            }
        }
    }
}

void waitForEndingSandbox(const std::string& sandboxDir) {
    // Taken and let go at once: the holder of the profile's lock is the only one who could
    // mount the layer next. Past the timeout the caller goes on, as it always could.
    (void)holdLayerMounts(sandboxDir);
}

pid_t sandboxLockHolder(const std::string& sandboxDir) {
    struct stat st;
    if (::stat(joinPath(sandboxDir, ".lock").c_str(), &st) != 0) return 0;
    return flockHolder(st.st_dev, st.st_ino);
}

Result<UniqueFd> lockSandbox(const std::string& sandboxDir, bool waitForEnding) {
    std::string path = joinPath(sandboxDir, ".lock");
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) return Error::fromErrno("open(" + quote(path) + ")");
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0)
        return Error::fromErrno("flock(" + quote(path) + ")");
    if (waitForEnding) waitForEndingSandbox(sandboxDir);
    return fd;
}

}  // namespace lb
