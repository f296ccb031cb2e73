// cgroup v2 files of a sandbox's scope: where it is, freezing, killing, accounting. These core
// files work without any controller delegated, so pause, kill-all and CPU time work even where
// memory/CPU/pids limits are not enforced (hybrid hosts).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "base/error.h"

namespace lb {

// The cgroup v2 mount point (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts).
std::string cgroup2Root();
// The absolute cgroup v2 directory of a process, or empty.
std::string cgroupOfPid(pid_t pid);
// Controllers delegated to the user's systemd manager (user@UID.service/cgroup.controllers).
std::set<std::string> delegatedControllers();

Status freezeCgroup(const std::string& dir, bool frozen);
// Wait until cgroup.events says frozen (or thawed); false on timeout.
bool waitFrozen(const std::string& dir, bool frozen, int timeoutMs);
bool cgroupFrozen(const std::string& dir);
// Kill every process in the cgroup (cgroup.kill; on older kernels SIGKILL to cgroup.procs).
Status killCgroup(const std::string& dir);

struct CgroupStats {
    std::optional<uint64_t> cpuUsec;
    std::optional<uint64_t> memoryBytes;
    std::string memorySource;  // "cgroup" (memory.current) or "rss" (sum over processes)
    std::optional<uint64_t> tasks;
    std::optional<double> cpuPressure, memoryPressure, ioPressure;  // "some avg10"
};
CgroupStats readCgroupStats(const std::string& dir);

}  // namespace lb
