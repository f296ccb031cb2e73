#include "layers/recover.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/fsutil.h"
#include "base/progress.h"
#include "base/safe_open.h"
#include "base/syscalls.h"
#include "layers/changes.h"

namespace lb {

std::vector<RecoverItem> planRecover(const std::vector<std::string>& paths, const std::string& home,
                                     const std::string& toDir) {
    std::vector<RecoverItem> out;
    for (const auto& raw : paths) {
        RecoverItem item;
        item.path = normalizePath(raw);
        if (!startsWith(item.path, "/")) {
            item.skip = "not an absolute path";
        } else if (!toDir.empty()) {
            if (item.path == "/")
                item.skip = "cannot recover the whole sandbox to one folder";
            else
                item.destRoot = toDir, item.destRel = baseName(item.path);
        } else if (isPathWithin(item.path, home)) {
            item.destRoot = home;
            item.destRel = item.path == home ? std::string() : item.path.substr(home.size() + 1);
        } else {
            item.skip = "not in the home (give --to DIR to recover it elsewhere)";
        }
        out.push_back(std::move(item));
    }
    return out;
}

namespace {

constexpr uint64_t kBeneath = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

// Why a non-regular, non-directory entry is not copied.
std::string notCopied(const struct stat& st, bool whiteout) {
    if (whiteout) return "deleted in the sandbox";
    if (S_ISLNK(st.st_mode)) return "a symbolic link (not recreated on the host)";
    if (S_ISFIFO(st.st_mode)) return "a fifo (not copied)";
    if (S_ISSOCK(st.st_mode)) return "a socket (not copied)";
    return "a device file (not copied)";
}

std::string tempName() {
    unsigned char b[6] = {};
    if (::getrandom(b, sizeof b, 0) != sizeof b) {
        static unsigned counter = 0;
        unsigned v = static_cast<unsigned>(::getpid()) * 7919u + ++counter;
        std::memcpy(b, &v, sizeof v);
    }
    char out[40];
    std::snprintf(out, sizeof out, ".layerbox-recover-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
                  b[3], b[4], b[5]);
    return out;
}

}  // namespace

Status copyFileData(int in, int out, const std::string& what, Progress* progress) {
    bool rangeCopy = true;
    std::vector<char> buf;
    for (;;) {
        ssize_t n;
        if (rangeCopy) {
            n = ::copy_file_range(in, nullptr, out, nullptr, 64 << 20, 0);
            if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
                          errno == EOPNOTSUPP || errno == EPERM)) {
                rangeCopy = false;  // another file system: plain reads and writes
                continue;
            }
        } else {
            if (buf.empty()) buf.resize(1 << 17);
            n = ::read(in, buf.data(), buf.size());
            if (n > 0) LB_TRY(writeAll(out, std::string_view(buf.data(), size_t(n)), what));
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::fromErrno(std::string(rangeCopy ? "copy_file_range" : "read") + "(" +
                                    quote(what) + ")");
        }
        if (n == 0) return Ok();
        if (progress) progress->add(0, static_cast<uint64_t>(n));
    }
}

namespace {

class Copier {
public:
    Copier(OnExisting onExisting, const WhiteoutRule& whiteouts, RecoverReport& report,
           Progress* progress)
        : force_(onExisting == OnExisting::Replace)
        , keepBoth_(onExisting == OnExisting::KeepBoth)
        , whiteouts_(whiteouts)
        , report_(report)
        , progress_(progress) {}

    // Why the non-regular, non-directory entry at sandbox path `path` is not copied.
    std::string notCopiedAt(const struct stat& st, const std::string& path) const {
        return notCopied(st, isWhiteout(st) && whiteouts_.deviceAt(path));
    }

    void skip(const std::string& path, const std::string& reason) {
        report_.skipped.push_back({path, reason});
    }

