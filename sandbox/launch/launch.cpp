// The orchestrator: the launch of one sandbox, step by step. Every concern lives in its own
// file; this one only says in which order they run and who runs them.
//
//   runner (this process, on the host)
//     1. load the profile and decide everything: mounts, seccomp filter, environment, ids
//        (and start xdg-dbus-proxy when the profile has a bus: step 5 binds its sockets)
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
#include "launch/launch.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <vector>

#include "base/jsonw.h"
#include "desktop/dbusproxy.h"
#include "isolation/environment.h"
#include "isolation/seccomp.h"
#include "launch/channel.h"
#include "launch/instances.h"
#include "launch/join.h"
#include "launch/launch_plan.h"
#include "launch/recoverable.h"
#include "launch/status_events.h"
#include "launch/terminal.h"
#include "layers/storage.h"
#include "network/network.h"
#include "network/slirp.h"
#include "profile/profile_store.h"
#include "resources/cgroup.h"

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
    UniqueFd instanceLock;  // held for the sandbox's lifetime: its record is live while held
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
    {
        InstanceRegistry registry(plan.paths);
        LB_ASSIGN(out.instanceLock, registry.claim(plan.instance));
    }

    // Resources: a systemd user scope. Refuse early when the profile requires limits that
    // this host cannot apply.
    plan.wantScope = !o.noScope;
    plan.scope = planScope(p.name, plan.instance, p.resources);
    if (p.resources.requireLimits && p.resources.hasAnyLimit()) {
        std::string why;
        if (o.noScope || !userManagerAvailable(&why))
            return Error("profile " + quote(p.name) + " requires its limits, but " +
                             (o.noScope ? std::string("--no-scope was given") : why) +
                             " (see layerbox doctor)",
                         ENOTSUP);
        auto report = planLimitsReport(plan.scope, delegatedControllers());
        if (!report.recorded.empty()) {
            std::string names;
            for (const auto& n : report.recorded)
                names += (names.empty() ? "" : ", ") + n;
            return Error("profile " + quote(p.name) +
                             " requires its limits, but this host does not "
                             "enforce " +
                             names + " (no delegated cgroup controller; see layerbox doctor)",
                         ENOTSUP);
        }
    }
    // Network: slirp4netns is started by the runner once the namespaces exist; the firewall is
    // loaded by the setup process.
    if (p.network.mode == NetMode::Nat) {
        plan.slirp = probeSlirp(joinPath(plan.paths.cacheHome, "layerbox/slirp4netns-features"));
        if (plan.slirp.path.empty())
            return Error(
                "slirp4netns is not installed; it is needed for network mode \"nat\" "
                "(see layerbox doctor)",
                ENOENT);
        plan.firewall = planFirewall(p.network);
    }
    plan.syncBeforeMounts = plan.wantScope || p.network.mode == NetMode::Nat;

    std::string why;
    LB_ASSIGN(Driver driver, resolveDriver(p.filesystem.driver, plan.paths, &why));
    if (plan.verbose && p.filesystem.driver == Driver::Auto && driver == Driver::Fuse)
        std::fprintf(stderr, "layerbox: using fuse-overlayfs: %s\n", why.c_str());
    plan.storage.driver = driver;
    plan.storage.dataRoot = plan.paths.dataDir();
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

    // Desktop (display, sound, GPU, D-Bus) from the user's session: its sockets and devices
    // join the mount plan, its variables the environment (desktop.h).
    plan.desktop = planDesktop(p, probeDesktopHost(p, plan.paths),
                               {"/run/user/" + std::to_string(plan.host.uid), p.network.hostname,
                                InstanceRegistry(plan.paths).dir(), plan.instance});
    plan.mounts = planMounts(p, plan.host, plan.storage, plan.desktop.mounts);
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
    plan.seccompPlan = planSeccomp(p.security);  // compiled by the setup process

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

class Supervisor {
public:
    Supervisor(const LaunchPlan& plan, int channel, pid_t setup, const StatusEvents& events)
        : plan_(plan), channel_(channel), setup_(setup), events_(events), registry_(plan.paths) {}

