// Joining a running sandbox: a second program in the same box (same namespaces, layer,
// limits, seccomp filter, no capabilities), started as a child of its PID 1, as Sandboxie does.
// The runner of the sandbox listens on a control socket in the user's runtime directory
// (unreachable from inside any sandbox); `layerbox run` on a running profile and `layerbox exec`
// connect to it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lb {

struct InstanceRecord;

struct ExecRequest {
    std::string cwd;
    std::vector<std::string> argv;
    std::vector<std::string> env;  // the caller's; the runner builds the program's from it
    bool pty = false;
};

std::string encodeExecRequest(const ExecRequest& r);
std::optional<ExecRequest> decodeExecRequest(std::string_view s);

// Run `argv` (empty: the profile's command) inside a running instance and relay its terminal,
// signals and exit status. Returns what `layerbox run` returns. With `ended`, a sandbox that
// ended before the command could start is not an error: *ended is set and nothing is printed
// (the caller starts a new sandbox instead).
int joinInstance(const InstanceRecord& instance, std::vector<std::string> argv, bool allowPty,
                 bool verbose, int statusFd, bool* ended = nullptr);

}  // namespace lb
