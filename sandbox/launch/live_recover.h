// Immediate recovery (issue 23): while a persistent sandbox runs, the runner offers each file
// finished in a recover_watch folder at once (layers/live_watch.h finds them): a line on stderr
// with the exact `layerbox recover` command, a "new-file" status event (the GUI's Changes view
// updates from it), and a desktop notification with "Recover" and "Show" actions
// (desktop/notifications.h). Folders listed in filesystem.recover_auto are copied to the real
// home at once instead. A copy never overwrites: an existing name gets a " (N)" suffix; it is
// layers/recover's copy (no link followed, a temporary file renamed into place).
//
// An ephemeral sandbox's upper layer cannot be reached from the runner while it runs
// (launch/recoverable.h): it keeps the listing at exit only.
#pragma once

#include <sys/poll.h>

#include <functional>
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
    void offer(const RecoverableFile& f);
    void recoverNow(const std::string& path, bool automatic);
    void action(const std::string& path, const std::string& action);
    bool automatic(const std::string& path) const;

    const LaunchPlan& plan_;
    const StatusEvents& events_;
    std::function<void(const std::string&)> warn_;
    std::string upper_;
    std::vector<std::string> auto_;
    std::unique_ptr<LiveWatch> watch_;
    std::unique_ptr<Notifier> notifier_;
    size_t watchIdx_ = SIZE_MAX;
};

}  // namespace lb
