// The user namespace: the caller's uid and gid map to the same ids inside, nothing else.
// Unprivileged, the kernel allows exactly this single-id map, written by the process inside the
// new namespace after it denies setgroups (which keeps it from dropping supplementary groups
// to get around "deny" permissions on files).
#pragma once

#include <sys/types.h>

#include <string>

#include "error.h"

namespace lb {

struct IdMapPlan {
    std::string uidMap;  // "1000 1000 1\n"
    std::string gidMap;
};

IdMapPlan planIdMaps(uid_t uid, gid_t gid);

// Write setgroups=deny, gid_map and uid_map for the calling process (already in its new user
// namespace).
Status applyIdMaps(const IdMapPlan& plan);

}  // namespace lb
