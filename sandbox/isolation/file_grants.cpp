#include "isolation/file_grants.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "base/fsutil.h"
#include "base/paths.h"
#include "base/syscalls.h"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#endif

namespace lb {

namespace {

// Folders and files made only to hold a grant carry this mark, so that they can be removed
// again without ever touching what the program made itself.
constexpr const char* kMark = "user.layerbox.grant";

bool under(const std::string& path, const std::string& dir) {
    if (dir == "/") return true;
    return path == dir || startsWith(path, dir + "/");
}

std::string describeType(mode_t m) {
    if (S_ISDIR(m)) return "it is a folder; only single files are granted (--bind gives a folder)";
    if (S_ISCHR(m) || S_ISBLK(m)) return "it is a device";
    if (S_ISFIFO(m)) return "it is a FIFO (named pipe)";
    if (S_ISSOCK(m)) return "it is a socket";
    if (S_ISLNK(m)) return "it is a symbolic link; give the real path (readlink -f)";
    return "it is not a regular file";
}

void mark(int fd) {
    // Best effort: without the mark the mount point stays behind (an empty file), nothing else.
    (void)::fsetxattr(fd, kMark, "1", 1, 0);
}

bool marked(int fd) {
    return ::fgetxattr(fd, kMark, nullptr, 0) >= 0;
}

// The grant helpers below run in a child that enters the sandbox's namespaces; it reports an
// error as text on a pipe and exits 1.
[[noreturn]] void childFail(int errFd, const Error& e) {
    (void)!::write(errFd, e.message().data(), e.message().size());
    ::_exit(1);
}

template <class Fn>
Status inChild(Fn fn) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return Error::fromErrno("pipe2");
    UniqueFd rd(p[0]), wr(p[1]);
    pid_t pid = ::fork();
    if (pid < 0) return Error::fromErrno("fork");
    if (pid == 0) {
        rd.reset();
        Status s = fn();
        if (!s) childFail(wr.get(), s.error());
        ::_exit(0);
    }
    wr.reset();
    std::string msg;
    char buf[512];
    ssize_t n;
    while ((n = ::read(rd.get(), buf, sizeof buf)) > 0)
        msg.append(buf, static_cast<size_t>(n));
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Ok();
    return Error(msg.empty() ? "the grant helper failed" : msg, EIO);
}

// The sandbox's namespaces, held by its setup process: opened before anything is entered.
struct SandboxNs {
    UniqueFd user, mnt;
    static Result<SandboxNs> open(pid_t pid) {
        const std::string base = "/proc/" + std::to_string(pid) + "/ns/";
        SandboxNs ns;
        ns.user.reset(::open((base + "user").c_str(), O_RDONLY | O_CLOEXEC));
        if (!ns.user.valid()) return Error::fromErrno("open " + quote(base + "user"));
        ns.mnt.reset(::open((base + "mnt").c_str(), O_RDONLY | O_CLOEXEC));
        if (!ns.mnt.valid()) return Error::fromErrno("open " + quote(base + "mnt"));
        return ns;
    }
    // The sandbox's outer user namespace is ours (we created it): entering it gives every
    // capability there, and nowhere else.
    Status enterUser() const {
        if (::setns(user.get(), CLONE_NEWUSER) != 0) return Error::fromErrno("setns(user)");
        return Ok();
    }
    Status enterMount() const {
        if (::setns(mnt.get(), CLONE_NEWNS) != 0) return Error::fromErrno("setns(mnt)");
        return Ok();
    }
};

}  // namespace

std::string grantPath(const std::string& given, const std::string& cwd) {
    return normalizePath(given.empty() || given[0] == '/' ? given : joinPath(cwd, given));
}

