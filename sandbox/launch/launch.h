// `layerbox run`: the launch of one sandbox, from profile to exit status.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "launch/outcome.h"
#include "profile/profile.h"

namespace lb {

struct RunOptions {
    std::string profile = "default";   // a name or a file
    std::vector<std::string> command;  // empty: the profile's
    std::optional<bool> ephemeral;
    std::optional<Driver> driver;
    std::optional<NetMode> network;
    std::vector<Bind> extraBinds;
    std::string cwd;  // default: the caller's, when it exists inside
    bool verbose = false;
    int statusFd = -1;  // JSON events, one per line
    bool allowPty = true;
    bool noScope = false;  // do not ask systemd for a scope (no limits, no pause)
};

// Run a sandbox to its end (or join the running sandbox of the profile). Returns the program's
// exit status, 128+N when it was killed by signal N, 125 when the sandbox could not be set up
// (after printing one line), 126/127 when the program could not be executed (outcome.h).
int runSandbox(const RunOptions& options);

}  // namespace lb
