// The runner's side of the activity log (launch/activity_log.h): it holds the seccomp listeners
// of the sandbox's programs (each program's filter, created with SECCOMP_FILTER_FLAG_NEW_LISTENER
// and sent here before its execve), answers every refused call with the errno the filter's own
// rule gives (isolation/seccomp.h's seccompErrno over the same plan), records it with the
// process's pid and name, and writes the log for `layerbox log`.
//
// Never a decision: the kernel only notifies calls the filter refused, and the answer is always
// a failure with that rule's errno (EPERM when none is found, which cannot happen: the filter
// and the plan are the same rules). If the runner is gone, the kernel fails the calls with
// ENOSYS: still refused.
#pragma once

#include <sys/poll.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/fsutil.h"
#include "isolation/seccomp.h"
#include "launch/activity_log.h"

namespace lb {

class ActivityMonitor {
public:
    // `file`: where the log is written; `plan`: the rules the filters were compiled from.
    ActivityMonitor(std::string file, const SeccompPlan& plan)
        : file_(std::move(file)), plan_(plan) {}
    ~ActivityMonitor();

    void addListener(UniqueFd fd);
    // The D-Bus proxy's --log output (desktop/dbus_activity.h): `proxy` the pid of the process
    // the sandbox connects to (the proxy, or the OpenURI gate in front of it), `logPath` where
    // the proxy's other lines (errors) go, `sandboxPids` the sandbox's processes now.
    void addDbus(UniqueFd pipe, pid_t proxy, std::string logPath,
                 std::function<std::vector<pid_t>()> sandboxPids);
    // A sock_diag socket made in the sandbox's network namespace (setup_process.cpp).
    void setNetDiag(UniqueFd diag) { diag_ = std::move(diag); }
    // The NFLOG socket of the sandbox's firewall refusals (network/drop_log.h).
    void addDropLog(UniqueFd fd);
    void addTo(std::vector<struct pollfd>& pfd);
    void handle(const std::vector<struct pollfd>& pfd);
    // Milliseconds until the log is due to be written, -1 when nothing is waiting.
    int timeoutMs() const;
    const ActivityLog& log() const { return log_; }
    // Write the log now (an empty one at the start: `layerbox log` then says nothing was
    // refused rather than that the log is off).
    void flush() { writeIfDue(true); }

private:
    void answer(int fd);
    void readDbus();
    void readDrops();
    void dbusRefused(const std::string& name, int64_t nowMs);
    std::string commandOf(pid_t pid, int64_t nowMs);
    void writeIfDue(bool force);

    std::string file_;
    const SeccompPlan& plan_;
    ActivityLog log_;
    std::vector<UniqueFd> listeners_;
    size_t firstIdx_ = SIZE_MAX;
    UniqueFd dbus_;
    pid_t proxy_ = 0;
    std::string proxyLog_;
    size_t proxyLogWritten_ = 0;
    std::function<std::vector<pid_t>()> sandboxPids_;
    std::string dbusBuf_, lastCall_;
    size_t dbusIdx_ = SIZE_MAX;
    int64_t clientsAtMs_ = -1;
    std::vector<pid_t> clients_;
    UniqueFd diag_;
    UniqueFd drops_;
    std::map<std::string, int64_t> flows_;  // recently refused connections -> last seen
    size_t dropsIdx_ = SIZE_MAX;
    int64_t lastWriteMs_ = 0;
    std::map<pid_t, std::pair<int64_t, std::string>> comms_;  // pid -> (read at, name)
};

}  // namespace lb
