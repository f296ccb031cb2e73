// live_watch: while a sandbox runs, the runner watches its upper layer (on the host, outside the
// sandbox) for files finished in the watched folders of recover_watch: closed after writing
// (IN_CLOSE_WRITE) or renamed into place (IN_MOVED_TO, as browsers do with NAME.part -> NAME).
//
// Writes through the kernel overlay or fuse-overlayfs reach the upper directory's inodes, and a
// private home is the upper layer's own folder, so inotify there sees every finished file.
// Folders that do not exist yet in the upper layer (the overlay copies a folder up on its first
// change) are waited for on their nearest existing ancestor. Partial downloads (.part,
// .crdownload, .tmp) are never offered; a file is offered once it has had no new event for the
// debounce time, once per change (its ctime), and only while nobody has it open for writing.
//
// Files found by looking (not by an event: those already there when the watch starts, those in
// a folder that appears, all of them after the event queue overflowed) count only when changed
// since the sandbox started, and only when a read lease proves that no one writes them: a
// writer idle at that moment is not a finished file. Where the lease cannot tell (another
// owner, a file system without leases), such a file is left to the listing at exit. A file seen
// closed after writing or renamed into place is finished (no lease is taken for it).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
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
    // program runs before the runner has its watches, and may have finished one already);
    // files changed before are never offered (-1: the time of this call).
    static Result<std::unique_ptr<LiveWatch>> open(const std::string& upper,
                                                   std::vector<std::string> watched,
                                                   int debounceMs = 300, int64_t sinceNs = -1,
                                                   size_t maxWatches = kMaxWatches);
    int fd() const { return inotify_.get(); }
    // Read the queued events (after poll says fd() is readable). `nowMs`: monotonic time.
    void drain(int64_t nowMs);
    // Milliseconds until the next pending file is due, -1 when none is pending.
    int timeoutMs(int64_t nowMs) const;
    // The files whose debounce has passed: regular files (no link), not partial, not offered
    // before in this state; those found by looking only when nobody has them open for
    // writing. In the order they were finished.
    std::vector<RecoverableFile> due(int64_t nowMs);
    // No file is waiting for its debounce (a burst of finished files has ended).
    bool idle() const { return pending_.empty(); }
    size_t watchCount() const { return dirs_.size(); }
    // Folders watched at most (inotify watches count against the user's limit for all of the
    // desktop's programs, fs.inotify.max_user_watches: a program making folders without end
    // must not use it up). A folder beyond is not watched: its files are listed at exit.
    static constexpr size_t kMaxWatches = 4096;
    // Files whose offered state is remembered (at most kMaxRemembered: the oldest is forgotten;
    // that allows at worst a second offer of a file unchanged since, after a rescan).
    static constexpr size_t kMaxRemembered = 16384;
    size_t remembered() const { return offered_.size(); }

    static int64_t monotonicMs();

private:
    LiveWatch() = default;
    // `scanFromMs` >= 0 (a folder appeared while the sandbox runs): the files already in a
    // newly watched folder are pending too, since they may have been finished before its
    // watch existed ("mkdir -p ~/Downloads && echo x > ~/Downloads/f" is faster than the
    // runner). Not at the start: the files of earlier runs are not new.
    void arm(int64_t scanFromMs = -1);
    void armDir(int dirfd, const std::string& path, bool inWatched, int depth, int64_t scanFromMs);
    // A folder made (or moved) inside a watched folder while the sandbox runs.
    void armNew(const std::string& path, int64_t nowMs);
    bool inWatched(const std::string& path) const;
    // `found`: by looking, not by an event (see the top of this file).
    void pend(const std::string& path, int64_t dueMs, bool found);

    struct Pending {
        int64_t dueMs;
        bool found;
    };
    UniqueFd upper_;
    UniqueFd inotify_;
    std::vector<std::string> watched_;
    int debounceMs_ = 300;
    int64_t sinceNs_ = 0;              // files changed before are not new
    std::map<int, std::string> dirs_;  // watch descriptor -> sandbox path
    size_t maxWatches_ = kMaxWatches;
    std::set<int> dropped_;  // watches taken back beyond kMaxWatches, their IN_IGNORED to come
    std::map<std::string, Pending> pending_;  // sandbox path -> due time
    // (due time, path) in the order they are due (the due times only grow); an entry whose
    // path was pended again later is stale and skipped. Keeps due() and timeoutMs() from
    // walking every pending file on each wake-up while thousands are written.
    std::deque<std::pair<int64_t, std::string>> queue_;
    std::map<std::string, int64_t> offered_;  // sandbox path -> ctime offered
    std::deque<std::string> offeredOrder_;    // offered_'s paths, oldest first
};

}  // namespace lb
