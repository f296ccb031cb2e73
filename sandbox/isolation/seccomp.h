// The system call filter. The plan is data (a list of rules with the reason for each), built
// from the profile; the runner compiles it to BPF before any fork, and the child loads it as
// the very last step before execve, so no setup code runs under it and no library call is
// needed after fork.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fsutil.h"

namespace lb {

struct SecurityConfig;

// A condition on one argument; all conditions of a rule must hold for it to apply.
struct SeccompCond {
    enum Op { MaskedEq, NotEq, GreaterEq };
    unsigned arg = 0;
    Op op = MaskedEq;
    uint64_t mask = 0xFFFFFFFFu;  // MaskedEq: (arg & mask) == value
    uint64_t value = 0;
};

struct SeccompRule {
    std::string syscall;
    int errnoValue = 0;  // the call fails with this errno
    std::vector<SeccompCond> conds;
    std::string why;
};

struct SeccompPlan {
    std::vector<SeccompRule> rules;
    bool multiarch = true;  // also filter the 32-bit x86 and x32 ABIs (for Wine, Steam)
};

SeccompPlan planSeccomp(const SecurityConfig& security);

// Compile to a BPF program (struct sock_filter[] bytes). `notify` (the activity log): every
// rule's action is SECCOMP_RET_USER_NOTIF instead of its errno; the same calls are refused, and
// whoever holds the listener answers each with the errno of seccompErrno below.
Result<std::vector<uint8_t>> compileSeccomp(const SeccompPlan& plan, bool notify = false);

// Load a compiled program into the calling thread (no_new_privs must already be set). With
// `listener`, the filter gets a user-notification listener (SECCOMP_FILTER_FLAG_NEW_LISTENER),
// returned there (close-on-exec).
Status applySeccomp(const std::vector<uint8_t>& bpf, UniqueFd* listener = nullptr);

// Pure: the errno the plan gives a call (the first rule that matches it, in the filter's
// order), 0 when no rule does. `arch` is an AUDIT_ARCH_* value, as in seccomp_data.
int seccompErrno(const SeccompPlan& plan, uint32_t arch, int nr, const uint64_t args[6]);
// The name of system call `nr` of `arch` ("keyctl"), or "syscall NR".
std::string syscallName(uint32_t arch, int nr);

}  // namespace lb
