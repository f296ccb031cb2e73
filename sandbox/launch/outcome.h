// How a launch, or a command joined to a running sandbox, ended: decided once, in one value,
// then printed (one "layerbox: error:" line when there is an error) and reported (the `exited`
// status event) from that value, so that the terminal, the exit status and the GUI always say
// the same thing.
#pragma once

#include <optional>
#include <string>

#include "launch/channel.h"

namespace lb {

// Exit statuses, as documented for `layerbox run`.
inline constexpr int kExitSetupFailed = 125;
inline constexpr int kExitNotExecutable = 126;
inline constexpr int kExitNotFound = 127;

// What the runner knows of the program it was asked to run, to say why it could not be run.
struct ProgramFacts {
    bool granted = false;  // a host file given to the sandbox by its path
    bool onHost = false;   // given by a path that exists on the host
};

struct Outcome {
    int status = 0;               // what `layerbox run` (or exec) exits with
    std::optional<int> exitCode;  // the program exited with this code
    std::optional<int> signal;    // the program was killed by this signal
    std::string error;            // why the program has no status of its own, or did not run
    // Why a sandbox that ran ended ("the program exited with status 0"), said on stderr as
    // "layerbox: sandbox ID ended: ..." so that a sandbox never ends silently; empty for joined
    // commands and for errors (the error says it).
    std::string reason;

    // The sandbox could not be set up (125).
    static Outcome setupFailed(std::string why);
    // execve of `program` failed with `err` inside the sandbox (127 when not found, else 126).
    // `facts` adds why and what to do ("not in the sandbox's PATH; give its path").
    static Outcome cannotRun(const std::string& program, int err, const ProgramFacts& facts = {});
    // `who` (PID 1, the setup process) was killed from outside: everything in the sandbox
    // ended with it (128 + signal).
    static Outcome sandboxKilled(int signal, const std::string& who = "PID 1 of the sandbox");
    // The program ran and ended.
    static Outcome ended(const ExitStatus& s);
    // A joined command's result, as its runner reported it.
    static Outcome ofJoin(const JoinResult& r, const std::string& program,
                          const ProgramFacts& facts = {});
};

// The one line for the terminal: "layerbox: error: ..." when there is an error, else the
// reason the sandbox ended when there is one.
void printOutcome(const Outcome& o);

}  // namespace lb
