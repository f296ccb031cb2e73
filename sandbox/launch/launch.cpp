// The orchestrator: the launch of one sandbox, in order. Every concern lives in its own file;
// this one only says which step runs when, and in which process (docs/architecture.md has the
// same numbering).
//
//   runner (this process, on the host)
//     1. prepare(): load the profile and decide everything (mounts, seccomp filter compiled,
//        environment, ids, scope, network, desktop); lock the sandbox's layer; claim an id
//     2. start xdg-dbus-proxy when the profile has a bus (its sockets are bound in step 8),
//        while an isolated display's X server starts
//     3. fork the setup process (setup_process.cpp), -----> 4. user/mount/net/ipc/uts namespaces
//        born in the scope's cgroup made ahead
//     5. ask systemd for the scope (Supervisor)              6. a persistent layer: wait for
//                                                               its last sandbox's unmounting
//        "NamespacesReady" -> load the firewall into the     7. overlays (fuse daemons after
//        sandbox's netns (a child), start slirp4netns,          "Scoped"), binds, /dev, /tmp ...
//        (nat: the scope now), "Go" once all are ready       8. host name, loopback
//        (tap0 configured; slirp4netns' ready byte later)
//                                                            9. once "Scoped": fork PID 1
//                                                               (init.cpp) in new pid/cgroup
//                                                               namespaces
//                                                                 10. /proc, pivot_root
//                                                                 11. pty, drop capabilities
//                                                                 12. once "Go": vfork the
//                                                                     program: setsid, Landlock,
//                                                                     seccomp, execve
//    13. Supervisor::run(): relay the terminal and streams, forward signals, serve joins,
//        report status events, wait for the end
//    14. one Outcome: printed once, reported as the "exited" event, returned as the exit status
#include "launch/launch.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

#include "base/appimage.h"
#include "base/safe_open.h"
#include "desktop/dbusproxy.h"
#include "desktop/display_need.h"
#include "desktop/nested_x11.h"
#include "isolation/environment.h"
#include "isolation/seccomp.h"
#include "isolation/seccomp_cache.h"
#include "launch/channel.h"
#include "launch/instances.h"
#include "launch/join.h"
#include "launch/launch_plan.h"
#include "launch/status_events.h"
#include "launch/supervisor.h"
#include "launch/terminal.h"
#include "layers/grant_store.h"
#include "layers/storage.h"
#include "network/host_networks.h"
#include "network/network.h"
#include "network/slirp.h"
#include "profile/host_binds.h"
#include "profile/profile_schema.h"
#include "profile/profile_store.h"
#include "resources/cgroup.h"
#include "resources/scope_cgroup.h"

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

std::string hostCwd() {
    std::string cwd;
    if (char* c = ::getcwd(nullptr, 0)) {
        cwd = c;
        std::free(c);
    }
    return cwd;
}

// The files given to the sandbox: those asked for (--file), the program itself when it is a host
// file the sandbox would not see, and, for a persistent profile, those given at earlier runs
// (a file gone since is skipped with a warning). A file asked for that cannot be given is an
// error: nothing runs.
struct ResolvedGrants {
    std::vector<FileGrant> grants;
    std::vector<std::string> earlier;  // given at earlier runs only: skipped if they fail now
    ProgramFacts program;
};

// Layerbox's own folders as named (~/.local/share/layerbox, ...: created here, so that they
// are hidden even when a program is given the home read-write) and as the host resolves them
// (the policy's): never given, never bound.
Result<std::vector<std::string>> layerboxOwnDirs(const Paths& paths, const HostBindPolicy& policy) {
    std::vector<std::string> own;
    for (const std::string& base :
         {paths.dataHome, paths.configHome, paths.cacheHome, paths.stateHome}) {
        std::string d = joinPath(base, "layerbox");
        LB_TRY_CTX(makeDirs(d, 0700), "creating Layerbox's folders");
        own.push_back(d);
    }
    own.push_back(paths.runtimeStateDir());
    for (const auto& d : policy.layerboxDirs)
        if (std::find(own.begin(), own.end(), d) == own.end()) own.push_back(d);
    return own;
}

