#include "network/slirp.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "base/helper_process.h"
#include "base/safe_open.h"
#include "profile/profile.h"

namespace lb {

static std::string encodeFeatures(const SlirpFeatures& f) {
    std::string s;
    for (bool b : {f.sandbox, f.seccomp, f.disableHostLoopback, f.apiSocket, f.ipv6, f.mtu,
                   f.readyFd, f.exitFd})
        s += b ? '1' : '0';
    return s;
}

SlirpFeatures probeSlirp(const std::string& cacheFile) {
    SlirpFeatures f;
    f.path = findExecutable("slirp4netns");
    if (f.path.empty()) return f;
    struct stat st;
    std::string key;
    if (::stat(f.path.c_str(), &st) == 0)
        key = f.path + " " + std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec);
    if (!cacheFile.empty() && !key.empty()) {
        // A small regular file (a fifo must not hang the launch) holding an answer this code
        // writes: 8 of '0'/'1', with the ready and exit fds every supported slirp4netns has
        // (a damaged answer without them made every launch wait 10 s); else probe again.
        if (auto text = readRegularFile(cacheFile, 4096, "the slirp4netns feature cache", false)) {
            auto lines = split(*text, '\n');
            if (lines.size() >= 2 && lines[0] == key && lines[1].size() == 8 &&
                lines[1].find_first_not_of("01") == std::string::npos && lines[1][6] == '1' &&
                lines[1][7] == '1') {
                const std::string& b = lines[1];
                f.sandbox = b[0] == '1';
                f.seccomp = b[1] == '1';
                f.disableHostLoopback = b[2] == '1';
                f.apiSocket = b[3] == '1';
                f.ipv6 = b[4] == '1';
                f.mtu = b[5] == '1';
                f.readyFd = b[6] == '1';
                f.exitFd = b[7] == '1';
                return f;
            }
        }
    }
    std::string out = captureOutput({f.path, "--help"});
    auto has = [&](const char* flag) { return out.find(flag) != std::string::npos; };
    f.sandbox = has("--enable-sandbox");
    f.seccomp = has("--enable-seccomp");
    f.disableHostLoopback = has("--disable-host-loopback");
    f.apiSocket = has("--api-socket");
    f.ipv6 = has("--enable-ipv6");
    f.mtu = has("--mtu");
    f.readyFd = has("--ready-fd");
    f.exitFd = has("--exit-fd");
    // Only a real answer is kept: an empty or foreign --help (slirp4netns could not run just
    // now) is used for this launch and asked again next time.
    if (!cacheFile.empty() && !key.empty() && has("slirp4netns") && f.readyFd && f.exitFd &&
        makeDirs(dirName(cacheFile), 0700))
        (void)writeFileAtomic(cacheFile, key + "\n" + encodeFeatures(f) + "\n", 0600, false);
    return f;
}

std::vector<std::string> planSlirpArgs(const NetworkConfig& net, const SlirpFeatures& f,
                                       pid_t target, int readyFd, int exitFd,
                                       const std::string& apiSocket) {
    std::vector<std::string> a = {f.path, "--configure"};
    if (f.mtu) a.push_back("--mtu=" + std::to_string(net.mtu));
    // The host's 127.0.0.1 is only reachable (via 10.0.2.2) when the profile says so.
    if (f.disableHostLoopback && !net.hostLoopback) a.push_back("--disable-host-loopback");
    // slirp4netns parses untrusted traffic: confine it too.
    if (f.sandbox) a.push_back("--enable-sandbox");
    if (f.seccomp) a.push_back("--enable-seccomp");
    if (net.ipv6 && f.ipv6) a.push_back("--enable-ipv6");
    if (f.readyFd && readyFd >= 0) a.push_back("--ready-fd=" + std::to_string(readyFd));
    if (f.exitFd && exitFd >= 0) a.push_back("--exit-fd=" + std::to_string(exitFd));
    if (f.apiSocket && !apiSocket.empty()) a.push_back("--api-socket=" + apiSocket);
    a.push_back(std::to_string(target));
    a.push_back("tap0");
    return a;
}