    // Copy the entry `name` of `srcDir` (stat `st`) to `dstName` in `dstDir`.
    void entry(int srcDir, const std::string& name, const struct stat& st, int dstDir,
               const std::string& dstName, const std::string& from, const std::string& to) {
        if (S_ISREG(st.st_mode)) {
            if (auto s = file(srcDir, name, dstDir, dstName, from, to); !s)
                skip(from, s.error().message());
        } else if (S_ISDIR(st.st_mode)) {
            if (auto s = dir(srcDir, name, st, dstDir, dstName, from, to); !s)
                skip(from, s.error().message());
        } else {
            skip(from, notCopiedAt(st, from));
        }
    }

    // The entries of an open source directory into an open destination directory.
    Status contents(int src, int dst, const std::string& from, const std::string& to) {
        LB_ASSIGN(std::vector<std::string> names, listDirAt(src, from));
        // fuse-overlayfs' opaque marker and the 0:0 ".wh..opq" beside it are its bookkeeping;
        // a file of that name the program made is recovered like any other.
        const bool opaqueMarker =
            whiteouts_.deviceAt(from) && fuseOpaqueMarkerIn(src, whiteouts_.markerFiles);
        for (const auto& n : names) {
            if (opaqueMarker && (n == ".wh..wh..opq" || n == ".wh..opq")) continue;
            struct stat st;
            if (::fstatat(src, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
                if (errno != ENOENT)
                    skip(joinPath(from, n),
                         Error::fromErrno("fstatat(" + quote(joinPath(from, n)) + ")").message());
                continue;
            }
            if (startsWith(n, ".wh.") && n.size() > 4 && S_ISREG(st.st_mode) &&
                whiteouts_.markersIn(from)) {
                // A marker; stale when the name was made again after the deletion.
                if (!std::binary_search(names.begin(), names.end(), n.substr(4)))
                    skip(joinPath(from, n.substr(4)), "deleted in the sandbox");
                continue;
            }
            entry(src, n, st, dst, n, joinPath(from, n), joinPath(to, n));
        }
        return Ok();
    }

private:
    // --force replaces what is in the way, but never a host link to a folder: that is the
    // user's own arrangement (~/Documents -> /data/docs), and a program with a folder bound
    // read-write could have made it to have a recovery land in ~/.ssh. Neither replaced nor
    // followed: the user chooses another destination.
    static Status notALinkToAFolder(int dstDir, const std::string& dstName,
                                    const struct stat& existing, const std::string& to) {
        struct stat target;
        if (S_ISLNK(existing.st_mode) && ::fstatat(dstDir, dstName.c_str(), &target, 0) == 0 &&
            S_ISDIR(target.st_mode))
            return Error(quote(to) +
                             " is a symbolic link to a folder: not replaced, not followed "
                             "(recover to another place with --to)",
                         ELOOP);
        return Ok();
    }

    // With --keep-both, the first "name (N).ext" free in dstDir (and "" when none of a thousand
    // is): looked up with fstatat in the opened directory, never through a path.
    static std::string freeNameBeside(int dstDir, const std::string& name, int from = 1) {
        struct stat st;
        for (int n = from; n < from + 1000; ++n) {
            std::string candidate = keptBothName(name, n);
            if (::fstatat(dstDir, candidate.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 &&
                errno == ENOENT)
                return candidate;
        }
        return {};
    }

    Status file(int srcDir, const std::string& name, int dstDir, std::string dstName,
                const std::string& from, std::string to) {
        struct stat existing;
        if (keepBoth_ && ::fstatat(dstDir, dstName.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
            dstName = freeNameBeside(dstDir, dstName);
            if (dstName.empty()) return Error("exists, and no free name beside it", EEXIST);
            to = joinPath(dirName(to), dstName);
        }
        if (::fstatat(dstDir, dstName.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
            if (!force_) return Error("exists (use --force or --keep-both)", EEXIST);
            if (S_ISDIR(existing.st_mode))
                return Error(quote(to) + " exists and is a directory", EISDIR);
            LB_TRY(notALinkToAFolder(dstDir, dstName, existing, to));
        }
        // O_NONBLOCK: should the program swap the file for a fifo meanwhile, open must not
        // hang; the fstat below refuses it.
        UniqueFd in(::openat(srcDir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
        if (!in.valid()) return Error::fromErrno("open(" + quote(from) + ")");
        struct stat st;
        if (::fstat(in.get(), &st) != 0) return Error::fromErrno("fstat(" + quote(from) + ")");
        if (!S_ISREG(st.st_mode)) return Error(notCopiedAt(st, from), EINVAL);
        ::fcntl(in.get(), F_SETFL, 0);
        const std::string tmp = tempName();
        UniqueFd out(::openat(dstDir, tmp.c_str(),
                              O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!out.valid())
            return Error::fromErrno("create(" + quote(joinPath(dirName(to), tmp)) + ")");
        auto fail = [&](Error e) -> Status {
            ::unlinkat(dstDir, tmp.c_str(), 0);
            return e;
        };
        if (auto s = copyFileData(in.get(), out.get(), from, progress_); !s)
            return fail(std::move(s).error());
        // Mode without set-id bits: a recovered file is an ordinary file of the user's.
        if (::fchmod(out.get(), st.st_mode & 0777) != 0)
            return fail(Error::fromErrno("fchmod(" + quote(to) + ")"));
        struct timespec times[2] = {st.st_atim, st.st_mtim};
        if (::futimens(out.get(), times) != 0)
            return fail(Error::fromErrno("futimens(" + quote(to) + ")"));
        if (::close(out.release()) != 0) return fail(Error::fromErrno("close(" + quote(to) + ")"));
        // Without --force the rename never replaces: a name taken since the check above (by
        // the user, or a program writing through a bind) is kept, and keep-both moves on.
        int renamed;
        while ((renamed = ::renameat2(dstDir, tmp.c_str(), dstDir, dstName.c_str(),
                                      force_ ? 0 : RENAME_NOREPLACE)) != 0 &&
               errno == EEXIST && keepBoth_) {
            dstName = freeNameBeside(dstDir, dstName);
            if (dstName.empty()) break;
            to = joinPath(dirName(to), dstName);
        }
        if (renamed != 0) {
            if (errno == EEXIST || dstName.empty())
                return fail(Error("exists (use --force or --keep-both)", EEXIST));
            return fail(Error::fromErrno("rename(" + quote(to) + ")"));
        }
        if (progress_) progress_->add(1, 0);
        report_.copied.push_back({from, to, static_cast<uint64_t>(st.st_size)});
        return Ok();
    }

    Status dir(int srcDir, const std::string& name, const struct stat& st, int dstDir,
               std::string dstName, const std::string& from, std::string to) {
        UniqueFd src(
            ::openat(srcDir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!src.valid()) return Error::fromErrno("open(" + quote(from) + ")");
        struct stat existing;
        bool created = false;
        // A folder merges into a folder already there; with --keep-both, one where a file or
        // link is in the way takes a free name beside it.
        if (keepBoth_ && ::fstatat(dstDir, dstName.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0 &&
            !S_ISDIR(existing.st_mode)) {
            dstName = freeNameBeside(dstDir, dstName);
            if (dstName.empty()) return Error("exists, and no free name beside it", EEXIST);
            to = joinPath(dirName(to), dstName);
        }
        if (::fstatat(dstDir, dstName.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0 &&
            !S_ISDIR(existing.st_mode)) {
            // A file or a symbolic link where the directory goes: replaced only with --force,
            // and the link itself is removed, never followed.
            if (!force_) return Error("exists (use --force or --keep-both)", EEXIST);
            LB_TRY(notALinkToAFolder(dstDir, dstName, existing, to));
            if (::unlinkat(dstDir, dstName.c_str(), 0) != 0)
                return Error::fromErrno("unlink(" + quote(to) + ")");
        }
        if (::mkdirat(dstDir, dstName.c_str(), 0700) == 0)
            created = true;
        else if (errno != EEXIST)
            return Error::fromErrno("mkdir(" + quote(to) + ")");
        int fd =
            sys::openat2(dstDir, dstName.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, kBeneath);
        if (fd < 0) return Error::fromErrno("openat2(" + quote(to) + ", RESOLVE_NO_SYMLINKS)");
        UniqueFd dst(fd);
        LB_TRY(contents(src.get(), dst.get(), from, to));
        if (created) {
            // A folder we made gets the sandbox's mode and times; one that was there keeps its.
            struct timespec times[2] = {st.st_atim, st.st_mtim};
            if (::fchmod(dst.get(), st.st_mode & 0777) != 0 || ::futimens(dst.get(), times) != 0)
                return Error::fromErrno("setting the mode and times of " + quote(to));
        }
        return Ok();
    }

    bool force_;
    bool keepBoth_;
    const WhiteoutRule& whiteouts_;
    RecoverReport& report_;
    Progress* progress_;
};

// Open (creating as needed) the directory `rel` below `root`, one component at a time,
// never through a symbolic link.
Result<UniqueFd> openDestination(int root, const std::string& rootPath, const std::string& rel) {
    auto fd = openBeneath(root, rel,
                          {.create = Create::Dirs, .flags = O_PATH | O_DIRECTORY, .mode = 0777});
    if (!fd)
        return Error(quote(joinPath(rootPath, rel)) + ": " + fd.error().message(),
                     fd.error().code());
    return fd;
}

}  // namespace

std::string keptBothName(const std::string& name, int n) {
    size_t dot = name.rfind('.');
    if (dot == 0 || dot == std::string::npos) dot = name.size();
    return name.substr(0, dot) + " (" + std::to_string(n) + ")" + name.substr(dot);
}

RecoverReport applyRecover(const std::string& upper, const std::vector<RecoverItem>& items,
                           bool force, const WhiteoutRule& whiteouts, Progress* progress) {
    return applyRecover(upper, items, force ? OnExisting::Replace : OnExisting::Skip, whiteouts,
                        progress);
}

RecoverReport applyRecover(const std::string& upper, const std::vector<RecoverItem>& items,
                           OnExisting onExisting, const WhiteoutRule& whiteouts,
                           Progress* progress) {
    RecoverReport report;
    Copier copier(onExisting, whiteouts, report, progress);
    UniqueFd up(::open(upper.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    const int upperErr = errno;
    for (const auto& item : items) {
        if (!item.skip.empty()) {
            copier.skip(item.path, item.skip);
            continue;
        }
        const std::string notChanged = "not changed in the sandbox (nothing to recover)";
        if (!up.valid()) {
            copier.skip(item.path,
                        upperErr == ENOENT
                            ? notChanged
                            : Error::sys("open(" + quote(upper) + ")", upperErr).message());
            continue;
        }
        // The source: its parent opened below the upper layer without following links.
        const std::string parentRel = item.path == "/" ? "." : dirName(item.path).substr(1);
        // openBeneath: also below PATH_MAX's reach, one name at a time.
        auto pfd = openBeneath(up.get(), parentRel, {.flags = O_RDONLY | O_DIRECTORY});
        if (!pfd) {
            const int err = pfd.error().code();
            if (err == ELOOP || err == EXDEV)
                copier.skip(item.path,
                            "a symbolic link in the sandbox is on the way (not followed)");
            else if (err == ENOENT || err == ENOTDIR)
                copier.skip(item.path, notChanged);
            else
                copier.skip(item.path, pfd.error().message());
            continue;
        }
        UniqueFd srcParent(std::move(*pfd));
        const std::string name = item.path == "/" ? "." : baseName(item.path);
        struct stat st;
        if (::fstatat(srcParent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            struct stat wh;
            bool deleted =
                whiteouts.markersIn(dirName(item.path)) &&
                ::fstatat(srcParent.get(), (".wh." + name).c_str(), &wh, AT_SYMLINK_NOFOLLOW) == 0;
            copier.skip(item.path, deleted ? "deleted in the sandbox" : notChanged);
            continue;
        }
        // The destination: the root as given (the user's own choice), then every directory
        // below it without following links.
        UniqueFd root(::open(item.destRoot.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root.valid()) {
            copier.skip(item.path,
                        Error::fromErrno("open(" + quote(item.destRoot) + ")").message());
            continue;
        }
        const std::string to =
            item.destRel.empty() ? item.destRoot : joinPath(item.destRoot, item.destRel);
        if (item.destRel.empty()) {
            // The whole home into the real one: merged, entry by entry.
            if (!S_ISDIR(st.st_mode)) {
                copier.skip(item.path, copier.notCopiedAt(st, item.path));
                continue;
            }
            UniqueFd src(::openat(srcParent.get(), name.c_str(),
                                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            int dfd = ::openat(root.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (!src.valid() || dfd < 0) {
                if (dfd >= 0) ::close(dfd);
                copier.skip(item.path,
                            Error::fromErrno("open(" + quote(item.path) + ")").message());
                continue;
            }
            UniqueFd dst(dfd);
            if (auto s = copier.contents(src.get(), dst.get(), item.path, to); !s)
                copier.skip(item.path, s.error().message());
            continue;
        }
        auto parent =
            openDestination(root.get(), item.destRoot,
                            dirName(item.destRel) == "." ? std::string() : dirName(item.destRel));
        if (!parent) {
            copier.skip(item.path, parent.error().message());
            continue;
        }
        copier.entry(srcParent.get(), name, st, parent->get(), baseName(item.destRel), item.path,
                     to);
    }
    return report;
}

Result<std::string> readChangedFile(const std::string& upper, const std::string& rawPath,
                                    uint64_t maxBytes, uint64_t* size) {
    const std::string path = normalizePath(rawPath);
    const std::string notChanged = quote(path) + " is not changed in the sandbox";
    UniqueFd up(::open(upper.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!up.valid()) {
        if (errno == ENOENT) return Error(notChanged, ENOENT);
        return Error::fromErrno("open(" + quote(upper) + ")");
    }
    if (path == "/") return Error(quote(path) + " is not a regular file", EISDIR);
    // The program wrote this tree: resolved below the upper layer, no link followed, not even
    // the last one; O_NONBLOCK so that a fifo it left cannot make the reader wait.
    int fd = sys::openat2(up.get(), path.substr(1).c_str(),
                          O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, kBeneath);
    if (fd < 0) {
        if (errno == ELOOP)
            return Error(quote(path) + ": a symbolic link is on the way (not followed)", ELOOP);
        if (errno == ENOENT || errno == ENOTDIR) return Error(notChanged, ENOENT);
        return Error::fromErrno("openat2(" + quote(upper + path) + ", RESOLVE_NO_SYMLINKS)");
    }
    UniqueFd file(fd);
    struct stat st;
    if (::fstat(file.get(), &st) != 0)
        return Error::fromErrno("fstat(" + quote(upper + path) + ")");
    if (!S_ISREG(st.st_mode)) return Error(quote(path) + " is not a regular file", EINVAL);
    if (size) *size = static_cast<uint64_t>(st.st_size);
    std::string out;
    out.resize(static_cast<size_t>(std::min<uint64_t>(maxBytes, st.st_size)));
    size_t got = 0;
    while (got < out.size()) {
        ssize_t n = ::read(file.get(), out.data() + got, out.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::fromErrno("read(" + quote(upper + path) + ")");
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    out.resize(got);
    return out;
}

}  // namespace lb