Result<ResolvedGrants> resolveGrants(const RunOptions& o, const Profile& p, const Paths& paths,
                                     const std::vector<std::string>& ownDirs,
                                     const std::string& home, const std::string& program,
                                     bool withStored) {
    ResolvedGrants out;
    const std::string cwd = hostCwd();
    auto add = [&](const FileGrant& g) {
        for (auto& have : out.grants)
            if (have.path == g.path) {
                have.rw = have.rw || g.rw;
                return;
            }
        out.grants.push_back(g);
    };
    auto check = [&](const std::string& given, bool rw) -> Result<FileGrant> {
        LB_ASSIGN(FileGrant g, checkFileGrant(given, cwd, rw));
        if (auto why = grantRefused(p, home, ownDirs, g.path); !why.empty())
            return Error(why, EPERM);
        return g;
    };
    for (const auto& f : o.files) {
        LB_ASSIGN(FileGrant g, check(f.path, f.rw));
        // Read-only and already visible (a system folder, a bind): nothing to give.
        if (!f.rw && visibleInside(p, home, g.path)) continue;
        add(g);
    }
    if (program.find('/') != std::string::npos) {
        std::string abs = grantPath(program, cwd);
        struct stat st;
        out.program.onHost = ::lstat(abs.c_str(), &st) == 0;
        if (out.program.onHost && !visibleInside(p, home, abs)) {
            LB_ASSIGN(FileGrant g, check(program, false));
            add(g);
            out.program.granted = true;
        }
    }
    if (withStored) {
        for (const auto& r : loadGrants(paths, p.name)) {
            auto g = check(r.path, r.rw);
            if (!g) {
                std::fprintf(stderr,
                             "layerbox: warning: %s (given earlier; layerbox grants rm %s %s)\n",
                             g.error().message().c_str(), p.name.c_str(), r.path.c_str());
                continue;
            }
            size_t before = out.grants.size();
            add(*g);
            if (out.grants.size() > before) out.earlier.push_back(g->path);
        }
    }
    return out;
}

struct Prepared {
    LaunchPlan plan;
    UniqueFd lock;  // held for the sandbox's lifetime: one persistent upper layer, one mount
    UniqueFd instanceLock;  // held for the sandbox's lifetime: its record is live while held
    std::unique_ptr<NestedX11> nestedX11;  // x11 "isolated": the sandbox's own X server
    std::unique_ptr<DbusProxy> dbus;       // started in prepare(), ready in runSandbox
    HostNetworkWatch hostWatch;  // internet-only: changes of the host's addresses since the read
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
    plan.mountContext.bindPolicy = HostBindPolicy::forUser(plan.paths);
    for (const auto& b : o.extraBinds) {
        // The same paths as a profile may name (not into /proc, /sys, /dev: the sandbox's own).
        for (const auto& [path, sandbox] : {std::pair{b.host, false}, {b.sandbox, true}})
            if (auto why = schema::checkPath(path, sandbox); !why.empty())
                return Error("--" + std::string(b.rw ? "bind " : "ro-bind ") + b.host + ":" +
                                 b.sandbox + ": " + quote(path) + " " + why,
                             EINVAL);
        // Security: the same rule as a profile's binds (host_binds.h); checked again on the
        // opened path by the setup process.
        if (auto why = checkBindSource(b.host, plan.paths, plan.mountContext.bindPolicy, b.rw);
            !why.empty())
            return Error(
                "--" + std::string(b.rw ? "bind " : "ro-bind ") + b.host + ": refused: " + why,
                EPERM);
        p.filesystem.binds.push_back(b);
    }
    plan.argv = o.command.empty() ? p.command : o.command;
    if (plan.argv.empty())
        return Error("profile " + quote(p.name) + " has no command; give one after --", EINVAL);
    plan.trace("profile loaded");