Result<std::unique_ptr<Slirp>> Slirp::start(const NetworkConfig& net, const SlirpFeatures& f,
                                            pid_t target, const std::string& apiSocket,
                                            const std::string& logPath) {
    if (f.path.empty())
        return Error("slirp4netns is not installed (needed for \"nat\"; see layerbox doctor)",
                     ENOENT);
    int ready[2], exitp[2];
    if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(exitp, O_CLOEXEC) != 0)
        return Error::fromErrno("pipe2");
    auto s = std::unique_ptr<Slirp>(new Slirp);
    s->ready_.reset(ready[0]);
    ::clock_gettime(CLOCK_MONOTONIC, &s->started_);
    ::fcntl(ready[0], F_SETFL, O_NONBLOCK);  // read once poll says so (finishReady)
    s->exit_.reset(exitp[1]);
    UniqueFd readyW(ready[1]), exitR(exitp[0]);
    s->api_ = apiSocket;
    s->log_ = logPath;
    ::unlink(apiSocket.c_str());
    UniqueFd log(::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!log.valid()) return Error::fromErrno("open(" + quote(logPath) + ")");
    auto args = planSlirpArgs(net, f, target, readyW.get(), exitR.get(), apiSocket);
    // Every connection of the sandbox is a socket of slirp4netns on the host: with the usual
    // soft limit of 1,024 descriptors a browser's burst of connections fails with "network
    // unreachable". Raised to the hard limit, which the administrator set for this user (no
    // privilege involved); slirp4netns polls with poll(), so descriptors above 1,024 are fine.
    auto raiseFiles = [] {
        struct rlimit r;
        if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
            r.rlim_cur = r.rlim_max;
            ::setrlimit(RLIMIT_NOFILE, &r);  // best effort: the old limit still works
        }
        return std::string();
    };
    auto pid = spawnHelper(args, {readyW.get(), exitR.get()}, log.get(), "slirp4netns", raiseFiles);
    if (!pid) return pid.error();
    s->pid_ = *pid;
    return s;
}

// The line of slirp4netns' log that says why it failed: not one of its progress lines (stdout,
// buffered to a file, so written at its exit, after its errors), warnings, nor the generic last
// words of the functions it returns through ("create_sandbox failed", "do_slirp is exiting").
static bool isReasonLine(const std::string& l) {
    for (const char* noise : {"*", "Starting slirp", "WARNING:", "sent tapfd", "received tapfd",
                              "seccomp: The following", "seccomp: WARNING", "sandbox: "})
        if (l.rfind(noise, 0) == 0) return false;
    auto words = split(l, ' ');
    if (words.size() == 2 && words[1] == "failed") return false;
    return l != "do_slirp is exiting";
}

static long msSince(const struct timespec& t) {
    struct timespec now;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t.tv_sec) * 1000 + (now.tv_nsec - t.tv_nsec) / 1000000;
}

bool announcesDefaultRoute(std::string_view messages) {
    // Each message is checked against what is left of the buffer before it is read.
    size_t at = 0;
    while (messages.size() - at >= sizeof(nlmsghdr)) {
        nlmsghdr h;
        std::memcpy(&h, messages.data() + at, sizeof h);
        if (h.nlmsg_len < sizeof h || h.nlmsg_len > messages.size() - at) return false;
        if (h.nlmsg_type == RTM_NEWROUTE && h.nlmsg_len >= NLMSG_LENGTH(sizeof(rtmsg))) {
            rtmsg r;
            std::memcpy(&r, messages.data() + at + NLMSG_HDRLEN, sizeof r);
            if (r.rtm_family == AF_INET && r.rtm_dst_len == 0 && r.rtm_table == RT_TABLE_MAIN)
                return true;
        }
        at += NLMSG_ALIGN(h.nlmsg_len);
        if (at > messages.size()) return false;
    }
    return false;
}

Status Slirp::finishReady() {
    char c = 0;
    ssize_t n;
    do {
        n = ::read(ready_.get(), &c, 1);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) return Ok();  // not yet (a spurious wake)
    ready_.reset();
    if (n == 1 && c == '1') return Ok();
    std::string why = lastLogLine(log_, isReasonLine);
    return Error("slirp4netns did not bring the network up" + (why.empty() ? "" : ": " + why) +
                     " (log: " + log_ + ")",
                 EIO);
}

int Slirp::readyTimeoutMs() const {
    if (!ready_.valid()) return -1;
    const long left = readyWithinMs_ - msSince(started_);
    return left > 0 ? static_cast<int>(left) : 0;
}

