#include "isolation/caps.h"

#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace lb {

Status dropAllCapabilities() {
    // The bounding set first: dropping from it needs CAP_SETPCAP, which goes with the rest.
    // Up to the running kernel's last capability, not these headers' CAP_LAST_CAP: a newer
    // kernel knows more (numbered on from it; past its last one PR_CAPBSET_DROP fails with
    // EINVAL). 64 is what the capability sets hold.
    for (int cap = 0; cap < 64; ++cap) {
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0) continue;
        // Past the kernel's last one; not before CAP_SETFCAP (31), which every kernel with
        // a bounding set has: an EINVAL there is an error, not the end.
        if (errno == EINVAL && cap > CAP_SETFCAP) break;
        return Error::fromErrno("prctl(PR_CAPBSET_DROP, " + std::to_string(cap) + ")");
    }
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return Error::fromErrno("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
    // Effective, permitted and inheritable all empty: capset(2) itself, as libcap's
    // cap_set_proc(cap_init()) made it (issue 25: without libcap, one library fewer to load at
    // each start of `layerbox`). Version 3, two 32-bit words per set, covers every capability
    // up to CAP_LAST_CAP (the kernel refuses a version it does not know rather than ignoring
    // words); the bounding and ambient sets were cleared above, no_new_privs follows.
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    static_assert(CAP_LAST_CAP < 32 * _LINUX_CAPABILITY_U32S_3);
    if (::syscall(SYS_capset, &header, data) != 0) return Error::fromErrno("capset(all empty)");
    return Ok();
}

Status setNoNewPrivs() {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return Error::fromErrno("prctl(PR_SET_NO_NEW_PRIVS)");
    return Ok();
}

}  // namespace lb
