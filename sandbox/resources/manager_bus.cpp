#include "resources/manager_bus.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "base/dbus_wire.h"

namespace lb {

namespace {

// Far above anything the manager sends here (a reply, a signal), far below the specification's
// 128 MiB, which a confused peer must not make us buffer.
constexpr size_t kMaxMessage = 1u << 20;

int64_t nowMs() {
    struct timespec t;
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<int64_t>(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
}

// Write all of `data`, waiting for room until the deadline (a manager that stops reading must
// not hold a launch for ever).
Status sendAll(int fd, std::string_view data, int64_t deadlineMs) {
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            const int64_t left = deadlineMs - nowMs();
            if (left <= 0) return Error("the user manager did not read in time", ETIMEDOUT);
            struct pollfd p = {fd, POLLOUT, 0};
            ::poll(&p, 1, static_cast<int>(left));
            continue;
        }
        if (n < 0) return Error::fromErrno("send(user manager)");
        data.remove_prefix(static_cast<size_t>(n));
    }
    return Ok();
}

// Read what has come into `buffer`, waiting for it until the deadline.
Status receiveMore(int fd, std::string& buffer, int64_t deadlineMs) {
    for (;;) {
        // Past the deadline, what has already come is still read (one poll that does not wait).
        const int64_t left = std::max<int64_t>(0, deadlineMs - nowMs());
        struct pollfd p = {fd, POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(left));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return Error::fromErrno("poll(user manager)");
        if (r == 0) {
            if (left == 0) return Error("the user manager did not answer in time", ETIMEDOUT);
            continue;
        }
        char buf[8192];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n < 0) return Error::fromErrno("recv(user manager)");
        if (n == 0) return Error("the user manager closed the connection", ECONNRESET);
        buffer.append(buf, static_cast<size_t>(n));
        return Ok();
    }
}

}  // namespace

Result<ManagerConnection> ManagerConnection::connect(const std::string& socketPath, int timeoutMs) {
    LB_ASSIGN(ManagerConnection c, open(socketPath));
    LB_TRY(c.authenticated(timeoutMs));
    return c;
}

Result<ManagerConnection> ManagerConnection::open(const std::string& socketPath) {
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    if (socketPath.size() >= sizeof addr.sun_path)
        return Error(quote(socketPath) + ": too long for a socket's path", ENAMETOOLONG);
    std::memcpy(addr.sun_path, socketPath.c_str(), socketPath.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid()) return Error::fromErrno("socket(AF_UNIX)");
    // A unix socket's connect completes at once, or fails (EAGAIN: its backlog is full).
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return Error::fromErrno("connect(" + quote(socketPath) + ")");
    // The uid in hex of its decimal digits, as SASL EXTERNAL has it. BEGIN follows at once: the
    // manager reads it after its OK (a refusal ends the connection, and every call with it).
    std::string hex;
    for (char c : std::to_string(::getuid())) {
        char b[3];
        std::snprintf(b, sizeof b, "%02x", static_cast<unsigned char>(c));
        hex += b;
    }
    // A fresh socket's buffer holds these few bytes: the send does not wait.
    LB_TRY(sendAll(fd.get(), std::string(1, '\0') + "AUTH EXTERNAL " + hex + "\r\nBEGIN\r\n",
                   nowMs() + 1000));
    ManagerConnection c(std::move(fd));
    c.authPending_ = true;
    return c;
}

Status ManagerConnection::authenticated(int timeoutMs) {
    return finishAuth(nowMs() + timeoutMs);
}

Status ManagerConnection::finishAuth(int64_t deadlineMs) {
    if (!authPending_) return Ok();
    size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) {
        if (buffer_.size() > 512)
            return Error("the user manager's answer to AUTH is too long", EPROTO);
        LB_TRY(receiveMore(fd_.get(), buffer_, deadlineMs));
    }
    if (buffer_.compare(0, 3, "OK ") != 0)
        return Error("the user manager refused the connection: " + buffer_.substr(0, end), EACCES);
    // What follows the line are D-Bus messages (the manager's answers after BEGIN).
    buffer_.erase(0, end + 2);
    authPending_ = false;
    return Ok();
}

Result<std::string> ManagerConnection::next(int64_t deadlineMs) {
    LB_TRY(finishAuth(deadlineMs));
    for (;;) {
        auto size = dbusMessageSize(buffer_);
        if (!size || *size > kMaxMessage)
            return Error("the user manager sent something that is not a D-Bus message", EPROTO);
        if (*size > 0 && buffer_.size() >= *size) {
            std::string m = buffer_.substr(0, *size);
            buffer_.erase(0, *size);
            return m;
        }
        LB_TRY(receiveMore(fd_.get(), buffer_, deadlineMs));
    }
}

Result<ManagerConnection::Reply> ManagerConnection::call(const std::string& member,
                                                         const std::string& signature,
                                                         const std::string& body, int timeoutMs) {
    const int64_t deadline = nowMs() + timeoutMs;
    const uint32_t serial = ++serial_;
    LB_TRY(sendAll(fd_.get(),
                   dbusMethodCall(serial, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                  "org.freedesktop.systemd1.Manager", member, signature, body),
                   deadline));
    for (;;) {
        LB_ASSIGN(std::string m, next(deadline));
        auto h = parseDbusHeader(m);
        if (!h) return Error("the user manager sent a message that cannot be read", EPROTO);
        remember(m, *h);
        if (h->replySerial != serial || (h->type != DbusType::Return && h->type != DbusType::Error))
            continue;
        Reply reply;
        reply.ok = h->type == DbusType::Return;
        auto args = dbusBasicArguments(m, *h);
        std::string first = args && !args->empty() ? args->front() : std::string();
        if (reply.ok) {
            reply.value = first;
        } else {
            reply.errorName = h->errorName;
            reply.errorMessage = first;
        }
        return reply;
    }
}

Result<std::string> ManagerConnection::waitForJob(const std::string& job, int timeoutMs) {
    const int64_t deadline = nowMs() + timeoutMs;
    for (;;) {
        for (const auto& r : removed_)
            if (r.job == job) return r.result;
        LB_ASSIGN(std::string m, next(deadline));
        auto h = parseDbusHeader(m);
        if (!h) return Error("the user manager sent a message that cannot be read", EPROTO);
        remember(m, *h);
    }
}

void ManagerConnection::remember(const std::string& m, const DbusHeader& h) {
    if (h.type != DbusType::Signal || h.member != "JobRemoved" ||
        h.interface != "org.freedesktop.systemd1.Manager")
        return;
    // "uoss": id, job, unit, result
    if (auto args = dbusBasicArguments(m, h); args && args->size() == 4)
        removed_.push_back({(*args)[1], (*args)[3]});
    if (removed_.size() > 256) removed_.erase(removed_.begin());  // others' jobs, long done
}

}  // namespace lb
