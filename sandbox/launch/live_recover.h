// Immediate recovery (issue 23): while a persistent sandbox runs, the runner offers each file
// finished in a recover_watch folder at once (layers/live_watch.h finds them): a "new-file"
// status event per file (the GUI's Changes view updates from it), and per burst one line on
// stderr with the exact `layerbox recover` command and one desktop notification with "Recover"
// and "Show" actions (desktop/notifications.h), which act on every file of the burst. Folders
// listed in filesystem.recover_auto are copied to the real home at once instead. A copy never
// overwrites: an existing name gets a " (N)" suffix; it is layers/recover's copy (no link
// followed, a temporary file renamed into place).
//
// A burst: files finished close together (an archive unpacked, a program saving many files).
// It ends when no other file is settling (live_watch's 300 ms without an event: one file alone
// is offered as soon as it was before bursts) or 2 s after its first file, so a program that
// writes without pause still gets offers every 2 s and a download finished meanwhile waits at
// most that long. One notification per file made a program writing 2000 files three times
// slower (bench/watch).
//
// An ephemeral sandbox's upper layer cannot be reached from the runner while it runs
// (launch/recoverable.h): it keeps the listing at exit only.
#pragma once

#include <sys/poll.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "desktop/notifications.h"
#include "layers/live_watch.h"

namespace lb {

struct LaunchPlan;
class StatusEvents;

// Pure: the `layerbox recover` command line for `path`, quoted for a POSIX shell.
std::string recoverCommand(const std::string& profile, const std::string& path);
std::string recoverCommand(const std::string& profile, const std::vector<std::string>& paths);

// Pure: the stderr line offering a burst of new files (sandbox paths, sizes), without
// "layerbox: " and the newline. One file: "new file PATH (SIZE): layerbox recover PROFILE PATH".
// Up to 3: "3 new files in FOLDER (SIZE): a, b and c: layerbox recover PROFILE A B C". More:
// the first two names and how many more, and the commands that list (`layerbox diff`) and copy
// (`layerbox recover`) their folder, when it is within a watched folder.
std::string offerLine(const std::string& profile, const std::vector<RecoverableFile>& files,
                      const std::vector<std::string>& watched);

constexpr int kBurstMaxMs = 2000;
// After reading the watch's events, it is not looked at again for this long: a program writing
// thousands of files wakes the runner ten times a second, not once per file (the events wait in
// the kernel's queue; a file is offered after 300 ms anyway, now at most 100 ms later).
constexpr int kDrainPauseMs = 100;

class LiveRecover {
public:
    // Nullptr when the profile watches nothing or the sandbox is ephemeral.
    // `sinceNs`: when the sandbox started (files finished since, before the watch, count).
    static std::unique_ptr<LiveRecover> start(const LaunchPlan& plan, const StatusEvents& events,
                                              std::function<void(const std::string&)> warn,
                                              int64_t sinceNs);
    void addTo(std::vector<struct pollfd>& pfd);
    void handle(const std::vector<struct pollfd>& pfd);
    int timeoutMs() const;
    // The sandbox has ended: files still settling in recover_auto folders are copied now (a
    // program that writes and exits at once must not lose its automatic recovery); the rest
    // are listed at exit as before.
    void finish();

private:
    LiveRecover(const LaunchPlan& plan, const StatusEvents& events)
        : plan_(plan), events_(events) {}
    void flush();
    void offer(std::vector<RecoverableFile> files);
    void recoverNow(const std::vector<std::string>& paths, bool automatic);
    void action(const std::string& key, const std::string& action);
    bool automatic(const std::string& path) const;

    const LaunchPlan& plan_;
    const StatusEvents& events_;
    std::function<void(const std::string&)> warn_;
    std::string upper_;
    std::vector<std::string> watched_;
    std::vector<std::string> auto_;
    std::vector<RecoverableFile> burst_;  // finished, not offered yet
    int64_t burstStartMs_ = 0;
    int64_t nextDrainMs_ = 0;
    uint64_t bursts_ = 0;
    // Notification key -> the burst's files, while its notification may be clicked (until it
    // is closed or the notifier forgets it: Notifier's bound bounds this too).
    std::map<std::string, std::vector<std::string>> offered_;
    std::unique_ptr<LiveWatch> watch_;
    std::unique_ptr<Notifier> notifier_;
    size_t watchIdx_ = SIZE_MAX;
};

}  // namespace lb
