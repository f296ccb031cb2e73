// Thin wrappers for system calls glibc 2.36 does not wrap (or wraps only recently).
#pragma once

#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>

namespace lb::sys {

inline int openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve,
                   uint64_t mode = 0) {
    struct open_how how = {};
    how.flags = flags;
    how.mode = mode;
    how.resolve = resolve;
    return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

inline int pidfdOpen(pid_t pid, unsigned flags = 0) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, flags));
}

inline int closeRange(unsigned first, unsigned last, unsigned flags = 0) {
    return static_cast<int>(::syscall(SYS_close_range, first, last, flags));
}

}  // namespace lb::sys
