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

Outcome Outcome::cannotRun(const std::string& program, int err) {
    Outcome o;
    o.status = err == ENOENT ? kExitNotFound : kExitNotExecutable;
    o.error = "cannot run " + quote(program) + ": " + strerrordesc_np(err);
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

Outcome Outcome::ofJoin(const JoinResult& r, const std::string& program) {
    switch (r.kind) {
        case JoinResult::Kind::Exited:
            return ended(r.exit);
        case JoinResult::Kind::ExecFailed:
            return cannotRun(program, r.execErrno);
        case JoinResult::Kind::Failed:
            return setupFailed(r.error);
    }
    return setupFailed("unknown result");
}

void printOutcome(const Outcome& o) {
    if (!o.error.empty()) std::fprintf(stderr, "layerbox: error: %s\n", o.error.c_str());
}

}  // namespace lb
