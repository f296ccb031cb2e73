// Joining a running sandbox: a second program in the same box (same namespaces, layer, limits,
// seccomp filter, no capabilities), started as a child of its PID 1, as Sandboxie does.
//
// The runner of the sandbox listens on a control socket in the user's runtime directory
// (unreachable from inside any sandbox): JoinServer, below. `layerbox run` on a running profile
// and `layerbox exec` are its callers: joinInstance(). The caller's terminal is relayed through a
// pty made inside the sandbox, and its other streams through pipes: no descriptor of the
// caller's (its terminal, its files) is ever handed to the joined program.
#pragma once

#include <poll.h>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/fsutil.h"
#include "launch/channel.h"
#include "launch/outcome.h"

namespace lb {

struct InstanceRecord;
struct LaunchPlan;

struct JoinOptions {
    std::vector<std::string> argv;  // empty: the command the sandbox was started with
    bool allowPty = true;
    bool verbose = false;
    int statusFd = -1;
    std::vector<FileGrant> grants;  // shown in the sandbox before the command starts
    ProgramFacts program;           // for the message when the command cannot be run
};

struct JoinAttempt {
    // The sandbox ended before the command could start: nothing was printed or reported (`run`
    // starts a new sandbox instead).
    bool sandboxGone = false;
    Outcome outcome;  // otherwise: printed and reported already
};

// Run a command inside a running instance; relay its terminal, streams, signals and exit status.
JoinAttempt joinInstance(const InstanceRecord& instance, const JoinOptions& options);

// Take a file given to a running instance back (GrantReply::Kind::NotGranted when it had not
// been given to it).
Result<GrantReply> revokeInInstance(const InstanceRecord& instance, const std::string& path);

// The runner's side: the control socket, its callers, and what PID 1 says about their programs.
class JoinServer {
public:
    using Warn = std::function<void(const std::string&)>;
    // `setup`: the setup process, which holds the sandbox's namespaces (for grants).
    JoinServer(const LaunchPlan& plan, int channel, pid_t setup, Warn warn);

    // Open the control socket (in a directory only the user can enter).
    void listen(const std::string& path);
    // Poll the listening socket and the callers; `handle` reads the results back (accepting
    // new callers and forwarding their requests and signals to PID 1).
    void addTo(std::vector<struct pollfd>& fds);
    void handle(const std::vector<struct pollfd>& fds);
    // PID 1's messages about joined programs (Joined*): forwarded to their callers.
    bool fromSandbox(Message& m);
    // The sandbox ended: callers see the end of the stream.
    void close();
    // The files shown in the sandbox: the plan's, and those given while it runs.
    const std::vector<FileGrant>& grants() const { return grants_; }
    // A persistent sandbox records the files it was given, once they are shown.
    void recordGrants(const std::vector<FileGrant>& grants);

private:
    void accept();
    void fromCaller(const std::string& token);
    GrantReply grant(const FileGrant& asked);
    GrantReply revoke(const std::string& path);

    const LaunchPlan& plan_;
    int channel_;
    pid_t setup_;
    Warn warn_;
    std::vector<FileGrant> grants_;
    UniqueFd listener_;
    std::map<std::string, UniqueFd> callers_;  // by token
    int nextToken_ = 0;
    // This round's poll slots: accept() and fromCaller() may add or drop callers, so the slots
    // are matched by this list, not by callers_ itself.
    int listenIdx_ = -1;
    size_t firstCallerIdx_ = 0;
    std::vector<std::string> polled_;
};

}  // namespace lb
