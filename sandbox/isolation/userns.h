// User namespaces. Two, nested:
//  - the outer one, created by the setup process, maps the caller to root. It owns the mount,
//    network, IPC, UTS, PID and cgroup namespaces, so setup code (and slirp4netns joining it
//    with --enable-sandbox, which needs root there) has the privileges it needs, inside the
//    sandbox only.
//  - the inner one, entered by PID 1 before any program starts, maps root back to the caller's
//    own uid and gid. Programs run as the caller, with no capability in either namespace, so
//    they cannot touch the mounts or the network set up above them.
// Unprivileged, each map may hold exactly one id, written by the process itself after denying
// setgroups (which keeps it from dropping supplementary groups around "deny" permissions).
#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.h"

namespace lb {

struct IdMap {
    std::string uidMap;  // "inside outside 1\n"
    std::string gidMap;
};

struct IdMapPlan {
    IdMap outer;  // caller -> root
    IdMap inner;  // root -> caller
    uid_t uid = 0;
    gid_t gid = 0;
};

IdMapPlan planIdMaps(uid_t uid, gid_t gid);

// Write setgroups=deny, gid_map and uid_map for the calling process (already in its new user
// namespace).
Status applyIdMap(const IdMap& map);

// From root in the outer namespace: enter the inner one and become the caller again.
Status enterInnerUserNamespace(const IdMapPlan& plan);

}  // namespace lb