Result<FileGrant> checkFileGrant(const std::string& given, const std::string& cwd, bool rw) {
    auto bad = [&](const std::string& why) {
        return Error(quote(given) + ": " + why + "; nothing was granted", EINVAL);
    };
    if (given.empty())
        return Error("an empty path was given as a file; nothing was granted", EINVAL);
    for (unsigned char c : given)
        if (c < 0x20 || c == 0x7f) return bad("the name holds a control character (a newline?)");
    for (const auto& part : split(given, '/'))
        if (part == "..") return bad("a path with \"..\" is not granted; give the file's own path");
    const std::string path = grantPath(given, cwd);
    for (const char* top : {"/proc", "/sys", "/dev"})
        if (under(path, top)) return bad(std::string("files under ") + top + " are never granted");
    // No symbolic link on the whole way, and no magic link: the name given is the file granted
    // (a link planted by a sandbox in a folder it shares with the host cannot redirect it).
    int fd = sys::openat2(AT_FDCWD, path.c_str(), O_PATH | O_CLOEXEC,
                          RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP)
            return bad(
                "it is a symbolic link, or one of its folders is; give the real path "
                "(readlink -f)");
        if (e == ENOENT) return bad("no such file");
        if (e == ENOTDIR) return bad("a part of the path is not a folder");
        return Error::sys("open " + quote(path), e).wrap(quote(given) + " cannot be granted");
    }
    UniqueFd f(fd);
    struct stat st;
    if (::fstat(f.get(), &st) != 0) return Error::fromErrno("stat " + quote(path));
    if (!S_ISREG(st.st_mode)) return bad(describeType(st.st_mode));
    struct statfs sf;
    if (::fstatfs(f.get(), &sf) == 0 && (sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC))
        return bad("files of /proc and /sys are never granted");
    const std::string self = "/proc/self/fd/" + std::to_string(f.get());
    if (::access(self.c_str(), R_OK) != 0) return bad("you cannot read it");
    if (rw && ::access(self.c_str(), W_OK) != 0) return bad("you cannot write it");
    return FileGrant{path, rw, static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

bool visibleInside(const Profile& profile, const std::string& home, const std::string& path) {
    for (const auto& h : profile.filesystem.hide)
        if (under(path, normalizePath(expandHome(h, home)))) return false;
    for (const auto& b : profile.filesystem.binds) {
        std::string target = normalizePath(expandHome(b.sandbox, home));
        if (under(path, target)) return normalizePath(expandHome(b.host, home)) == target;
    }
    if (under(path, home)) return profile.filesystem.home == HomeMode::Overlay;
    for (const char* priv : {"/tmp", "/var/tmp", "/run", "/dev", "/proc", "/sys"})
        if (under(path, priv)) return false;
    auto first = split(path.size() > 1 ? path.substr(1) : std::string(), '/')[0];
    for (const auto& d : systemDirs())
        if (first == d) return true;
    return false;
}

std::string grantRefused(const Profile& profile, const std::string& home,
                         const std::vector<std::string>& ownDirs, const std::string& path) {
    for (const auto& h : profile.filesystem.hide)
        if (under(path, normalizePath(expandHome(h, home))))
            return quote(path) + ": profile " + quote(profile.name) + " hides " + quote(h) +
                   "; nothing was granted";
    // Security: a file of Layerbox's own (a profile, a layer, a cached seccomp filter) given
    // read-write would let the program change what later launches enforce.
    for (const auto& own : ownDirs)
        if (!own.empty() && under(path, own))
            return quote(path) + ": Layerbox's own data is never granted";
    return {};
}

namespace {

// "file:///a%20b" -> "/a b"; empty when `uri` is not a local file URI.
std::string filePathOfUri(const std::string& uri) {
    std::string rest;
    if (startsWith(uri, "file:///"))
        rest = uri.substr(7);
    else if (startsWith(uri, "file://localhost/"))
        rest = uri.substr(16);
    else
        return {};
    std::string out;
    for (size_t i = 0; i < rest.size(); ++i) {
        if (rest[i] == '%' && i + 2 < rest.size() && std::isxdigit((unsigned char)rest[i + 1]) &&
            std::isxdigit((unsigned char)rest[i + 2])) {
            out += static_cast<char>(std::stoi(rest.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += rest[i];
        }
    }
    return out;
}

}  // namespace

Result<FileArgs> planFileArgs(const std::vector<std::string>& command) {
    FileArgs out;
    bool inFiles = false, rw = false;
    for (const auto& a : command) {
        if (!inFiles && (a == "@@" || a == "@@rw")) {
            inFiles = true;
            rw = a == "@@rw";
            continue;
        }
        if (inFiles && a == "@@") {
            inFiles = false;
            continue;
        }
        if (!inFiles) {
            out.argv.push_back(a);
            continue;
        }
        if (a.find("://") != std::string::npos) {
            std::string path = filePathOfUri(a);
            if (path.empty()) {
                out.argv.push_back(a);  // a web address: nothing to give
                continue;
            }
            out.files.push_back({path, rw});
            out.argv.push_back(path);
            continue;
        }
        out.files.push_back({a, rw});
        out.argv.push_back(a);
    }
    if (inFiles) return Error("\"@@\" opens a list of files that no \"@@\" closes", EINVAL);
    return out;
}

MountOp planGrantMount(const FileGrant& g) {
    MountOp o;
    o.kind = MountKind::Bind;
    o.source = g.path;
    o.target = g.path;
    o.readOnly = !g.rw;
    o.grant = true;
    o.dev = g.dev;
    o.ino = g.ino;
    return o;
}

Result<UniqueFd> makeGrantMountPoint(int rootfd, const std::string& path) {
    auto parts = split(path, '/');
    std::vector<std::string> names;
    for (auto& p : parts)
        if (!p.empty()) names.push_back(p);
    if (names.empty()) return Error("cannot grant " + quote(path), EINVAL);
    UniqueFd cur(::fcntl(rootfd, F_DUPFD_CLOEXEC, 3));
    std::string sofar;
    for (size_t i = 0; i < names.size(); ++i) {
        const std::string& name = names[i];
        const bool last = i + 1 == names.size();
        sofar += "/" + name;
        if (name == "." || name == "..") return Error("cannot grant " + quote(path), EINVAL);
        // One component at a time, never following a link: the sandbox may have planted one
        // in its own layer to have the file shown elsewhere.
        int fd = ::openat(cur.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
            if (last) {
                int nf = ::openat(cur.get(), name.c_str(),
                                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (nf < 0 && errno != EEXIST)
                    return Error::fromErrno("create " + quote(sofar) + " inside the sandbox");
                if (nf >= 0) {
                    mark(nf);
                    ::close(nf);
                }
            } else {
                if (::mkdirat(cur.get(), name.c_str(), 0755) != 0 && errno != EEXIST)
                    return Error::fromErrno("mkdir " + quote(sofar) + " inside the sandbox");
                int d = ::openat(cur.get(), name.c_str(),
                                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (d >= 0) {
                    mark(d);
                    ::close(d);
                }
            }
            fd = ::openat(cur.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0) return Error::fromErrno("open " + quote(sofar) + " inside the sandbox");
        UniqueFd next(fd);
        struct stat st;
        if (::fstat(next.get(), &st) != 0) return Error::fromErrno("stat " + quote(sofar));
        if (S_ISLNK(st.st_mode))
            return Error(
                "inside the sandbox " + quote(sofar) + " is a symbolic link; refusing to follow it",
                ELOOP);
        if (!last && !S_ISDIR(st.st_mode))
            return Error("inside the sandbox " + quote(sofar) + " is not a folder", ENOTDIR);
        if (last && !S_ISREG(st.st_mode))
            return Error("inside the sandbox " + quote(sofar) + " is not a file", EISDIR);
        cur = std::move(next);
    }
    return cur;
}

void removeGrantMountPoint(int rootfd, const std::string& path, bool inRoot) {
    const uint64_t res =
        (inRoot ? RESOLVE_IN_ROOT : RESOLVE_BENEATH) | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    std::string rel = normalizePath(path);
    while (!rel.empty() && rel.front() == '/')
        rel.erase(0, 1);
    auto openDir = [&](const std::string& r) {
        return UniqueFd(sys::openat2(rootfd, r.empty() ? "." : r.c_str(),
                                     O_PATH | O_DIRECTORY | O_CLOEXEC, res));
    };
    auto parentOf = [](const std::string& r) {
        auto pos = r.find_last_of('/');
        return pos == std::string::npos ? std::string() : r.substr(0, pos);
    };
    if (rel.empty()) return;
    {
        UniqueFd parent = openDir(parentOf(rel));
        if (!parent.valid()) return;
        const std::string name = baseName(rel);
        UniqueFd f(::openat(parent.get(), name.c_str(),
                            O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
        struct stat st;
        if (!f.valid() || ::fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != 0 ||
            !marked(f.get()))
            return;
        if (::unlinkat(parent.get(), name.c_str(), 0) != 0) return;
    }
    // The folders made for it, while they are empty and ours.
    for (std::string dir = parentOf(rel); !dir.empty(); dir = parentOf(dir)) {
        UniqueFd parent = openDir(parentOf(dir));
        if (!parent.valid()) return;
        const std::string name = baseName(dir);
        UniqueFd d(
            ::openat(parent.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!d.valid() || !marked(d.get())) return;
        if (::unlinkat(parent.get(), name.c_str(), AT_REMOVEDIR) != 0) return;
    }
}

Status injectGrant(pid_t sandboxPid, const FileGrant& g) {
    LB_ASSIGN(SandboxNs ns, SandboxNs::open(sandboxPid));
    return inChild([&]() -> Status {
        LB_TRY(ns.enterUser());
        // A private copy of the host's mounts, administered by the sandbox's user namespace:
        // the file's mount is cloned from there (open_tree needs a mount namespace we
        // administer), then moved into the sandbox's.
        if (::unshare(CLONE_NEWNS) != 0) return Error::fromErrno("unshare(mnt)");
        int fd = sys::openat2(AT_FDCWD, g.path.c_str(), O_PATH | O_CLOEXEC,
                              RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
        if (fd < 0) return Error::fromErrno("open " + quote(g.path));
        UniqueFd src(fd);
        struct stat st;
        if (::fstat(src.get(), &st) != 0) return Error::fromErrno("stat " + quote(g.path));
        if (static_cast<uint64_t>(st.st_dev) != g.dev || static_cast<uint64_t>(st.st_ino) != g.ino)
            return Error(quote(g.path) + " changed after it was checked; nothing was granted",
                         ESTALE);
        UniqueFd tree(static_cast<int>(::syscall(
            SYS_open_tree, src.get(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH)));
        if (!tree.valid()) return Error::fromErrno("open_tree(" + quote(g.path) + ")");
        // Read-only (unless asked), nosuid and nodev before it is attached: there is no moment
        // at which the sandbox sees it writable.
        struct {
            uint64_t attr_set, attr_clr, propagation, userns_fd;
        } attr = {};
        attr.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (g.rw ? 0 : MOUNT_ATTR_RDONLY);
        if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
            return Error::fromErrno("mount_setattr(" + quote(g.path) + ")");
        LB_TRY(ns.enterMount());
        UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root.valid()) return Error::fromErrno("open the sandbox's root");
        LB_ASSIGN(UniqueFd target, makeGrantMountPoint(root.get(), g.path));
        if (::syscall(SYS_move_mount, tree.get(), "", target.get(), "",
                      MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
            return Error::fromErrno("move_mount(" + quote(g.path) + ")");
        return Ok();
    });
}

Status revokeGrant(pid_t sandboxPid, const std::string& path) {
    LB_ASSIGN(SandboxNs ns, SandboxNs::open(sandboxPid));
    return inChild([&]() -> Status {
        LB_TRY(ns.enterUser());
        LB_TRY(ns.enterMount());
        UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root.valid()) return Error::fromErrno("open the sandbox's root");
        std::string rel = normalizePath(path).substr(1);
        std::string parentRel = dirName(rel);
        int pfd = sys::openat2(root.get(), parentRel.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC,
                               RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
        if (pfd < 0)
            return Error::fromErrno("open " + quote(dirName(path)) + " inside the sandbox");
        UniqueFd parent(pfd);
        // Unmount by a name relative to the folder just opened without links: the program
        // cannot swap a folder on the way for a link to one of the sandbox's other mounts.
        if (::fchdir(parent.get()) != 0) return Error::fromErrno("fchdir");
        // EINVAL: nothing is mounted there (a file given earlier that could not be shown).
        if (::umount2(baseName(rel).c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0 && errno != EINVAL)
            return Error::fromErrno("umount2(" + quote(path) + ")");
        removeGrantMountPoint(root.get(), path, true);
        return Ok();
    });
}

}  // namespace lb
