#include "base/fsutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace lb {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
}

UniqueFd::~UniqueFd() {
    reset();
}

void UniqueFd::reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

namespace {

// The length of the valid UTF-8 sequence at s[i] that is not a C1 control (U+0080-U+009F,
// which some terminals obey like ESC), or 0.
size_t printableUtf8(std::string_view s, size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    if (len == 0 || i + len > s.size()) return 0;
    for (size_t k = 1; k < len; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
    auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c == 0xC2 && c1 < 0xA0) return 0;   // C1 controls
    if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
    if (c == 0xED && c1 >= 0xA0) return 0;  // surrogates
    if (c == 0xF0 && c1 < 0x90) return 0;   // overlong
    if (c == 0xF4 && c1 >= 0x90) return 0;  // above U+10FFFF
    return len;
}

std::string escaped(std::string_view s, bool quoted, bool backslash = true) {
    std::string out;
    out.reserve(s.size() + (quoted ? 2 : 0));
    if (quoted) out += '"';
    for (size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if ((backslash && c == '\\') || (quoted && c == '"')) {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else if (size_t len = c >= 0x80 ? printableUtf8(s, i) : 0; len > 0) {
            out.append(s.substr(i, len));
            i += len - 1;
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    if (quoted) out += '"';
    return out;
}

}  // namespace

std::string quote(std::string_view s) {
    return escaped(s, true);
}

std::string forTerminal(std::string_view s) {
    return escaped(s, false);
}

std::string safeLine(std::string_view s) {
    return escaped(s, false, false);
}

static Result<std::string> readAllFd(int fd, const std::string& what) {
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::fromErrno("read(" + quote(what) + ")");
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

Result<std::string> readFile(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return Error::fromErrno("open(" + quote(path) + ")");
    return readAllFd(fd.get(), path);
}

Status writeAll(int fd, std::string_view data, std::string_view what) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::fromErrno("write(" + quote(what) + ")");
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return Ok();
}

Status writeSmallFile(const std::string& path, std::string_view data) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid()) return Error::fromErrno("open(" + quote(path) + ")");
    return writeAll(fd.get(), data, path);
}

Status writeFileAtomic(const std::string& path, std::string_view data, unsigned mode,
                       bool durable) {
    const std::string dir = dirName(path);
    std::string tmpl = joinPath(dir, "." + baseName(path) + ".tmp-XXXXXX");
    UniqueFd fd(::mkostemp(tmpl.data(), O_CLOEXEC));
    if (!fd.valid()) return Error::fromErrno("mkstemp(" + quote(tmpl) + ")");
    auto fail = [&](Error e) -> Status {
        ::unlink(tmpl.c_str());
        return e;
    };
    if (::fchmod(fd.get(), mode) != 0) return fail(Error::fromErrno("fchmod(" + quote(tmpl) + ")"));
    if (auto s = writeAll(fd.get(), data, tmpl); !s) return fail(std::move(s).error());
    if (durable && ::fsync(fd.get()) != 0)
        return fail(Error::fromErrno("fsync(" + quote(tmpl) + ")"));
    // close() can report a deferred write error (NFS, full disk): check it before the rename.
    if (::close(fd.release()) != 0) return fail(Error::fromErrno("close(" + quote(tmpl) + ")"));
    if (::rename(tmpl.c_str(), path.c_str()) != 0)
        return fail(Error::fromErrno("rename(" + quote(tmpl) + ", " + quote(path) + ")"));
    if (!durable) return Ok();
    UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.valid()) ::fsync(dfd.get());  // best effort: the rename itself already happened
    return Ok();
}

Status makeDirs(const std::string& path, unsigned mode) {
    if (path.empty()) return Ok();
    std::string cur;
    for (const auto& part : split(path, '/')) {
        if (part.empty()) {
            if (cur.empty()) cur = "/";
            continue;
        }
        cur = cur.empty() ? part : joinPath(cur, part);
        if (::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST)
            return Error::fromErrno("mkdir(" + quote(cur) + ")");
    }
    if (!isDirectory(path)) return Error::sys("mkdir(" + quote(path) + ")", ENOTDIR);
    return Ok();
}

static Status removeAt(int dirfd, const char* name, dev_t dev) {
    struct stat st;
    if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return Ok();
        return Error::fromErrno(std::string("fstatat(") + quote(name) + ")");
    }
    if (S_ISDIR(st.st_mode)) {
        if (st.st_dev != dev)
            return Error::sys(std::string("remove ") + quote(name) + " (another file system)",
                              EXDEV);
        int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == EACCES) {
            // e.g. overlayfs' work/work is left with mode 000; we own it, so allow us in
            if (::fchmodat(dirfd, name, 0700, 0) == 0)
                fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0) return Error::fromErrno(std::string("open(") + quote(name) + ")");
        DIR* d = ::fdopendir(fd);
        if (!d) {
            ::close(fd);
            return Error::fromErrno("fdopendir");
        }
        Status result;
        while (auto* e = ::readdir(d)) {
            if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
            if (auto s = removeAt(::dirfd(d), e->d_name, dev); !s) {
                result = std::move(s);
                break;
            }
        }
        ::closedir(d);
        if (!result) return result;
        if (::unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
            return Error::fromErrno(std::string("rmdir(") + quote(name) + ")");
        return Ok();
    }
    if (::unlinkat(dirfd, name, 0) != 0 && errno != ENOENT)
        return Error::fromErrno(std::string("unlink(") + quote(name) + ")");
    return Ok();
}

