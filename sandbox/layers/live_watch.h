// live_watch: while a sandbox runs, the runner watches its upper layer (on the host, outside the
// sandbox) for files finished in the watched folders of recover_watch: closed after writing
// (IN_CLOSE_WRITE) or renamed into place (IN_MOVED_TO, as browsers do with NAME.part -> NAME).
//
// Writes through the kernel overlay or fuse-overlayfs reach the upper directory's inodes, and a
// private home is the upper layer's own folder, so inotify there sees every finished file.
// Folders that do not exist yet in the upper layer (the overlay copies a folder up on its first
// change) are waited for on their nearest existing ancestor. Partial downloads (.part,
// .crdownload, .tmp) are never offered; a file is offered once it has had no new event for the
// debounce time, once per change (its ctime).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fsutil.h"
#include "layers/recover_watch.h"

namespace lb {

class LiveWatch {
public:
    // `upper`: the upper layer's directory on the host; `watched`: planRecoverWatch's folders.
    // `sinceNs` (wall clock): files already there changed since are pending at once (the
    // program runs before the runner has its watches, and may have finished one already).
    static Result<std::unique_ptr<LiveWatch>> open(const std::string& upper,
                                                   std::vector<std::string> watched,
                                                   int debounceMs = 300, int64_t sinceNs = -1);
    int fd() const { return inotify_.get(); }
    // Read the queued events (after poll says fd() is readable). `nowMs`: monotonic time.
    void drain(int64_t nowMs);
    // Milliseconds until the next pending file is due, -1 when none is pending.
    int timeoutMs(int64_t nowMs) const;
    // The files whose debounce has passed: regular files (no link), not partial, not offered
    // before in this state.
    std::vector<RecoverableFile> due(int64_t nowMs);
    size_t watchCount() const { return dirs_.size(); }

    static int64_t monotonicMs();

private:
    LiveWatch() = default;
    // `scanFromMs` >= 0 (a folder appeared while the sandbox runs): the files already in a
    // newly watched folder are pending too, since they may have been finished before its
    // watch existed ("mkdir -p ~/Downloads && echo x > ~/Downloads/f" is faster than the
    // runner). Not at the start: the files of earlier runs are not new.
    void arm(int64_t scanFromMs = -1);
    void armDir(int dirfd, const std::string& path, bool inWatched, int depth, int64_t scanFromMs);
    bool inWatched(const std::string& path) const;

    UniqueFd upper_;
    UniqueFd inotify_;
    std::vector<std::string> watched_;
    int debounceMs_ = 300;
    std::map<int, std::string> dirs_;         // watch descriptor -> sandbox path
    std::map<std::string, int64_t> pending_;  // sandbox path -> due time
    std::map<std::string, int64_t> offered_;  // sandbox path -> ctime offered
};

}  // namespace lb
