// Everything decided before the first fork: the runner computes it, the setup process and
// PID 1 (forked copies of the runner) only execute it.
#pragma once

#include <time.h>

#include <string>
#include <vector>

#include "base/hostinfo.h"
#include "base/paths.h"
#include "desktop/desktop.h"
#include "isolation/environment.h"
#include "isolation/mounts.h"
#include "isolation/seccomp.h"
#include "isolation/userns.h"
#include "network/slirp.h"
#include "profile/profile.h"
#include "resources/scope.h"

namespace lb {

struct LaunchPlan {
    Profile profile;
    Paths paths;
    HostInfo host;
    std::string instance;  // short random id
    StorageLayout storage;
    MountPlan mounts;
    MountContext mountContext;
    IdMapPlan ids;
    SeccompPlan seccompPlan;
    // The compiled BPF: filled in by the setup process (in its own copy of the plan, after the
    // fork), which compiles it while the runner asks systemd for the scope. PID 1 and the
    // programs inherit it from the setup process's memory.
    std::vector<uint8_t> seccomp;
    std::vector<std::string> env;  // "NAME=value"
    EnvContext envContext;         // to build the environment of joined programs
    std::vector<std::string> argv;
    std::string cwd;  // wanted working directory (falls back to home)
    std::string hostname;
    bool usePty = false;  // relay a pty allocated inside the sandbox
    bool syncBeforeMounts =
        false;              // runner has work to do once the namespaces exist ("nsready"/"go")
    bool wantScope = true;  // put the sandbox in a systemd user scope
    ScopePlan scope;
    std::string firewall;  // nftables script, loaded by the setup process
    SlirpFeatures slirp;   // slirp4netns found and its flags (nat only)
    DesktopPlan desktop;   // display, sound, GPU, D-Bus proxy (mounts are in `mounts` too)
    bool verbose = false;
    struct timespec start = {};  // CLOCK_MONOTONIC at launch, for --verbose timings
    pid_t runnerPid = 0;

    // "[ 1.2 ms] what": timings for --verbose, written by whichever process does the step.
    void trace(const char* what) const;
};

// Entry points of the two processes the runner forks; neither returns.
// The setup process works on its own copy of the plan (it was forked), which it completes.
[[noreturn]] void setupProcessMain(LaunchPlan& plan, int channel);
[[noreturn]] void initProcessMain(const LaunchPlan& plan, int channel, int setupPidfd);

}  // namespace lb
