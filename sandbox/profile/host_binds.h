// Which host paths a bind may show inside a sandbox.
//
// Refused, at, below or above them (a bind is recursive, so `/run` shows what is below it):
// the user's runtime directory and the session bus socket, through which a program could ask
// the systemd user manager to start a unit outside the sandbox, in the host's namespaces; and the
// host's /proc (the host's processes). Layerbox's own folders (config, cache, state, data,
// runtime) are refused as a bind source and hidden inside a bind that holds them: a program
// must not plant a profile or poison a cache for later launches.
//
// A profile and `--bind` are checked when they are read (with links resolved on this host), and
// the setup process checks again the path the opened source really is, just before it mounts it,
// so a link changed in between gains nothing.
#pragma once

#include <string>
#include <vector>

#include "base/paths.h"

namespace lb {

struct ReservedHostPath {
    std::string path;  // absolute, links resolved
    std::string what;  // "your runtime directory"
    std::string why;   // "which holds ...: a program could ..."
};

struct HostBindPolicy {
    std::vector<ReservedHostPath> refused;  // never at, below or above
    std::vector<std::string> layerboxDirs;  // never at or below; hidden when below a bind
    // Symbolic links on the way to Layerbox's folders as the host names them
    // (~/.config/layerbox -> ~/dotfiles/layerbox), each at its own place (its folder's links
    // resolved): never inside a read-write bind.
    std::vector<std::string> layerboxLinks;

    // This user's policy: the runtime dir (XDG_RUNTIME_DIR and /run/user/UID), the session
    // bus named by DBUS_SESSION_BUS_ADDRESS, /proc, and Layerbox's folders of `paths`.
    static HostBindPolicy forUser(const Paths& paths);

    // Why a bind of `source` (absolute, links resolved) is refused, or "" when it is not.
    std::string refusal(const std::string& source) const;
    // Why a read-write bind of `source` is refused beyond that: it holds one of layerboxLinks,
    // which a program could replace with a folder of its own (hiding a folder does not stop
    // that: the host finds its folders through the link each time).
    std::string writableRefusal(const std::string& source) const;
    // The paths inside the sandbox, below a bind of `source` at `target`, where Layerbox's
    // folders appear (and are to be hidden).
    std::vector<std::string> hiddenBelow(const std::string& source,
                                         const std::string& target) const;
};

// `path` (absolute) with the links of its existing part resolved; a missing rest is appended
// as written.
std::string resolveHostPath(const std::string& path);

// Why the host side `host` of a profile's bind or of `--bind` (may start with ~) is refused on
// this host, or "".
std::string checkBindSource(const std::string& host, const Paths& paths);
// The same with the policy computed once (a profile with many binds).
std::string checkBindSource(const std::string& host, const Paths& paths,
                            const HostBindPolicy& policy, bool writable = false);

}  // namespace lb
