#include "base/safe_open.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "base/syscalls.h"

namespace lb {

namespace {

// Without openat2 (kernels before 5.6), or for a path longer than PATH_MAX: one component at a
// time, never following a link and never climbing. Only for Resolve::Beneath; RESOLVE_IN_ROOT has
// no such equivalent.
int openWalking(int dirfd, const std::vector<std::string>& parts, int lastFlags) {
    int cur = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
    if (cur < 0) return -1;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (parts[i] == "..") {
            ::close(cur);
            errno = EXDEV;
            return -1;
        }
        bool last = i + 1 == parts.size();
        int flags = last ? lastFlags | O_NOFOLLOW : O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
        int next = ::openat(cur, parts[i].c_str(), flags);
        int err = errno;
        ::close(cur);
        if (next < 0) {
            // A link where a directory is needed: O_DIRECTORY|O_NOFOLLOW says ENOTDIR.
            errno = err;
            return -1;
        }
        struct stat st;
        if (last && (lastFlags & O_PATH) && ::fstat(next, &st) == 0 && S_ISLNK(st.st_mode)) {
            ::close(next);
            errno = ELOOP;
            return -1;
        }
        cur = next;
    }
    return cur;
}

}  // namespace

Result<UniqueFd> openBeneath(int dirfd, const std::string& path, const OpenOptions& o) {
    std::vector<std::string> parts;
    for (auto& p : split(path, '/'))
        if (!p.empty() && p != ".") parts.push_back(std::move(p));
    const uint64_t res = o.resolve == Resolve::InRoot
                             ? RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS
                             : RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    const int lastFlags = (o.flags ? o.flags : O_PATH) | O_CLOEXEC;
    const int dirFlags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    auto openPrefix = [&](size_t n, int flags) {
        std::string rel;
        for (size_t i = 0; i < n; ++i)
            rel += (rel.empty() ? "" : "/") + parts[i];
        if (rel.empty()) rel = ".";
        int fd = sys::openat2(dirfd, rel.c_str(), static_cast<uint64_t>(flags), res);
        // ENAMETOOLONG: a path over PATH_MAX (a deep tree a program made) is still opened,
        // one name at a time.
        if (fd < 0 && (errno == ENOSYS || errno == ENAMETOOLONG) && o.resolve == Resolve::Beneath)
            fd = openWalking(dirfd, std::vector<std::string>(parts.begin(), parts.begin() + n),
                             flags);
        return fd;
    };
    auto fail = [&](const std::string& shown) {
        std::string why = errno == ELOOP   ? " (a symbolic link: not followed)"
                          : errno == EXDEV ? " (it leads outside: not followed)"
                                           : "";
        return Error(Error::fromErrno("open(" + quote(shown) + ")").message() + why, errno);
    };
    int fd = openPrefix(parts.size(), lastFlags);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != ENOENT || o.create == Create::No) return fail(path);

    // Create what is missing, one component at a time: each directory is opened again (with the
    // same rule) before the next is made in it, and mkdirat/openat get a single name, so no
    // link in the middle is ever followed.
    UniqueFd cur(::fcntl(dirfd, F_DUPFD_CLOEXEC, 3));
    if (!cur.valid()) return Error::fromErrno("fcntl(F_DUPFD_CLOEXEC)");
    for (size_t i = 0; i < parts.size(); ++i) {
        const bool last = i + 1 == parts.size();
        const int flags = last ? lastFlags : dirFlags;
        int next = openPrefix(i + 1, flags);
        if (next < 0 && errno == ENOENT) {
            const char* name = parts[i].c_str();
            if (last && o.create == Create::File) {
                int f = ::openat(cur.get(), name,
                                 O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, o.mode);
                if (f < 0 && errno != EEXIST)
                    return Error::fromErrno("create(" + quote(path) + ")");
                if (f >= 0) ::close(f);
            } else if (::mkdirat(cur.get(), name, last ? o.mode : 0755) != 0 && errno != EEXIST) {
                std::string shown;
                for (size_t k = 0; k <= i; ++k)
                    shown += (k ? "/" : "") + parts[k];
                return Error::fromErrno("mkdir(" + quote(shown) + ")");
            }
            next = openPrefix(i + 1, flags);
        }
        if (next < 0) return fail(path);
        cur.reset(next);
    }
    return cur;
}

Result<std::string> readRegularFile(const std::string& path, size_t maxBytes,
                                    const std::string& what, bool followLinks) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
                                         (followLinks ? 0 : O_NOFOLLOW)));
    if (!fd.valid()) return Error::fromErrno("open(" + quote(path) + ")");
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return Error::fromErrno("fstat(" + quote(path) + ")");
    if (!S_ISREG(st.st_mode))
        return Error(quote(path) + " is not a regular file (" + what + " must be one)", EINVAL);
    auto tooBig = [&] {
        return Error(quote(path) + " is larger than " + std::to_string(maxBytes) +
                         " bytes, the limit for " + what,
                     EFBIG);
    };
    if (static_cast<uint64_t>(st.st_size) > maxBytes) return tooBig();
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::fromErrno("read(" + quote(path) + ")");
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > maxBytes) return tooBig();  // it grew while read
    }
    return out;
}

std::string findExecutable(const std::string& name, const char* pathEnv) {
    if (name.empty() || name.find('/') != std::string::npos) return {};
    if (!pathEnv) pathEnv = std::getenv("PATH");
    auto usable = [](const std::string& full) {
        struct stat st;
        return ::stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
               ::access(full.c_str(), X_OK) == 0;
    };
    // Security: only absolute entries. An empty entry (or "." or "bin") means a directory
    // relative to wherever the caller happens to be, which may be a folder a program wrote.
    for (const auto& dir : split(pathEnv ? pathEnv : "", ':')) {
        if (dir.empty() || dir[0] != '/') continue;
        std::string full = joinPath(dir, name);
        if (usable(full)) return full;
    }
    for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
        std::string full = joinPath(dir, name);
        if (usable(full)) return full;
    }
    return {};
}

}  // namespace lb
