#include "launch/supervisor.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "base/code_pages.h"
#include "base/fsutil.h"
#include "launch/instances.h"
#include "launch/launch_plan.h"
#include "launch/recoverable.h"
#include "network/network.h"
#include "resources/cgroup.h"
#include "resources/scope_cgroup.h"

namespace lb {

Supervisor::Supervisor(const LaunchPlan& plan, int channel, pid_t setup, const StatusEvents& events)
    : plan_(plan)
    , channel_(channel)
    , setup_(setup)
    , events_(events)
    , registry_(std::make_unique<InstanceRegistry>(plan.paths))
    , joins_(plan, channel, setup, [this](const std::string& w) { warn(w); })
    , hostNets_(plan.hostNetworks) {}

Supervisor::~Supervisor() {
    terminal_.restore();
    registry_->remove(plan_.instance);
}

void Supervisor::warn(const std::string& text) {
    std::fprintf(stderr, "layerbox: warning: %s\n", safeLine(text).c_str());
    events_.warning(text);
}

void Supervisor::placedIn(std::string cgroupDir) {
    placedCgroup_ = std::move(cgroupDir);
    // Born in the scope's cgroup: whatever the setup process starts is in it too, already.
    (void)sendMessage(channel_, Msg::Scoped);
}

void Supervisor::createScope() {
    std::vector<std::string> warnings;
    // The nested X server joins the scope: its limits, freeze and kill cover it too.
    std::vector<pid_t> pids = {setup_};
    if (nestedX11_ && nestedX11_->pid() > 0) pids.push_back(nestedX11_->pid());
    if (nestedX11_ && nestedX11_->clipboardPid() > 0) pids.push_back(nestedX11_->clipboardPid());
    auto scope = startScope(plan_.scopePlan, pids, warnings, placedCgroup_);
    // The setup process is in the scope now (or there is none): it may go on at once; what
    // follows is only this runner's bookkeeping.
    if (placedCgroup_.empty()) (void)sendMessage(channel_, Msg::Scoped);
    if (scope) plan_.trace("scope ready");
    for (const auto& w : warnings)
        warn(w);
    std::vector<std::string> names;
    for (const auto& l : plan_.scopePlan.limits)
        names.push_back(l.key);
    if (!scope) {
        // Still run, and say once which limits are not applied.
        limits_.recorded = names;
        if (!names.empty())
            warn("no systemd scope (" + scope.error().message() + "): " + joinStrings(names) +
                 " not applied");
        else if (plan_.verbose)
            std::fprintf(stderr, "layerbox: no systemd scope: %s\n",
                         scope.error().message().c_str());
    } else {
        scopeInfo_ = *scope;
        limits_ = planLimitsReport(plan_.scopePlan, delegatedControllers());
        if (plan_.verbose) {
            std::fprintf(stderr, "layerbox: scope %s (%s)\n", scopeInfo_.unit.c_str(),
                         scopeInfo_.cgroup.c_str());
            for (const auto& l : limits_.recorded)
                std::fprintf(stderr, "layerbox: %s is recorded but not enforced on this host\n",
                             l.c_str());
        }
    }
}

namespace {
int64_t monotonicMs() {
    struct timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}
}  // namespace

void Supervisor::finishScopeJob(int timeoutMs, bool setupAlive) {
    const int64_t deadline = monotonicMs() + timeoutMs;
    for (;;) {
        auto result = scopeInfo_.job->check();
        if (!result) {
            if (plan_.verbose)
                std::fprintf(stderr, "layerbox: scope %s: %s\n", scopeInfo_.unit.c_str(),
                             result.error().message().c_str());
            break;
        }
        if (*result) {
            // Said only while the sandbox runs: a job that failed after it (the setup process
            // gone before the manager moved it) is of no consequence.
            if (**result != "done" && setupAlive)
                warn("systemd could not start " + scopeInfo_.unit + " (job " + **result +
                     "); pause, stop and the process list still use its cgroup");
            else
                plan_.trace("scope job done");
            // Done after the sandbox ended: the manager may have moved the setup process as it
            // exited (a move of an exiting process succeeds and does nothing), so that the
            // scope runs with nothing in it and never hears its cgroup empty: stopped below.
            jobLate_ = !setupAlive || programExit_.has_value() || setupEnded_.has_value();
            jobDone_ = **result == "done";
            break;
        }
        const int64_t left = deadline - monotonicMs();
        if (left <= 0) return;  // not yet: read again when its socket says so
        struct pollfd p = {scopeInfo_.job->fd(), POLLIN, 0};
        ::poll(&p, 1, static_cast<int>(left));
    }
    jobSettled_ = true;
}

Outcome Supervisor::run(int signalFd) {
    for (const auto& w : plan_.desktop.warnings)
        warn(w);
    // security.activity_log: the D-Bus proxy's --log output (desktop/dbus_activity.h).
    if (plan_.profile.security.activityLog && dbus_)
        if (UniqueFd pipe = dbus_->takeActivityPipe(); pipe.valid())
            activity().addDbus(std::move(pipe), dbus_->frontPid(), dbus_->logPath(),
                               [this] { return sandboxPids(); });
    bool setupDone = false;
    int setupStatus = 0;
    bool channelOpen = true;
    while (!setupDone || channelOpen) {
        std::vector<struct pollfd> pfd = {{signalFd, POLLIN, 0}};
        size_t chanIdx = 0;
        if (channelOpen) {
            chanIdx = pfd.size();
            pfd.push_back({channel_, POLLIN, 0});
        }
        size_t hostIdx = 0;
        if (networkUp_ && hostWatch_.fd() >= 0) {
            hostIdx = pfd.size();
            pfd.push_back({hostWatch_.fd(), POLLIN, 0});
        }
        size_t slirpIdx = 0;
        if (slirpProcess_ && slirpProcess_->readyPending()) {
            slirpIdx = pfd.size();
            pfd.push_back({slirpProcess_->readyFd(), POLLIN, 0});
        }
        size_t gateIdx = 0;
        if (execGate_.valid()) {
            gateIdx = pfd.size();
            pfd.push_back({execGate_.get(), POLLIN, 0});
        }
        size_t jobIdx = 0;
        if (scopeInfo_.job && !jobSettled_) {
            jobIdx = pfd.size();
            pfd.push_back({scopeInfo_.job->fd(), POLLIN, 0});
        }
        joins_.addTo(pfd);
        terminal_.addTo(pfd);
        stdio_.addTo(pfd);
        if (live_) live_->addTo(pfd);
        if (activity_) activity_->addTo(pfd);
        int timeout = live_ ? live_->timeoutMs() : -1;
        for (int t : {activity_ ? activity_->timeoutMs() : -1,
                      codeRelease_ ? codeRelease_->timeoutMs() : -1,
                      slirpProcess_ ? slirpProcess_->readyTimeoutMs() : -1})
            if (t >= 0) timeout = timeout < 0 ? t : std::min(timeout, t);
        if (::poll(pfd.data(), pfd.size(), timeout) < 0) {
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
                    if (slirpProcess_ && slirpProcess_->pid() > 0 &&
                        ::waitpid(slirpProcess_->pid(), &status, WNOHANG) == slirpProcess_->pid()) {
                        // Its ready byte first: an end before it is a failed launch.
                        if (slirpProcess_->readyPending()) slirpReady();
                        slirpProcess_->markExited();
                        slirpDied_ = true;
                        helperLost("slirp4netns", "network-lost", slirpProcess_->logPath(), status);
                    }
                    if (dnsFilter_ && dnsFilter_->pid() > 0 &&
                        ::waitpid(dnsFilter_->pid(), &status, WNOHANG) == dnsFilter_->pid()) {
                        dnsFilter_->markExited();
                        dnsFilterDied_ = true;
                        helperLost("the resolver", "dns-lost",
                                   plan_.paths.logDir() + "/" + plan_.instance + "-dns.log",
                                   status);
                    }
                    if (dbus_ && dbus_->pid() > 0 &&
                        ::waitpid(dbus_->pid(), &status, WNOHANG) == dbus_->pid()) {
                        dbus_->markExited();
                        dbusDied_ = true;
                        helperLost("xdg-dbus-proxy", "dbus-lost", dbus_->logPath(), status);
                    }
                    if (nestedX11_ && nestedX11_->pid() > 0 &&
                        ::waitpid(nestedX11_->pid(), &status, WNOHANG) == nestedX11_->pid()) {
                        nestedX11_->markExited();
                        nestedX11Died_ = true;
                        helperLost("Xephyr", "x11-lost", nestedX11_->logPath(), status);
                    }
                } else if (sig == SIGWINCH) {
                    terminal_.copyWindowSize();
                } else if (sig == stopControlSignal()) {
                    // layerbox stop: only its sigqueue, from this user, counts.
                    if (si.ssi_code != SI_QUEUE || si.ssi_uid != ::getuid()) continue;
                    if (si.ssi_int == kStopNoticeValue) {
                        stopRequested_ = true;  // its windows are asked to close first
                    } else if (si.ssi_int == kStopSignalValue) {
                        // SIGTERM to every process of the sandbox, not only the program's
                        // first one.
                        stopRequested_ = true;
                        (void)sendMessage(channel_, Msg::Stop);
                    }
                } else {
                    (void)sendMessage(channel_, Msg::Signal, encodeNumber(sig));
                }
            }
        }
        if (jobIdx && (pfd[jobIdx].revents & (POLLIN | POLLHUP | POLLERR)))
            finishScopeJob(0, !setupDone);
        if (chanIdx && (pfd[chanIdx].revents & (POLLIN | POLLHUP | POLLERR))) {
            auto m = receiveMessage(channel_);
            if (!m) warn("reading from the sandbox: " + m.error().message());
            if (!m || !m->has_value())
                channelOpen = false;
            else
                fromSandbox(**m);
            if (setupEnded_) {
                // The setup process is exiting; the kernel's unmounting is not waited for
                // (setup_process.cpp). It is reaped by whoever inherits it.
                setupDone = true;
                setupStatus = W_EXITCODE(*setupEnded_, 0);
                channelOpen = false;
            }
        }
        if (hostIdx && (pfd[hostIdx].revents & POLLIN)) hostNetworksChanged();
        if (slirpIdx && slirpProcess_->readyPending() &&
            ((pfd[slirpIdx].revents & (POLLIN | POLLHUP | POLLERR)) ||
             slirpProcess_->readyTimeoutMs() == 0))
            slirpReady();
        if (gateIdx && (pfd[gateIdx].revents & (POLLIN | POLLHUP | POLLERR))) readExecGate();
        joins_.handle(pfd);
        terminal_.handle(pfd);
        stdio_.handle(pfd);
        if (live_) live_->handle(pfd);
        if (activity_) activity_->handle(pfd);
        if (codeRelease_) codeRelease_->releaseIfDue();
    }
    activity_.reset();           // the log goes with the sandbox
    if (live_) live_->finish();  // recover_auto files written just before the end
    live_.reset();               // what is left is listed at exit (reportRecoverable)
    // Everything in the sandbox has gone, so the gate has no writer left: this read returns.
    if (execGate_.valid()) readExecGate();
    stdio_.drain();
    terminal_.restore();
    joins_.close();  // joined callers see the end of the sandbox
    return finish(setupStatus);
}