Error Slirp::readyOverdue() {
    ready_.reset();
    std::string why = lastLogLine(log_, isReasonLine);
    return Error("slirp4netns did not bring the network up within " +
                     std::to_string(readyWithinMs_ / 1000) + " s" +
                     (why.empty() ? "" : ": " + why) + " (log: " + log_ + ")",
                 EIO);
}

Status Slirp::checkReady() {
    if (!ready_.valid()) return Ok();
    struct pollfd p = {ready_.get(), POLLIN, 0};
    if (::poll(&p, 1, 0) == 1) return finishReady();
    if (readyTimeoutMs() == 0) return readyOverdue();
    return Ok();
}

Status Slirp::waitReady(int timeoutMs, int routeWatch) {
    readyWithinMs_ = timeoutMs;
    for (;;) {
        struct pollfd p[2] = {{ready_.get(), POLLIN, 0}, {routeWatch, POLLIN, 0}};
        const int left = readyTimeoutMs();
        int n = left == 0 ? 0 : ::poll(p, routeWatch >= 0 ? 2 : 1, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return readyOverdue();
        if (p[0].revents) {
            Status s = finishReady();
            if (!s || !readyPending()) return s;
        }
        if (p[1].revents) {
            char buf[8192];
            ssize_t got = ::recv(routeWatch, buf, sizeof buf, MSG_DONTWAIT);
            // An overrun (ENOBUFS) lost messages, the route's among them perhaps: the ready
            // byte is waited for instead.
            if (got < 0 && errno != EAGAIN && errno != EINTR) routeWatch = -1;
            if (got > 0 && announcesDefaultRoute({buf, static_cast<size_t>(got)})) return Ok();
        }
    }
}

Status Slirp::addForward(const PortForward& p) {
    waitForExit_ = true;
    UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, api_.c_str(), sizeof addr.sun_path - 1);
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return Error::fromErrno("connect(slirp4netns API " + quote(api_) + ")");
    std::string req = "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"" + p.proto +
                      "\", \"host_addr\": \"" + p.hostAddr +
                      "\", \"host_port\": " + std::to_string(p.host) +
                      ", \"guest_port\": " + std::to_string(p.sandbox) + "}}";
    LB_TRY(writeAll(s.get(), req, "slirp4netns API"));
    ::shutdown(s.get(), SHUT_WR);
    std::string reply;
    char buf[1024];
    ssize_t n;
    while ((n = ::read(s.get(), buf, sizeof buf)) > 0)
        reply.append(buf, static_cast<size_t>(n));
    std::string what = p.hostAddr + ":" + std::to_string(p.host) + "/" + p.proto;
    if (reply.find("\"error\"") != std::string::npos ||
        reply.find("\"return\"") == std::string::npos) {
        auto d = reply.find("\"desc\"");
        std::string desc;
        if (d != std::string::npos) {
            auto q1 = reply.find('"', reply.find(':', d) + 1);
            auto q2 = reply.find('"', q1 + 1);
            if (q1 != std::string::npos && q2 != std::string::npos)
                desc = reply.substr(q1 + 1, q2 - q1 - 1);
        }
        return Error("port forward " + what + " -> " + std::to_string(p.sandbox) + ": " +
                         (desc.empty() ? trim(reply) : desc) + " (is the port already in use?)",
                     EADDRINUSE);
    }
    return Ok();
}

void Slirp::stop() {
    // slirp4netns exits when its exit fd closes, but only notices at its next poll timeout
    // (some 20 ms, a third of a short nat launch). It has nothing to flush once the sandbox
    // (and so its network namespace) is gone, so it is told to end at once.
    exit_.reset();
    if (pid_ > 0) ::kill(pid_, SIGTERM);
    if (!waitForExit_) {
        // Its exit still takes some 20 ms in the kernel (closing the tap device unregisters a
        // network device, which waits for an RCU grace period). Nothing depends on that when
        // no port is forwarded, so the runner does not wait: once it ends, the user manager (a
        // subreaper) reaps the dying process. With forwards, waiting frees the ports before
        // the next launch binds them again.
        pid_ = 0;
    }
    reapHelper(pid_, 1000);
    ::unlink(api_.c_str());
}

Slirp::~Slirp() {
    stop();
}

}  // namespace lb
