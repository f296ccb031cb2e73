// NAT for the sandbox through slirp4netns: a user-mode TCP/IP stack in a process of the
// runner's, connected to a tap device in the sandbox's network namespace. Nothing on the host
// changes: no bridge, no iptables, no privilege. Podman's recipe, flags probed from --help.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
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

class Slirp {
public:
    // Start it for the network namespace of `target`; its output goes to `logPath`.
    static Result<std::unique_ptr<Slirp>> start(const NetworkConfig& net, const SlirpFeatures& f,
                                                pid_t target, const std::string& apiSocket,
                                                const std::string& logPath);
    ~Slirp();
    // Wait for "network configured" on the ready fd.
    Status waitReady(int timeoutMs);
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
    pid_t pid_ = 0;
    UniqueFd ready_, exit_;
    std::string api_, log_;
    bool waitForExit_ = false;  // a port is forwarded
};

}  // namespace lb
