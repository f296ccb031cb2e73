#include "launch/join.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "isolation/environment.h"
#include "launch/instances.h"
#include "launch/launch_plan.h"
#include "launch/status_events.h"
#include "launch/terminal.h"
#include "layers/grant_store.h"

namespace lb {

// ---------------------------------------------------------------------------------------------
// The caller

namespace {

Result<UniqueFd> connectTo(const std::string& path) {
    UniqueFd sock(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!sock.valid()) return Error::fromErrno("socket");
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        return Error("control socket path too long: " + path, ENAMETOOLONG);
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return Error::fromErrno("connect(" + quote(path) + ")");
    return sock;
}

// One question to the runner, one GrantDone answer.
Result<GrantReply> askRunner(int sock, Msg type, const std::string& payload) {
    LB_TRY(sendMessage(sock, type, payload));
    auto m = receiveMessage(sock);
    if (!m) return std::move(m).error();
    if (!m->has_value()) return Error("the sandbox ended", ECONNRESET);
    auto r = (**m).type == Msg::GrantDone ? decodeGrantReply((**m).payload) : std::nullopt;
    if (!r) return Error("malformed answer from the sandbox's runner", EPROTO);
    return *r;
}

}  // namespace

Result<GrantReply> revokeInInstance(const InstanceRecord& inst, const std::string& path) {
    LB_ASSIGN(UniqueFd sock, connectTo(inst.socket));
    return askRunner(sock.get(), Msg::RevokeFile, path);
}

JoinAttempt joinInstance(const InstanceRecord& inst, const JoinOptions& o) {
    StatusEvents events(o.statusFd);
    const std::string program = o.argv.empty()
                                    ? (inst.command.empty() ? std::string() : inst.command.front())
                                    : o.argv.front();
    auto finish = [&](Outcome out) {
        printOutcome(out);
        events.exited(inst.id, out);
        return JoinAttempt{false, std::move(out)};
    };
    auto sock = connectTo(inst.socket);
    if (!sock) {
        // The runner is gone (its socket refuses or vanished): the sandbox ended meanwhile.
        int err = sock.error().code();
        if (err == ECONNREFUSED || err == ENOENT) return JoinAttempt{true, {}};
        return finish(Outcome::setupFailed("cannot reach running sandbox " + inst.id + ": " +
                                           sock.error().message()));
    }

    // The files first: they are in place before the command starts.
    for (const auto& g : o.grants) {
        auto reply = askRunner(sock->get(), Msg::GrantFile, encodeFileGrant(g));
        if (!reply) return finish(Outcome::setupFailed(reply.error().message()));
        if (reply->kind != GrantReply::Kind::Done)
            return finish(Outcome::setupFailed(reply->error));
    }

    ExecRequest req;
    if (char* cwd = ::getcwd(nullptr, 0)) {
        req.cwd = cwd;
        std::free(cwd);
    }
    req.argv = o.argv;
    req.env = currentEnvironment();
    req.pty = o.allowPty && TerminalRelay::wanted();
    // Without a pty, the program's stdin, stdout and stderr are pipes this process relays: the
    // caller's own descriptors (a terminal, a file) never enter the sandbox.
    StdioRelay stdio;
    std::vector<int> fds;
    if (!req.pty) {
        auto r = StdioRelay::create({true, true, true});
        if (!r) return finish(Outcome::setupFailed(r.error().message()));
        stdio = std::move(*r);
        for (const auto& fd : stdio.sandboxEnds())
            fds.push_back(fd.get());
    }
    if (auto s = sendMessage(sock->get(), Msg::ExecRequest, encodeExecRequest(req), fds); !s)
        return finish(Outcome::setupFailed(s.error().message()));
    stdio.closeSandboxEnds();
    if (o.verbose)
        std::fprintf(stderr, "layerbox: joining running sandbox %s (%s)\n", inst.id.c_str(),
                     inst.profile.c_str());

    sigset_t mask, old;
    sigemptyset(&mask);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH})
        sigaddset(&mask, s);
    ::sigprocmask(SIG_BLOCK, &mask, &old);
    UniqueFd sfd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));

    TerminalRelay relay;
    // If the sandbox ends under the command, it was killed with everything in it.
    Outcome out = Outcome::ended({true, SIGKILL});
    bool started = false;
    bool done = false;
    while (!done) {
        std::vector<struct pollfd> pfd = {{sock->get(), POLLIN, 0}, {sfd.get(), POLLIN, 0}};
        relay.addTo(pfd);
        stdio.addTo(pfd);
        if (::poll(pfd.data(), pfd.size(), -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (pfd[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (::read(sfd.get(), &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGWINCH)
                    relay.copyWindowSize();
                else
                    (void)sendMessage(sock->get(), Msg::CallerSignal, encodeNumber(si.ssi_signo));
            }
        }
        if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            auto m = receiveMessage(sock->get());
            if (!m || !m->has_value()) {
                if (!started) {
                    // The sandbox ended before our command started: not ours to report.
                    relay.restore();
                    ::sigprocmask(SIG_SETMASK, &old, nullptr);
                    return JoinAttempt{true, {}};
                }
                break;
            }
            Message& msg = **m;
            if (msg.type == Msg::JoinTerminal && msg.fd.valid()) {
                relay.attach(std::move(msg.fd));
            } else if (msg.type == Msg::JoinStarted) {
                started = true;
                StartedEvent e;
                e.instance = inst.id;
                e.profile = inst.profile;
                e.pid = decodeNumber(msg.payload).value_or(0);
                e.joined = true;
                e.driver = inst.driver;
                e.network = inst.network;
                e.scope = inst.scope;
                events.started(e);
            } else if (msg.type == Msg::JoinEnded) {
                auto r = decodeJoinResult(msg.payload);
                out = r ? Outcome::ofJoin(*r, program, o.program)
                        : Outcome::setupFailed("malformed answer from the sandbox's runner");
                done = true;
            }
        }
        relay.handle(pfd);
        stdio.handle(pfd);
    }
    stdio.drain();
    relay.restore();
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    return finish(std::move(out));
}

// ---------------------------------------------------------------------------------------------
// The runner's side

JoinServer::JoinServer(const LaunchPlan& plan, int channel, pid_t setup, Warn warn)
    : plan_(plan), channel_(channel), setup_(setup), warn_(std::move(warn)), grants_(plan.grants) {}

GrantReply JoinServer::grant(const FileGrant& asked) {
    auto failed = [](const std::string& why) { return GrantReply{GrantReply::Kind::Failed, why}; };
    // Checked again here: the caller checked the same path, and both checks must find the
    // same file (a file swapped in between is refused, not shown).
    auto g = checkFileGrant(asked.path, "/", asked.rw);
    if (!g) return failed(g.error().message());
    if (g->dev != asked.dev || g->ino != asked.ino)
        return failed(quote(asked.path) + " changed after it was checked; nothing was granted");
    if (auto why = grantRefused(plan_.profile, plan_.mounts.home, plan_.storage.ownDirs, g->path);
        !why.empty())
        return failed(why);
    for (auto it = grants_.begin(); it != grants_.end(); ++it) {
        if (it->path != g->path) continue;
        if (*it == *g) return {GrantReply::Kind::Done, {}};
        // Another file or mode at that path: the old mount goes first (never two stacked).
        if (auto s = revokeGrant(setup_, it->path); !s) return failed(s.error().message());
        grants_.erase(it);
        break;
    }
    if (auto s = injectGrant(setup_, *g); !s)
        return failed(
            s.error().wrap("showing " + quote(g->path) + " in the running sandbox").message());
    grants_.push_back(*g);
    recordGrants({*g});
    return {GrantReply::Kind::Done, {}};
}

void JoinServer::recordGrants(const std::vector<FileGrant>& grants) {
    if (plan_.storage.ephemeral) return;  // an ephemeral sandbox keeps nothing
    for (const auto& g : grants)
        if (auto s = recordGrant(plan_.paths, plan_.profile.name, {g.path, g.rw}); !s)
            warn_("cannot record the file given: " + s.error().message());
}

GrantReply JoinServer::revoke(const std::string& path) {
    for (auto it = grants_.begin(); it != grants_.end(); ++it) {
        if (it->path != path) continue;
        if (auto s = revokeGrant(setup_, path); !s)
            return {GrantReply::Kind::Failed,
                    s.error().wrap("taking back " + quote(path)).message()};
        grants_.erase(it);
        return {GrantReply::Kind::Done, {}};
    }
    return {GrantReply::Kind::NotGranted, {}};
}

void JoinServer::listen(const std::string& path) {
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
        warn_("cannot open the control socket: " +
              Error::fromErrno("bind(" + quote(path) + ")").message());
        return;
    }
    listener_ = std::move(fd);
}

