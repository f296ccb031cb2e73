#include "isolation/seccomp.h"

#include <linux/filter.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "base/fsutil.h"
#include "profile/profile.h"

namespace lb {

namespace {

SeccompRule deny(std::string call, int err, std::string why) {
    SeccompRule r;
    r.syscall = std::move(call);
    r.errnoValue = err;
    r.why = std::move(why);
    return r;
}

SeccompRule denyIf(std::string call, int err, unsigned arg, uint64_t mask, uint64_t value,
                   std::string why) {
    SeccompRule r = deny(std::move(call), err, std::move(why));
    r.conds.push_back({arg, SeccompCond::MaskedEq, mask, value});
    return r;
}

bool listed(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

SeccompPlan planSeccomp(const SecurityConfig& sec) {
    SeccompPlan plan;
    const bool strict = sec.seccomp == "strict";
    plan.multiarch = !strict;
    auto& r = plan.rules;

    // Kernel interfaces a desktop program has no business with (Flatpak's list).
    for (const char* c :
         {"syslog", "uselib", "acct", "quotactl", "add_key", "keyctl", "request_key", "move_pages",
          "mbind", "get_mempolicy", "set_mempolicy", "migrate_pages"})
        r.push_back(deny(c, EPERM, "kernel interface not needed by applications"));
    // eBPF and userfaultfd are frequent kernel exploitation primitives.
    r.push_back(deny("bpf", EPERM, "eBPF is kernel attack surface"));
    r.push_back(deny("userfaultfd", EPERM, "used to win kernel races in exploits"));
    // io_uring bypasses the syscall filter for the operations it performs; ENOSYS makes
    // libraries fall back to ordinary system calls.
    for (const char* c : {"io_uring_setup", "io_uring_enter", "io_uring_register"})
        r.push_back(deny(c, ENOSYS, "io_uring operations are not filtered by seccomp"));

    // Terminal injection: TIOCSTI pushes input into the terminal (CVE-2017-5226), TIOCLINUX
    // can do the same on virtual consoles (CVE-2023-28100). The kernel only looks at the low 32
    // bits of the request, so the rule must too (CVE-2019-10063).
    r.push_back(denyIf("ioctl", EPERM, 1, 0xFFFFFFFFu, TIOCSTI, "terminal input injection"));
    r.push_back(denyIf("ioctl", EPERM, 1, 0xFFFFFFFFu, TIOCLINUX, "console input injection"));

    // Namespaces and mounts: the sandbox's own are already set up; new ones would let the
    // program re-arrange what it sees. "nested_sandboxes" relaxes exactly the namespace rules
    // (browsers build their own sandbox with a new user namespace and chroot inside it; they
    // get no capability in *our* namespaces either way).
    if (!sec.nestedSandboxes) {
        r.push_back(deny("unshare", EPERM, "no new namespaces"));
        r.push_back(deny("setns", EPERM, "no joining other namespaces"));
        r.push_back(
            denyIf("clone", EPERM, 0, CLONE_NEWUSER, CLONE_NEWUSER, "no new user namespace"));
        r.push_back(deny("chroot", EPERM, "no chroot"));
    }
    for (const char* c : {"mount", "umount", "umount2", "pivot_root"})
        r.push_back(deny(c, EPERM, "the mount table is fixed at launch"));
    // clone3 passes its flags in memory the filter cannot read: ENOSYS makes libc fall back
    // to clone, whose flags are checked above. Same for the new mount API.
    r.push_back(deny("clone3", ENOSYS, "flags are not visible to the filter; libc falls back"));
    for (const char* c :
         {"open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr"})
        r.push_back(deny(c, ENOSYS, "new mount API"));

    // Debugging and introspection, unless the profile is for development.
    const bool devel = sec.devel && !strict;
    if (!devel) {
        r.push_back(deny("ptrace", EPERM, "debugging other processes (devel allows it)"));
        // The same reach into another process without ptrace: its memory (process_vm_*), its
        // descriptors (pidfd_getfd: a joined command's terminal, say) and comparing them (kcmp).
        // Landlock keeps programs of a sandbox apart as well (landlock.h); these keep the
        // processes of one program apart too, as ptrace above.
        for (const char* c : {"process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp"})
            r.push_back(deny(c, EPERM, "reaching into another process (devel allows it)"));
        r.push_back(deny("perf_event_open", EPERM, "performance counters (devel allows it)"));
        // personality: only PER_LINUX and PER_LINUX32 (as Flatpak), so ADDR_NO_RANDOMIZE and
        // friends cannot weaken ASLR for an exploit. libseccomp allows one comparison per
        // argument and rule, so "any other bit set" is one rule per bit (the kernel reads the
        // low 32 bits only).
        for (unsigned bit = 0; bit < 32; ++bit) {
            if ((1u << bit) == PER_LINUX32) continue;
            r.push_back(denyIf("personality", EPERM, 0, 1u << bit, 1u << bit,
                               "only PER_LINUX and PER_LINUX32 (devel allows others)"));
        }
    }
    if (strict) {
        for (const char* c : {"modify_ldt", "name_to_handle_at", "vhangup", "memfd_secret"})
            r.push_back(deny(c, EPERM, "strict: not needed by ordinary programs"));
    }

    // Socket families: at most unix, IPv4, IPv6 and netlink, as the profile lists them;
    // nothing else ever (packet sockets, Bluetooth, AF_ALG crypto, vsock... are kernel attack
    // surface a desktop program does not need). AF_UNSPEC stays allowed: the kernel refuses it
    // itself, so denying it would only change the errno programs see.
    std::vector<int> allowed{AF_UNSPEC};
    for (const auto& [name, fam] : {std::pair<const char*, int>{"unix", AF_UNIX},
                                    {"netlink", AF_NETLINK},
                                    {"inet", AF_INET},
                                    {"inet6", AF_INET6}})
        if (listed(sec.socketFamilies, name)) allowed.push_back(fam);
    std::sort(allowed.begin(), allowed.end());
    int last = -1;
    for (int fam : allowed) {
        for (int d = last + 1; d < fam; ++d)
            r.push_back(denyIf("socket", EAFNOSUPPORT, 0, 0xFFFFFFFFu, static_cast<uint64_t>(d),
                               "socket family not allowed"));
        last = fam;
    }
    SeccompRule rest = deny("socket", EAFNOSUPPORT, "socket family not allowed");
    rest.conds.push_back({0, SeccompCond::GreaterEq, 0, static_cast<uint64_t>(last + 1)});
    r.push_back(rest);

    // Memory that is writable and executable (systemd's MemoryDenyWriteExecute): no mapping
    // with both PROT_WRITE and PROT_EXEC, and no making memory executable after the fact (which
    // would allow write-then-execute in two steps). The loader maps libraries executable with
    // mmap directly, so ordinary programs run; JIT compilers do not. Only the 64-bit ABI is
    // then allowed: the 32-bit x86 mmap passes its flags in memory the filter cannot read.
    // Not covered (said in the docs): code written to a file and mapped from it.
    if (sec.memoryDenyWriteExecute) {
        plan.multiarch = false;
        const uint64_t wx = PROT_WRITE | PROT_EXEC;
        r.push_back(denyIf("mmap", EPERM, 2, wx, wx, "writable and executable memory"));
        r.push_back(denyIf("mprotect", EPERM, 2, PROT_EXEC, PROT_EXEC,
                           "making memory executable after it was mapped"));
        r.push_back(denyIf("pkey_mprotect", EPERM, 2, PROT_EXEC, PROT_EXEC,
                           "making memory executable after it was mapped"));
        r.push_back(denyIf("shmat", EPERM, 2, SHM_EXEC, SHM_EXEC, "executable shared memory"));
    }

    // The profile's own choices come last: allowances remove rules, denials add them.
    if (!sec.allowSyscalls.empty()) {
        r.erase(std::remove_if(
                    r.begin(), r.end(),
                    [&](const SeccompRule& x) { return listed(sec.allowSyscalls, x.syscall); }),
                r.end());
    }
    for (const auto& c : sec.denySyscalls)
        r.push_back(deny(c, EPERM, "denied by the profile"));
    return plan;
}

Result<std::vector<uint8_t>> compileSeccomp(const SeccompPlan& plan, bool notify) {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) return Error("seccomp_init failed", ENOMEM);
    struct Guard {
        scmp_filter_ctx c;
        ~Guard() { seccomp_release(c); }
    } guard{ctx};
    // We set no_new_privs ourselves, before loading.
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (plan.multiarch) {
#if defined(__x86_64__)
        for (uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
            int rc = seccomp_arch_add(ctx, arch);
            if (rc != 0 && rc != -EEXIST) return Error::sys("seccomp_arch_add", -rc);
        }
#endif
    } else {
        // Other ABIs are not filtered, so calls through them are refused outright.
        seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    }
    for (const auto& rule : plan.rules) {
        int nr = seccomp_syscall_resolve_name(rule.syscall.c_str());
        if (nr == __NR_SCMP_ERROR)
            return Error("seccomp: unknown system call " + quote(rule.syscall), EINVAL);
        // notify: the call is refused all the same (the kernel never runs it); the listener
        // only chooses nothing but the errno, which seccompErrno reads from this same plan.
        uint32_t action =
            notify ? SCMP_ACT_NOTIFY : SCMP_ACT_ERRNO(static_cast<uint32_t>(rule.errnoValue));
        std::vector<scmp_arg_cmp> cmps;
        for (const auto& c : rule.conds) {
            switch (c.op) {
                case SeccompCond::MaskedEq:
                    cmps.push_back(SCMP_CMP(c.arg, SCMP_CMP_MASKED_EQ, c.mask, c.value));
                    break;
                case SeccompCond::NotEq:
                    cmps.push_back(SCMP_CMP(c.arg, SCMP_CMP_NE, c.value));
                    break;
                case SeccompCond::GreaterEq:
                    cmps.push_back(SCMP_CMP(c.arg, SCMP_CMP_GE, c.value));
                    break;
            }
        }
        int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(cmps.size()),
                                        cmps.empty() ? nullptr : cmps.data());
        // A rule that is not in the filter must not pass silently.
        if (rc != 0) return Error::sys("seccomp_rule_add(" + rule.syscall + ")", -rc);
    }
    int fd = ::memfd_create("layerbox-seccomp", MFD_CLOEXEC);
    if (fd < 0) return Error::fromErrno("memfd_create");
    UniqueFd mem(fd);
    if (int rc = seccomp_export_bpf(ctx, fd); rc != 0) return Error::sys("seccomp_export_bpf", -rc);
    if (::lseek(fd, 0, SEEK_SET) != 0) return Error::fromErrno("lseek(seccomp memfd)");
    std::vector<uint8_t> out;
    uint8_t buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) return Error::fromErrno("read(seccomp memfd)");
        if (n == 0) break;
        out.insert(out.end(), buf, buf + n);
    }
    if (out.empty() || out.size() % sizeof(struct sock_filter) != 0)
        return Error("seccomp: exported program has a bad size", EINVAL);
    return out;
}

