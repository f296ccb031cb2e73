// NAT for the sandbox through slirp4netns: a user-mode TCP/IP stack in a process of the
// runner's, connected to a tap device in the sandbox's network namespace. Nothing on the host
// changes: no bridge, no iptables, no privilege. Podman's recipe, flags probed from --help.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/fsutil.h"

namespace lb {

struct NetworkConfig;
struct PortForward;

struct SlirpFeatures {
    std::string path;  // empty: not installed
    bool sandbox = false, seccomp = false, disableHostLoopback = false, apiSocket = false;
    bool ipv6 = false, mtu = false, readyFd = false, exitFd = false;
};

// Run `slirp4netns --help` and note which flags it has. With a cache file, the answer is kept
// there and reused while the binary stays the same (path, size, modification time).
SlirpFeatures probeSlirp(const std::string& cacheFile = {});

// The command line (pure): configure tap0, MTU, host loopback, sandboxing, ready/exit fds.
std::vector<std::string> planSlirpArgs(const NetworkConfig& net, const SlirpFeatures& f,
                                       pid_t target, int readyFd, int exitFd,
                                       const std::string& apiSocket);

// Whether these rtnetlink messages (a read of a socket bound to RTMGRP_IPV4_ROUTE) announce an
// IPv4 default route in the main table: slirp4netns' child adds it last when it configures
// tap0 (pure).
bool announcesDefaultRoute(std::string_view messages);

class Slirp {
public:
    // Start it for the network namespace of `target`; its output goes to `logPath`.
    static Result<std::unique_ptr<Slirp>> start(const NetworkConfig& net, const SlirpFeatures& f,
                                                pid_t target, const std::string& apiSocket,
                                                const std::string& logPath);
    ~Slirp();
    // Wait until the sandbox can use the network. With routeWatch (a NETLINK_ROUTE socket of the
    // sandbox's namespace, bound to RTMGRP_IPV4_ROUTE before slirp4netns started), that is as
    // soon as its child has configured tap0 (the default route is its last step): the device's
    // queue is attached from then on, so whatever the program sends waits there until
    // slirp4netns' loop reads it, after it has confined itself. Its ready byte is then still to
    // come (readyPending(), finishReady()). Without routeWatch (-1): its ready byte.
    Status waitReady(int timeoutMs, int routeWatch = -1);
    // The ready byte has not been read yet; readyFd() turns readable when it comes or when
    // slirp4netns ends without it.
    bool readyPending() const { return ready_.valid(); }
    int readyFd() const { return ready_.get(); }
    // While it is pending: the milliseconds left before the ready byte is overdue (the same 10 s
    // from the start as waitReady's), 0 once it is; -1 when nothing is pending.
    int readyTimeoutMs() const;
    // The ready byte, without waiting: what it wrote (or its end) first, then its deadline. Ok
    // while it is still to come in time, or once it came; else why slirp4netns failed.
    Status checkReady();
    // Add a port forward through the API socket; fails (naming the port) when it is taken.
    Status addForward(const PortForward& p);
    pid_t pid() const { return pid_; }
    const std::string& logPath() const { return log_; }
    // Close the exit fd; slirp4netns ends. Returns once it has (or after a SIGKILL) when a port
    // was forwarded, else at once.
    void stop();
    // The process ended on its own (reaped by the caller).
    void markExited() { pid_ = 0; }

private:
    // Read the ready byte (readyFd() is readable): Ok, or why slirp4netns failed.
    Status finishReady();
    // The ready byte is overdue: why (slirp4netns hangs), and it is no longer waited for.
    Error readyOverdue();
    pid_t pid_ = 0;
    UniqueFd ready_, exit_;
    struct timespec started_ = {};
    int readyWithinMs_ = 10000;
    std::string api_, log_;
    bool waitForExit_ = false;  // a port is forwarded
};

}  // namespace lb