ActivityMonitor& Supervisor::activity() {
    if (!activity_) {
        activity_ = std::make_unique<ActivityMonitor>(
            registry_->dir() + "/" + plan_.instance + ".activity", plan_.seccompRules);
        activity_->flush();
    }
    return *activity_;
}

// The sandbox's processes: its scope's cgroup and those below it; without a scope, the program
// (the sandbox's first process) and its descendants (/proc/PID/task/TID/children, every thread).
std::vector<pid_t> Supervisor::sandboxPids() const {
    std::vector<pid_t> out;
    auto procs = [&](const std::string& dir) {
        if (auto t = readFile(dir + "/cgroup.procs")) {
            std::istringstream in(*t);
            for (pid_t p; in >> p;)
                out.push_back(p);
        }
    };
    if (!scopeInfo_.cgroup.empty()) {
        procs(scopeInfo_.cgroup);
        if (DIR* d = ::opendir(scopeInfo_.cgroup.c_str())) {  // and the cgroups below it
            while (dirent* e = ::readdir(d))
                if (e->d_type == DT_DIR && e->d_name[0] != '.')
                    procs(scopeInfo_.cgroup + "/" + e->d_name);
            ::closedir(d);
        }
    }
    if (!out.empty() || programPid_ <= 0) return out;
    std::vector<pid_t> todo = {programPid_};
    while (!todo.empty() && out.size() < 4096) {
        const pid_t p = todo.back();
        todo.pop_back();
        out.push_back(p);
        const std::string tasks = "/proc/" + std::to_string(p) + "/task";
        DIR* d = ::opendir(tasks.c_str());
        if (!d) continue;
        while (dirent* e = ::readdir(d)) {
            if (e->d_name[0] == '.') continue;
            if (auto t = readFile(tasks + "/" + e->d_name + "/children")) {
                std::istringstream in(*t);
                for (pid_t k; in >> k;)
                    todo.push_back(k);
            }
        }
        ::closedir(d);
    }
    return out;
}

