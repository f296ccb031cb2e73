// The setup process: forked by the runner, it creates the sandbox's namespaces, builds its file
// system and network, then starts PID 1 in a new PID namespace. It stays outside that PID
// namespace (with the fuse-overlayfs daemons it started, out of the program's reach) and, when
// PID 1 exits, ends the daemons and exits with PID 1's status.
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "base/syscalls.h"
#include "launch/channel.h"
#include "launch/launch_plan.h"
#include "launch/recoverable.h"
#include "network/network.h"

namespace lb {

namespace {

// fuse-overlayfs daemons started so far; a failed launch ends them before reporting, so that
// when the runner returns nothing of the sandbox is left.
std::vector<int>* gFusePids = nullptr;

void endFuseDaemons() {
    if (!gFusePids) return;
    for (int pid : *gFusePids)
        ::kill(pid, SIGKILL);
    for (int pid : *gFusePids)
        ::waitpid(pid, nullptr, 0);
    gFusePids->clear();
}

[[noreturn]] void fail(int channel, const Error& e, const char* step) {
    endFuseDaemons();
    (void)sendMessage(channel, "error", std::string(step) + ": " + e.message());
    ::_exit(125);
}

// The runner's next message must be `type`; anything else ("abort", or the runner gone) ends
// the launch here, before anything runs in the sandbox.
void waitFor(int channel, const char* type) {
    auto m = receiveMessage(channel);
    if (!m || !m->has_value() || (*m)->type != type) {
        endFuseDaemons();
        ::_exit(125);
    }
}

}  // namespace

[[noreturn]] void setupProcessMain(LaunchPlan& plan, int channel) {
    // Die with the runner, even when it is killed with SIGKILL; the check after prctl closes
    // the race where the runner died before the call.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != plan.runnerPid) ::_exit(125);
    ::prctl(PR_SET_NAME, "layerbox-setup");
    // Leave the terminal's foreground process group: a Ctrl-C meant for the program reaches the
    // runner, which relays it, instead of killing the setup process and the fuse daemons.
    ::setpgid(0, 0);
    // Only stdio and the channel survive into the sandbox's processes.
    if (channel > 3) sys::closeRange(3, static_cast<unsigned>(channel - 1));
    sys::closeRange(static_cast<unsigned>(channel + 1), ~0U);

    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) != 0)
        fail(channel, Error::fromErrno("unshare(user, mount, net, ipc, uts)"),
             "creating namespaces");
    if (auto s = applyIdMap(plan.ids.outer); !s) fail(channel, s.error(), "mapping the user");
    plan.trace("namespaces created");

    // The runner can now start slirp4netns for our network namespace (and is asking for our
    // scope); we build the file system meanwhile and wait for its "go" only before starting
    // PID 1.
    if (plan.syncBeforeMounts)
        if (auto s = sendMessage(channel, "nsready"); !s) fail(channel, s.error(), "syncing");
    // The seccomp filter is compiled here rather than in the runner: meanwhile the runner
    // waits for the user manager. Nothing runs in the sandbox before it is loaded (init.cpp).
    if (auto bpf = compileSeccomp(plan.seccompPlan); !bpf)
        fail(channel, bpf.error(), "compiling the seccomp filter");
    else
        plan.seccomp = std::move(*bpf);
    // fuse-overlayfs daemons are started by the mounts: they wait for the scope, so that they
    // are in it (killed with it, counted in it).
    bool scoped = !plan.wantScope;
    if (!scoped && plan.storage.driver == Driver::Fuse) {
        waitFor(channel, "scoped");
        scoped = true;
    }

    // Mounts made from here on stay in this namespace; host mounts made later still appear
    // in the sandbox's binds (slave propagation, as bubblewrap does).
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
        fail(channel, Error::fromErrno("mount(\"/\", MS_SLAVE)"), "isolating mounts");
    MountContext ctx = plan.mountContext;
    gFusePids = &ctx.fusePids;
    if (auto s = applyMountsPhase1(plan.mounts, plan.storage, ctx); !s)
        fail(channel, s.error(), "building the file system");
    plan.trace("file system built");

    if (::sethostname(plan.hostname.data(), plan.hostname.size()) != 0)
        fail(channel, Error::fromErrno("sethostname"), "setting the host name");
    if (auto s = bringUpLoopback(); !s) fail(channel, s.error(), "setting up the network");
    if (auto s = applyFirewall(plan.firewall); !s)
        fail(channel, s.error(), "setting up the firewall");

    if (!scoped) waitFor(channel, "scoped");
    if (plan.syncBeforeMounts) waitFor(channel, "go");
    plan.trace("runner ready");

    // The cgroup namespace is created after the runner moved us into our scope, so the
    // sandbox's view of the cgroup tree starts at its own scope.
    if (::unshare(CLONE_NEWPID | CLONE_NEWCGROUP) != 0)
        fail(channel, Error::fromErrno("unshare(pid, cgroup)"), "creating namespaces");
    // PID 1 watches this pidfd to notice if we die while its death signal is re-armed.
    int self = sys::pidfdOpen(::getpid());
    if (self < 0) fail(channel, Error::fromErrno("pidfd_open"), "starting PID 1");
    // recover_watch: an ephemeral upper layer is reachable after PID 1's pivot_root only through
    // a descriptor opened now (close-on-exec: PID 1 inherits it, no program does).
    UniqueFd watchedStorage = openEphemeralStorage(plan, ctx.storageRoot(plan.storage));
    pid_t init = ::fork();
    if (init < 0) fail(channel, Error::fromErrno("fork"), "starting PID 1");
    if (init == 0) initProcessMain(plan, channel, self);
    ::close(self);

    int status = 0;
    for (;;) {
        int st = 0;
        pid_t p = ::waitpid(-1, &st, 0);
        if (p == init) {
            status = st;
            break;
        }
        if (p < 0 && errno != EINTR) break;
        // A fuse daemon that dies takes its directory with it: the programs get errors there
        // (ENOTCONN). Say so once; the sandbox goes on.
        for (size_t i = 0; i < ctx.fusePids.size(); ++i) {
            if (ctx.fusePids[i] != p) continue;
            std::string how = WIFSIGNALED(st)
                                  ? "was killed by signal " + std::to_string(WTERMSIG(st))
                                  : "exited with status " + std::to_string(WEXITSTATUS(st));
            (void)sendMessage(channel, "warning",
                              "fuse-overlayfs serving " + ctx.fuseTargets[i] + " " + how + "; " +
                                  ctx.fuseTargets[i] + " is unreachable in the sandbox now");
            ctx.fusePids[i] = -1;
        }
    }
    // PID 1 killed from outside: everything in the sandbox has ended with it.
    if (WIFSIGNALED(status)) (void)sendMessage(channel, "died", std::to_string(WTERMSIG(status)));
    // recover_watch: list the ephemeral layer's new files for the runner before it vanishes.
    sendRecoverable(channel, watchedStorage.get(), plan);
    for (int pid : ctx.fusePids)
        if (pid > 0) ::kill(pid, SIGTERM);
    while (::waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
    }
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

}  // namespace lb
