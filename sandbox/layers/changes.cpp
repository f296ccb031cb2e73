#include "layers/changes.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <future>
#include <iterator>
#include <memory>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "base/hostinfo.h"
#include "base/paths.h"
#include "base/safe_open.h"
#include "desktop/theme.h"
#include "isolation/mounts.h"
#include "layers/storage.h"
#include "profile/profile.h"

namespace lb {

const char* changeKindName(ChangeKind kind) {
    switch (kind) {
        case ChangeKind::Added:
            return "added";
        case ChangeKind::Modified:
            return "modified";
        case ChangeKind::Deleted:
            return "deleted";
        case ChangeKind::Replaced:
            return "replaced";
    }
    return "?";
}

bool isPathWithin(const std::string& path, const std::string& dir) {
    if (dir == "/") return startsWith(path, "/");
    return path == dir ||
           (path.size() > dir.size() && startsWith(path, dir) && path[dir.size()] == '/');
}

// ---------------------------------------------------------------------------------------------
// Plan (pure)

bool WhiteoutRule::deviceAt(const std::string& path) const {
    for (const auto& r : plainRoots)
        if (isPathWithin(path, r)) return false;
    return true;
}

bool WhiteoutRule::markersIn(const std::string& dir) const {
    return markerFiles && deviceAt(dir.empty() ? "/" : dir);
}

WhiteoutRule whiteoutRule(const ScanPlan& plan) {
    WhiteoutRule w;
    for (const auto& r : plan.roots)
        if (r.plain) w.plainRoots.push_back(r.path);
    w.markerFiles = plan.markerFiles;
    return w;
}

bool kernelNeedsMarkerFiles(const std::string& kernelRelease) {
    unsigned major = 0, minor = 0;
    if (std::sscanf(kernelRelease.c_str(), "%u.%u", &major, &minor) != 2) return false;
    return major < 5 || (major == 5 && minor < 8);
}

ScanPlan planScan(const Profile& profile, const HostInfo& host, const Paths& paths) {
    ScanPlan plan;
    plan.upper = joinPath(paths.sandboxDir(profile.name), "upper");
    auto layerParts = [&](const std::string& sandboxPath) {
        std::vector<LowerDir> out;
        for (const auto& layer : profile.filesystem.layers)
            out.push_back({sandboxPath.substr(1), joinPath(paths.layerDir(layer), "root")});
        return out;
    };
    // As planMounts does: every system directory the host has is an overlay over the host's.
    for (const auto& dir : systemDirs()) {
        if (std::find(host.rootDirs.begin(), host.rootDirs.end(), dir) == host.rootDirs.end())
            continue;
        OverlayRoot r{"/" + dir, layerParts("/" + dir)};
        r.lowers.push_back({"/" + dir, {}});
        plan.roots.push_back(std::move(r));
    }
    // The home: the real one is below it only in "overlay" mode.
    OverlayRoot home{host.home, layerParts(host.home)};
    if (profile.filesystem.home == HomeMode::Overlay) home.lowers.push_back({host.home, {}});
    // As planMounts does: a private home without layers is the upper directory itself.
    home.plain = profile.filesystem.home == HomeMode::Private && profile.filesystem.layers.empty();
    plan.markerFiles = kernelNeedsMarkerFiles(host.kernelRelease);
    plan.roots.push_back(std::move(home));
    // Mount points: what the launch mounts inside an overlaid directory (binds, generated
    // files such as /etc/hosts, tmpfs like /var/tmp) is created there when missing.
    StorageLayout storage;
    for (const auto& layer : profile.filesystem.layers)
        storage.layerDirs.push_back(joinPath(paths.layerDir(layer), "root"));
    for (const auto& op :
         planMounts(profile, host, storage, planThemeMounts(profile.desktop, host.home)).ops) {
        if (op.kind == MountKind::Overlay || op.target.empty()) continue;
        std::string target = normalizePath(op.target);
        for (const auto& r : plan.roots)
            if (isPathWithin(target, r.path) && target != r.path) {
                plan.mountPoints.push_back(target);
                break;
            }
    }
    return plan;
}

// ---------------------------------------------------------------------------------------------
// Scan

namespace {

const char* typeName(mode_t mode) {
    switch (mode & S_IFMT) {
        case S_IFREG:
            return "file";
        case S_IFDIR:
            return "dir";
        case S_IFLNK:
            return "symlink";
        case S_IFIFO:
            return "fifo";
        case S_IFSOCK:
            return "socket";
        case S_IFCHR:
            return "char";
        case S_IFBLK:
            return "block";
    }
    return "other";
}

constexpr const char* kOpaqueMarker = ".wh..wh..opq";

// Whether the ".wh..wh..opq" file in an overlay directory is fuse-overlayfs' opaque marker.
// Security: the program can make a regular file of that name itself through kernel overlayfs
// (fuse-overlayfs refuses .wh. names), to hide a folder's contents from `diff` or to make the
// folder opaque in a committed layer. fuse-overlayfs writes a 0:0 device ".wh..opq" beside its
// marker, which a program cannot make (its Landlock domain and seccomp refuse mknod); only on
// kernels before 5.8 (`markerFiles`), where unprivileged 0:0 devices do not exist, is the file
// alone a marker.
bool opaqueMarkerAt(int fd, bool markerFiles) {
    struct stat st;
    if (::fstatat(fd, kOpaqueMarker, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
        return false;
    if (markerFiles) return true;
    struct stat dev;
    return ::fstatat(fd, ".wh..opq", &dev, AT_SYMLINK_NOFOLLOW) == 0 && isWhiteout(dev);
}

// The opaque markers of both drivers on an open directory. fgetxattr fails (EBADF) on O_PATH
// descriptors, which are used for unreadable lower directories: those are never layers.
bool dirIsOpaque(int fd, bool markerFiles) {
    char names[1024];
    ssize_t n = ::flistxattr(fd, names, sizeof names);
    if (n > 0) {
        for (ssize_t i = 0; i < n;) {
            const char* name = names + i;
            i += static_cast<ssize_t>(std::strlen(name)) + 1;
            if (std::strcmp(name, "user.overlay.opaque") != 0 &&
                std::strcmp(name, "user.fuseoverlayfs.opaque") != 0 &&
                std::strcmp(name, "trusted.overlay.opaque") != 0)
                continue;
            char v[8] = {};
            // "y" is opaque; the kernel's "x" only says the directory holds xattr whiteouts.
            if (::fgetxattr(fd, name, v, sizeof v) > 0 && v[0] == 'y') return true;
        }
    } else if (n < 0 && errno == ERANGE) {
        // Too many xattrs for the buffer: ask for the ones that matter one by one.
        for (const char* name :
             {"user.overlay.opaque", "user.fuseoverlayfs.opaque", "trusted.overlay.opaque"}) {
            char v[8] = {};
            if (::fgetxattr(fd, name, v, sizeof v) > 0 && v[0] == 'y') return true;
        }
    }
    return opaqueMarkerAt(fd, markerFiles);
}

// Where a name first appears in the lower layers, top first. A whiteout there means no lower
// layer shows it.
struct LowerHit {
    int index = -1;
    bool dir = false;
};

LowerHit findInLowers(const std::vector<UniqueFd>& lowers, const char* name) {
    for (size_t i = 0; i < lowers.size(); ++i) {
        struct stat st;
        if (::fstatat(lowers[i].get(), name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (isWhiteout(st)) return {};
        return {static_cast<int>(i), S_ISDIR(st.st_mode)};
    }
    return {};
}

UniqueFd openLowerDirAt(int dirfd, const char* name) {
    int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == EACCES)
        fd = ::openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return UniqueFd(fd);
}

// The lower directories merged under `name`, starting at the layer it first appears in. As
// overlayfs does: a non-directory or a whiteout ends the stack, and so does an opaque
// directory (after it).
std::vector<UniqueFd> childLowers(const std::vector<UniqueFd>& lowers, size_t from,
                                  const char* name, bool markerFiles) {
    std::vector<UniqueFd> out;
    for (size_t i = from; i < lowers.size(); ++i) {
        struct stat st;
        if (::fstatat(lowers[i].get(), name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (!S_ISDIR(st.st_mode)) break;
        UniqueFd fd = openLowerDirAt(lowers[i].get(), name);
        if (!fd.valid()) continue;
        bool opaque = i + 1 < lowers.size() && dirIsOpaque(fd.get(), markerFiles);
        out.push_back(std::move(fd));
        if (opaque) break;
    }
    return out;
}

std::vector<UniqueFd> openRootLowers(const OverlayRoot& root) {
    std::vector<UniqueFd> out;
    for (const auto& l : root.lowers) {
        if (l.beneath.empty()) {
            int fd = ::open(l.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd < 0 && errno == EACCES)
                fd = ::open(l.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (fd >= 0) out.emplace_back(fd);
            continue;
        }
        UniqueFd base(::open(l.beneath.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!base.valid()) continue;
        if (auto fd = openBeneath(base.get(), l.path, {.flags = O_RDONLY | O_DIRECTORY}))
            out.push_back(std::move(*fd));
    }
    return out;
}

struct Entry {
    std::string name;     // in the upper directory
    std::string logical;  // the name it stands for (".wh.x" stands for "x")
    bool marker = false;  // a ".wh." whiteout file
};

// Walks the upper layer. A directory's changes are assembled in name order from parts: what
// it reports itself, and its subdirectories' changes, which a second thread may produce
// meanwhile (the walk is bound by fstatat calls; a bigger subdirectory goes to an idle thread).
class Scanner {
public:
    Scanner(const ScanPlan& plan, unsigned threads)
        : plan_(plan), spareThreads_(threads > 1 ? threads - 1 : 0) {
        for (const auto& r : plan.roots) {
            rootByPath_[r.path] = &r;
            for (std::string p = r.path; p != "/" && !p.empty(); p = dirName(p))
                scaffold_.insert(p);
        }
        scaffold_.insert("/");
        for (const auto& m : plan.mountPoints) {
            mountPoints_.insert(m);
            for (std::string p = m; p != "/" && !p.empty(); p = dirName(p))
                mountish_.insert(p);
        }
    }

    // `dirPath`: the sandbox path of the directory ("" for the root). Appends to `out`.
    Status walk(int dirfd, const std::string& dirPath, const std::vector<UniqueFd>& lowers,
                std::vector<Change>& out) {
        int dupfd = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
        if (dupfd < 0) return Error::fromErrno("fcntl(F_DUPFD)");
        DIR* d = ::fdopendir(dupfd);
        if (!d) {
            ::close(dupfd);
            return Error::fromErrno("fdopendir(" + quote(inUpper(dirPath)) + ")");
        }
        std::vector<Entry> entries;
        // Security: only what the overlay can have written is a whiteout (changes.h).
        const bool markers = whiteouts_.markersIn(dirPath);
        const bool inOverlay = whiteouts_.deviceAt(dirPath.empty() ? "/" : dirPath);
        // fuse-overlayfs' opaque marker and the device beside it are its bookkeeping; a file of
        // that name the program made is a file like any other (opaqueMarkerAt).
        const bool opaqueMarker = inOverlay && opaqueMarkerAt(dirfd, whiteouts_.markerFiles);
        errno = 0;
        while (auto* e = ::readdir(d)) {
            const char* n = e->d_name;
            if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) continue;
            Entry en;
            en.name = n;
            // Markers are regular files (d_type tells without a stat on most file systems).
            const bool regular = e->d_type == DT_REG || e->d_type == DT_UNKNOWN;
            // ".wh..wh..opq" marks this directory opaque (checked by the caller), with a 0:0
            // ".wh..opq" beside it: only when both are fuse-overlayfs' own.
            if (opaqueMarker && (en.name == kOpaqueMarker || en.name == ".wh..opq")) continue;
            if (markers && regular && startsWith(en.name, ".wh.") && en.name.size() > 4) {
                en.marker = true;
                en.logical = en.name.substr(4);
            }
            if (!en.marker) en.logical = en.name;
            entries.push_back(std::move(en));
        }
        int readErr = errno;
        ::closedir(d);
        if (readErr != 0) return Error::sys("readdir(" + quote(inUpper(dirPath)) + ")", readErr);
        std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
            return a.logical != b.logical ? a.logical < b.logical : a.name < b.name;
        });
        Parts parts;
        parts.push_back(std::make_unique<Part>());
        Status status;
        for (size_t i = 0; i < entries.size() && status.ok(); ++i) {
            // A ".wh.x" marker next to "x" itself: the name was made again after the deletion.
            if (entries[i].marker && i + 1 < entries.size() &&
                entries[i + 1].name == entries[i].logical)
                continue;
            status = entry(dirfd, dirPath, lowers, entries[i], parts);
        }
        // In name order; every part is waited for, so nothing outlives this frame.
        for (auto& part : parts) {
            if (part->pending.valid()) {
                Status s = part->pending.get();
                if (status.ok() && !s.ok()) status = std::move(s);
            }
            if (out.empty())
                out = std::move(part->changes);
            else
                std::move(part->changes.begin(), part->changes.end(), std::back_inserter(out));
        }
        return status;
    }

private:
    struct Part {
        std::vector<Change> changes;
        std::future<Status> pending;  // valid while another thread fills `changes`
    };
    using Parts = std::vector<std::unique_ptr<Part>>;

    std::string inUpper(const std::string& sandboxPath) const {
        return sandboxPath.empty() ? plan_.upper : plan_.upper + sandboxPath;
    }

    bool wanted(const std::string& path) const {
        return plan_.only.empty() || isPathWithin(path, plan_.only);
    }
    bool onTheWay(const std::string& path) const {
        return plan_.only.empty() || isPathWithin(path, plan_.only) ||
               isPathWithin(plan_.only, path);
    }

    static void emit(std::vector<Change>& out, std::string path, ChangeKind kind,
                     const struct stat& st) {
        Change c;
        c.path = std::move(path);
        c.kind = kind;
        c.type = kind == ChangeKind::Deleted ? "whiteout" : typeName(st.st_mode);
        c.size = S_ISREG(st.st_mode) || S_ISLNK(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
        c.mtime = st.st_mtime;
        out.push_back(std::move(c));
    }

    // Walk a subdirectory into `parts`: on a spare thread when one is free and the directory
    // looks big enough to be worth it (it has subdirectories, or more than a block of
    // entries), else right here.
    Status descend(UniqueFd dir, const std::string& path, std::vector<UniqueFd> lowers,
                   const struct stat& st, Parts& parts) {
        bool big = st.st_nlink > 2 || st.st_size > 4096;
        unsigned busy = busy_.load();
        while (big && busy < spareThreads_ && !busy_.compare_exchange_weak(busy, busy + 1)) {
        }
        if (!big || busy >= spareThreads_)
            return walk(dir.get(), path, lowers, parts.back()->changes);
        struct Job {
            UniqueFd dir;
            std::vector<UniqueFd> lowers;
        };
        auto job = std::make_shared<Job>(Job{std::move(dir), std::move(lowers)});
        auto part = std::make_unique<Part>();
        std::vector<Change>* target = &part->changes;
        try {
            part->pending = std::async(std::launch::async, [this, target, path, job]() -> Status {
                Status s = walk(job->dir.get(), path, job->lowers, *target);
                --busy_;
                return s;
            });
        } catch (const std::system_error&) {
            --busy_;  // no thread to be had: walk it here
            return walk(job->dir.get(), path, job->lowers, parts.back()->changes);
        }
        parts.push_back(std::move(part));
        parts.push_back(std::make_unique<Part>());  // what follows, in order
        return Ok();
    }

    Status entry(int dirfd, const std::string& dirPath, const std::vector<UniqueFd>& lowers,
                 const Entry& e, Parts& parts) {
        std::vector<Change>& out = parts.back()->changes;
        std::string path = dirPath + "/" + e.logical;
        if (!onTheWay(path)) return Ok();
        struct stat st;
        if (::fstatat(dirfd, e.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) return Ok();  // removed while we looked (a running sandbox)
            return Error::fromErrno("fstatat(" + quote(inUpper(dirPath + "/" + e.name)) + ")");
        }
        if (e.marker && !S_ISREG(st.st_mode)) {
            // Not a marker after all: an ordinary entry whose name starts with ".wh.".
            Entry plain{e.name, e.name, false};
            return entry(dirfd, dirPath, lowers, plain, parts);
        }
        if (e.marker || (isWhiteout(st) && whiteouts_.deviceAt(path))) {
            // A deletion is a change only where a lower layer shows something.
            if (wanted(path) && findInLowers(lowers, e.logical.c_str()).index >= 0)
                emit(out, path, ChangeKind::Deleted, st);
            return Ok();
        }
        if (!S_ISDIR(st.st_mode)) {
            bool inLower = findInLowers(lowers, e.name.c_str()).index >= 0;
            // The empty file Layerbox creates as the mount point of a file bind.
            if (!inLower && S_ISREG(st.st_mode) && st.st_size == 0 && mountPoints_.count(path))
                return Ok();
            if (wanted(path)) {
                emit(out, std::move(path), inLower ? ChangeKind::Modified : ChangeKind::Added, st);
                if (S_ISLNK(st.st_mode)) {
                    // Only read, never followed: for showing where it points.
                    char target[PATH_MAX];
                    ssize_t n = ::readlinkat(dirfd, e.name.c_str(), target, sizeof target);
                    if (n > 0) out.back().target.assign(target, static_cast<size_t>(n));
                }
            }
            return Ok();
        }

        UniqueFd child(
            ::openat(dirfd, e.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        LowerHit hit = findInLowers(lowers, e.name.c_str());
        if (scaffold_.count(path)) {
            // Layerbox's own directories, never changes: an overlaid directory starts its
            // lower stack here; a parent of one continues its parent's.
            if (!child.valid()) return Ok();
            auto root = rootByPath_.find(path);
            if (root != rootByPath_.end())
                return descend(std::move(child), path, openRootLowers(*root->second), st, parts);
            if (hit.index < 0 || !hit.dir) return descend(std::move(child), path, {}, st, parts);
            return descend(std::move(child), path,
                           childLowers(lowers, static_cast<size_t>(hit.index), e.name.c_str(),
                                       whiteouts_.markerFiles),
                           st, parts);
        }
        bool opaque = child.valid() && dirIsOpaque(child.get(), whiteouts_.markerFiles);
        std::vector<UniqueFd> below;
        bool isChange = true;
        ChangeKind kind = ChangeKind::Added;
        if (hit.index >= 0 && !hit.dir) {
            kind = ChangeKind::Modified;  // a directory where a lower layer has a file
        } else if (hit.index >= 0 && opaque) {
            kind = ChangeKind::Replaced;
        } else if (hit.index >= 0) {
            isChange = false;  // copied up only to hold changes below it
            below = childLowers(lowers, static_cast<size_t>(hit.index), e.name.c_str(),
                                whiteouts_.markerFiles);
        }
        if (isChange && kind == ChangeKind::Added && mountish_.count(path)) {
            // A mount point Layerbox made (or a parent it made for one): a change only when
            // something else is in it.
            std::vector<Change> inside;
            if (child.valid()) LB_TRY(walk(child.get(), path, below, inside));
            if (!inside.empty() && wanted(path)) {
                Change c;
                c.path = path;
                c.kind = kind;
                c.type = "dir";
                c.mtime = st.st_mtime;
                out.push_back(std::move(c));
            }
            std::move(inside.begin(), inside.end(), std::back_inserter(out));
            return Ok();
        }
        if (isChange && wanted(path)) emit(out, path, kind, st);
        // An unreadable directory (the program may chmod its own to 000): reported, not entered.
        if (child.valid()) return descend(std::move(child), path, std::move(below), st, parts);
        return Ok();
    }

    const ScanPlan& plan_;
    const unsigned spareThreads_;
    std::atomic<unsigned> busy_{0};
    std::unordered_map<std::string, const OverlayRoot*> rootByPath_;
    std::unordered_set<std::string> scaffold_;  // roots and their parents
    const WhiteoutRule whiteouts_ = whiteoutRule(plan_);
    std::unordered_set<std::string> mountPoints_;
    std::unordered_set<std::string> mountish_;  // mount points and their parents
};

}  // namespace

bool isWhiteout(const struct stat& st) {
    return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool fuseOpaqueMarkerIn(int dirfd, bool markerFiles) {
    return opaqueMarkerAt(dirfd, markerFiles);
}

Result<std::vector<Change>> scanChanges(const ScanPlan& plan, unsigned threads) {
    std::vector<Change> out;
    UniqueFd upper(::open(plan.upper.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!upper.valid()) {
        if (errno == ENOENT) return out;
        return Error::fromErrno("open(" + quote(plan.upper) + ")");
    }
    if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    Scanner s(plan, threads);
    LB_TRY(s.walk(upper.get(), "", {}, out));
    return out;
}

// ---------------------------------------------------------------------------------------------
// Discard and reset

Result<UniqueFd> lockStoppedSandbox(const std::string& sandboxDir, const std::string& profile,
                                    const std::string& action) {
    auto lock = lockSandbox(sandboxDir);
    if (!lock && lock.error().code() == EWOULDBLOCK)
        return Error("profile " + quote(profile) + " is running: stop it before " + action +
                         " (layerbox stop " + profile +
                         "); changing the layer of a mounted overlay is undefined",
                     EBUSY);
    return lock;
}

Status discardPath(const ScanPlan& plan, const std::string& rawPath) {
    const std::string path = normalizePath(rawPath);
    UniqueFd upper(::open(plan.upper.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    auto noChange = [&] { return Error("no change at " + quote(path), ENOENT); };
    if (!upper.valid()) {
        if (errno == ENOENT) return noChange();
        return Error::fromErrno("open(" + quote(plan.upper) + ")");
    }
    bool scaffolding = path == "/";
    for (const auto& r : plan.roots)
        if (isPathWithin(r.path, path)) scaffolding = true;
    // The directory whose entries go: the path's parent, or the path itself for an overlaid
    // directory (or a parent of one), which must stay.
    const std::string dir = scaffolding ? path : dirName(path);
    const std::string rel = dir == "/" ? "." : dir.substr(1);
    auto opened = openBeneath(upper.get(), rel, {.flags = O_RDONLY | O_DIRECTORY});
    if (!opened) {
        // Not in the upper layer, or below something that is not a directory there.
        int code = opened.error().code();
        if (code == ENOENT || code == ENOTDIR || code == ELOOP) return noChange();
        return std::move(opened).error().wrap(quote(plan.upper));
    }
    UniqueFd parent = std::move(*opened);
    std::vector<std::string> names;
    if (scaffolding) {
        LB_ASSIGN(names, listDirAt(parent.get(), joinPath(plan.upper, rel)));
    } else {
        std::vector<std::string> candidates{baseName(path)};
        // A ".wh." file beside it is its whiteout only where the overlay can have written one.
        if (whiteoutRule(plan).markersIn(dirName(path)))
            candidates.push_back(".wh." + baseName(path));
        for (const std::string& n : candidates) {
            struct stat st;
            if (::fstatat(parent.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
                names.push_back(n);
        }
    }
    if (names.empty()) return noChange();
    for (const auto& n : names)
        LB_TRY_CTX(removeTreeAt(parent.get(), n), "discarding " + quote(path));
    return Ok();
}

Status resetSandbox(const std::string& sandboxDir) {
    UniqueFd dir(::open(sandboxDir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid()) {
        if (errno == ENOENT) return Ok();
        return Error::fromErrno("open(" + quote(sandboxDir) + ")");
    }
    // removeTreeAt makes overlayfs' mode-000 work/work removable (we own it).
    for (const char* n : {"upper", "work"})
        LB_TRY_CTX(removeTreeAt(dir.get(), n), "resetting " + quote(sandboxDir));
    if (::mkdirat(dir.get(), "upper", 0755) != 0 && errno != EEXIST)
        return Error::fromErrno("mkdir(" + quote(joinPath(sandboxDir, "upper")) + ")");
    return Ok();
}

}  // namespace lb
