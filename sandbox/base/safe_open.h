// The one way to open a path that a sandboxed program may have shaped (its upper layer, a
// committed layer, a folder it could write through a bind, the new root), and the one way to
// find a helper program on PATH.
//
// openBeneath never leaves `dirfd`: with Resolve::Beneath no symbolic link and no ".." is
// followed at all (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS; on kernels without openat2,
// one component at a time with O_NOFOLLOW); with Resolve::InRoot links are followed but resolve
// as if `dirfd` were "/" (RESOLVE_IN_ROOT, for mount targets in the sandbox's new root). Missing
// directories are created one component at a time, each opened again before the next is made
// below it, so a link planted in a middle component is never followed (Flatpak CVE-2024-42472).
#pragma once

#include <string>

#include "base/error.h"
#include "base/fsutil.h"

namespace lb {

enum class Resolve { Beneath, InRoot };
enum class Create { No, Dirs, File };  // File: the missing directories, then an empty file

struct OpenOptions {
    Create create = Create::No;
    Resolve resolve = Resolve::Beneath;
    int flags = 0;         // for the last component: 0 = O_PATH; else e.g. O_RDONLY | O_DIRECTORY
    unsigned mode = 0755;  // of a created last component (parents: 0755)
};

// Open `path` (relative; a leading "/" is ignored) below `dirfd`. Errors name the call, the
// path and, for a link, that it was not followed (ELOOP, EXDEV).
Result<UniqueFd> openBeneath(int dirfd, const std::string& path, const OpenOptions& options = {});

// Read a small regular file whole: never a fifo or a device (the open does not block, and
// anything but a regular file is refused), never more than `maxBytes` (a bigger file is refused
// naming the limit and `what` it is for). With `followLinks` false, a link is refused too.
Result<std::string> readRegularFile(const std::string& path, size_t maxBytes,
                                    const std::string& what, bool followLinks = true);
constexpr size_t kProfileMaxBytes = 1 << 20;  // a profile (and a layer's info, a cache file)

// The absolute path of the executable `name` in PATH (`pathEnv`, default the environment's),
// using only absolute entries (an empty or relative entry would mean the current directory);
// then /usr/bin, /usr/local/bin, /bin. "" when there is none.
std::string findExecutable(const std::string& name, const char* pathEnv = nullptr);

}  // namespace lb
