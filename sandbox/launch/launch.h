// `layerbox run`: the launch of one sandbox, from profile to exit status.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "launch/outcome.h"
#include "profile/profile.h"

namespace lb {

// A file the user gives the sandbox (`run --file`, `--file-rw`, `@@ ... @@`).
struct FileRequest {
    std::string path;  // as given; relative to the current directory
    bool rw = false;
};

struct RunOptions {
    std::string profile = "default";   // a name or a file
    std::vector<std::string> command;  // empty: the profile's
    std::optional<bool> ephemeral;
    std::optional<Driver> driver;
    std::optional<NetMode> network;
    std::vector<Bind> extraBinds;
    std::vector<FileRequest> files;  // shown inside at their own paths (file_grants.h)
    std::string cwd;                 // default: the caller's, when it exists inside
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
