// The scope's cgroup, made by the runner before it asks systemd for the scope, so that the setup
// process is born in it (clone3 with CLONE_INTO_CGROUP) instead of being moved there by the
// user manager's job. Moving a process between cgroups takes the kernel's cgroup threadgroup
// lock for writing, which waits for an RCU grace period: 10-16 ms on the test VM in half of
// the launches back to back (strace -T of systemd --user's write to cgroup.procs, 2026-12-08),
// the largest part of what the scope cost the launch (issue 25). A process created into a
// cgroup takes that lock only for reading, like every fork. The user manager's job still moves
// the setup process (a move to where it already is, off the launch's way) and realizes the unit
// around the directory, which it takes as its own (mkdir's EEXIST is not an error to systemd).
// On hybrid hosts, cgroup v1's name=systemd hierarchy (kept for old tools) then holds the
// sandbox's processes where the runner's are: systemd and Layerbox track processes, freeze and
// kill them through the v2 hierarchy only.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/error.h"
#include "base/fsutil.h"

namespace lb {

// Where the user manager will put the scope `unit` of `slice`, relative to the cgroup v2 root,
// given this process's own cgroup v2 path (the "0::" line of /proc/self/cgroup) and uid: the
// manager's cgroup is "…/user@UID.service", and a slice "a-b.slice" lies in "a.slice/a-b.slice".
// nullopt when this process does not run under that user manager (a login session's scope, say:
// creating a process across that boundary needs write access to a cgroup root owns).
std::optional<std::string> planScopeCgroup(const std::string& selfCgroup, uid_t uid,
                                           const std::string& slice, const std::string& unit);

struct ScopeCgroup {
    std::string dir;  // absolute
    UniqueFd fd;      // O_PATH of dir, for CLONE_INTO_CGROUP
};

// Make the scope's directory (and its slices' where missing) and open it.
Result<ScopeCgroup> makeScopeCgroup(const std::string& slice, const std::string& unit);

// fork(), with the child born in the cgroup `cgroupFd`: returns as fork() does (the pid, 0 in
// the child, -1 with errno when no child was made: ENOSYS before Linux 5.7, EACCES, EBUSY...).
pid_t forkIntoCgroup(int cgroupFd);

// Remove a directory makeScopeCgroup made and no unit took, once its processes are gone
// (cgroup.events says "populated 0"), waiting up to waitMs for that; ENOENT, EBUSY ignored.
void removeScopeCgroup(const std::string& dir, int waitMs = 0);

}  // namespace lb