void Supervisor::fromSandbox(Message& m) {
    if (joins_.fromSandbox(m)) return;
    switch (m.type) {
        case Msg::SetupFailed:
            if (setupError_.empty()) setupError_ = m.payload;
            break;
        case Msg::ProgramStarted: {
            programPid_ = m.senderPid;
            plan_.trace("program started");
            publishRecord();
            joins_.listen(registry_->socketPath(plan_.instance));
            // The files given are in place: a persistent profile keeps them (grant_store.h).
            joins_.recordGrants(plan_.grants);
            live_ = LiveRecover::start(
                plan_, events_, [this](const std::string& w) { warn(w); }, startedNs_);
            StartedEvent& e = started_;
            e.instance = plan_.instance;
            e.profile = plan_.profile.name;
            e.pid = programPid_;
            e.driver = driverName(plan_.storage.driver);
            e.ephemeral = plan_.storage.ephemeral;
            e.network = netModeName(plan_.profile.network.mode);
            e.hostname = plan_.hostname;
            e.x11 = plan_.x11;
            e.namespaces = {"user", "mount", "pid", "ipc", "uts", "net", "cgroup"};
            e.command = plan_.argv;
            e.scope = scopeInfo_.unit;
            e.limits = limits_;
            if (m.fd.valid())
                execGate_ = std::move(m.fd);
            else
                events_.started(e);  // no gate: as soon as the program exists
            // The launch is done; what runs from now on is the supervising loop, for as long
            // as the sandbox runs: its code is let go in a moment (base/code_pages.h).
            codeRelease_.emplace();
            break;
        }
        case Msg::SeccompListener:
            // security.activity_log: a program's filter listener (init.cpp), before its execve.
            if (!plan_.profile.security.activityLog || !m.fd.valid()) break;
            activity().addListener(std::move(m.fd));
            break;
        case Msg::ProgramTerminal:
            if (m.fd.valid()) terminal_.attach(std::move(m.fd));
            break;
        case Msg::ProgramExited:
            programExit_ = decodeExitStatus(m.payload);
            plan_.trace("program exited");  // what follows is the teardown
            break;
        case Msg::ProgramOutlived:
            outlived_ = static_cast<int>(decodeNumber(m.payload).value_or(0));
            if (plan_.verbose && plan_.profile.lifetime.until != "main")
                std::fprintf(stderr,
                             "layerbox: the program's first process exited; %d process(es) it "
                             "started keep the sandbox running (lifetime \"all\")\n",
                             outlived_);
            break;
        case Msg::ProgramExecFailed:
            execErrno_ = static_cast<int>(decodeNumber(m.payload).value_or(ENOEXEC));
            break;
        case Msg::Recoverable:
            decodeRecoverable(m.payload, recoverable_);  // recover_watch, ephemeral sandboxes
            break;
        case Msg::Warning:
            warn(m.payload);
            break;
        case Msg::SetupEnded:
            setupEnded_ = static_cast<int>(decodeNumber(m.payload).value_or(0));
            break;
        case Msg::Pid1Killed:
            pid1KilledBy_ = static_cast<int>(decodeNumber(m.payload).value_or(SIGKILL));
            break;
        case Msg::NamespacesReady:
            // The namespaces exist (the scope was asked for right after the fork). With the
            // activity log, a sock_diag socket of the sandbox's network namespace comes along,
            // and with a firewall its NFLOG socket (network/drop_log.h); with "nat" a route
            // socket (network/slirp.h, waitReady): told apart by their protocol.
            {
                m.more.insert(m.more.begin(), std::move(m.fd));
                for (auto& fd : m.more) {
                    int proto = -1;
                    socklen_t len = sizeof proto;
                    if (!fd.valid() ||
                        ::getsockopt(fd.get(), SOL_SOCKET, SO_PROTOCOL, &proto, &len) != 0)
                        continue;
                    if (proto == NETLINK_ROUTE)
                        routeWatch_ = std::move(fd);
                    else if (proto == NETLINK_SOCK_DIAG && plan_.profile.security.activityLog)
                        activity().setNetDiag(std::move(fd));
                    else if (proto == NETLINK_NETFILTER && plan_.profile.security.activityLog)
                        activity().addDropLog(std::move(fd));
                }
            }
            {
                // nat: slirp4netns and the firewall start first, the scope is asked for while
                // they do, and "Go" waits for all of them.
                const bool nat = plan_.profile.network.mode == NetMode::Nat;
                Status s = nat ? startNetwork() : Status(Ok());
                if (s && nat && plan_.wantScope) createScope();
                if (s && nat) s = finishNetwork();
                if (!s) {
                    // Nothing has started inside yet: the setup process gives up on "Abort".
                    if (setupError_.empty()) setupError_ = s.error().message();
                    (void)sendMessage(channel_, Msg::Abort);
                    return;
                }
            }
            // The nested X server's keyboard layout is in place before the program starts.
            if (nestedX11_) nestedX11_->finishKeyboard(5000);
            (void)sendMessage(channel_, Msg::Go);
            break;
        default:
            warn("unexpected message from the sandbox: " + std::string(msgName(m.type)));
            break;
    }
}

