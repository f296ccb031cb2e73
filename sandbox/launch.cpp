// The orchestrator: the launch of one sandbox, step by step. Every concern lives in its own
// file; this one only says in which order they run and who runs them.
//
//   runner (this process, on the host)
//     1. load the profile and decide everything: mounts, seccomp filter, environment, ids
//     2. fork the setup process -------------------------> setup process
//                                                            3. user/mount/net/ipc/uts namespaces
//     4. (network, scope: once namespaces exist) <-------       (waits for "go" when needed)
//                                                            5. overlays, binds, /dev, /tmp ...
//                                                            6. host name, loopback
//                                                            7. fork PID 1 in new pid/cgroup ns
//                                                                 8. /proc, pivot_root
//                                                                 9. pty, drop capabilities
//                                                                10. fork the program: setsid,
//                                                                    seccomp (last), execve
//    11. relay the terminal, forward signals, report events, wait for the end
//    12. restore the terminal, report the exit status
#include "launch.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "channel.h"
#include "environment.h"
#include "jsonw.h"
#include "launch_plan.h"
#include "profile_store.h"
#include "status_events.h"
#include "storage.h"
#include "syscall_filter.h"

namespace lb {

void LaunchPlan::trace(const char* what) const {
    if (!verbose) return;
    struct timespec now;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    double ms = (now.tv_sec - start.tv_sec) * 1e3 + (now.tv_nsec - start.tv_nsec) / 1e6;
    std::fprintf(stderr, "layerbox: [%7.2f ms] %s\n", ms, what);
}

namespace {

std::string randomId() {
    unsigned char b[4] = {};
    if (::getrandom(b, sizeof b, 0) != sizeof b) {
        struct timespec t;
        ::clock_gettime(CLOCK_MONOTONIC, &t);
        std::memcpy(b, &t.tv_nsec, sizeof b);
    }
    char out[9];
    std::snprintf(out, sizeof out, "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
    return out;
}

std::string findInPath(const std::string& prog) {
    const char* path = std::getenv("PATH");
    for (const auto& dir : split(path ? path : "/usr/local/bin:/usr/bin:/bin", ':')) {
        std::string full = joinPath(dir.empty() ? "." : dir, prog);
        if (::access(full.c_str(), X_OK) == 0) return full;
    }
    for (const char* dir : {"/usr/bin", "/bin", "/usr/local/bin"}) {
        std::string full = joinPath(dir, prog);
        if (::access(full.c_str(), X_OK) == 0) return full;
    }
    return {};
}

struct Prepared {
    LaunchPlan plan;
    UniqueFd lock;  // held for the sandbox's lifetime: one persistent upper layer, one mount
};

// Step 1: everything is decided here, in the runner, before any process exists.
Result<Prepared> prepare(const RunOptions& o) {
    Prepared out;
    LaunchPlan& plan = out.plan;
    ::clock_gettime(CLOCK_MONOTONIC, &plan.start);
    plan.verbose = o.verbose;
    plan.runnerPid = ::getpid();
    plan.paths = Paths::fromEnvironment();
    ProfileStore store(plan.paths);
    LB_ASSIGN(plan.profile, loadProfile(store, o.profile));
    Profile& p = plan.profile;
    if (o.ephemeral) p.filesystem.ephemeral = *o.ephemeral;
    if (o.driver) p.filesystem.driver = *o.driver;
    if (o.network) p.network.mode = *o.network;
    for (const auto& b : o.extraBinds)
        p.filesystem.binds.push_back(b);
    plan.argv = o.command.empty() ? p.command : o.command;
    if (plan.argv.empty())
        return Error("profile " + quote(p.name) + " has no command; give one after --", EINVAL);
    plan.trace("profile loaded");

    plan.host = HostInfo::probe();
    plan.instance = randomId();

    std::string why;
    LB_ASSIGN(Driver driver, resolveDriver(p.filesystem.driver, plan.paths, &why));
    if (plan.verbose && p.filesystem.driver == Driver::Auto && driver == Driver::Fuse)
        std::fprintf(stderr, "layerbox: using fuse-overlayfs: %s\n", why.c_str());
    plan.storage.driver = driver;
    plan.storage.ephemeral = p.filesystem.ephemeral;
    if (!plan.storage.ephemeral) {
        LB_ASSIGN(plan.storage.dataDir, prepareSandboxDir(plan.paths, p.name));
        auto lock = lockSandbox(plan.storage.dataDir);
        if (!lock) {
            if (lock.error().code() == EWOULDBLOCK)
                return Error("profile " + quote(p.name) +
                                 " is already running (its changes can only be mounted once; "
                                 "use --ephemeral for a throw-away copy)",
                             EBUSY);
            return lock.error();
        }
        out.lock = std::move(lock.value());
    }
    for (const auto& layer : p.filesystem.layers) {
        std::string root = joinPath(plan.paths.layerDir(layer), "root");
        if (!isDirectory(root))
            return Error("layer " + quote(layer) + " does not exist (see layerbox layer list)",
                         ENOENT);
        plan.storage.layerDirs.push_back(root);
    }

    plan.mounts = planMounts(p, plan.host, plan.storage);
    plan.mountContext.stagingDir = joinPath(plan.paths.stateDir(), "staging");
    LB_TRY_CTX(makeDirs(plan.mountContext.stagingDir, 0700), "creating the runtime directory");
    plan.mountContext.verbose = o.verbose;
    if (plan.mounts.usesFuse) {
        plan.mountContext.fuseOverlayfs = findInPath("fuse-overlayfs");
        if (plan.mountContext.fuseOverlayfs.empty())
            return Error(
                "fuse-overlayfs is not installed and kernel overlayfs is not usable here "
                "(see layerbox doctor)",
                ENOENT);
    }
    plan.ids = planIdMaps(plan.host.uid, plan.host.gid);
    LB_ASSIGN(plan.seccomp, compileSeccomp(planSeccomp(p.security)));

    EnvContext ec;
    ec.home = plan.mounts.home;
    ec.user = plan.host.user;
    ec.shell = plan.host.shell;
    ec.runtimeDir = plan.mounts.runtimeDir;
    ec.profile = p.name;
    ec.instance = plan.instance;
    plan.env = planEnvironment(p.environment, currentEnvironment(), ec);

    if (!o.cwd.empty()) {
        plan.cwd = o.cwd;
    } else if (char* cwd = ::getcwd(nullptr, 0)) {
        plan.cwd = cwd;
        std::free(cwd);
    }
    plan.hostname = p.network.hostname;
    plan.usePty = o.allowPty && ::isatty(0) && ::isatty(1) && ::tcgetpgrp(0) == ::getpgrp();
    plan.trace("plan ready");
    return out;
}

// The signals the runner relays to the program.
const int kRelayed[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

class Supervisor {
public:
    Supervisor(const LaunchPlan& plan, int channel, pid_t setup, const StatusEvents& events)
        : plan_(plan), channel_(channel), setup_(setup), events_(events) {}

    // Step 11: until the setup process (and so the whole sandbox) is gone.
    int run(int signalFd) {
        bool setupDone = false;
        int setupStatus = 0;
        bool channelOpen = true;
        bool stdinOpen = true;
        while (!setupDone || channelOpen) {
            struct pollfd pfd[4];
            int n = 0;
            pfd[n++] = {signalFd, POLLIN, 0};
            int chanIdx = channelOpen ? n : -1;
            if (channelOpen) pfd[n++] = {channel_, POLLIN, 0};
            int masterIdx = master_.valid() ? n : -1;
            if (master_.valid()) pfd[n++] = {master_.get(), POLLIN, 0};
            int stdinIdx = master_.valid() && stdinOpen ? n : -1;
            if (stdinIdx >= 0) pfd[n++] = {0, POLLIN, 0};
            if (::poll(pfd, static_cast<nfds_t>(n), -1) < 0) {
                if (errno == EINTR) continue;
                break;
            }
            if (pfd[0].revents & POLLIN) {
                struct signalfd_siginfo si;
                while (::read(signalFd, &si, sizeof si) == sizeof si) {
                    int sig = static_cast<int>(si.ssi_signo);
                    if (sig == SIGCHLD) {
                        int status;
                        if (::waitpid(setup_, &status, WNOHANG) == setup_) {
                            setupDone = true;
                            setupStatus = status;
                        }
                    } else if (sig == SIGWINCH) {
                        copyWindowSize();
                    } else {
                        (void)sendMessage(channel_, "signal", std::to_string(sig));
                    }
                }
            }
            if (chanIdx >= 0 && (pfd[chanIdx].revents & (POLLIN | POLLHUP | POLLERR))) {
                auto m = receiveMessage(channel_);
                if (!m || !m->has_value()) {
                    channelOpen = false;
                } else {
                    handle(**m);
                }
            }
            if (masterIdx >= 0 && (pfd[masterIdx].revents & (POLLIN | POLLHUP | POLLERR))) {
                char buf[16384];
                ssize_t r = ::read(master_.get(), buf, sizeof buf);
                if (r > 0) {
                    (void)writeAll(1, std::string_view(buf, static_cast<size_t>(r)), "stdout");
                } else if (r == 0 || errno != EINTR) {
                    master_.reset();  // the program closed its terminal
                }
            }
            if (stdinIdx >= 0 && (pfd[stdinIdx].revents & (POLLIN | POLLHUP | POLLERR))) {
                char buf[4096];
                ssize_t r = ::read(0, buf, sizeof buf);
                if (r > 0 && master_.valid())
                    (void)writeAll(master_.get(), std::string_view(buf, static_cast<size_t>(r)),
                                   "pty");
                else if (r == 0 || (r < 0 && errno != EINTR))
                    stdinOpen = false;
            }
        }
        restoreTerminal();
        return finish(setupStatus);
    }

    ~Supervisor() { restoreTerminal(); }

private:
    void handle(Message& m) {
        if (m.type == "error") {
            if (setupError_.empty()) setupError_ = m.payload;
        } else if (m.type == "app") {
            programPid_ = m.senderPid;
            plan_.trace("program started");
            if (events_.enabled()) {
                JsonWriter w;
                w.beginObject()
                    .field("event", "started")
                    .field("instance", plan_.instance)
                    .field("profile", plan_.profile.name)
                    .field("pid", static_cast<int64_t>(programPid_))
                    .field("driver", driverName(plan_.storage.driver))
                    .field("ephemeral", plan_.storage.ephemeral)
                    .field("network", plan_.profile.network.mode == NetMode::Nat ? "nat" : "none")
                    .field("hostname", plan_.hostname)
                    .key("namespaces")
                    .strings({"user", "mount", "pid", "ipc", "uts", "net", "cgroup"})
                    .key("command")
                    .strings(plan_.argv)
                    .endObject();
                events_.emit(w.str());
            }
        } else if (m.type == "pty" && m.fd.valid()) {
            master_ = std::move(m.fd);
            enterRawMode();
            copyWindowSize();
        } else if (m.type == "exit") {
            programExit_ = m.payload;
        } else if (m.type == "execfail") {
            execErrno_ = std::atoi(m.payload.c_str());
        } else if (m.type == "nsready") {
            (void)sendMessage(channel_, "go");
        }
    }

    void enterRawMode() {
        if (!::isatty(0) || ::tcgetattr(0, &saved_) != 0) return;
        struct termios raw = saved_;
        ::cfmakeraw(&raw);
        if (::tcsetattr(0, TCSADRAIN, &raw) == 0) rawMode_ = true;
    }

    void restoreTerminal() {
        if (rawMode_) {
            ::tcsetattr(0, TCSADRAIN, &saved_);
            rawMode_ = false;
        }
    }

    void copyWindowSize() {
        struct winsize ws;
        if (master_.valid() && ::ioctl(0, TIOCGWINSZ, &ws) == 0)
            ::ioctl(master_.get(), TIOCSWINSZ, &ws);
    }

    int finish(int setupStatus) {
        int code;
        if (!setupError_.empty()) {
            std::fprintf(stderr, "layerbox: error: %s\n", setupError_.c_str());
            code = kExitSetupFailed;
        } else if (execErrno_ != 0) {
            std::fprintf(stderr, "layerbox: error: cannot run %s: %s\n",
                         quote(plan_.argv[0]).c_str(), strerrordesc_np(execErrno_));
            code = execErrno_ == ENOENT ? kExitNotFound : kExitNotExecutable;
        } else if (startsWith(programExit_, "signal ")) {
            code = 128 + std::atoi(programExit_.c_str() + 7);
        } else if (startsWith(programExit_, "code ")) {
            code = std::atoi(programExit_.c_str() + 5);
        } else if (WIFEXITED(setupStatus)) {
            code = WEXITSTATUS(setupStatus);
            if (programPid_ == 0 && code == 0) code = kExitSetupFailed;
        } else {
            code = 128 + WTERMSIG(setupStatus);
        }
        plan_.trace("sandbox ended");
        if (events_.enabled()) {
            JsonWriter w;
            w.beginObject()
                .field("event", "exited")
                .field("instance", plan_.instance)
                .field("status", code);
            if (startsWith(programExit_, "signal "))
                w.field("signal", std::atoi(programExit_.c_str() + 7));
            else if (startsWith(programExit_, "code "))
                w.field("exit_code", std::atoi(programExit_.c_str() + 5));
            if (!setupError_.empty()) w.field("error", setupError_);
            w.endObject();
            events_.emit(w.str());
        }
        return code;
    }

    const LaunchPlan& plan_;
    int channel_;
    pid_t setup_;
    const StatusEvents& events_;
    UniqueFd master_;
    struct termios saved_ = {};
    bool rawMode_ = false;
    pid_t programPid_ = 0;
    std::string programExit_;
    std::string setupError_;
    int execErrno_ = 0;
};

}  // namespace

int runSandbox(const RunOptions& o) {
    StatusEvents events(o.statusFd);
    auto fail = [&](const Error& e) {
        std::fprintf(stderr, "layerbox: error: %s\n", e.message().c_str());
        if (events.enabled()) {
            JsonWriter w;
            w.beginObject()
                .field("event", "exited")
                .field("status", kExitSetupFailed)
                .field("error", e.message())
                .endObject();
            events.emit(w.str());
        }
        return kExitSetupFailed;
    };

    // 1. Decide everything.
    auto prepared = prepare(o);
    if (!prepared) return fail(prepared.error());
    LaunchPlan& plan = prepared->plan;

    // 2. The channel, and the signals the runner handles itself from now on.
    auto chan = makeChannel();
    if (!chan) return fail(chan.error());
    sigset_t mask, old;
    sigemptyset(&mask);
    for (int s : kRelayed)
        sigaddset(&mask, s);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGWINCH);
    ::sigprocmask(SIG_BLOCK, &mask, &old);
    UniqueFd sfd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sfd.valid()) return fail(Error::fromErrno("signalfd"));

    // 3-10 happen in the setup process and below.
    pid_t setup = ::fork();
    if (setup < 0) return fail(Error::fromErrno("fork"));
    if (setup == 0) {
        ::sigprocmask(SIG_SETMASK, &old, nullptr);
        chan->first.reset();
        setupProcessMain(plan, chan->second.get());
    }
    chan->second.reset();

    // 11-12.
    Supervisor sup(plan, chan->first.get(), setup, events);
    int code = sup.run(sfd.get());
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    return code;
}

}  // namespace lb
