#include "launch/outcome.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/fsutil.h"

namespace lb {

Outcome Outcome::setupFailed(std::string why) {
    Outcome o;
    o.status = kExitSetupFailed;
    o.error = std::move(why);
    return o;
}

Outcome Outcome::cannotRun(const std::string& program, int err, const ProgramFacts& facts) {
    Outcome o;
    o.status = err == ENOENT ? kExitNotFound : kExitNotExecutable;
    o.error = "cannot run " + quote(program) + ": " + strerrordesc_np(err);
    const bool path = program.find('/') != std::string::npos;
    if (err == ENOENT && facts.granted)
        o.error +=
            " (the file is shown in the sandbox, but its interpreter, the #! line, or a "
            "library it needs is not there)";
    else if (err == ENOENT && path && !facts.onHost)
        o.error += " (it is neither in the sandbox nor on the host)";
    else if (err == ENOENT && path)
        o.error +=
            " (the sandbox does not see it: the profile hides it or binds something "
            "else there)";
    else if (err == ENOENT)
        o.error +=
            " (not in the sandbox's PATH; give its path: a host file given by its path "
            "is shown inside, read-only)";
    else if (err == EACCES && path)
        o.error += " (it is not executable: chmod +x " + program +
                   ", or hand it to its interpreter: layerbox run --file " + program + " -- sh " +
                   program + ")";
    return o;
}

Outcome Outcome::sandboxKilled(int signal, const std::string& who) {
    Outcome o;
    o.status = 128 + signal;
    o.signal = signal;
    o.error =
        who + " was killed (signal " + std::to_string(signal) + "); everything in it has ended";
    return o;
}

Outcome Outcome::ended(const ExitStatus& s) {
    Outcome o;
    o.status = s.shellStatus();
    if (s.signaled)
        o.signal = s.value;
    else
        o.exitCode = s.value;
    return o;
}

Outcome Outcome::ofJoin(const JoinResult& r, const std::string& program,
                        const ProgramFacts& facts) {
    switch (r.kind) {
        case JoinResult::Kind::Exited:
            return ended(r.exit);
        case JoinResult::Kind::ExecFailed:
            return cannotRun(program, r.execErrno, facts);
        case JoinResult::Kind::Failed:
            return setupFailed(r.error);
    }
    return setupFailed("unknown result");
}

void printOutcome(const Outcome& o) {
    if (!o.error.empty())
        std::fprintf(stderr, "layerbox: error: %s\n", safeLine(o.error).c_str());
    else if (!o.reason.empty())
        std::fprintf(stderr, "layerbox: %s\n", safeLine(o.reason).c_str());
}

}  // namespace lb
