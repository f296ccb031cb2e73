// Small file-system helpers shared by every concern: an owning fd, whole-file reads, atomic
// writes, directory creation. Every failure names the call and the path.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace lb {

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd();
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1);
    bool valid() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

// Quote a path or value for messages: "path", escaped as forTerminal does (and \").
std::string quote(std::string_view s);
// A name (a path, a command, anything a sandboxed program may have chosen) made safe to print
// on a terminal, as `ls` does: control characters (C0, DEL, C1) and invalid UTF-8 become
// \n, \t, \r or \xNN, a backslash \\; printable UTF-8 stays. A newline cannot fake a second
// line and no escape sequence reaches the terminal.
std::string forTerminal(std::string_view s);
// A message (already quoting its names) as one safe line: the same, but a backslash stays.
std::string safeLine(std::string_view s);

Result<std::string> readFile(const std::string& path);
// Write all bytes, retrying on EINTR and short writes.
Status writeAll(int fd, std::string_view data, std::string_view what);
// Write a small file in one go (for /proc files such as uid_map).
Status writeSmallFile(const std::string& path, std::string_view data);

// Atomic replace: temp file in the same directory, write, fsync, rename over `path`, fsync the
// directory. On any failure the previous file is untouched and the temp file is removed.
// `durable` = false skips the fsyncs, for files that do not outlive a boot (runtime state on
// tmpfs) where readers only need never to see a half-written file.
Status writeFileAtomic(const std::string& path, std::string_view data, unsigned mode = 0644,
                       bool durable = true);

// mkdir -p with the given mode for created directories.
Status makeDirs(const std::string& path, unsigned mode = 0755);
// rm -rf that never follows symlinks and stays on one file system.
Status removeTree(const std::string& path);
// The same for the entry `name` of an open directory (callers that opened the parent without
// following symlinks).
Status removeTreeAt(int dirfd, const std::string& name);
// The names in an open directory, without "." and "..", sorted. `what` names it in errors.
Result<std::vector<std::string>> listDirAt(int dirfd, const std::string& what);

// The process holding a flock() on the file with this device and inode, from /proc/locks
// ("1: FLOCK  ADVISORY  WRITE 17137 fd:01:123456 0 EOF": major:minor in hex, the inode in
// decimal; a "->" entry is a request waiting for the lock, not its holder). 0 when none is.
int flockHolder(unsigned long long dev, unsigned long long ino);

bool pathExists(const std::string& path);
bool isDirectory(const std::string& path);
std::string dirName(const std::string& path);
std::string baseName(const std::string& path);
std::string joinPath(const std::string& a, const std::string& b);
// Lexically normalise an absolute path: collapse "//" and ".", keep ".." out (callers reject it).
std::string normalizePath(const std::string& path);

// Split on a separator (no empty fields removed).
std::vector<std::string> split(std::string_view s, char sep);
// "a, b, c": the parts joined with `sep`.
std::string joinStrings(const std::vector<std::string>& parts, std::string_view sep = ", ");
std::string trim(std::string_view s);
bool startsWith(std::string_view s, std::string_view prefix);
bool endsWith(std::string_view s, std::string_view suffix);
// The file:// URI of an absolute path: every byte but the unreserved ones (RFC 3986) and '/'
// percent-encoded, so names with spaces, '#', '%' or newlines reach a file manager intact.
std::string fileUri(std::string_view path);

// A stable fingerprint of file contents, used to detect edits made behind an editor's back.
std::string contentTag(std::string_view data);

}  // namespace lb
