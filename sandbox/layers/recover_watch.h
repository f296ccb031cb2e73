// recover_watch: after a sandbox exits, the new files in its watched folders (a profile's
// filesystem.recover_watch, e.g. ~/Downloads) are listed for recovery: one line each on stderr
// (or a summary) and a status event {"event":"recoverable","files":[...]} for the GUI.
//
// This file holds the pure parts (which folders, which files, the wire format); who lists them
// at the end of a launch is in launch/recoverable.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/fsutil.h"

namespace lb {

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

}  // namespace lb
