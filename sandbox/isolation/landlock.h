// Landlock, for one thing only: each program a sandbox starts (its command, and every command
// joined to it later) gets a Landlock domain of its own. The kernel lets a process reach into
// another's memory and descriptors (ptrace, /proc/PID/mem, pidfd_getfd, process_vm_readv) only
// within its own domain or the domains nested in it, so a process left behind by one program
// cannot take the terminal, files or secrets of a command joined later, nor the reverse. The
// processes of one program (a browser's own processes) share their domain.
//
// A domain needs a ruleset that handles at least one access right; ours handles only the
// creation of block device nodes, which the programs can never do anyway (mknod of a block
// device needs CAP_MKNOD in the initial user namespace), so nothing else changes for them.
#pragma once

#include "base/error.h"

namespace lb {

// The kernel's Landlock ABI version; 0 when Landlock is not available (kernel before 5.13, or
// not enabled at boot).
int landlockAbi();

// Put the calling process in a new Landlock domain (needs no_new_privs, which PID 1 sets).
Status enterOwnLandlockDomain();

}  // namespace lb
