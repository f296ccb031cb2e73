#include "isolation/userns.h"

#include <sched.h>
#include <unistd.h>

#include "base/fsutil.h"

namespace lb {

IdMapPlan planIdMaps(uid_t uid, gid_t gid) {
    IdMapPlan p;
    p.uid = uid;
    p.gid = gid;
    p.outer = {"0 " + std::to_string(uid) + " 1\n", "0 " + std::to_string(gid) + " 1\n"};
    p.inner = {std::to_string(uid) + " 0 1\n", std::to_string(gid) + " 0 1\n"};
    return p;
}

Status applyIdMap(const IdMap& map) {
    LB_TRY(writeSmallFile("/proc/self/setgroups", "deny"));
    LB_TRY(writeSmallFile("/proc/self/gid_map", map.gidMap));
    LB_TRY(writeSmallFile("/proc/self/uid_map", map.uidMap));
    return Ok();
}

Status enterInnerUserNamespace(const IdMapPlan& plan) {
    if (::unshare(CLONE_NEWUSER) != 0) return Error::fromErrno("unshare(user)");
    LB_TRY(applyIdMap(plan.inner));
    if (::setresgid(plan.gid, plan.gid, plan.gid) != 0) return Error::fromErrno("setresgid");
    if (::setresuid(plan.uid, plan.uid, plan.uid) != 0) return Error::fromErrno("setresuid");
    return Ok();
}

}  // namespace lb
