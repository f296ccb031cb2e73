#include "launch/join.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/fsutil.h"
#include "base/jsonw.h"
#include "isolation/environment.h"
#include "launch/channel.h"
#include "launch/instances.h"
#include "launch/launch.h"
#include "launch/status_events.h"
#include "launch/terminal.h"

namespace lb {

namespace {
constexpr char kField = '\x1e';
constexpr char kItem = '\x1f';

std::string joinItems(const std::vector<std::string>& v) {
    std::string o;
    for (size_t i = 0; i < v.size(); ++i)
        o += (i ? std::string(1, kItem) : std::string()) + v[i];
    return o;
}

std::vector<std::string> splitItems(const std::string& s) {
    if (s.empty()) return {};
    return split(s, kItem);
}
}  // namespace

std::string encodeExecRequest(const ExecRequest& r) {
    // Separators that cannot appear in what we carry: values holding them are dropped.
    auto clean = [](std::vector<std::string> v) {
        std::erase_if(v, [](const std::string& s) {
            return s.find(kField) != std::string::npos || s.find(kItem) != std::string::npos;
        });
        return v;
    };
    return r.cwd + kField + joinItems(clean(r.argv)) + kField + joinItems(clean(r.env)) + kField +
           (r.pty ? "1" : "0");
}

std::optional<ExecRequest> decodeExecRequest(std::string_view s) {
    auto f = split(s, kField);
    if (f.size() != 4) return std::nullopt;
    ExecRequest r;
    r.cwd = f[0];
    r.argv = splitItems(f[1]);
    r.env = splitItems(f[2]);
    r.pty = f[3] == "1";
    return r;
}

int joinInstance(const InstanceRecord& inst, std::vector<std::string> argv, bool allowPty,
                 bool verbose, int statusFd, bool* ended) {
    StatusEvents events(statusFd);
    auto fail = [&](const std::string& msg, int code) {
        std::fprintf(stderr, "layerbox: error: %s\n", msg.c_str());
        if (events.enabled()) {
            JsonWriter w;
            w.beginObject()
                .field("event", "exited")
                .field("instance", inst.id)
                .field("status", code);
            w.field("error", msg).endObject();
            events.emit(w.str());
        }
        return code;
    };
    UniqueFd sock(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!sock.valid()) return fail(Error::fromErrno("socket").message(), kExitSetupFailed);
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    if (inst.socket.size() >= sizeof addr.sun_path)
        return fail("control socket path too long: " + inst.socket, kExitSetupFailed);
    std::strncpy(addr.sun_path, inst.socket.c_str(), sizeof addr.sun_path - 1);
    if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (ended && (errno == ECONNREFUSED || errno == ENOENT)) {
            *ended = true;
            return kExitSetupFailed;
        }
        return fail("cannot reach running sandbox " + inst.id + ": " +
                        Error::fromErrno("connect(" + quote(inst.socket) + ")").message(),
                    kExitSetupFailed);
    }

    ExecRequest req;
    if (char* cwd = ::getcwd(nullptr, 0)) {
        req.cwd = cwd;
        std::free(cwd);
    }
    req.argv = std::move(argv);
    req.env = currentEnvironment();
    req.pty = allowPty && TerminalRelay::wanted();
    std::vector<int> fds;
    if (!req.pty) fds = {0, 1, 2};
    if (auto s = sendMessage(sock.get(), "exec", encodeExecRequest(req), fds); !s)
        return fail(s.error().message(), kExitSetupFailed);
    if (verbose)
        std::fprintf(stderr, "layerbox: joining running sandbox %s (%s)\n", inst.id.c_str(),
                     inst.profile.c_str());

    sigset_t mask, old;
    sigemptyset(&mask);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH})
        sigaddset(&mask, s);
    ::sigprocmask(SIG_BLOCK, &mask, &old);
    UniqueFd sfd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));

    TerminalRelay relay;
    int code = 128 + SIGKILL;  // if the sandbox ends under us
    std::string error;
    bool done = false;
    bool started = false;
    while (!done) {
        std::vector<struct pollfd> pfd = {{sock.get(), POLLIN, 0}, {sfd.get(), POLLIN, 0}};
        relay.addTo(pfd);
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
                    (void)sendMessage(sock.get(), "signal", std::to_string(si.ssi_signo));
            }
        }
        if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            auto m = receiveMessage(sock.get());
            if (!m || !m->has_value()) {
                if (!started && ended) {
                    // The sandbox ended before our command started: not ours to report.
                    relay.restore();
                    ::sigprocmask(SIG_SETMASK, &old, nullptr);
                    *ended = true;
                    return kExitSetupFailed;
                }
                break;
            }
            Message& msg = **m;
            if (msg.type == "pty" && msg.fd.valid()) {
                relay.attach(std::move(msg.fd));
            } else if (msg.type == "started") {
                started = true;
                if (events.enabled()) {
                    JsonWriter w;
                    w.beginObject()
                        .field("event", "started")
                        .field("instance", inst.id)
                        .field("profile", inst.profile);
                    w.field("pid", static_cast<int64_t>(std::atoll(msg.payload.c_str())))
                        .field("joined", true);
                    w.field("driver", inst.driver).field("network", inst.network);
                    if (inst.scope.empty())
                        w.key("scope").null();
                    else
                        w.field("scope", inst.scope);
                    w.endObject();
                    events.emit(w.str());
                }
            } else if (msg.type == "exit") {
                const std::string& p = msg.payload;
                if (startsWith(p, "code "))
                    code = std::atoi(p.c_str() + 5);
                else if (startsWith(p, "signal "))
                    code = 128 + std::atoi(p.c_str() + 7);
                else if (startsWith(p, "execfail ")) {
                    int err = std::atoi(p.c_str() + 9);
                    error = "cannot run " +
                            quote(req.argv.empty() ? inst.command.front() : req.argv.front()) +
                            ": " + strerrordesc_np(err);
                    code = err == ENOENT ? kExitNotFound : kExitNotExecutable;
                } else if (startsWith(p, "error ")) {
                    error = p.substr(6);
                    code = kExitSetupFailed;
                }
                done = true;
            }
        }
        relay.handle(pfd);
    }
    relay.restore();
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    if (!error.empty()) std::fprintf(stderr, "layerbox: error: %s\n", error.c_str());
    if (events.enabled()) {
        JsonWriter w;
        w.beginObject()
            .field("event", "exited")
            .field("instance", inst.id)
            .field("status", code)
            .endObject();
        events.emit(w.str());
    }
    return code;
}

}  // namespace lb
