// The setup process: forked by the runner, it creates the sandbox's namespaces, builds its file
// system and network, then starts PID 1 in a new PID namespace. It stays outside that PID
// namespace (with the fuse daemons it started, out of the program's reach) and, when
// PID 1 exits, ends the daemons and exits with PID 1's status.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "base/code_pages.h"
#include "base/syscalls.h"
#include "launch/channel.h"
#include "launch/launch_plan.h"
#include "launch/recoverable.h"
#include "layers/storage.h"
#include "network/drop_log.h"
#include "network/network.h"

namespace lb {

namespace {

// What the setup process starts itself, after the fork.
struct SetupState {
    FuseDaemons fuse;  // ended by a failed launch before it reports, so nothing is left behind

    void endFuseDaemons() {
        for (int pid : fuse.pids)
            if (pid > 0) ::kill(pid, SIGKILL);
        for (int pid : fuse.pids)
            if (pid > 0) ::waitpid(pid, nullptr, 0);
        fuse.pids.clear();
    }
};

[[noreturn]] void fail(SetupState& state, int channel, const Error& e, const char* step) {
    state.endFuseDaemons();
    (void)sendMessage(channel, Msg::SetupFailed, std::string(step) + ": " + e.message());
    ::_exit(125);
}

// The runner's next message must be `type`; anything else (Abort, or the runner gone) ends the
// launch here, before anything runs in the sandbox.
void waitFor(SetupState& state, int channel, Msg type) {
    auto m = receiveMessage(channel);
    if (!m || !m->has_value() || (*m)->type != type) {
        state.endFuseDaemons();
        ::_exit(125);
    }
}

}  // namespace

[[noreturn]] void setupProcessMain(const LaunchPlan& plan, int channel) {
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
    SetupState state;

    // 4. Namespaces.
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) != 0)
        fail(state, channel, Error::fromErrno("unshare(user, mount, net, ipc, uts)"),
             "creating namespaces");
    if (auto s = applyIdMap(plan.ids.outer); !s)
        fail(state, channel, s.error(), "mapping the user");
    plan.trace("namespaces created");

    // The runner can now start slirp4netns for our network namespace (and is asking for our
    // scope); we build the file system meanwhile, and PID 1 waits for its "Go" before it
    // starts the program.
    if (plan.waitForRunner) {
        // With the activity log, a sock_diag socket made here, in the sandbox's network
        // namespace, goes with it: the runner finds which process is connected to the D-Bus
        // proxy (desktop/dbus_activity.h). Safe: made by this code before anything of the
        // program runs and closed here at once; it only reads socket metadata of this
        // namespace and no sandbox process ever holds it.
        // With a firewall, the NFLOG socket its refusals are copied to (network/drop_log.h),
        // bound here, where this process has CAP_NET_ADMIN of the namespace; as safe: the
        // runner only reads copies of packets the firewall refused.
        std::vector<UniqueFd> fds;
        if (plan.profile.security.activityLog) {
            fds.emplace_back(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
            if (!plan.firewall.empty()) {
                // Without it the firewall still refuses the same; only the log misses them.
                if (auto drops = openDropLog())
                    fds.push_back(std::move(*drops));
                else
                    (void)sendMessage(channel, Msg::Warning,
                                      "the activity log will not show refused connections: " +
                                          drops.error().message());
            }
        }
        // With "nat", a route socket of the namespace, subscribed before slirp4netns starts:
        // the runner sees tap0 configured (its default route added) without waiting for
        // slirp4netns to confine itself (network/slirp.h, waitReady). As safe: it only reads
        // route announcements of this namespace and no sandbox process ever holds it.
        if (plan.profile.network.mode == NetMode::Nat) {
            UniqueFd route(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
            struct sockaddr_nl a = {};
            a.nl_family = AF_NETLINK;
            a.nl_groups = RTMGRP_IPV4_ROUTE;
            // Without it the runner waits for slirp4netns' ready byte, as before.
            if (route.valid() &&
                ::bind(route.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0)
                fds.push_back(std::move(route));
        }
        std::vector<int> raw;
        for (const auto& f : fds)
            if (f.valid()) raw.push_back(f.get());
        if (auto s = sendMessage(channel, Msg::NamespacesReady, {}, raw); !s)
            fail(state, channel, s.error(), "syncing");
    }
    // 6. (The seccomp filter was compiled by the runner, before the fork: launch_plan.h.)
    // fuse daemons (fuse-overlayfs, an AppImage's squashfuse) are started by the mounts: they
    // wait for the scope, so that they are in it (killed with it, counted in it).
    bool scoped = !plan.wantScope;
    if (!scoped && (plan.storage.driver == Driver::Fuse || plan.mounts.usesSquashfuse)) {
        waitFor(state, channel, Msg::Scoped);
        scoped = true;
    }

    // A persistent layer's overlays are taken down together at the end (OverlayUnmounter): its
    // threads start now, while the mounts are made (they could not after the PID namespace).
    OverlayUnmounter unmounter(plannedDiskOverlays(plan.mounts, plan.storage));

    // The runner holds the profile's lock; its last sandbox may still be taking its layer down
    // (layers/storage.h): never mount a layer twice at once. Its setup process lets go of the
    // layer's mount lock once its overlays are unmounted; we hold it from here until ours are.
    // Taken here, not when the profile's lock was, so that everything above overlapped it.
    UniqueFd layerMounts;
    if (!plan.storage.ephemeral && !plan.storage.dataDir.empty()) {
        auto held = holdLayerMounts(plan.storage.dataDir);
        if (!held) fail(state, channel, held.error(), "waiting for the last sandbox's layer");
        layerMounts = std::move(*held);
        plan.trace("layer free");
    }

    // 7. Mounts made from here on stay in this namespace; host mounts made later still appear
    // in the sandbox's binds (slave propagation, as bubblewrap does).
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
        fail(state, channel, Error::fromErrno("mount(\"/\", MS_SLAVE)"), "isolating mounts");
    if (auto s = applyMountsPhase1(plan.mounts, plan.storage, plan.mountContext, state.fuse); !s)
        fail(state, channel, s.error(), "building the file system");
    plan.trace("file system built");
    // Its threads wait from now on for the end of the sandbox.
    unmounter.hold(std::move(state.fuse.diskOverlays));

    // 8. Host name and loopback.
    if (::sethostname(plan.hostname.data(), plan.hostname.size()) != 0)
        fail(state, channel, Error::fromErrno("sethostname"), "setting the host name");
    if (auto s = bringUpLoopback(); !s) fail(state, channel, s.error(), "setting up the network");
    // PID 1 is made only inside the scope (step 9). The runner's "Go" (the firewall loaded from
    // a child of its in our namespaces, network.h FirewallLoad; slirp4netns' tap0 configured)
    // is waited for by PID 1, right before it starts the program (init.cpp): issue 25, its
    // /proc, pivot_root and terminal are made while the network comes up (nat: about 3 ms).
    if (!scoped) waitFor(state, channel, Msg::Scoped);

    // 9. The cgroup namespace is created once we are in our scope (born there, or moved by the
    // user manager's job), so the sandbox's view of the cgroup tree starts at its own scope.
    if (::unshare(CLONE_NEWPID | CLONE_NEWCGROUP) != 0)
        fail(state, channel, Error::fromErrno("unshare(pid, cgroup)"), "creating namespaces");
    // PID 1 watches this pidfd to notice if we die while its death signal is re-armed.
    int self = sys::pidfdOpen(::getpid());
    if (self < 0) fail(state, channel, Error::fromErrno("pidfd_open"), "starting PID 1");
    // recover_watch: an ephemeral upper layer is reachable after PID 1's pivot_root only through
    // a descriptor opened now (close-on-exec: PID 1 inherits it, no program does).
    UniqueFd watchedStorage =
        openEphemeralStorage(plan, plan.mountContext.storageRoot(plan.storage));
    unmounter.waitStarted();  // long since, as a rule: nothing of a thread is half-started
    pid_t init = ::fork();
    if (init < 0) fail(state, channel, Error::fromErrno("fork"), "starting PID 1");
    if (init == 0) {
        unmounter.closeInChild();  // the setup process's, for its end
        layerMounts.reset();       // the lock stays ours (flock: held while any copy is open)
        initProcessMain(plan, channel, self);
    }
    ::close(self);

    int status = 0;
    {
        // It only waits now, for as long as the sandbox runs: its code is let go in a moment
        // (base/code_pages.h), unless PID 1 has ended by then (its pidfd turns readable).
        DeferredCodeRelease codeRelease;
        UniqueFd pid1(sys::pidfdOpen(init));
        struct pollfd p = {pid1.get(), POLLIN, 0};
        int left;
        while (pid1.valid() && (left = codeRelease.timeoutMs()) > 0) {
            const int r = ::poll(&p, 1, left);
            if (r > 0 || (r < 0 && errno != EINTR)) break;
        }
        codeRelease.releaseIfDue();
    }
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
        auto& fuse = state.fuse;
        for (size_t i = 0; i < fuse.pids.size(); ++i) {
            if (fuse.pids[i] != p) continue;
            auto how = ExitStatus::fromWait(st);
            (void)sendMessage(channel, Msg::Warning,
                              fuse.names[i] + " serving " + fuse.targets[i] + " " +
                                  (how.signaled ? "was " : "") + how.describe() + "; " +
                                  fuse.targets[i] + " is unreachable in the sandbox now");
            fuse.pids[i] = -1;
        }
    }
    // PID 1 killed from outside: everything in the sandbox has ended with it.
    if (WIFSIGNALED(status))
        (void)sendMessage(channel, Msg::Pid1Killed, encodeNumber(WTERMSIG(status)));
    // recover_watch: list the ephemeral layer's new files for the runner before it vanishes.
    sendRecoverable(channel, watchedStorage.get(), plan);
    for (int pid : state.fuse.pids)
        if (pid > 0) ::kill(pid, SIGTERM);
    while (::waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
    }
    // Nothing of the sandbox runs any more (PID 1 took its PID namespace with it; the fuse
    // daemons are reaped). What is left is unmounting the sandbox's mount namespace, where
    // overlayfs syncs its upper file system at each overlay's unmount (issue 25: tens of ms on
    // a busy disk, the largest part of a launch there). The runner need not wait for it: it
    // has our status now. The next launch of a persistent sandbox waits for the layer's mount
    // lock (layers/storage.h, holdLayerMounts), which we let go of once the overlays on disk are
    // down (together: OverlayUnmounter); the rest goes in our exit, off its path.
    const int code = ExitStatus::fromWait(status).shellStatus();
    ::prctl(PR_SET_NAME, "layerbox-end");
    // The runner exits once it has our status; its death signal would kill the unmounting
    // threads mid-way and leave the rest to our exit, one overlay after the other. Nothing of
    // the sandbox is left to end with the runner now.
    ::prctl(PR_SET_PDEATHSIG, 0);
    (void)sendMessage(channel, Msg::SetupEnded, encodeNumber(code));
    // The layer's mount lock goes once its overlays are down. Should an unmount have failed,
    // it is kept to our exit (where the kernel closes it before it takes down our mount
    // namespace and that overlay: a rare case, then the next launch may find the upper in use).
    if (unmounter.release()) layerMounts.reset();
    ::_exit(code);
}

}  // namespace lb
