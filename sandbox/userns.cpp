#include "userns.h"

#include "fsutil.h"

namespace lb {

IdMapPlan planIdMaps(uid_t uid, gid_t gid) {
    return {std::to_string(uid) + " " + std::to_string(uid) + " 1\n",
            std::to_string(gid) + " " + std::to_string(gid) + " 1\n"};
}

Status applyIdMaps(const IdMapPlan& plan) {
    LB_TRY(writeSmallFile("/proc/self/setgroups", "deny"));
    LB_TRY(writeSmallFile("/proc/self/gid_map", plan.gidMap));
    LB_TRY(writeSmallFile("/proc/self/uid_map", plan.uidMap));
    return Ok();
}

}  // namespace lb
