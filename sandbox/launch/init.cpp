// PID 1 of the sandbox's PID namespace. It finishes the file system (its /proc must be mounted
// from inside the new PID namespace), enters the new root, drops every privilege, starts the
// program and then only reaps: it forwards the signals the runner relays and exits with the
// program's status once the sandbox's lifetime is over (lifetime.until): "all", when no process
// of the sandbox is left (every orphan is re-parented to PID 1, so that is when waitpid has no
// child left), or "main", when the program's first process and the joined ones have ended.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>

#include "base/code_pages.h"
#include "base/fsutil.h"
#include "base/syscalls.h"
#include "isolation/caps.h"
#include "isolation/landlock.h"
#include "isolation/seccomp.h"
#include "launch/channel.h"
#include "launch/launch_plan.h"

namespace lb {

namespace {

[[noreturn]] void die(int channel, const Error& e, const char* step) {
    (void)sendMessage(channel, Msg::SetupFailed, std::string(step) + ": " + e.message());
    ::_exit(125);
}

// execvp with the sandbox's PATH (not the runner's, which execvp would use).
int execInSandbox(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
    std::vector<char*> a, e;
    for (const auto& s : argv)
        a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    for (const auto& s : env)
        e.push_back(const_cast<char*>(s.c_str()));
    e.push_back(nullptr);
    const std::string& prog = argv[0];
    if (prog.find('/') != std::string::npos) {
        ::execve(prog.c_str(), a.data(), e.data());
        return errno;
    }
    std::string path = "/usr/local/bin:/usr/bin:/bin";
    for (const auto& kv : env)
        if (startsWith(kv, "PATH=")) path = kv.substr(5);
    int err = ENOENT;
    for (const auto& dir : split(path, ':')) {
        std::string full = (dir.empty() ? std::string(".") : dir) + "/" + prog;
        ::execve(full.c_str(), a.data(), e.data());
        if (errno == EACCES)
            err = EACCES;  // remember, keep looking (as execvp does)
        else if (errno != ENOENT && errno != ENOTDIR)
            return errno;
    }
    return err;
}

// What to start: the sandbox's program, or one joined later through the runner.
struct ProgramSpec {
    // The signals whose disposition the program must not inherit (bit N-1 for signal N): see
    // ignoredSignals.
    uint64_t resetSignals = ~0ull;
    std::vector<std::string> argv;
    std::vector<std::string> env;
    std::string cwd;
    int ptySlave = -1;
    std::vector<int> stdio;  // joined programs without a pty: the caller's relay pipes
    std::string token;       // joined programs: the runner's id for the request
};

// The program: a new session, the pty (if any) as its controlling terminal, the working
// directory, no core dumps, no stray file descriptors, a Landlock domain of its own, the system
// call filter, then exec.
[[noreturn]] void programMain(const LaunchPlan& plan, const std::vector<uint8_t>& bpf, int channel,
                              const ProgramSpec& spec) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s = 1; s < NSIG && s <= 64; ++s)
        if (spec.resetSignals & (1ull << (s - 1))) ::signal(s, SIG_DFL);

    // A session of its own: without a controlling terminal of the caller's, TIOCSTI cannot
    // inject into it even without the filter.
    if (::setsid() < 0) die(channel, Error::fromErrno("setsid"), "starting the program");
    if (spec.ptySlave >= 0) {
        if (::ioctl(spec.ptySlave, TIOCSCTTY, 0) != 0)
            die(channel, Error::fromErrno("ioctl(TIOCSCTTY)"), "starting the program");
        for (int fd = 0; fd < 3; ++fd)
            ::dup2(spec.ptySlave, fd);
    } else if (spec.stdio.size() == 3) {
        // dup2 onto 0-2 without clobbering a source that sits there already
        int tmp[3];
        for (int i = 0; i < 3; ++i)
            tmp[i] = ::fcntl(spec.stdio[i], F_DUPFD_CLOEXEC, 10);
        for (int i = 0; i < 3; ++i)
            ::dup2(tmp[i], i);
    }
    if (spec.cwd.empty() || ::chdir(spec.cwd.c_str()) != 0)
        if (::chdir(plan.mounts.home.c_str()) != 0) (void)!::chdir("/");
    struct rlimit core = {0, 0};
    ::setrlimit(RLIMIT_CORE, &core);
    // Only stdin, stdout and stderr survive; the channel is close-on-exec.
    if (channel > 3) sys::closeRange(3, static_cast<unsigned>(channel - 1));
    sys::closeRange(static_cast<unsigned>(channel + 1), ~0U);

