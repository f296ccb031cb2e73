// Files given to a sandbox one at a time (a program run by its path, `run --file`, "Open with"
// from a menu entry): the host file appears inside at its own path, read-only unless asked
// otherwise, and nothing else of its folder does.
//
// Safety: the host path is checked once, without following any symbolic link or "..", and must
// be a regular file the user can read (and write, for read-write); its device and inode are kept
// and every later open must find that same file. Inside, the mount point is created without
// following links the sandbox may have planted; it is a bind of that one file, so renaming over
// it, deleting it or changing its mode fails (EBUSY, EROFS), and a read-only bind refuses
// writes. A running sandbox gets a grant through its own namespaces (injectGrant: the mount is
// cloned on the host side and moved in); revokeGrant unmounts it there at once.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fsutil.h"
#include "isolation/mounts.h"
#include "profile/profile.h"

namespace lb {

struct FileGrant {
    std::string path;  // absolute, normalised: the same outside and inside
    bool rw = false;
    uint64_t dev = 0, ino = 0;  // the file that was checked; a later open must find it again
    bool operator==(const FileGrant&) const = default;
};

// Check a path the user gave (relative ones are taken from `cwd`): no "..", no control
// characters, no symbolic link anywhere on the way, a regular file (not a folder, device, FIFO
// or socket), not under /proc, /sys or /dev, readable (and writable when `rw`). The error is one
// line naming the path and what is wrong.
Result<FileGrant> checkFileGrant(const std::string& given, const std::string& cwd, bool rw);

// The absolute, normalised form of a path the user gave (for lookups such as `grants rm`).
std::string grantPath(const std::string& given, const std::string& cwd);

// Pure: would a sandbox of this profile see the host's `path` without a grant? True under the
// system folders' overlays, under a bind, and in the home when it is an overlay of the real one.
bool visibleInside(const Profile& profile, const std::string& home, const std::string& path);

// Pure: why `path` may not be granted to this profile (it lies under a path the profile hides,
// or in one of Layerbox's own folders, `ownDirs`: its data, profiles, caches, runtime state with
// the compiled seccomp filters), or empty.
std::string grantRefused(const Profile& profile, const std::string& home,
                         const std::vector<std::string>& ownDirs, const std::string& path);

// Pure: a command whose file arguments are marked, as menu entries write them:
// "gimp @@ %F @@" expands to "gimp @@ /a.png /b.png @@"; "@@rw ... @@" marks read-write files.
// The markers are dropped; a file:// URI becomes its path (the program gets the path); other
// URIs (https://...) are passed on and give nothing. Unterminated markers are an error.
struct FileArgs {
    std::vector<std::string> argv;
    std::vector<std::pair<std::string, bool>> files;  // path, read-write
};
Result<FileArgs> planFileArgs(const std::vector<std::string>& command);

// Pure: the mount of one grant (a Bind marked `grant`).
MountOp planGrantMount(const FileGrant& grant);

// Inside the tree at `rootfd` (the sandbox's root): the mount point for a grant, created when
// missing (folders 0755, an empty file 0600, both marked as Layerbox's so that they can be
// removed again), never through a symbolic link. Returns an O_PATH descriptor of it.
Result<UniqueFd> makeGrantMountPoint(int rootfd, const std::string& path);

// Remove what makeGrantMountPoint created for `path` below `rootfd` (`inRoot`: resolve as the
// sandbox's root, else as a directory of the host, e.g. the upper layer), when still empty and
// marked. Nothing unmarked or non-empty is touched.
void removeGrantMountPoint(int rootfd, const std::string& path, bool inRoot);

// A running sandbox (its setup process, which holds its user and mount namespaces): show the
// file inside now, or take it back (unmounted at once; descriptors already open stay open).
Status injectGrant(pid_t sandboxPid, const FileGrant& grant);
Status revokeGrant(pid_t sandboxPid, const std::string& path);

}  // namespace lb
