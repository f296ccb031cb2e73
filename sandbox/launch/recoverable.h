// recover_watch at the end of a launch (see layers/recover_watch.h): who lists the new files of
// the watched folders, and how they reach the user.
//
// For a persistent sandbox the runner lists them from the upper layer on the host, once the
// sandbox is gone. An ephemeral sandbox's upper layer is a tmpfs in the sandbox's mount namespace
// that vanishes with it, and after PID 1's pivot_root not even the setup process can reach it by
// path: the setup process opens it beforehand (openEphemeralStorage), lists it after PID 1 exits
// and sends the list to the runner as "recoverable" channel messages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/fsutil.h"
#include "layers/recover_watch.h"

namespace lb {

struct LaunchPlan;
class StatusEvents;

// Setup process: the storage root of an ephemeral sandbox with watched folders, opened before
// PID 1 starts (an invalid fd otherwise), and the list sent once PID 1 has exited.
UniqueFd openEphemeralStorage(const LaunchPlan& plan, const std::string& storageRoot);
void sendRecoverable(int channel, int storageFd, const LaunchPlan& plan);

// Runner, after the sandbox ended: list a persistent sandbox's files changed since `sinceNs`
// (its start: files of earlier runs were offered then) or, for an ephemeral one, take the setup
// process's list (`received`), and report them.
void reportRecoverable(const LaunchPlan& plan, const std::vector<RecoverableFile>& received,
                       int64_t sinceNs, const StatusEvents& events);

}  // namespace lb