    // Tell the runner we exist: the kernel attaches our pid as the runner sees it. With it goes
    // the read end of the exec gate: its write end, close-on-exec, stays here, so the runner
    // reads end of file once execve has succeeded, and the errno when it failed (it reports
    // `started` only in the first case).
    int gate[2] = {-1, -1};
    if (spec.token.empty()) {
        if (::pipe2(gate, O_CLOEXEC) != 0) gate[0] = gate[1] = -1;
        (void)sendMessage(channel, Msg::ProgramStarted, {},
                          gate[0] >= 0 ? std::vector<int>{gate[0]} : std::vector<int>{});
        if (gate[0] >= 0) ::close(gate[0]);
    } else
        (void)sendMessage(channel, Msg::JoinedStarted, encodeJoined({spec.token, {}}));
    // A failure from here on is not a start either: something in the gate says so.
    auto fail = [&](const Error& e, const char* what) {
        if (gate[1] >= 0) (void)!::write(gate[1], "!", 1);
        die(channel, e, what);
    };
    // A domain of its own: no other program of this sandbox can reach into this one's memory or
    // descriptors, nor this one into theirs (landlock.h). Where the kernel has no Landlock the
    // seccomp filter still refuses ptrace, process_vm_*, pidfd_getfd and kcmp (doctor says so).
    if (landlockAbi() > 0)
        if (auto s = enterOwnLandlockDomain(); !s) fail(s.error(), "starting the program");
    if (plan.profile.security.activityLog) {
        // The activity log: the runner, outside the sandbox, gets the filter's listener and
        // answers each refused call with the filter's errno. Sent before execve and closed
        // here (it is close-on-exec too), so the program never holds it: it cannot answer
        // its own calls. The filter has refused them already; the runner only records.
        UniqueFd listener;
        if (auto s = applySeccomp(bpf, &listener); !s)
            fail(s.error(), "loading the seccomp filter");
        (void)sendMessage(channel, Msg::SeccompListener, spec.token, {listener.get()});
    } else if (auto s = applySeccomp(bpf); !s) {
        fail(s.error(), "loading the seccomp filter");
    }
    int err = execInSandbox(spec.argv, spec.env);
    if (gate[1] >= 0) (void)!::write(gate[1], &err, sizeof err);
    if (spec.token.empty())
        (void)sendMessage(channel, Msg::ProgramExecFailed, encodeNumber(err));
    else
        (void)sendMessage(channel, Msg::JoinedExecFailed,
                          encodeJoined({spec.token, encodeNumber(err)}));
    ::_exit(err == ENOENT ? 127 : 126);
}

// The signals this process ignores (SigIgn in /proc/self/status), all of them when that cannot
// be read. Nothing in Layerbox's processes installs a handler, so every other disposition PID 1
// has is SIG_DFL already, and execve keeps only SIG_IGN: resetting just these gives the program
// the same defaults as resetting all 64, in a system call each (issue 25: 0.4 ms on the way).
uint64_t ignoredSignals() {
    auto status = readFile("/proc/self/status");
    if (!status) return ~0ull;
    const size_t at = status->find("\nSigIgn:\t");
    if (at == std::string::npos) return ~0ull;
    uint64_t mask = 0;
    auto [end, ec] =
        std::from_chars(status->data() + at + 9, status->data() + status->size(), mask, 16);
    if (ec != std::errc() || end == status->data() + at + 9 || *end != '\n') return ~0ull;
    return mask;
}

// A pty of the sandbox's own devpts: the master for the runner, the slave for the program.
Result<std::pair<UniqueFd, UniqueFd>> openPty() {
    UniqueFd master(::open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master.valid()) return Error::fromErrno("open(/dev/pts/ptmx)");
    if (::unlockpt(master.get()) != 0) return Error::fromErrno("unlockpt");
    UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave.valid()) return Error::fromErrno("ioctl(TIOCGPTPEER)");
    return std::make_pair(std::move(master), std::move(slave));
}

void forwardSignal(pid_t program, int sig) {
    if (program > 0) ::kill(program, sig);
}

}  // namespace