    // Step 11: until the setup process (and so the whole sandbox) is gone.
    int run(int signalFd) {
        for (const auto& w : plan_.desktop.warnings)
            warn(w);
        bool setupDone = false;
        int setupStatus = 0;
        bool channelOpen = true;
        while (!setupDone || channelOpen) {
            std::vector<struct pollfd> pfd = {{signalFd, POLLIN, 0}};
            size_t chanIdx = 0, listenIdx = 0;
            if (channelOpen) {
                chanIdx = pfd.size();
                pfd.push_back({channel_, POLLIN, 0});
            }
            if (listener_.valid()) {
                listenIdx = pfd.size();
                pfd.push_back({listener_.get(), POLLIN, 0});
            }
            // The clients polled in this round: accept() and handle() below may add or drop
            // clients, so the poll slots are matched by this list, not by clients_ itself.
            size_t clientsIdx = pfd.size();
            std::vector<std::string> tokens;
            for (const auto& [token, fd] : clients_) {
                tokens.push_back(token);
                pfd.push_back({fd.get(), POLLIN, 0});
            }
            relay_.addTo(pfd);
            if (::poll(pfd.data(), pfd.size(), -1) < 0) {
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
                        if (slirp_ && slirp_->pid() > 0 &&
                            ::waitpid(slirp_->pid(), &status, WNOHANG) == slirp_->pid())
                            networkLost(status);
                        if (dbus_ && dbus_->pid() > 0 &&
                            ::waitpid(dbus_->pid(), &status, WNOHANG) == dbus_->pid())
                            busLost(status);
                    } else if (sig == SIGWINCH) {
                        relay_.copyWindowSize();
                    } else {
                        (void)sendMessage(channel_, "signal", std::to_string(sig));
                    }
                }
            }
            if (chanIdx && (pfd[chanIdx].revents & (POLLIN | POLLHUP | POLLERR))) {
                auto m = receiveMessage(channel_);
                if (!m || !m->has_value()) {
                    channelOpen = false;
                } else {
                    handle(**m);
                }
            }
            if (listenIdx && (pfd[listenIdx].revents & POLLIN)) accept();
            for (size_t i = 0; i < tokens.size(); ++i)
                if (pfd[clientsIdx + i].revents & (POLLIN | POLLHUP | POLLERR))
                    clientMessage(tokens[i]);
            relay_.handle(pfd);
        }
        relay_.restore();
        listener_.reset();
        clients_.clear();  // joined callers see the end of the sandbox
        return finish(setupStatus);
    }

    ~Supervisor() {
        relay_.restore();
        registry_.remove(plan_.instance);
    }

    // The D-Bus proxy, started before the setup process; it ends with the sandbox.
    void adoptDbusProxy(std::unique_ptr<DbusProxy> proxy) { dbus_ = std::move(proxy); }

    // Step 4, scope: asked for right after the fork, while the setup process creates the
    // namespaces and mounts, so the D-Bus round trips to the user manager overlap with that
    // work. The setup process starts processes only after "scoped" (fuse daemons) and "go"
    // (PID 1), so that each of them is born inside the scope.
    void createScope() {
        askForScope();
        (void)sendMessage(channel_, "scoped");
    }

    // Joining: a control socket in the user's runtime directory (mode 0700, unreachable from
    // inside any sandbox), opened once the program runs.
    void listen() {
        std::string path = registry_.socketPath(plan_.instance);
        UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        struct sockaddr_un addr = {};
        addr.sun_family = AF_UNIX;
        if (!fd.valid() || path.size() >= sizeof addr.sun_path) return;
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        ::unlink(path.c_str());
        mode_t old = ::umask(077);
        int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::umask(old);
        if (rc != 0 || ::listen(fd.get(), 16) != 0) {
            warn("cannot open the control socket: " +
                 Error::fromErrno("bind(" + quote(path) + ")").message());
            return;
        }
        listener_ = std::move(fd);
    }

