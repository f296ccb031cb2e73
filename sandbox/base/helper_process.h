// The runner's helper daemons on the host side of a sandbox (slirp4netns, xdg-dbus-proxy):
// started by the runner, tied to its life, kept out of the terminal's way, talking back over
// pipes, with their output in a log file that error messages point to.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"

namespace lb {

// fork + exec args[0] (an absolute path). Only `inherit` stays open beyond stdin (/dev/null)
// and stdout/stderr (`logFd`): every other descriptor of the runner is O_CLOEXEC. The child
// gets SIGKILL when the runner dies (PR_SET_PDEATHSIG, checked against the race with an early
// death), an empty signal mask, and its own process group, so Ctrl-C in the terminal reaches
// the runner, which decides, and never a helper directly. `what` names it in errors.
// `beforeExec`, when given, runs in the child just before exec; a message it returns goes to
// the log and the child exits 127.
Result<pid_t> spawnHelper(const std::vector<std::string>& args, const std::vector<int>& inherit,
                          int logFd, const std::string& what,
                          const std::function<std::string()>& beforeExec = {});

// Output of `prog ARGS` (stdout and stderr; PATH is searched), empty when it cannot run. For
// short probes such as `--version` and `--help`.
std::string captureOutput(const std::vector<std::string>& argv);

// Up to timeoutMs for one byte on `fd`. Returns it, or an empty string when the other end
// closed or the time ran out (`timedOut` says which).
std::string waitForByte(int fd, int timeoutMs, bool& timedOut);

// The last line of a helper's log that `keep` accepts (empty when none or unreadable).
std::string lastLogLine(const std::string& logPath, bool (*keep)(const std::string&) = nullptr);

// The first steps of a forked child that does not exec (the resolver, the OpenURI gate, the
// clipboard bridge), as spawnHelper takes them: SIGKILL when `parent` (the runner) dies,
// checked against the race with a death before prctl took hold (then it exits at once); its
// own process group, so Ctrl-C in the terminal reaches the runner, which decides; an empty
// signal mask and default handlers; stdin and stdout on /dev/null (stderr stays: the runner's,
// for its lines).
void enterHelperChild(pid_t parent);

// In a forked child that does not exec (the resolver, the OpenURI gate): close every
// descriptor but stdin/out/err and `keep` (the runner's channel, terminal and locks are no
// business of theirs).
void closeAllBut(std::vector<int> keep);

// Reap a helper that was asked to end (its pipe closed): wait up to graceMs, then SIGKILL.
// Sets pid to 0.
void reapHelper(pid_t& pid, int graceMs);

}  // namespace lb
