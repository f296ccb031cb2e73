#include "isolation/landlock.h"

#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fsutil.h"

namespace lb {

int landlockAbi() {
    long v = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return v > 0 ? static_cast<int>(v) : 0;
}

Status enterOwnLandlockDomain() {
    struct landlock_ruleset_attr attr = {};
    attr.handled_access_fs = LANDLOCK_ACCESS_FS_MAKE_BLOCK;
    int fd = static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0));
    if (fd < 0) return Error::fromErrno("landlock_create_ruleset");
    UniqueFd ruleset(fd);
    if (::syscall(SYS_landlock_restrict_self, ruleset.get(), 0) != 0)
        return Error::fromErrno("landlock_restrict_self");
    return Ok();
}

}  // namespace lb