Status removeTree(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return Ok();
        return Error::fromErrno("lstat(" + quote(path) + ")");
    }
    UniqueFd parent(::open(dirName(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!parent.valid()) return Error::fromErrno("open(" + quote(dirName(path)) + ")");
    auto s = removeAt(parent.get(), baseName(path).c_str(), st.st_dev);
    if (!s) return std::move(s).error().wrap("removing " + quote(path));
    return Ok();
}

Status removeTreeAt(int dirfd, const std::string& name) {
    struct stat st;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return Ok();
        return Error::fromErrno("fstatat(" + quote(name) + ")");
    }
    return removeAt(dirfd, name.c_str(), st.st_dev);
}

Result<std::vector<std::string>> listDirAt(int dirfd, const std::string& what) {
    int fd = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 3);  // closedir closes the copy
    DIR* d = fd >= 0 ? ::fdopendir(fd) : nullptr;
    if (!d) {
        Error e = Error::fromErrno("opendir(" + quote(what) + ")");
        if (fd >= 0) ::close(fd);
        return e;
    }
    std::vector<std::string> names;
    errno = 0;
    while (auto* e = ::readdir(d)) {
        if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
        names.emplace_back(e->d_name);
    }
    int err = errno;
    ::closedir(d);
    if (err != 0) return Error::sys("readdir(" + quote(what) + ")", err);
    std::sort(names.begin(), names.end());
    return names;
}

bool pathExists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

bool isDirectory(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string dirName(const std::string& path) {
    auto pos = path.find_last_of('/');
    if (pos == std::string::npos) return ".";
    if (pos == 0) return "/";
    return path.substr(0, pos);
}

std::string baseName(const std::string& path) {
    auto pos = path.find_last_of('/');
    return pos == std::string::npos ? path : path.substr(pos + 1);
}

std::string joinPath(const std::string& a, const std::string& b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    std::string out = a;
    if (out.back() != '/') out += '/';
    out += (b.front() == '/') ? b.substr(1) : b;
    return out;
}

std::string normalizePath(const std::string& path) {
    std::string out;
    for (const auto& part : split(path, '/')) {
        if (part.empty() || part == ".") continue;
        out += '/';
        out += part;
    }
    if (out.empty()) out = "/";
    if (!path.empty() && path.front() != '/') out.erase(0, 1);
    return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t pos = s.find(sep, start);
        out.emplace_back(s.substr(start, pos == std::string_view::npos ? s.npos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return out;
}

std::string joinStrings(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i) out += sep;
        out += parts[i];
    }
    return out;
}

std::string trim(std::string_view s) {
    const char* ws = " \t\r\n";
    auto b = s.find_first_not_of(ws);
    if (b == s.npos) return {};
    auto e = s.find_last_not_of(ws);
    return std::string(s.substr(b, e - b + 1));
}

bool startsWith(std::string_view s, std::string_view prefix) {
    return s.starts_with(prefix);
}
bool endsWith(std::string_view s, std::string_view suffix) {
    return s.ends_with(suffix);
}

std::string fileUri(std::string_view path) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out = "file://";
    for (unsigned char c : path) {
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
        if (plain) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

std::string contentTag(std::string_view data) {
    // FNV-1a 64 plus the length: cheap, stable, and enough to notice an external edit.
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : data) {
        h ^= c;
        h *= 1099511628211ull;
    }
    char buf[40];
    std::snprintf(buf, sizeof buf, "%016llx-%zx", static_cast<unsigned long long>(h), data.size());
    return buf;
}

int flockHolder(unsigned long long dev, unsigned long long ino) {
    auto locks = readFile("/proc/locks");
    if (!locks) return 0;
    char want[64];
    std::snprintf(want, sizeof want, "%02x:%02x:%llu", major(static_cast<dev_t>(dev)),
                  minor(static_cast<dev_t>(dev)), ino);
    for (const auto& line : split(*locks, '\n')) {
        std::vector<std::string> f;
        for (auto& x : split(line, ' '))
            if (!x.empty()) f.push_back(x);
        if (f.size() >= 6 && f[1] == "FLOCK" && f[5] == want) return std::atoi(f[4].c_str());
    }
    return 0;
}

}  // namespace lb