// NAT through slirp4netns for the sandbox's network namespace (held by the setup process),
// and its firewall: both started here, finished in finishNetwork(); the program starts only
// after that.
Status Supervisor::startNetwork() {
    std::string logDir = plan_.paths.logDir();
    LB_TRY(makeDirs(logDir, 0700));
    LB_TRY(openSandboxNamespaces());
    // slirp4netns first: its start (exec, linking, configuring tap0) is the longest.
    LB_ASSIGN(slirpProcess_, Slirp::start(plan_.profile.network, plan_.slirpFeatures, setup_,
                                          registry_->dir() + "/" + plan_.instance + ".slirp",
                                          logDir + "/" + plan_.instance + "-slirp4netns.log"));
    // The rules and the host's addresses they refuse, in one transaction, loaded by a child of
    // the runner in the sandbox's namespaces while the setup process builds the file system
    // (it used to load the rules itself, after the mounts, and the runner the addresses): a
    // netlink batch encoded here from the plan (nft_batch.h), no libnftables to load or run.
    if (!plan_.firewall.empty()) {
        LB_ASSIGN(firewallLoad_,
                  FirewallLoad::start(sandboxUserns_.get(), sandboxNetns_.get(),
                                      plan_.firewallTable, plan_.profile.security.activityLog));
    }
    if (plan_.profile.network.filtersNames()) LB_TRY(startDnsFilter());
    return Ok();
}

