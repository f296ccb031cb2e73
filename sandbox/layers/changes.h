// What a sandbox changed: its upper layer read back as a list of changes, and the two ways of
// dropping them (discard some paths, reset everything).
//
// The scanner walks only the upper layer, relative to directory descriptors and never following
// a symbolic link (everything in it was written by the sandboxed program). Lower layers are only
// looked at with fstatat(AT_SYMLINK_NOFOLLOW), to tell an added path from a modified one.
//
// It reads every format the two drivers write:
//   deleted    a character device 0:0 (kernel overlayfs and fuse-overlayfs), or a ".wh.NAME"
//              file (fuse-overlayfs when it cannot create devices, kernels before 5.8); only
//              inside an overlay: in a plain upper directory (a private home without layers)
//              the program made them, and they are listed as files
//   replaced   a directory marked opaque: xattr user.overlay.opaque=y (kernel, userxattr),
//              user.fuseoverlayfs.opaque, trusted.overlay.opaque, or a ".wh..wh..opq" file in it
//   added      a path no lower layer has
//   modified   a non-directory that hides a lower one
// A directory that merely holds changes (copied up because something inside it changed) is not
// a change itself.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fsutil.h"

namespace lb {

struct HostInfo;
struct Paths;
struct Profile;

enum class ChangeKind { Added, Modified, Deleted, Replaced };
const char* changeKindName(ChangeKind kind);

struct Change {
    std::string path;  // as the sandbox sees it: "/etc/motd"
    ChangeKind kind = ChangeKind::Added;
    std::string type;    // file, dir, symlink, whiteout, fifo, socket, char, block
    uint64_t size = 0;   // bytes (files, symlinks); 0 for directories and deletions
    int64_t mtime = 0;   // seconds since the epoch
    std::string target;  // symbolic links: where they point (read, never followed)
};

// A lower directory: `path` on the host; with `beneath` set, `path` is relative to that
// directory and opened without following any symlink (parts of committed layers, which a
// sandboxed program wrote).
struct LowerDir {
    std::string path;
    std::string beneath;
};

// One copy-on-write mount of the sandbox.
struct OverlayRoot {
    std::string path;              // sandbox path: "/usr", the home
    std::vector<LowerDir> lowers;  // top first
    // Not an overlay: the upper directory bound as it is (a private home without layers). No
    // overlay wrote anything there, so nothing in it is a whiteout: a 0:0 device or a
    // ".wh.NAME" file the program made is listed as what it is.
    bool plain = false;
};

struct ScanPlan {
    std::string upper;  // host path of the upper layer (mirrors the sandbox's paths)
    // The overlaid directories. They and their parents in the upper layer are Layerbox's
    // scaffolding, never changes.
    std::vector<OverlayRoot> roots;
    // Sandbox paths Layerbox mounts over (binds, generated files, tmpfs), created when
    // missing: an empty directory (or empty file) there, and the parents created for it, are
    // not changes.
    std::vector<std::string> mountPoints;
    std::string only;  // report only this path and what is below it; empty: everything
    // ".wh.NAME" files are whiteouts: only where fuse-overlayfs may have written them (kernels
    // before 5.8 refuse it an unprivileged 0:0 device). Elsewhere the program made them, and
    // they are listed as files.
    bool markerFiles = false;
};

// Which entries of an upper layer are whiteouts: only what the overlay can have written.
struct WhiteoutRule {
    std::vector<std::string> plainRoots;  // sandbox paths of plain upper directories
    bool markerFiles = false;             // ".wh.NAME" files are whiteouts (ScanPlan)
    // A 0:0 character device at sandbox path `path` is a whiteout.
    bool deviceAt(const std::string& path) const;
    // ".wh.NAME" files in the directory at sandbox path `dir` are whiteouts.
    bool markersIn(const std::string& dir) const;
};
WhiteoutRule whiteoutRule(const ScanPlan& plan);
// A 0:0 character device: the overlay's whiteout (where the overlay can have written it).
bool isWhiteout(const struct stat& st);

// Whether the ".wh..wh..opq" file in the open overlay directory `dirfd` is fuse-overlayfs' opaque
// marker: with its 0:0 ".wh..opq" beside it, or alone on kernels before 5.8 (`markerFiles`).
// Anything else of that name the program made (kernel overlayfs lets it), and it is a file.
bool fuseOpaqueMarkerIn(int dirfd, bool markerFiles);

// Whether fuse-overlayfs may write ".wh.NAME" whiteout files on this kernel ("6.1.0-18"):
// before 5.8, which refuses unprivileged 0:0 devices.
bool kernelNeedsMarkerFiles(const std::string& kernelRelease);

// Pure: the overlays of a profile's sandbox (system directories over the host's, the home over
// the real one when its mode is "overlay", committed layers under both) and its mount points
// (from planMounts).
ScanPlan planScan(const Profile& profile, const HostInfo& host, const Paths& paths);

// Walk the upper layer. A missing upper layer has no changes. Sorted by path, parents first.
// `threads`: how many may walk at once (0: one per CPU, at most 4).
Result<std::vector<Change>> scanChanges(const ScanPlan& plan, unsigned threads = 0);

// Whether `path` is `dir` or below it (both normalised absolute paths).
bool isPathWithin(const std::string& path, const std::string& dir);

// Take the profile's sandbox lock for a change to its layer, or say in one line why not (the
// kernel documents changing an upper layer under a mounted overlay as undefined).
Result<UniqueFd> lockStoppedSandbox(const std::string& sandboxDir, const std::string& profile,
                                    const std::string& action);

// Drop the changes at `path` (sandbox path) so that it shows the lower layers again: the
// upper entry, its ".wh." marker, and everything below it. For an overlaid directory itself
// (or one of its parents) its contents are dropped. The caller holds the sandbox lock.
// Fails with ENOENT when there is no change there.
Status discardPath(const ScanPlan& plan, const std::string& path);

// Drop every change: the upper layer and the work directories (kernel overlayfs leaves its
// work/work with mode 000) are removed and an empty upper layer is created. The caller holds
// the sandbox lock.
Status resetSandbox(const std::string& sandboxDir);

}  // namespace lb
