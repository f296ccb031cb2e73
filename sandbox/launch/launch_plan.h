// Everything decided before the first fork. The runner computes it in prepare() and never
// changes it afterwards; the setup process and PID 1 (forked copies of the runner) only carry it
// out. What they compute themselves after the fork lives in their own state (SetupState).
#pragma once

#include <time.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/hostinfo.h"
#include "base/paths.h"
#include "desktop/desktop.h"
#include "isolation/environment.h"
#include "isolation/file_grants.h"
#include "isolation/mounts.h"
#include "isolation/seccomp.h"
#include "isolation/userns.h"
#include "launch/outcome.h"
#include "network/host_networks.h"
#include "network/nft_batch.h"
#include "network/slirp.h"
#include "profile/profile.h"
#include "resources/scope.h"

namespace lb {

struct LaunchPlan {
    Profile profile;  // with the command line's overrides applied
    Paths paths;
    HostInfo host;
    std::string instance;  // short random id
    StorageLayout storage;
    MountPlan mounts;
    MountContext mountContext;
    IdMapPlan ids;
    SeccompPlan seccompRules;  // the filter's rules, and what the activity log reads
    // The rules compiled to BPF, by the runner before the first fork (launch.cpp): compiled
    // there, libseccomp's allocations come from the runner's own heap; in the setup process each
    // page they touched was a copy-on-write fault of a page the fork shared (issue 25).
    std::vector<uint8_t> seccompBpf;
    std::vector<std::string> env;  // "NAME=value"
    EnvContext envContext;         // to build the environment of joined programs
    std::vector<std::string> argv;
    std::vector<FileGrant> grants;           // files given to the sandbox (in `mounts` too)
    std::vector<std::string> earlierGrants;  // those only recorded at earlier runs
    ProgramFacts program;                    // for the message when the program cannot be run
    std::string cwd;                         // wanted working directory (falls back to home)
    std::string hostname;
    bool usePty = false;  // relay a pty allocated inside the sandbox
    // The runner has work to do once the namespaces exist (a scope, or slirp4netns): the setup
    // process says "NamespacesReady", and PID 1 waits for "Go" before it starts the program.
    bool waitForRunner = false;
    bool wantScope = true;  // put the sandbox in a systemd user scope
    ScopePlan scopePlan;
    // The firewall as data, the host's addresses in it (internet-only): loaded from the runner
    // into the sandbox's namespace as one netlink batch (network.h, FirewallLoad) before "Go";
    // `firewall` is its nftables script (shown; empty: no firewall)
    NftTable firewallTable;
    std::string firewall;
    HostNetworks hostNetworks;    // internet-only: as read before the fork (host_networks.h)
    SlirpFeatures slirpFeatures;  // slirp4netns found and its flags (nat only)
    std::string x11 = "off";      // the X11 display in force: off | host | isolated
    // That display as the host reaches it (":5"), and the nested server's Xauthority file
    // (isolated only): recorded for layerbox stop, which asks the windows there to close.
    std::string x11HostDisplay, x11AuthFile;
    DesktopPlan desktop;  // display, sound, GPU, D-Bus proxy (mounts are in `mounts` too)
    bool verbose = false;
    struct timespec start = {};  // CLOCK_MONOTONIC at launch, for --verbose timings
    pid_t runnerPid = 0;

    // "[ 1.2 ms] what": timings for --verbose, written by whichever process does the step.
    void trace(const char* what) const;
};

// Entry points of the two processes the runner forks; neither returns. PID 1 starts every
// program with the plan's seccompBpf loaded before its execve.
[[noreturn]] void setupProcessMain(const LaunchPlan& plan, int channel);
[[noreturn]] void initProcessMain(const LaunchPlan& plan, int channel, int setupPidfd);

}  // namespace lb
