// recover_watch: after a sandbox exits, the new files in its watched folders (a profile's
// filesystem.recover_watch, e.g. ~/Downloads) are listed for recovery: one line each on stderr
// (or a summary) and a status event {"event":"recoverable","files":[...]} for the GUI.
//
// Who lists them: for a persistent sandbox the runner, from the upper layer on the host, once
// the sandbox is gone. An ephemeral sandbox's upper layer is a tmpfs in the sandbox's mount
// namespace that vanishes with it, and after PID 1's pivot_root not even the setup process can
// reach it by path: the setup process opens it beforehand (openEphemeralStorage), lists it
// after PID 1 exits and sends the list to the runner as "recoverable" channel messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fsutil.h"

namespace lb {

struct LaunchPlan;
class StatusEvents;

struct RecoverableFile {
    std::string path;  // sandbox path
    uint64_t size = 0;
};

// Partial downloads, never offered: *.part, *.crdownload, *.tmp.
bool isPartialDownload(std::string_view name);

// The watched folders as normalised sandbox paths (~ expanded against `home`), without
// duplicates or folders inside other watched ones.
std::vector<std::string> planRecoverWatch(const std::vector<std::string>& recoverWatch,
                                          const std::string& home);

// Nanoseconds since the epoch (CLOCK_REALTIME), the unit of `sinceNs` below.
int64_t wallClockNs();

// Regular files in the upper layer (an open directory) below the watched paths whose status
// changed (ctime, which a program cannot set back) after `sinceNs` (0: all). No symlink is
// followed. Sorted by path; at most `limit` files.
std::vector<RecoverableFile> listRecoverable(int upperFd, const std::vector<std::string>& watched,
                                             int64_t sinceNs, size_t limit = 10000);

// The list as channel payloads (each fits one message) and back.
std::vector<std::string> encodeRecoverable(const std::vector<RecoverableFile>& files);
void decodeRecoverable(std::string_view payload, std::vector<RecoverableFile>& out);

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