    // The system call filter, compiled here, before any fork (launch_plan.h says why); nothing
    // runs in the sandbox before it is loaded (init.cpp).
    // The same plan's program from an earlier launch, when there is one (seccomp_cache.h).
    plan.seccompRules = planSeccomp(p.security);
    {
        auto bpf = compileSeccompCached(plan.seccompRules, p.security.activityLog,
                                        seccompCacheDir(plan.paths));
        if (!bpf) return std::move(bpf).error().wrap("compiling the seccomp filter");
        plan.seccompBpf = std::move(*bpf);
    }
    plan.trace("seccomp compiled");

    plan.host = HostInfo::probe();
    plan.instance = randomId();
    {
        InstanceRegistry registry(plan.paths);
        LB_ASSIGN(out.instanceLock, registry.claim(plan.instance));
    }

    // Resources: a systemd user scope. Refuse early when the profile requires limits that
    // this host cannot apply.
    plan.wantScope = !o.noScope;
    plan.scopePlan = planScope(p.name, plan.instance, p.resources);
    if (p.resources.requireLimits && p.resources.hasAnyLimit()) {
        auto manager =
            o.noScope ? Result<std::string>(Error("--no-scope was given")) : userManagerVersion();
        if (!manager)
            return Error("profile " + quote(p.name) + " requires its limits, but " +
                             manager.error().message() + " (see layerbox doctor)",
                         ENOTSUP);
        auto report = planLimitsReport(plan.scopePlan, delegatedControllers());
        if (!report.recorded.empty()) {
            return Error("profile " + quote(p.name) +
                             " requires its limits, but this host does not "
                             "enforce " +
                             joinStrings(report.recorded) +
                             " (no delegated cgroup controller; see layerbox doctor)",
                         ENOTSUP);
        }
    }
    // Network: slirp4netns is started and the firewall loaded by the runner once the namespaces
    // exist (Supervisor).
    if (p.network.mode == NetMode::Nat) {
        plan.slirpFeatures =
            probeSlirp(joinPath(plan.paths.cacheHome, "layerbox/slirp4netns-features"));
        if (plan.slirpFeatures.path.empty())
            return Error(
                "slirp4netns is not installed; it is needed for network mode \"nat\" "
                "(see layerbox doctor)",
                ENOENT);
        // internet-only: the host's addresses and networks are part of the firewall itself,
        // loaded in one transaction with the rules. The watch is subscribed before the read:
        // a change after it waits in its queue, and the runner follows it before "Go" and
        // while the sandbox runs (Supervisor).
        if (p.network.firewall == "internet-only") {
            LB_ASSIGN(out.hostWatch, HostNetworkWatch::open());
            LB_ASSIGN(plan.hostNetworks, readHostNetworks());
        }
        plan.firewallTable =
            planFirewallTable(p.network, p.security.activityLog, plan.hostNetworks);
        plan.firewall =
            plan.firewallTable.empty() ? std::string() : formatNftTable(plan.firewallTable);
    }
    plan.waitForRunner = plan.wantScope || p.network.mode == NetMode::Nat;