Status Supervisor::finishNetwork() {
    if (firewallLoad_) {
        std::string warning;
        LB_TRY_CTX(firewallLoad_->wait(&warning), "setting up the firewall");
        firewallLoad_.reset();
        if (!warning.empty())
            warn("the activity log will not show refused connections: " + warning);
        plan_.trace("firewall loaded");
    }
    // Without port forwards the program may start once tap0 is configured (slirp.h says why
    // nothing it sends is lost); slirp4netns' ready byte is read in the supervising loop, and
    // a slirp4netns that fails after all ends the sandbox (slirpReady()). A forward is asked
    // of its running loop, and one that cannot be had fails the launch before the program.
    const bool early = plan_.profile.network.ports.empty();
    LB_TRY_CTX(slirpProcess_->waitReady(10000, early ? routeWatch_.get() : -1),
               "setting up the network");
    routeWatch_.reset();
    for (const auto& p : plan_.profile.network.ports)
        LB_TRY(slirpProcess_->addForward(p));
    // internet-only: the host's addresses changed since they were read (before the fork):
    // the sets follow now, before the program starts; later changes in the supervising loop.
    if (hostWatch_.fd() >= 0) {
        struct pollfd p = {hostWatch_.fd(), POLLIN, 0};
        if (::poll(&p, 1, 0) > 0)
            LB_TRY_CTX(followHostNetworks(), "refusing the host's addresses in the firewall");
    }
    plan_.trace("network ready");
    networkUp_ = true;
    return Ok();
}