private:
    void accept() {
        UniqueFd c(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!c.valid()) return;
        // Only our own user, even though the directory already keeps everyone else out.
        struct ucred cred;
        socklen_t len = sizeof cred;
        if (::getsockopt(c.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
            cred.uid != ::getuid())
            return;
        clients_[std::to_string(++nextToken_)] = std::move(c);
    }

    void clientMessage(const std::string& token) {
        auto it = clients_.find(token);
        if (it == clients_.end()) return;  // dropped earlier in this round
        int fd = it->second.get();
        auto m = receiveMessage(fd);
        if (!m || !m->has_value()) {
            // The caller went away: its program goes too, as the sandbox does with its runner.
            (void)sendMessage(channel_, "jsignal", token + " " + std::to_string(SIGKILL));
            clients_.erase(token);
            return;
        }
        Message& msg = **m;
        if (msg.type == "signal") {
            (void)sendMessage(channel_, "jsignal", token + " " + msg.payload);
        } else if (msg.type == "exec") {
            auto req = decodeExecRequest(msg.payload);
            if (!req) {
                (void)sendMessage(fd, "exit", "error malformed request");
                return;
            }
            // The program gets the profile's environment, built from the caller's.
            req->env = planEnvironment(plan_.profile.environment, req->env, plan_.envContext);
            if (req->argv.empty()) req->argv = plan_.argv;
            std::vector<int> fds;
            if (msg.fd.valid()) fds.push_back(msg.fd.get());
            for (auto& f : msg.more)
                fds.push_back(f.get());
            if (!req->pty && fds.size() != 3) {
                (void)sendMessage(fd, "exit", "error expected stdin, stdout and stderr");
                return;
            }
            (void)sendMessage(channel_, "exec", token + '\x1d' + encodeExecRequest(*req), fds);
        }
    }

    // Messages from PID 1 about joined programs, forwarded to their callers.
    void joinedMessage(Message& m) {
        std::string token = m.payload.substr(0, m.payload.find(' '));
        auto it = clients_.find(token);
        if (it == clients_.end()) return;
        std::string rest =
            m.payload.size() > token.size() ? m.payload.substr(token.size() + 1) : "";
        if (m.type == "jstart") {
            (void)sendMessage(it->second.get(), "started", std::to_string(m.senderPid));
        } else if (m.type == "jpty") {
            (void)sendMessage(it->second.get(), "pty", {}, m.fd.get());
        } else if (m.type == "jfail") {
            (void)sendMessage(it->second.get(), "exit", "execfail " + rest);
            clients_.erase(it);
        } else if (m.type == "jexit") {
            (void)sendMessage(it->second.get(), "exit", rest);
            clients_.erase(it);
        }
    }

    void handle(Message& m) {
        if (m.type == "error") {
            if (setupError_.empty()) setupError_ = m.payload;
        } else if (m.type == "app") {
            programPid_ = m.senderPid;
            plan_.trace("program started");
            publishRecord();
            listen();
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
                    .strings(plan_.argv);
                if (scope_.unit.empty())
                    w.key("scope").null();
                else
                    w.field("scope", scope_.unit);
                w.key("limits").beginObject().key("enforced").strings(limits_.enforced);
                w.key("recorded").strings(limits_.recorded).endObject();
                w.endObject();
                events_.emit(w.str());
            }
        } else if (m.type == "pty" && m.fd.valid()) {
            relay_.attach(std::move(m.fd));
        } else if (m.type == "jstart" || m.type == "jpty" || m.type == "jfail" ||
                   m.type == "jexit") {
            joinedMessage(m);
        } else if (m.type == "exit") {
            programExit_ = m.payload;
        } else if (m.type == "execfail") {
            execErrno_ = std::atoi(m.payload.c_str());
        } else if (m.type == "recoverable") {
            decodeRecoverable(m.payload, recoverable_);  // recover_watch, ephemeral sandboxes
        } else if (m.type == "warning") {
            warn(m.payload);
        } else if (m.type == "died") {
            diedSignal_ = std::atoi(m.payload.c_str());
        } else if (m.type == "nsready") {
            // The namespaces exist (the scope was asked for right after the fork).
            if (plan_.profile.network.mode == NetMode::Nat) {
                if (auto s = startNetwork(); !s) {
                    // Nothing has started inside yet: the setup process gives up on "abort".
                    if (setupError_.empty()) setupError_ = s.error().message();
                    (void)sendMessage(channel_, "abort");
                    return;
                }
            }
            (void)sendMessage(channel_, "go");
        }
    }

    void warn(const std::string& text) {
        std::fprintf(stderr, "layerbox: warning: %s\n", text.c_str());
        if (events_.enabled()) {
            JsonWriter w;
            w.beginObject().field("event", "warning").field("message", text).endObject();
            events_.emit(w.str());
        }
    }

    void askForScope() {
        std::vector<std::string> warnings;
        auto scope = startScope(plan_.scope, setup_, warnings);
        for (const auto& w : warnings)
            warn(w);
        std::vector<std::string> names;
        for (const auto& l : plan_.scope.limits)
            names.push_back(l.key);
        if (!scope) {
            // Still run, and say once which limits are not applied.
            limits_.recorded = names;
            if (!names.empty()) {
                std::string list;
                for (const auto& n : names)
                    list += (list.empty() ? "" : ", ") + n;
                warn("no systemd scope (" + scope.error().message() + "): " + list +
                     " not applied");
            } else if (plan_.verbose) {
                std::fprintf(stderr, "layerbox: no systemd scope: %s\n",
                             scope.error().message().c_str());
            }
            return;
        }
        scope_ = *scope;
        limits_ = planLimitsReport(plan_.scope, delegatedControllers());
        if (plan_.verbose) {
            std::fprintf(stderr, "layerbox: scope %s (%s)\n", scope_.unit.c_str(),
                         scope_.cgroup.c_str());
            for (const auto& l : limits_.recorded)
                std::fprintf(stderr, "layerbox: %s is recorded but not enforced on this host\n",
                             l.c_str());
        }
        plan_.trace("scope ready");
    }

    // NAT through slirp4netns for the sandbox's network namespace (held by the setup process),
    // with the profile's port forwards; the program starts only after this.
    Status startNetwork() {
        std::string logDir = plan_.paths.logDir();
        LB_TRY(makeDirs(logDir, 0700));
        LB_ASSIGN(slirp_, Slirp::start(plan_.profile.network, plan_.slirp, setup_,
                                       registry_.dir() + "/" + plan_.instance + ".slirp",
                                       logDir + "/" + plan_.instance + "-slirp4netns.log"));
        LB_TRY_CTX(slirp_->waitReady(10000), "setting up the network");
        for (const auto& p : plan_.profile.network.ports)
            LB_TRY(slirp_->addForward(p));
        plan_.trace("network ready");
        return Ok();
    }

    // slirp4netns died: the sandbox goes on without network, and says so once; its log stays.
    void networkLost(int status) {
        slirp_->markExited();
        slirpDied_ = true;
        if (setupError_.empty() && programPid_ != 0) {
            std::string why = WIFSIGNALED(status)
                                  ? "killed by signal " + std::to_string(WTERMSIG(status))
                                  : "exited with status " + std::to_string(WEXITSTATUS(status));
            std::string msg = "slirp4netns " + why +
                              "; the sandbox has no network now (log: " + slirp_->logPath() + ")";
            std::fprintf(stderr, "layerbox: warning: %s\n", msg.c_str());
            if (events_.enabled()) {
                JsonWriter w;
                w.beginObject().field("event", "network-lost").field("instance", plan_.instance);
                w.field("message", msg).field("log", slirp_->logPath()).endObject();
                events_.emit(w.str());
            }
        }
    }

    // xdg-dbus-proxy died: the program goes on without its buses, and this is said once.
    void busLost(int status) {
        dbus_->markExited();
        dbusDied_ = true;
        if (!setupError_.empty()) return;
        std::string why = WIFSIGNALED(status)
                              ? "killed by signal " + std::to_string(WTERMSIG(status))
                              : "exited with status " + std::to_string(WEXITSTATUS(status));
        std::string msg = "xdg-dbus-proxy " + why +
                          "; the sandbox has no D-Bus now (log: " + dbus_->logPath() + ")";
        std::fprintf(stderr, "layerbox: warning: %s\n", msg.c_str());
        if (events_.enabled()) {
            JsonWriter w;
            w.beginObject().field("event", "dbus-lost").field("instance", plan_.instance);
            w.field("message", msg).field("log", dbus_->logPath()).endObject();
            events_.emit(w.str());
        }
    }

    void publishRecord() {
        InstanceRecord r;
        r.id = plan_.instance;
        r.profile = plan_.profile.name;
        r.runnerPid = ::getpid();
        r.setupPid = setup_;
        r.pid = programPid_;
        r.command = plan_.argv;
        r.startedUnix = static_cast<int64_t>(::time(nullptr));
        r.scope = scope_.unit;
        r.cgroup = scope_.cgroup;
        r.network = plan_.profile.network.mode == NetMode::Nat ? "nat" : "none";
        r.driver = driverName(plan_.storage.driver);
        r.ephemeral = plan_.storage.ephemeral;
        r.hostname = plan_.hostname;
        r.socket = registry_.socketPath(plan_.instance);
        r.limitsEnforced = limits_.enforced;
        r.limitsRecorded = limits_.recorded;
        if (auto s = registry_.publish(r); !s)
            warn("cannot record the instance: " + s.error().message());
    }

    int finish(int setupStatus) {
        // slirp4netns ends with the sandbox; its log is only kept when something went wrong.
        if (slirp_) {
            slirp_->stop();
            if (!slirpDied_ && setupError_.empty()) ::unlink(slirp_->logPath().c_str());
        }
        if (dbus_) {
            dbus_->stop();
            if (!dbusDied_ && setupError_.empty()) ::unlink(dbus_->logPath().c_str());
        }
        int code;
        if (!setupError_.empty()) {
            std::fprintf(stderr, "layerbox: error: %s\n", setupError_.c_str());
            code = kExitSetupFailed;
        } else if (execErrno_ != 0) {
            std::fprintf(stderr, "layerbox: error: cannot run %s: %s\n",
                         quote(plan_.argv[0]).c_str(), strerrordesc_np(execErrno_));
            code = execErrno_ == ENOENT ? kExitNotFound : kExitNotExecutable;
        } else if (diedSignal_ != 0 && programExit_.empty()) {
            std::fprintf(stderr,
                         "layerbox: error: PID 1 of the sandbox was killed (signal %d); everything "
                         "in it has ended\n",
                         diedSignal_);
            code = 128 + diedSignal_;
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
        // recover_watch (issue 6): new files in the watched folders are listed for recovery,
        // on stderr and as a "recoverable" event before "exited" (see recover_watch.h).
        if (setupError_.empty()) reportRecoverable(plan_, recoverable_, startedNs_, events_);
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
    TerminalRelay relay_;
    UniqueFd listener_;
    std::map<std::string, UniqueFd> clients_;  // joined callers by token
    int nextToken_ = 0;
    pid_t programPid_ = 0;
    std::string programExit_;
    std::string setupError_;
    int execErrno_ = 0;
    int diedSignal_ = 0;  // PID 1 killed from outside
    InstanceRegistry registry_;
    ScopeInfo scope_;
    LimitsReport limits_;
    std::vector<RecoverableFile> recoverable_;  // recover_watch: sent by the setup process
    int64_t startedNs_ = wallClockNs();         // recover_watch: files changed since are "new"
    std::unique_ptr<Slirp> slirp_;
    bool slirpDied_ = false;
    std::unique_ptr<DbusProxy> dbus_;
    bool dbusDied_ = false;
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
            bool ended = false;
            int code = joinInstance(*running, o.command, o.allowPty, o.verbose, o.statusFd, &ended);
            if (!ended) return code;
        }
        prepared = prepare(o);
    }
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

    // The D-Bus proxy listens before the setup process binds its sockets into the sandbox.
    std::unique_ptr<DbusProxy> dbus;
    if (plan.desktop.dbusProxy.wanted()) {
        auto proxy = DbusProxy::start(
            plan.desktop.dbusProxy, plan.paths.logDir() + "/" + plan.instance + "-dbus-proxy.log");
        if (!proxy) return fail(proxy.error().wrap("starting xdg-dbus-proxy"));
        if (auto s = (*proxy)->waitReady(10000); !s) return fail(s.error());
        dbus = std::move(*proxy);
        plan.trace("dbus proxy ready");
    }

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
    sup.adoptDbusProxy(std::move(dbus));
    if (plan.wantScope) sup.createScope();
    int code = sup.run(sfd.get());
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    return code;
}

}  // namespace lb