[[noreturn]] void initProcessMain(const LaunchPlan& plan, int channel, int setupPidfd) {
    const std::vector<uint8_t>& seccompBpf = plan.seccompBpf;
    // Die if the setup process does (and with it everything in this PID namespace).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::prctl(PR_SET_NAME, "layerbox-init");

    if (auto s = applyMountsPhase2(plan.mounts, plan.mountContext); !s)
        die(channel, s.error(), "mounting /proc");
    if (auto s = enterNewRoot(plan.mountContext); !s)
        die(channel, s.error(), "entering the new root");
    plan.trace("root ready");

    // The pty lives in the sandbox's own devpts, so the program's terminal is /dev/pts/0 there
    // and nothing of the outer terminal is reachable from inside; the runner relays bytes.
    ProgramSpec main;
    main.argv = plan.argv;
    main.env = plan.env;
    main.cwd = plan.cwd;
    UniqueFd mainSlave;
    if (plan.usePty) {
        auto pty = openPty();
        if (!pty) die(channel, pty.error(), "creating the terminal");
        if (auto s = sendMessage(channel, Msg::ProgramTerminal, {}, {pty->first.get()}); !s)
            die(channel, s.error(), "passing the terminal");
        mainSlave = std::move(pty->second);
        main.ptySlave = mainSlave.get();
        // PID 1 keeps nothing of the caller's terminal: only the runner touches it.
        int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int fd = 0; fd < 3 && devnull >= 0; ++fd)
            ::dup2(devnull, fd);
        if (devnull > 2) ::close(devnull);
    }

    // Leave root of the outer namespace: programs run as the caller in the inner one.
    if (auto s = enterInnerUserNamespace(plan.ids); !s)
        die(channel, s.error(), "entering the user namespace");
    // Changing uid cleared the parent-death signal: arm it again, then make sure the setup
    // process did not die in between (its pidfd becomes readable when it exits).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    {
        struct pollfd p = {setupPidfd, POLLIN, 0};
        if (::poll(&p, 1, 0) != 0) ::_exit(125);
        ::close(setupPidfd);
    }

    // PID 1 needs no privilege from here on: drop it all, and stay out of reach of ptrace.
    if (auto s = dropAllCapabilities(); !s) die(channel, s.error(), "dropping capabilities");
    if (auto s = setNoNewPrivs(); !s) die(channel, s.error(), "setting no_new_privs");
    ::prctl(PR_SET_DUMPABLE, 0);

    sigset_t mask;
    sigfillset(&mask);
    ::sigprocmask(SIG_BLOCK, &mask, nullptr);
    int sfd = ::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) die(channel, Error::fromErrno("signalfd"), "starting PID 1");

    main.resetSignals = ignoredSignals();

    // The runner's "Go": nothing of the program runs before its firewall is loaded, its
    // network configured, its resolver listening and its display's keymap in place
    // (setup_process.cpp step 8 says why it is waited for here, not before this process was
    // made). Anything else ("Abort", a signal relayed before the start) ends the launch as the
    // setup process did before: 125, the runner reports why.
    if (plan.waitForRunner) {
        auto m = receiveMessage(channel);
        if (!m || !m->has_value() || (*m)->type != Msg::Go) ::_exit(125);
        plan.trace("runner ready");
    }
    // vfork: the program's process borrows this one's memory until its execve, and this one
    // waits till then (issue 25: a fork copied PID 1's page tables and then took a
    // copy-on-write fault for each page either side wrote, about a millisecond here). Safe: what
    // runs before the execve is programMain only, which never returns into this frame (the
    // compiler knows vfork returns twice); it changes nothing of this process's but memory it
    // allocates (this process is single-threaded and waits meanwhile): signal dispositions, the
    // descriptor table, the session, the Landlock domain and the seccomp filter are the child's
    // own (no CLONE_SIGHAND, CLONE_FILES, CLONE_THREAD); after the execve, or its _exit when that
    // fails, the program has nothing of this process's memory.
    pid_t program = ::vfork();
    if (program < 0) die(channel, Error::fromErrno("vfork"), "starting the program");
    if (program == 0) {
        ::close(sfd);
        programMain(plan, seccompBpf, channel, main);
    }
    mainSlave.reset();

    // Programs joined later (layerbox run on a running profile, layerbox exec): pid -> token.
    std::map<pid_t, std::string> joined;
    auto startJoined = [&](Message& m) {
        auto j = decodeJoined(m.payload);
        if (!j) return;
        auto ended = [&](const std::string& why) {
            JoinResult r;
            r.error = why;
            (void)sendMessage(channel, Msg::JoinedEnded,
                              encodeJoined({j->token, encodeJoinResult(r)}));
        };
        auto req = decodeExecRequest(j->body);
        if (!req || req->argv.empty()) return ended("bad request");
        ProgramSpec spec;
        spec.resetSignals = main.resetSignals;
        spec.argv = req->argv;
        spec.env = req->env;
        spec.cwd = req->cwd;
        spec.token = j->token;
        UniqueFd slave;
        if (req->pty) {
            auto pty = openPty();
            if (!pty) return ended(pty.error().message());
            (void)sendMessage(channel, Msg::JoinedTerminal, encodeJoined({j->token, {}}),
                              {pty->first.get()});
            slave = std::move(pty->second);
            spec.ptySlave = slave.get();
        } else {
            spec.stdio = {m.fd.get()};
            for (auto& f : m.more)
                spec.stdio.push_back(f.get());
            if (spec.stdio.size() != 3 || spec.stdio[0] < 0) return ended("no streams");
        }
        pid_t pid = ::fork();
        if (pid < 0) return ended("fork failed");
        if (pid == 0) {
            ::close(sfd);
            programMain(plan, seccompBpf, channel, spec);
        }
        joined[pid] = j->token;
    };

    const bool untilAll = plan.profile.lifetime.until != "main";
    // What is left once the program's first process has exited: every process but PID 1.
    auto othersRunning = [] {
        int n = 0;
        UniqueFd proc(::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!proc.valid()) return 0;
        auto names = listDirAt(proc.get(), "/proc");
        if (!names) return 0;
        for (const auto& name : *names)
            if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos &&
                name != "1")
                ++n;
        return n;
    };
    // Signals relayed by the runner go to the program; once its first process is gone (lifetime
    // "all"), to every process left: they are the program now (a browser's successor).
    auto relay = [&](bool programDone, int sig) {
        if (!programDone)
            forwardSignal(program, sig);
        else if (untilAll && sig > 0)
            ::kill(-1, sig);
    };

    int programStatus = -1;
    bool programDone = false;
    bool runnerGone = false;
    bool noChildren = false;
    // From here on only this loop runs: its code is let go in a moment (base/code_pages.h).
    DeferredCodeRelease codeRelease;
    for (;;) {
        // Reap everything; report the programs' own statuses.
        noChildren = false;
        for (;;) {
            int status;
            pid_t p = ::waitpid(-1, &status, WNOHANG);
            if (p < 0 && errno == ECHILD) noChildren = true;
            if (p <= 0) break;
            if (p == program) {
                programStatus = status;
                programDone = true;
                (void)sendMessage(channel, Msg::ProgramExited,
                                  encodeExitStatus(ExitStatus::fromWait(status)));
                // Every process of the namespace descends from PID 1: with no child left there
                // is none to count (the common case, and listing /proc costs a fork's worth of
                // copy-on-write faults in this process).
                siginfo_t left = {};
                const bool childrenLeft =
                    ::waitid(P_ALL, 0, &left, WEXITED | WNOHANG | WNOWAIT) == 0;
                if (int n = childrenLeft ? othersRunning() : 0; n > 0)
                    (void)sendMessage(channel, Msg::ProgramOutlived, encodeNumber(n));
            } else if (auto it = joined.find(p); it != joined.end()) {
                JoinResult r;
                r.kind = JoinResult::Kind::Exited;
                r.exit = ExitStatus::fromWait(status);
                (void)sendMessage(channel, Msg::JoinedEnded,
                                  encodeJoined({it->second, encodeJoinResult(r)}));
                joined.erase(it);
            }
        }
        // The sandbox lives while its program or a joined one does, and with lifetime "all"
        // while any process does.
        if (programDone && joined.empty() && (!untilAll || noChildren)) break;
        struct pollfd pfd[2] = {{sfd, POLLIN, 0}, {channel, POLLIN, 0}};
        int n = ::poll(pfd, runnerGone ? 1 : 2, codeRelease.timeoutMs());
        if (n < 0 && errno != EINTR) break;
        codeRelease.releaseIfDue();
        if (pfd[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (::read(sfd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo != SIGCHLD) relay(programDone, static_cast<int>(si.ssi_signo));
            }
        }
        if (!runnerGone && (pfd[1].revents & (POLLIN | POLLHUP))) {
            auto m = receiveMessage(channel);
            if (!m || !m->has_value()) {
                runnerGone = true;  // the runner is gone: end the sandbox
                ::kill(-1, SIGKILL);
            } else if ((*m)->type == Msg::Signal) {
                relay(programDone, static_cast<int>(decodeNumber((*m)->payload).value_or(0)));
            } else if ((*m)->type == Msg::Stop) {
                ::kill(-1, SIGTERM);  // layerbox stop: every process, the program's included
            } else if ((*m)->type == Msg::Kill) {
                ::kill(-1, SIGKILL);  // the launch failed after all (the runner says why)
            } else if ((*m)->type == Msg::JoinedSignal) {
                auto j = decodeJoined((*m)->payload);
                auto sig = j ? decodeNumber(j->body) : std::nullopt;
                for (auto& [pid, token] : joined)
                    if (sig && token == j->token) forwardSignal(pid, static_cast<int>(*sig));
            } else if ((*m)->type == Msg::StartJoined) {
                startJoined(**m);
            }
        }
    }

    // The program is gone (lifetime "main"). Whatever it left running in the background gets
    // the profile's grace time to finish, then the whole namespace goes.
    if (::kill(-1, SIGTERM) == 0) {
        for (int i = 0; i < plan.profile.lifetime.grace * 100; ++i) {
            while (::waitpid(-1, nullptr, WNOHANG) > 0) {
            }
            if (::kill(-1, 0) != 0 && errno == ESRCH) break;
            ::usleep(10000);
        }
        ::kill(-1, SIGKILL);
        while (::waitpid(-1, nullptr, 0) > 0) {
        }
    }
    ::_exit(ExitStatus::fromWait(programStatus).shellStatus());
}

}  // namespace lb
