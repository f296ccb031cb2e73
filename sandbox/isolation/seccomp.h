// The system call filter. The plan is data (a list of rules with the reason for each), built
// from the profile; the runner compiles it to BPF before any fork, and the child loads it as
// the very last step before execve, so no setup code runs under it and no library call is
// needed after fork.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"

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

// Compile to a BPF program (struct sock_filter[] bytes).
Result<std::vector<uint8_t>> compileSeccomp(const SeccompPlan& plan);

// Load a compiled program into the calling thread (no_new_privs must already be set).
Status applySeccomp(const std::vector<uint8_t>& bpf);

}  // namespace lb