    std::string why;
    LB_ASSIGN(Driver driver, resolveDriver(p.filesystem.driver, plan.paths, &why));
    if (plan.verbose && p.filesystem.driver == Driver::Auto && driver == Driver::Fuse)
        std::fprintf(stderr, "layerbox: using fuse-overlayfs: %s\n", why.c_str());
    plan.storage.driver = driver;
    // Layerbox's folders exist before the first program can run, so that they are hidden even
    // when it is given the home read-write (a folder created later would not be).
    plan.storage.dataRoot = plan.paths.dataDir();
    LB_ASSIGN(plan.storage.ownDirs, layerboxOwnDirs(plan.paths, plan.mountContext.bindPolicy));
    plan.storage.ephemeral = p.filesystem.ephemeral;
    if (!plan.storage.ephemeral) {
        LB_ASSIGN(plan.storage.dataDir, prepareSandboxDir(plan.paths, p.name));
        // A full disk does not stop a launch, but the program's writes will fail: say so.
        struct statvfs sv;
        if (::statvfs(plan.storage.dataDir.c_str(), &sv) == 0) {
            uint64_t free = static_cast<uint64_t>(sv.f_bavail) * sv.f_frsize;
            if (free < (32ull << 20))
                std::fprintf(
                    stderr,
                    "layerbox: warning: only %s free in %s: the sandbox cannot keep its changes "
                    "(see layerbox layer du)\n",
                    formatSize(free).c_str(), plan.storage.dataDir.c_str());
        }
        // The last sandbox of this profile may still be unmounting its layer: the setup
        // process waits for that right before it mounts the layer (setup_process.cpp).
        auto lock = lockSandbox(plan.storage.dataDir, false);
        if (!lock) {
            if (lock.error().code() == EWOULDBLOCK) {
                // Reached only when the registry has no record of it (run joins a listed one):
                // name the process that holds it, so it can still be ended.
                const pid_t holder = sandboxLockHolder(plan.storage.dataDir);
                const std::string lost =
                    holder ? ", but its record in " + plan.paths.instancesDir() +
                                 " is gone, so it cannot be joined or stopped by name: 'kill " +
                                 std::to_string(holder) + "' ends it"
                           : "";
                return Error("profile " + quote(p.name) + " is already running" + lost +
                                 " (its changes can only be mounted once; use --ephemeral for a "
                                 "throw-away copy)",
                             EBUSY);
            }
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

    // Desktop (display, sound, GPU, D-Bus) from the user's session: its sockets and devices
    // join the mount plan, its variables the environment (desktop.h).
    // x11 "isolated": its X server is started now (its display number is part of the plan),
    // after the locks (a profile that is running is joined instead); it ends when `out` does,
    // so a later refusal leaves none behind.
    DesktopHost desktopHost = probeDesktopHost(p, plan.paths);
    std::string instanceDir = InstanceRegistry(plan.paths).dir();
    const DesktopContext desktopContext{"/run/user/" + std::to_string(plan.host.uid),
                                        p.network.hostname, instanceDir, plan.instance};
    if (p.desktop.x11 == X11Mode::Isolated)
        out.nestedX11 = startIsolatedDisplay(
            nestedX11Title(p.title, p.name), desktopHost, instanceDir, plan.instance,
            joinPath(plan.paths.logDir(), plan.instance + "-xephyr.log"));
    // 2. The D-Bus proxy starts while the nested server does (neither needs the other; issue
    // 25: ~25 ms of the browsers' launch); it listens before the setup process binds its
    // sockets into the sandbox (runSandbox waits for it). It ends when `out` does.
    if (DbusProxyPlan bus = planDesktopBus(p, desktopHost, desktopContext); bus.wanted()) {
        auto proxy =
            DbusProxy::start(bus, plan.paths.logDir() + "/" + plan.instance + "-dbus-proxy.log",
                             p.security.activityLog);
        if (!proxy) return std::move(proxy).error().wrap("starting xdg-dbus-proxy");
        out.dbus = std::move(*proxy);
    }
    if (out.nestedX11) {
        out.nestedX11 = finishIsolatedDisplay(
            std::move(out.nestedX11), desktopHost,
            parseClipboardPolicy(p.desktop.clipboard).value_or(ClipboardPolicy::None));
        plan.trace("nested X server ready");
    }
    plan.desktop = planDesktop(p, desktopHost, desktopContext);
    plan.x11 = plan.desktop.env.count("DISPLAY") ? x11ModeName(p.desktop.x11) : "off";
    // A graphical program in a profile without a display would only say "cannot open
    // display" from inside: say why, and what to do, before it starts (desktop/display_need.h).
    if (std::string w = checkProgramDisplay(p, plan.argv[0]); !w.empty())
        std::fprintf(stderr, "layerbox: warning: %s\n", safeLine(w).c_str());
    if (plan.x11 == "isolated") {
        plan.x11HostDisplay = ":" + desktopHost.nestedX11Number;
        plan.x11AuthFile = joinPath(instanceDir, plan.instance + ".xauth");
    } else if (plan.x11 == "host") {
        plan.x11HostDisplay = desktopHost.var("DISPLAY");
    }
    {
        LB_ASSIGN(ResolvedGrants files,
                  resolveGrants(o, p, plan.paths, plan.storage.ownDirs, plan.host.home,
                                plan.argv[0], !plan.storage.ephemeral));
        plan.grants = std::move(files.grants);
        plan.program = files.program;
        plan.earlierGrants = std::move(files.earlier);
    }
    std::vector<MountOp> grantMounts;
    for (const auto& g : plan.grants) {
        grantMounts.push_back(planGrantMount(g));
        // A file given at an earlier run that cannot be shown now (the sandbox put a link on
        // its way) is left out, rather than keeping the sandbox from starting.
        for (const auto& e : plan.earlierGrants)
            if (e == g.path) grantMounts.back().optional = true;
    }
    plan.mounts = planMounts(p, plan.host, plan.storage, plan.desktop.mounts, grantMounts);
    // An AppImage (base/appimage.h) is not run through its own runtime (which needs a setuid
    // fusermount): squashfuse serves its payload from outside and its AppRun runs.
    std::optional<AppImageFile> appImage;
    if (plan.argv[0].find('/') != std::string::npos) {
        LB_ASSIGN(appImage, readAppImage(grantPath(plan.argv[0], hostCwd())));
    }
    if (appImage) {
        planAppImageMount(plan.mounts, appImage->path, appImage->offset, appImage->dev,
                          appImage->ino);
        plan.mountContext.squashfuse = findExecutable("squashfuse");
        if (plan.mountContext.squashfuse.empty())
            return Error("squashfuse is not installed; it is needed to run the AppImage " +
                             quote(appImage->path) + " (sudo apt-get install squashfuse)",
                         ENOENT);
    }
    plan.mountContext.stagingDir = joinPath(plan.paths.runtimeStateDir(), "staging");
    LB_TRY_CTX(makeDirs(plan.mountContext.stagingDir, 0700), "creating the runtime directory");
    plan.mountContext.verbose = o.verbose;
    if (plan.mounts.usesFuse) {
        plan.mountContext.fuseOverlayfs = findExecutable("fuse-overlayfs");
        if (plan.mountContext.fuseOverlayfs.empty())
            return Error(
                "fuse-overlayfs is not installed and kernel overlayfs is not usable here "
                "(see layerbox doctor)",
                ENOENT);
    }
    plan.ids = planIdMaps(plan.host.uid, plan.host.gid);

    EnvContext ec;
    ec.home = plan.mounts.home;
    ec.user = plan.host.user;
    ec.shell = plan.host.shell;
    ec.runtimeDir = plan.mounts.runtimeDir;
    ec.profile = p.name;
    ec.instance = plan.instance;
    ec.extra = plan.desktop.env;
    plan.envContext = ec;
    plan.env = planEnvironment(p.environment, currentEnvironment(), ec);
    if (appImage) planAppImageRun(plan.argv, plan.env, appImage->path, hostCwd());

    if (!o.cwd.empty()) {
        plan.cwd = o.cwd;
    } else if (char* cwd = ::getcwd(nullptr, 0)) {
        plan.cwd = cwd;
        std::free(cwd);
    }
    plan.hostname = p.network.hostname;
    plan.usePty = o.allowPty && TerminalRelay::wanted();
    plan.trace("plan ready");
    return out;
}

// The persistent (non-ephemeral) running instance of a profile, waiting briefly for a sandbox
// that is still starting to publish its record.
std::optional<InstanceRecord> findRunning(const std::string& profileArg) {
    InstanceRegistry registry(Paths::fromEnvironment());
    std::string name = profileArg;
    if (name.find('/') != std::string::npos || endsWith(name, ".json")) {
        name = baseName(name);
        if (endsWith(name, ".json")) name.resize(name.size() - 5);
    }
    for (int i = 0; i < 100; ++i) {
        for (auto& r : registry.list())
            if (r.profile == name && !r.ephemeral) return r;
        ::usleep(20000);
    }
    return std::nullopt;
}

// The signals the runner relays to the program.
const int kRelayed[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

}  // namespace

int runSandbox(const RunOptions& o) {
    StatusEvents events(o.statusFd);
    auto end = [&](const Outcome& out, const std::string& instance) {
        printOutcome(out);
        events.exited(instance, out);
        return out.status;
    };
    auto fail = [&](const Error& e) { return end(Outcome::setupFailed(e.message()), {}); };

    // 1. Decide everything. A profile whose sandbox runs is joined instead; if that sandbox
    // ends between the two (launches racing), start again.
    auto prepared = prepare(o);
    for (int attempt = 0; attempt < 5 && !prepared && prepared.error().code() == EBUSY &&
                          !o.ephemeral.value_or(false);
         ++attempt) {
        auto running = findRunning(o.profile);
        if (running) {
            if (o.driver || o.network || !o.extraBinds.empty())
                std::fprintf(stderr,
                             "layerbox: warning: %s is already running; joining it as it is "
                             "(--driver, --net and --bind only apply to a new sandbox)\n",
                             running->profile.c_str());
            // The files go to the running sandbox before the command starts.
            JoinOptions jo;
            jo.argv = o.command;
            jo.allowPty = o.allowPty;
            jo.verbose = o.verbose;
            jo.statusFd = o.statusFd;
            ProfileStore store(Paths::fromEnvironment());
            auto profile = loadProfile(store, o.profile);
            if (!profile) return fail(profile.error());
            std::string program = !o.command.empty()         ? o.command.front()
                                  : running->command.empty() ? std::string()
                                                             : running->command.front();
            // An AppImage needs its mount, which only a new sandbox makes.
            if (program.find('/') != std::string::npos) {
                auto image = readAppImage(grantPath(program, hostCwd()));
                if (!image) return fail(image.error());
                if (*image)
                    return fail(
                        Error("profile " + quote(running->profile) +
                                  " is already running; an AppImage starts only in a new sandbox "
                                  "(add --ephemeral)",
                              EBUSY));
            }
            const Paths paths = Paths::fromEnvironment();
            auto own = layerboxOwnDirs(paths, HostBindPolicy::forUser(paths));
            if (!own) return fail(own.error());
            auto files =
                resolveGrants(o, *profile, paths, *own, HostInfo::probe().home, program, false);
            if (!files) return fail(files.error());
            jo.grants = files->grants;
            jo.program = files->program;
            auto joined = joinInstance(*running, jo);
            if (!joined.sandboxGone) return joined.outcome.status;
        }
        prepared = prepare(o);
    }
    if (!prepared) return fail(prepared.error());
    const LaunchPlan& plan = prepared->plan;

    // The channel, and the signals the runner handles itself from now on.
    auto chan = makeChannel();
    if (!chan) return fail(chan.error());
    sigset_t mask, old;
    sigemptyset(&mask);
    for (int s : kRelayed)
        sigaddset(&mask, s);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGWINCH);
    sigaddset(&mask, stopControlSignal());  // layerbox stop (instances.h)
    ::sigprocmask(SIG_BLOCK, &mask, &old);
    UniqueFd sfd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sfd.valid()) return fail(Error::fromErrno("signalfd"));

