#include "isolation/caps.h"

#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <cerrno>
#include <string>

namespace lb {

Status dropAllCapabilities() {
    // The bounding set first: dropping from it needs CAP_SETPCAP, which goes with the rest.
    for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            return Error::fromErrno("prctl(PR_CAPBSET_DROP, " + std::to_string(cap) + ")");
    }
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return Error::fromErrno("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
    cap_t empty = cap_init();
    if (!empty) return Error::fromErrno("cap_init");
    int rc = cap_set_proc(empty);
    int err = errno;
    cap_free(empty);
    if (rc != 0) return Error::sys("capset(all empty)", err);
    return Ok();
}

Status setNoNewPrivs() {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return Error::fromErrno("prctl(PR_SET_NO_NEW_PRIVS)");
    return Ok();
}

}  // namespace lb
