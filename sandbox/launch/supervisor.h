// The runner's side of a running sandbox, from the fork of the setup process to the end: it
// asks systemd for the scope, starts the network when the namespaces exist, relays the terminal
// and signals, serves callers that join, watches the helper daemons, reports status events, and
// decides how the launch ended (an Outcome).
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/code_pages.h"
#include "desktop/dbusproxy.h"
#include "desktop/nested_x11.h"
#include "launch/activity_monitor.h"
#include "launch/join.h"
#include "launch/live_recover.h"
#include "launch/outcome.h"
#include "launch/status_events.h"
#include "launch/terminal.h"
#include "layers/recover_watch.h"
#include "network/dns_filter.h"
#include "network/host_networks.h"
#include "network/network.h"
#include "network/slirp.h"
#include "resources/scope.h"

namespace lb {

struct LaunchPlan;
class InstanceRegistry;

class Supervisor {
public:
    Supervisor(const LaunchPlan& plan, int channel, pid_t setup, const StatusEvents& events);
    ~Supervisor();

    // Helpers started before the setup process: they end with the sandbox.
    void adoptDbusProxy(std::unique_ptr<DbusProxy> proxy) { dbus_ = std::move(proxy); }
    void adoptStdio(StdioRelay stdio) { stdio_ = std::move(stdio); }
    void adoptNestedX11(std::unique_ptr<NestedX11> x) { nestedX11_ = std::move(x); }
    // internet-only: subscribed before the host's addresses in the plan were read.
    void adoptHostWatch(HostNetworkWatch w) { hostWatch_ = std::move(w); }

    // Step 4, scope: asked for right after the fork, while the setup process creates the
    // namespaces and mounts, so the D-Bus round trips to the user manager overlap with that
    // work. The setup process starts processes only after "Scoped" (fuse daemons, PID 1), so
    // that each of them is born inside the scope; PID 1 starts the program after "Go". Network
    // "nat": asked for by the supervisor itself once the namespaces exist and slirp4netns and
    // the firewall have started, which take longer than the scope; the setup process still
    // waits for "Scoped", unless it was born in the scope's cgroup (placedIn).
    void createScope();
    // The setup process was born in the scope's cgroup, made ahead (resources/scope_cgroup.h):
    // "Scoped" goes out at once, before the scope is asked for (with "nat", after the network
    // has started), and without limits "Go" does not wait for the manager's job.
    void placedIn(std::string cgroupDir);

    // Step 11: until the setup process (and so the whole sandbox) is gone. Returns how it
    // ended; the caller prints and reports it.
    Outcome run(int signalFd);

private:
    void fromSandbox(Message& m);
    ActivityMonitor& activity();
    std::vector<pid_t> sandboxPids() const;
    void warn(const std::string& text);
    Status startNetwork();
    Status finishNetwork();
    void slirpReady();
    Status openSandboxNamespaces();
    Status startDnsFilter();
    Status followHostNetworks();
    void hostNetworksChanged();
    void helperLost(const char* name, const char* event, const std::string& log, int status);
    void publishRecord();
    void readExecGate();
    Outcome finish(int setupStatus);
    void removeGrantMountPoints();

    const LaunchPlan& plan_;
    int channel_;
    pid_t setup_;
    const StatusEvents& events_;
    std::unique_ptr<InstanceRegistry> registry_;
    TerminalRelay terminal_;
    StdioRelay stdio_;
    JoinServer joins_;
    pid_t programPid_ = 0;
    // The program's exec gate (a pipe whose write end is close-on-exec in the program): end of
    // file means execve succeeded, an errno in it that it failed. `started` waits for it, so
    // that a program that was not found is never reported as started.
    UniqueFd execGate_;
    StartedEvent started_;
    std::optional<ExitStatus> programExit_;
    std::string setupError_;
    int execErrno_ = 0;
    int pid1KilledBy_ = 0;           // PID 1 killed from outside
    std::optional<int> setupEnded_;  // the setup process's exit status, sent as it exits
    int outlived_ = 0;               // processes left when the program's first one exited
    bool stopRequested_ = false;     // layerbox stop asked for the end
    std::string endReason(const ExitStatus& program) const;
    ScopeInfo scopeInfo_;
    std::string placedCgroup_;
    // The scope's start job, when not waited for: its end is read in run()'s loop, and waited
    // for before the runner exits (finishScopeJob).
    void finishScopeJob(int timeoutMs, bool setupAlive);
    bool jobSettled_ = false;  // its result came (or the talk failed)
    bool jobLate_ = false;     // it came once the sandbox had ended
    bool jobDone_ = false;     // and it was "done"
    LimitsReport limits_;
    std::vector<RecoverableFile> recoverable_;   // recover_watch: sent by the setup process
    int64_t startedNs_ = wallClockNs();          // recover_watch: files changed since are "new"
    std::unique_ptr<ActivityMonitor> activity_;  // security.activity_log
    std::unique_ptr<LiveRecover> live_;          // recover_watch while the sandbox runs
    // The launch is done once the program started; its code is let go a moment later
    // (base/code_pages.h).
    std::optional<DeferredCodeRelease> codeRelease_;
    std::unique_ptr<Slirp> slirpProcess_;
    UniqueFd routeWatch_;  // nat: route announcements of the sandbox's namespace, until "Go"
    std::unique_ptr<FirewallLoad> firewallLoad_;  // until the firewall is in place
    bool networkUp_ = false;  // the firewall loaded: the host's addresses are followed from now
    bool slirpDied_ = false;
    // internet-only: the host's addresses and on-link networks, refused by the sandbox's
    // firewall and kept current (host_networks.h); the namespaces the updates go to.
    HostNetworkWatch hostWatch_;
    HostNetworks hostNets_;
    UniqueFd sandboxUserns_, sandboxNetns_;
    // allow_domains / deny_domains: Layerbox's resolver for the sandbox (dns_filter.h).
    std::unique_ptr<DnsFilter> dnsFilter_;
    bool dnsFilterDied_ = false;
    std::unique_ptr<DbusProxy> dbus_;
    bool dbusDied_ = false;
    std::unique_ptr<NestedX11> nestedX11_;
    bool nestedX11Died_ = false;
};

}  // namespace lb