    // Without a pty, a terminal on stdin, stdout or stderr is relayed through a pipe: a
    // descriptor of the caller's terminal never enters the sandbox (terminal.h). Files and
    // pipes the caller redirected are handed over as they are (that is what was asked for).
    StdioRelay stdio;
    if (!plan.usePty) {
        auto r = StdioRelay::create(StdioRelay::terminals());
        if (!r) return fail(r.error());
        stdio = std::move(*r);
    }

    // 2. The D-Bus proxy (started in prepare()) listens before the setup process binds its
    // sockets into the sandbox.
    std::unique_ptr<DbusProxy> dbus = std::move(prepared->dbus);
    if (dbus) {
        if (auto s = dbus->waitReady(10000); !s) return fail(s.error());
        plan.trace("dbus proxy ready");
    }

    // Without "Go" (no scope, no nat) nothing waits before the program starts: the nested
    // server's keyboard layout is waited for here instead (else in the Supervisor, before "Go").
    if (!plan.waitForRunner && prepared->nestedX11) prepared->nestedX11->finishKeyboard(5000);

    // 3. The setup process does steps 4-12. With a scope, it is born in the scope's cgroup,
    // made here ahead of the user manager (resources/scope_cgroup.h): no move of a running
    // process, which waits for the kernel. Where that cannot be (no user manager's socket, or
    // its cgroup is not above this process, a kernel before 5.7), a plain fork, and the manager
    // moves it.
    ScopeCgroup placed;
    pid_t setup = -1;
    if (plan.wantScope && !managerSocket().empty()) {
        if (auto c = makeScopeCgroup(plan.scopePlan.slice, plan.scopePlan.unit)) {
            placed = std::move(*c);
            // The sandbox's /sys/fs/cgroup binds it (isolation/mounts.cpp says why).
            prepared->plan.mountContext.scopeCgroup = placed.dir;
            setup = forkIntoCgroup(placed.fd.get());
            if (setup < 0) {
                if (plan.verbose)
                    std::fprintf(stderr, "layerbox: not born in the scope's cgroup: %s\n",
                                 std::strerror(errno));
                removeScopeCgroup(placed.dir);
                placed = {};
                prepared->plan.mountContext.scopeCgroup.clear();
            }
        } else if (plan.verbose) {
            std::fprintf(stderr, "layerbox: the scope's cgroup is not made ahead: %s\n",
                         c.error().message().c_str());
        }
    }
    if (setup < 0) setup = ::fork();
    if (setup < 0) return fail(Error::fromErrno("fork"));
    if (setup > 0 && plan.verbose && placed.fd.valid())
        std::fprintf(stderr, "layerbox: the setup process starts in the scope's cgroup: %s\n",
                     placed.dir.c_str());
    if (setup == 0) {
        ::sigprocmask(SIG_SETMASK, &old, nullptr);
        chan->first.reset();
        const auto& ends = stdio.sandboxEnds();
        for (int i = 0; i < 3; ++i)
            if (ends[i].valid()) ::dup2(ends[i].get(), i);
        setupProcessMain(plan, chan->second.get());
    }
    chan->second.reset();
    stdio.closeSandboxEnds();