// slirp4netns' ready byte, after the program started with tap0 configured (finishNetwork): a
// slirp4netns that could not confine itself or start its loop (or hangs: 10 s from its start) is
// a failed launch, and the sandbox ends at once (its program may have started already; nothing
// it sent was answered). When the program has already ended, it is said, not turned into a
// failure of what ran; the log is kept either way.
void Supervisor::slirpReady() {
    Status s = slirpProcess_->checkReady();
    if (s) {
        if (!slirpProcess_->readyPending()) plan_.trace("slirp4netns ready");
        return;
    }
    slirpDied_ = true;  // its log is kept
    if (programExit_) {
        warn("the network never came up: " + s.error().message());
        return;
    }
    if (setupError_.empty()) setupError_ = "setting up the network: " + s.error().message();
    (void)sendMessage(channel_, Msg::Kill);
}

// The sandbox's user and network namespaces (held by the setup process), for the helpers that
// enter them from outside.
Status Supervisor::openSandboxNamespaces() {
    if (sandboxNetns_.valid()) return Ok();
    for (auto [fd, name] : {std::pair{&sandboxUserns_, "user"}, {&sandboxNetns_, "net"}}) {
        std::string path = "/proc/" + std::to_string(setup_) + "/ns/" + name;
        fd->reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd->valid()) return Error::fromErrno("open(" + quote(path) + ")");
    }
    return Ok();
}

// allow_domains / deny_domains: the resolver listens inside the sandbox before the program
// starts (it starts after "Go"); its queries are recorded in LOGDIR/INSTANCE-dns.log.
Status Supervisor::startDnsFilter() {
    LB_TRY(openSandboxNamespaces());
    auto hostResolv = readFile("/etc/resolv.conf");
    auto upstreams = planDnsUpstreams(plan_.profile.network, hostResolv ? *hostResolv : "");
    if (upstreams.empty())
        return Error("no DNS server to ask: /etc/resolv.conf names none; set network.dns", ENOENT);
    std::string log = plan_.paths.logDir() + "/" + plan_.instance + "-dns.log";
    UniqueFd logFd(
        ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!logFd.valid()) return Error::fromErrno("open(" + quote(log) + ")");
    LB_ASSIGN(dnsFilter_,
              DnsFilter::start(sandboxUserns_.get(), sandboxNetns_.get(), plan_.profile.network,
                               upstreams, logFd.get(), plan_.instance));
    plan_.trace("resolver listening");
    return Ok();
}

// The host's addresses or routes changed (an interface came up, DHCP, a VPN): the sets follow.
// The sets are changed from outside the sandbox (applyFirewallIn), by the runner, which the
// program cannot reach: the program holds no capability to change them itself.
Status Supervisor::followHostNetworks() {
    if (!hostWatch_.drain()) return Ok();
    LB_ASSIGN(HostNetworks nets, readHostNetworks());
    if (nets == hostNets_) return Ok();
    LB_TRY(applyFirewallIn(sandboxUserns_.get(), sandboxNetns_.get(), planHostSetsUpdate(nets)));
    hostNets_ = std::move(nets);
    return Ok();
}