void JoinServer::addTo(std::vector<struct pollfd>& fds) {
    listenIdx_ = -1;
    if (listener_.valid()) {
        listenIdx_ = static_cast<int>(fds.size());
        fds.push_back({listener_.get(), POLLIN, 0});
    }
    firstCallerIdx_ = fds.size();
    polled_.clear();
    for (const auto& [token, fd] : callers_) {
        polled_.push_back(token);
        fds.push_back({fd.get(), POLLIN, 0});
    }
}

void JoinServer::handle(const std::vector<struct pollfd>& fds) {
    if (listenIdx_ >= 0 && (fds[listenIdx_].revents & POLLIN)) accept();
    for (size_t i = 0; i < polled_.size(); ++i)
        if (fds[firstCallerIdx_ + i].revents & (POLLIN | POLLHUP | POLLERR)) fromCaller(polled_[i]);
}

void JoinServer::accept() {
    UniqueFd c(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!c.valid()) return;
    // Only our own user, even though the directory already keeps everyone else out.
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (::getsockopt(c.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != ::getuid())
        return;
    callers_[std::to_string(++nextToken_)] = std::move(c);
}

void JoinServer::fromCaller(const std::string& token) {
    auto it = callers_.find(token);
    if (it == callers_.end()) return;  // dropped earlier in this round
    int fd = it->second.get();
    auto m = receiveMessage(fd);
    if (!m || !m->has_value()) {
        // The caller went away: its program goes too, as the sandbox does with its runner.
        (void)sendMessage(channel_, Msg::JoinedSignal,
                          encodeJoined({token, encodeNumber(SIGKILL)}));
        callers_.erase(it);
        return;
    }
    Message& msg = **m;
    auto refuse = [&](const std::string& why) {
        JoinResult r;
        r.error = why;
        (void)sendMessage(fd, Msg::JoinEnded, encodeJoinResult(r));
        callers_.erase(token);
    };
    if (msg.type == Msg::GrantFile) {
        auto g = decodeFileGrant(msg.payload);
        GrantReply r = g ? grant(*g) : GrantReply{GrantReply::Kind::Failed, "malformed request"};
        (void)sendMessage(fd, Msg::GrantDone, encodeGrantReply(r));
    } else if (msg.type == Msg::RevokeFile) {
        (void)sendMessage(fd, Msg::GrantDone, encodeGrantReply(revoke(msg.payload)));
    } else if (msg.type == Msg::CallerSignal) {
        (void)sendMessage(channel_, Msg::JoinedSignal, encodeJoined({token, msg.payload}));
    } else if (msg.type == Msg::ExecRequest) {
        auto req = decodeExecRequest(msg.payload);
        if (!req) return refuse("malformed request");
        // The program gets the profile's environment, built from the caller's.
        req->env = planEnvironment(plan_.profile.environment, req->env, plan_.envContext);
        if (req->argv.empty()) req->argv = plan_.argv;
        std::vector<int> fds;
        if (msg.fd.valid()) fds.push_back(msg.fd.get());
        for (auto& f : msg.more)
            fds.push_back(f.get());
        // Streams are pipes the caller made (a pty otherwise); anything else is refused.
        if (!req->pty) {
            if (fds.size() != 3) return refuse("expected stdin, stdout and stderr pipes");
            for (int f : fds) {
                struct stat st;
                if (::fstat(f, &st) != 0 || !S_ISFIFO(st.st_mode))
                    return refuse("the caller's streams must be pipes");
            }
        } else if (!fds.empty()) {
            return refuse("unexpected descriptors with a pty request");
        }
        (void)sendMessage(channel_, Msg::StartJoined,
                          encodeJoined({token, encodeExecRequest(*req)}), fds);
    } else {
        refuse("unexpected message " + std::string(msgName(msg.type)));
    }
}

bool JoinServer::fromSandbox(Message& m) {
    if (m.type != Msg::JoinedStarted && m.type != Msg::JoinedTerminal &&
        m.type != Msg::JoinedExecFailed && m.type != Msg::JoinedEnded)
        return false;
    auto j = decodeJoined(m.payload);
    if (!j) return true;
    auto it = callers_.find(j->token);
    if (it == callers_.end()) return true;
    int fd = it->second.get();
    switch (m.type) {
        case Msg::JoinedStarted:
            (void)sendMessage(fd, Msg::JoinStarted, encodeNumber(m.senderPid));
            break;
        case Msg::JoinedTerminal:
            (void)sendMessage(fd, Msg::JoinTerminal, {}, {m.fd.get()});
            break;
        case Msg::JoinedExecFailed: {
            JoinResult r;
            r.kind = JoinResult::Kind::ExecFailed;
            r.execErrno = static_cast<int>(decodeNumber(j->body).value_or(ENOEXEC));
            (void)sendMessage(fd, Msg::JoinEnded, encodeJoinResult(r));
            callers_.erase(it);
            break;
        }
        case Msg::JoinedEnded:
            (void)sendMessage(fd, Msg::JoinEnded, j->body);
            callers_.erase(it);
            break;
        default:
            break;
    }
    return true;
}

void JoinServer::close() {
    listener_.reset();
    callers_.clear();
}

}  // namespace lb
