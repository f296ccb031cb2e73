#include "layers/live_watch.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <ctime>

#include "base/paths.h"
#include "base/safe_open.h"
#include "layers/changes.h"

namespace lb {

namespace {

constexpr uint32_t kFileMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR;
constexpr uint32_t kAncestorMask = IN_CREATE | IN_MOVED_TO | IN_ONLYDIR;
constexpr int kMaxDepth = 16;  // subfolders of a watched folder that are watched too
// File times come from the kernel's coarse clock, up to a tick (10 ms at HZ=100) behind the
// clock `sinceNs` was read from: a file finished right after the start may carry an earlier
// time.
constexpr int64_t kClockSlackNs = 20 * 1000 * 1000;

int64_t ctimeOf(const struct stat& st) {
    return int64_t(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
}

enum class Writers { None, Some, Unknown };

// Does anyone have the file open for writing? A read lease is refused (EAGAIN) while any
// descriptor of the inode is open for writing: the program's own, or the overlay's (kernel
// overlayfs and fuse-overlayfs write the upper file through a descriptor open as long as the
// program's). Taken and given back at once. Safe: a writer opening the file in between waits
// only until the F_UNLCK right after, and the lease break then signals this process with
// SIGURG (F_SETSIG), whose default action is to ignore it, not SIGIO, whose default would end
// the runner. Needs the file to be ours (the upper layer's files are the user's) and leases
// (fs.leases-enable); otherwise Unknown.
Writers writersOf(int fd) {
    if (::fcntl(fd, F_SETSIG, SIGURG) != 0) return Writers::Unknown;
    if (::fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
        (void)::fcntl(fd, F_SETLEASE, F_UNLCK);
        return Writers::None;
    }
    return errno == EAGAIN ? Writers::Some : Writers::Unknown;
}

}  // namespace

int64_t LiveWatch::monotonicMs() {
    struct timespec t;
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    return int64_t(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
}

Result<std::unique_ptr<LiveWatch>> LiveWatch::open(const std::string& upper,
                                                   std::vector<std::string> watched, int debounceMs,
                                                   int64_t sinceNs, size_t maxWatches) {
    std::unique_ptr<LiveWatch> w(new LiveWatch);
    w->upper_.reset(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!w->upper_.valid()) return Error::fromErrno("open(" + quote(upper) + ")");
    w->inotify_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!w->inotify_.valid()) return Error::fromErrno("inotify_init1");
    w->watched_ = std::move(watched);
    w->debounceMs_ = debounceMs;
    w->maxWatches_ = maxWatches;
    w->sinceNs_ = (sinceNs >= 0 ? sinceNs : wallClockNs()) - kClockSlackNs;
    w->arm();
    if (sinceNs >= 0)
        for (const auto& f : listRecoverable(w->upper_.get(), w->watched_, w->sinceNs_))
            w->pend(f.path, monotonicMs() + debounceMs, true);
    return w;
}

void LiveWatch::pend(const std::string& path, int64_t dueMs, bool found) {
    auto [it, added] = pending_.try_emplace(path, Pending{dueMs, found});
    if (!added) {
        it->second.dueMs = dueMs;                      // a later event for it restarts the wait
        it->second.found = it->second.found && found;  // an event is the better proof
    }
    queue_.emplace_back(dueMs, path);
}

bool LiveWatch::inWatched(const std::string& path) const {
    for (const auto& w : watched_)
        if (isPathWithin(path, w)) return true;
    return false;
}

// Security: every folder is opened one component at a time with O_NOFOLLOW from the upper
// layer's already-open root, so a link the program planted in its upper layer never sends a
// watch (or, later, a read) outside it. inotify_add_watch gets the opened folder through
// /proc/self/fd, never a path the program could change in between.
void LiveWatch::armDir(int dirfd, const std::string& path, bool watchedDir, int depth,
                       int64_t scanFromMs) {
    const std::string proc = "/proc/self/fd/" + std::to_string(dirfd);
    int wd = ::inotify_add_watch(inotify_.get(), proc.c_str(),
                                 (watchedDir ? kFileMask : kAncestorMask) | IN_MASK_ADD);
    if (wd < 0) return;
    // A folder already watched keeps its watch (and takes its new path after a rename); a new
    // one only within the bound: beyond it, its watch is taken back at once (the IN_IGNORED
    // this sends is expected, not a folder gone).
    if (dirs_.count(wd) == 0 && dirs_.size() >= maxWatches_) {
        ::inotify_rm_watch(inotify_.get(), wd);
        dropped_.insert(wd);
        return;
    }
    const bool fresh = dirs_.count(wd) == 0 || (watchedDir && !inWatched(dirs_[wd]));
    dirs_[wd] = path;
    if (!watchedDir || depth >= kMaxDepth) return;
    auto names = listDirAt(dirfd, path);
    if (!names) return;
    for (const auto& n : *names) {
        const std::string sub = path == "/" ? "/" + n : path + "/" + n;
        UniqueFd d(::openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (d.valid()) {
            armDir(d.get(), sub, true, depth + 1, scanFromMs);
            continue;
        }
        // A folder that appeared while the sandbox runs: what is in it already is looked at
        // (due() offers only finished regular files, never links).
        struct stat st;
        if (fresh && scanFromMs >= 0 && !startsWith(n, ".wh.") && !isPartialDownload(n) &&
            ::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            ctimeOf(st) >= sinceNs_)
            pend(sub, scanFromMs + debounceMs_, true);
    }
}

void LiveWatch::arm(int64_t scanFromMs) {
    for (const auto& w : watched_) {
        UniqueFd cur(::fcntl(upper_.get(), F_DUPFD_CLOEXEC, 0));
        std::string path = "/";
        std::vector<std::string> parts;
        for (auto& c : split(w.substr(1), '/'))
            if (!c.empty()) parts.push_back(std::move(c));
        auto descend = [&](const std::string& c) {
            UniqueFd next(
                ::openat(cur.get(), c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!next.valid()) return false;
            cur = std::move(next);
            path = path == "/" ? "/" + c : path + "/" + c;
            return true;
        };
        size_t i = 0;
        for (;;) {
            while (i < parts.size() && descend(parts[i]))
                ++i;
            if (i == parts.size()) {
                armDir(cur.get(), path, true, 0, scanFromMs);
                break;
            }
            // Missing: wait on the nearest ancestor for the folder to appear (then arm again).
            // The program runs meanwhile: a folder made after the failed open and before this
            // watch sent no event, so look once more now that the watch is in place; one made
            // later is reported by it.
            armDir(cur.get(), path, false, 0, scanFromMs);
            if (!descend(parts[i])) break;
            ++i;
        }
    }
}

void LiveWatch::drain(int64_t nowMs) {
    alignas(struct inotify_event) char buf[16384];
    bool rearm = false;
    std::vector<std::string> newDirs;
    for (;;) {
        ssize_t n = ::read(inotify_.get(), buf, sizeof buf);
        if (n <= 0) break;
        for (ssize_t i = 0; i < n;) {
            auto* e = reinterpret_cast<struct inotify_event*>(buf + i);
            i += static_cast<ssize_t>(sizeof(struct inotify_event) + e->len);
            if (e->mask & IN_Q_OVERFLOW) {
                // Events were lost: look at the watched folders again, for files changed since
                // the sandbox started (not the files of earlier runs).
                for (const auto& f : listRecoverable(upper_.get(), watched_, sinceNs_))
                    pend(f.path, nowMs + debounceMs_, true);
                rearm = true;
                continue;
            }
            if (e->mask & IN_IGNORED) {
                if (dropped_.erase(e->wd)) continue;  // one taken back beyond the bound
                dirs_.erase(e->wd);
                rearm = true;
                continue;
            }
            auto it = dirs_.find(e->wd);
            if (it == dirs_.end() || e->len == 0) continue;
            const std::string name = e->name;
            const std::string path = it->second == "/" ? "/" + name : it->second + "/" + name;
            if (e->mask & IN_ISDIR) {
                // A folder inside a watched one: only it is armed (a walk of the whole watched
                // tree per new folder cost a program writing a folder of files each time
                // more, the more it had written). A watched folder, or one on the way to it:
                // everything again.
                if (inWatched(it->second))
                    newDirs.push_back(path);
                else
                    rearm = true;
                continue;
            }
            if (!(e->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) || !inWatched(path)) continue;
            if (startsWith(name, ".wh.") || isPartialDownload(name)) continue;
            pend(path, nowMs + debounceMs_, false);
        }
    }
    if (rearm) {
        arm(nowMs);
        return;
    }
    for (const auto& d : newDirs)
        armNew(d, nowMs);
}

void LiveWatch::armNew(const std::string& path, int64_t nowMs) {
    // Opened below the upper layer without following a link (one planted in its place is not
    // watched), then armed with what it holds already (armDir).
    auto d = openBeneath(upper_.get(), path.substr(1), {.flags = O_RDONLY | O_DIRECTORY});
    if (!d) return;
    int depth = 0;
    for (const auto& w : watched_)
        if (isPathWithin(path, w))
            depth = static_cast<int>(
                std::count(path.begin() + static_cast<long>(w.size()), path.end(), '/'));
    if (depth > kMaxDepth) return;
    armDir(d->get(), path, true, depth, nowMs);
}

int LiveWatch::timeoutMs(int64_t nowMs) const {
    if (queue_.empty()) return -1;  // a stale front only wakes due() early, which drops it
    return static_cast<int>(std::max<int64_t>(0, queue_.front().first - nowMs));
}

std::vector<RecoverableFile> LiveWatch::due(int64_t nowMs) {
    std::vector<RecoverableFile> out;
    // Each file's folder, opened below the upper layer without following any link, once for
    // the files due together in it; the file itself is looked at in it without following a
    // link (one system call a file where thousands are written).
    std::string dir;
    UniqueFd dirFd;
    while (!queue_.empty() && queue_.front().first <= nowMs) {
        auto [dueMs, path] = std::move(queue_.front());
        queue_.pop_front();
        auto it = pending_.find(path);
        if (it == pending_.end() || it->second.dueMs != dueMs) continue;  // pended again later
        const bool found = it->second.found;
        pending_.erase(it);
        const std::string parent = dirName(path);
        if (parent != dir || !dirFd.valid()) {
            dir = parent;
            auto d = openBeneath(upper_.get(), dir == "/" ? "." : dir.substr(1),
                                 {.flags = O_PATH | O_DIRECTORY});
            dirFd = d ? std::move(*d) : UniqueFd();
        }
        if (!dirFd.valid()) continue;
        const std::string name = baseName(path);
        struct stat st;
        if (::fstatat(dirFd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode))
            continue;
        // Found by looking, not by a close: finished only when nobody has it open for writing
        // (a writer's last close sends IN_CLOSE_WRITE, which pends it again); when that cannot
        // be known, left to the listing at exit. Opened for the lease read-only, non-blocking
        // and without following a link (a fifo put in its place neither blocks nor counts). A
        // file closed after writing or renamed into place is finished: no lease is taken.
        if (found) {
            UniqueFd f(::openat(dirFd.get(), name.c_str(),
                                O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC));
            if (!f.valid() || ::fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
                writersOf(f.get()) != Writers::None)
                continue;
        }
        auto [seen, added] = offered_.try_emplace(path, ctimeOf(st));
        if (!added) {
            if (seen->second == ctimeOf(st)) continue;
            seen->second = ctimeOf(st);
        } else {
            offeredOrder_.push_back(path);
            if (offered_.size() > kMaxRemembered) {
                offered_.erase(offeredOrder_.front());
                offeredOrder_.pop_front();
            }
        }
        out.push_back({path, static_cast<uint64_t>(st.st_size)});
    }
    return out;
}

}  // namespace lb