void Supervisor::hostNetworksChanged() {
    if (auto s = followHostNetworks(); !s)
        warn("the host's addresses changed, but the firewall could not follow: " +
             s.error().message());
}

// A helper daemon died: the sandbox goes on without it, and says so once; its log stays.
void Supervisor::helperLost(const char* name, const char* event, const std::string& log,
                            int status) {
    if (!setupError_.empty() || programPid_ == 0) return;
    std::string_view ev = event;
    const char* what = ev == "network-lost" ? "network"
                       : ev == "x11-lost"   ? "X11 display"
                       : ev == "dns-lost"   ? "name resolution"
                                            : "D-Bus";
    std::string msg = std::string(name) + " " + ExitStatus::fromWait(status).describe() +
                      "; the sandbox has no " + what + " now (log: " + log + ")";
    std::fprintf(stderr, "layerbox: warning: %s\n", safeLine(msg).c_str());
    events_.helperLost(event, plan_.instance, msg, log);
}

void Supervisor::readExecGate() {
    int err = 0;
    ssize_t n;
    do {
        n = ::read(execGate_.get(), &err, sizeof err);
    } while (n < 0 && errno == EINTR);
    execGate_.reset();
    // End of file: execve closed the write end, the program runs. Anything else: it failed,
    // and ProgramExecFailed brings the errno for the outcome.
    if (n == 0) events_.started(started_);
}

void Supervisor::publishRecord() {
    InstanceRecord r;
    r.id = plan_.instance;
    r.profile = plan_.profile.name;
    r.runnerPid = ::getpid();
    r.setupPid = setup_;
    r.pid = programPid_;
    r.command = plan_.argv;
    r.startedUnix = static_cast<int64_t>(::time(nullptr));
    r.scope = scopeInfo_.unit;
    r.cgroup = scopeInfo_.cgroup;
    r.network = netModeName(plan_.profile.network.mode);
    r.driver = driverName(plan_.storage.driver);
    r.ephemeral = plan_.storage.ephemeral;
    r.hostname = plan_.hostname;
    r.x11 = plan_.x11;
    r.socket = registry_->socketPath(plan_.instance);
    r.limitsEnforced = limits_.enforced;
    r.limitsRecorded = limits_.recorded;
    r.lifetime = plan_.profile.lifetime.until;
    r.stopTimeout = plan_.profile.lifetime.stopTimeout;
    r.display = plan_.x11HostDisplay;
    if (auto s = registry_->publish(r); !s)
        warn("cannot record the instance: " + s.error().message());
}