    // 5, 13: the runner's side of the running sandbox.
    Outcome out;
    {
        Supervisor sup(plan, chan->first.get(), setup, events);
        sup.adoptDbusProxy(std::move(dbus));
        sup.adoptNestedX11(std::move(prepared->nestedX11));
        sup.adoptStdio(std::move(stdio));
        sup.adoptHostWatch(std::move(prepared->hostWatch));
        if (setup > 0 && placed.fd.valid()) sup.placedIn(placed.dir);
        placed.fd.reset();
        // With "nat" the scope is asked for once slirp4netns and the firewall have started (as
        // soon as the namespaces exist): they take longer than the user manager's job.
        if (plan.wantScope && plan.profile.network.mode != NetMode::Nat) sup.createScope();
        out = sup.run(sfd.get());
    }
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    // 14.
    const int status = end(out, plan.instance);
    // The runner exits right after this (cmd_run.cpp): its plan is left to the exit rather than
    // freed here (issue 25: since the fork, each heap page free() writes to is a copy-on-write
    // fault, about 20 of them for nothing). Everything with an effect (locks, the scope, helper
    // processes, the instance record) has been let go by now or is by the exit.
#ifndef __SANITIZE_ADDRESS__  // the sanitizer build frees it, so that leak checks still see all
    new Result<Prepared>(std::move(prepared));
#endif
    return status;
}

}  // namespace lb