Status applySeccomp(const std::vector<uint8_t>& bpf, UniqueFd* listener) {
    struct sock_fprog prog;
    prog.len = static_cast<unsigned short>(bpf.size() / sizeof(struct sock_filter));
    prog.filter = reinterpret_cast<struct sock_filter*>(const_cast<uint8_t*>(bpf.data()));
    if (listener) {
        long fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                            &prog);
        if (fd < 0) return Error::fromErrno("seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER)");
        *listener = UniqueFd(static_cast<int>(fd));
        return Ok();
    }
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
        return Error::fromErrno("prctl(PR_SET_SECCOMP)");
    return Ok();
}

int seccompErrno(const SeccompPlan& plan, uint32_t arch, int nr, const uint64_t args[6]) {
    for (const auto& rule : plan.rules) {
        if (seccomp_syscall_resolve_name_arch(arch, rule.syscall.c_str()) != nr) continue;
        bool all = true;
        for (const auto& c : rule.conds) {
            const uint64_t a = c.arg < 6 ? args[c.arg] : 0;
            switch (c.op) {
                case SeccompCond::MaskedEq:
                    all = all && (a & c.mask) == c.value;
                    break;
                case SeccompCond::NotEq:
                    all = all && a != c.value;
                    break;
                case SeccompCond::GreaterEq:
                    all = all && a >= c.value;
                    break;
            }
        }
        if (all) return rule.errnoValue;
    }
    return 0;
}

std::string syscallName(uint32_t arch, int nr) {
    char* name = seccomp_syscall_resolve_num_arch(arch, nr);
    if (!name) return "syscall " + std::to_string(nr);
    std::string s(name);
    ::free(name);
    return s;
}

}  // namespace lb