// The empty files and folders made inside only to hold the files given (file_grants.h) are not
// changes of the program's: a persistent sandbox's upper layer drops them again.
void Supervisor::removeGrantMountPoints() {
    if (plan_.storage.ephemeral || plan_.storage.dataDir.empty() || joins_.grants().empty()) return;
    UniqueFd upper(
        ::open(joinPath(plan_.storage.dataDir, "upper").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!upper.valid()) return;
    for (const auto& g : joins_.grants())
        removeGrantMountPoint(upper.get(), g.path, false);
}

// Why the sandbox ended, said once it has (outcome.h): a sandbox never ends silently.
std::string Supervisor::endReason(const ExitStatus& program) const {
    const std::string status = program.signaled
                                   ? "was killed by signal " + std::to_string(program.value)
                                   : "exited with status " + std::to_string(program.value);
    std::string why;
    if (stopRequested_)
        why = "stopped by layerbox stop (the program " + status + ")";
    else if (outlived_ > 0 && plan_.profile.lifetime.until != "main")
        why = "its last process ended (the program's first process " + status +
              " earlier; lifetime \"all\")";
    else if (outlived_ > 0)
        why = "the program " + status + "; the " + std::to_string(outlived_) +
              " process(es) it left were ended (lifetime \"main\")";
    else
        why = "the program " + status;
    return "sandbox " + plan_.instance + " ended: " + why;
}

Outcome Supervisor::finish(int setupStatus) {
    // The helpers end with the sandbox; their logs are only kept when something went wrong.
    if (slirpProcess_) {
        // A short program can end before slirp4netns is ready: a slirp4netns that failed
        // meanwhile is said (slirpReady), one still starting is simply stopped.
        if (slirpProcess_->readyPending()) slirpReady();
        slirpProcess_->stop();
        if (!slirpDied_ && setupError_.empty()) ::unlink(slirpProcess_->logPath().c_str());
    }
    if (dnsFilter_) dnsFilter_->stop();
    if (dbus_) {
        dbus_->stop();
        if (!dbusDied_ && setupError_.empty()) ::unlink(dbus_->logPath().c_str());
    }
    if (nestedX11_) {
        nestedX11_->stop();
        if (!nestedX11Died_ && setupError_.empty()) ::unlink(nestedX11_->logPath().c_str());
    }
    Outcome out;
    if (!setupError_.empty()) {
        out = Outcome::setupFailed(setupError_);
    } else if (execErrno_ != 0) {
        out = Outcome::cannotRun(plan_.argv[0], execErrno_, plan_.program);
    } else if (pid1KilledBy_ != 0 && !programExit_) {
        out = Outcome::sandboxKilled(pid1KilledBy_);
    } else if (programExit_) {
        out = Outcome::ended(*programExit_);
        out.reason = endReason(*programExit_);
    } else if (programPid_ != 0 && WIFEXITED(setupStatus)) {
        // The program ran, but PID 1's report was lost: the setup process exits with its status.
        out = Outcome::ended({false, WEXITSTATUS(setupStatus)});
    } else if (WIFSIGNALED(setupStatus)) {
        // The setup process was killed (PID 1 and everything below it died with it): say so,
        // rather than exiting 137 without a word.
        const std::string who = "the sandbox's setup process";
        out = programPid_ != 0 ? Outcome::sandboxKilled(WTERMSIG(setupStatus), who)
                               : Outcome::setupFailed(who + " was killed (signal " +
                                                      std::to_string(WTERMSIG(setupStatus)) +
                                                      ") before the program started");
    } else {
        out = Outcome::setupFailed("the sandbox's setup process exited with status " +
                                   std::to_string(WEXITSTATUS(setupStatus)) +
                                   " before the program started");
    }
    // A launch that failed may leave its scope without any process in it, which the user
    // manager then keeps active for good (the setup process can die before systemd attached
    // it): stop it, so that a failed launch leaves nothing behind.
    if (!setupError_.empty() && !scopeInfo_.unit.empty()) (void)stopScope(scopeInfo_.unit);
    // A job not done yet moves the setup process, by its pid, once it runs: the runner waits
    // for it rather than leave that pid to be reaped and, one day, reused by another process.
    if (scopeInfo_.job && !jobSettled_) finishScopeJob(5000, false);
    // A scope started after its last process left stays active for good (the user manager
    // only hears of emptiness as it happens): stop it, on the same connection. A job that failed
    // then (the setup process already reaped) may leave the directory made ahead: removed.
    if (jobLate_ && !scopeInfo_.cgroup.empty()) {
        auto events = readFile(scopeInfo_.cgroup + "/cgroup.events");
        if (events && events->find("populated 0") != std::string::npos) {
            if (jobDone_) (void)scopeInfo_.job->stopUnit(scopeInfo_.unit);
            removeScopeCgroup(scopeInfo_.cgroup);
        }
    }
    scopeInfo_.job.reset();
    // Made ahead and not taken over by the user manager (it refused the scope): removed once
    // the setup process, which ends on its own after this, has left it.
    if (!placedCgroup_.empty() && scopeInfo_.unit.empty()) removeScopeCgroup(placedCgroup_, 2000);
    removeGrantMountPoints();
    plan_.trace("sandbox ended");
    // recover_watch: new files in the watched folders are listed for recovery, on stderr and
    // as a "recoverable" event before "exited" (see launch/recoverable.h).
    if (setupError_.empty()) reportRecoverable(plan_, recoverable_, startedNs_, events_);
    return out;
}

}  // namespace lb
