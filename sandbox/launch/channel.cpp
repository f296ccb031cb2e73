#include "launch/channel.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

namespace lb {

namespace {

constexpr Msg kLastMsg = Msg::Kill;

bool knownType(uint8_t t) {
    return t >= static_cast<uint8_t>(Msg::SetupFailed) && t <= static_cast<uint8_t>(kLastMsg);
}

// A message is at most this big; the biggest are exec requests (a caller's environment) and
// recover_watch lists, which are cut into chunks below this.
constexpr size_t kMaxMessage = 64 * 1024;
constexpr size_t kMaxFds = 4;

}  // namespace

std::string_view msgName(Msg type) {
    switch (type) {
        case Msg::SetupFailed:
            return "SetupFailed";
        case Msg::NamespacesReady:
            return "NamespacesReady";
        case Msg::Warning:
            return "Warning";
        case Msg::Pid1Killed:
            return "Pid1Killed";
        case Msg::Recoverable:
            return "Recoverable";
        case Msg::Scoped:
            return "Scoped";
        case Msg::Go:
            return "Go";
        case Msg::Abort:
            return "Abort";
        case Msg::ProgramTerminal:
            return "ProgramTerminal";
        case Msg::ProgramExited:
            return "ProgramExited";
        case Msg::JoinedStarted:
            return "JoinedStarted";
        case Msg::JoinedTerminal:
            return "JoinedTerminal";
        case Msg::JoinedExecFailed:
            return "JoinedExecFailed";
        case Msg::JoinedEnded:
            return "JoinedEnded";
        case Msg::ProgramStarted:
            return "ProgramStarted";
        case Msg::ProgramExecFailed:
            return "ProgramExecFailed";
        case Msg::SeccompListener:
            return "SeccompListener";
        case Msg::Signal:
            return "Signal";
        case Msg::JoinedSignal:
            return "JoinedSignal";
        case Msg::StartJoined:
            return "StartJoined";
        case Msg::ExecRequest:
            return "ExecRequest";
        case Msg::GrantFile:
            return "GrantFile";
        case Msg::RevokeFile:
            return "RevokeFile";
        case Msg::GrantDone:
            return "GrantDone";
        case Msg::ProgramOutlived:
            return "ProgramOutlived";
        case Msg::Stop:
            return "Stop";
        case Msg::SetupEnded:
            return "SetupEnded";
        case Msg::Kill:
            return "Kill";
        case Msg::CallerSignal:
            return "CallerSignal";
        case Msg::JoinStarted:
            return "JoinStarted";
        case Msg::JoinTerminal:
            return "JoinTerminal";
        case Msg::JoinEnded:
            return "JoinEnded";
    }
    return "unknown";
}

Result<std::pair<UniqueFd, UniqueFd>> makeChannel() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return Error::fromErrno("socketpair");
    UniqueFd a(sv[0]), b(sv[1]);
    int one = 1;
    if (::setsockopt(a.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0)
        return Error::fromErrno("setsockopt(SO_PASSCRED)");
    return std::make_pair(std::move(a), std::move(b));
}

Status sendMessage(int sock, Msg type, std::string_view payload, const std::vector<int>& fds) {
    std::string buf(1, static_cast<char>(type));
    buf += payload;
    if (buf.size() > kMaxMessage)
        return Error("sendmsg(" + std::string(msgName(type)) + "): message too long", EMSGSIZE);
    if (fds.size() > kMaxFds)
        return Error("sendmsg(" + std::string(msgName(type)) + "): too many descriptors", EINVAL);
    struct iovec iov = {buf.data(), buf.size()};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
    if (!fds.empty()) {
        std::memset(control, 0, sizeof control);
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    for (;;) {
        if (::sendmsg(sock, &msg, MSG_NOSIGNAL) >= 0) return Ok();
        if (errno != EINTR) return Error::fromErrno("sendmsg(" + std::string(msgName(type)) + ")");
    }
}

Result<std::optional<Message>> receiveMessage(int sock) {
    // Not zero-filled (issue 25): the kernel writes only what was sent, a few bytes as a rule,
    // and filling all 64 KiB wrote 16 pages of the heap, each a page fault (copy-on-write ones
    // after the fork) in the runner and in the setup process on the way to the program's start.
    // Only the n bytes received are read below.
    const auto data = std::make_unique_for_overwrite<char[]>(kMaxMessage);
    struct iovec iov = {data.get(), kMaxMessage};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(struct cmsghdr) char
        control[CMSG_SPACE(sizeof(int) * kMaxFds) + CMSG_SPACE(sizeof(struct ucred))];
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    int resets = 0;
    do {
        n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        // A peer that exits with messages of ours unread leaves ECONNRESET pending on our end,
        // which the kernel reports (once) before the messages the peer sent us last: the
        // setup process failing while the runner's "Go" is unread must not lose its reason.
    } while (n < 0 && (errno == EINTR || (errno == ECONNRESET && ++resets == 1)));
    if (n < 0) return Error::fromErrno("recvmsg");
    Message m;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET) continue;
        if (c->cmsg_type == SCM_RIGHTS) {
            size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; ++i) {
                int fd;
                std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                if (!m.fd.valid())
                    m.fd.reset(fd);
                else
                    m.more.emplace_back(fd);
            }
        } else if (c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred cred;
            std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
            m.senderPid = cred.pid;
        }
    }
    if (n == 0) return std::optional<Message>();
    if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
        return Error("recvmsg: message truncated", EMSGSIZE);
    auto type = static_cast<uint8_t>(data[0]);
    if (!knownType(type))
        return Error("recvmsg: unknown message type " + std::to_string(type), EBADMSG);
    m.type = static_cast<Msg>(type);
    m.payload.assign(data.get() + 1, static_cast<size_t>(n) - 1);
    return std::optional<Message>(std::move(m));
}

// ---------------------------------------------------------------------------------------------
// Payloads

std::string encodeNumber(int64_t n) {
    return std::to_string(n);
}

std::optional<int64_t> decodeNumber(std::string_view s) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

ExitStatus ExitStatus::fromWait(int st) {
    if (WIFSIGNALED(st)) return {true, WTERMSIG(st)};
    return {false, WEXITSTATUS(st)};
}

std::string ExitStatus::describe() const {
    return signaled ? "killed by signal " + std::to_string(value)
                    : "exited with status " + std::to_string(value);
}

std::string encodeExitStatus(const ExitStatus& s) {
    return (s.signaled ? "signal " : "code ") + std::to_string(s.value);
}

std::optional<ExitStatus> decodeExitStatus(std::string_view s) {
    ExitStatus out;
    if (s.starts_with("code ")) {
        s.remove_prefix(5);
    } else if (s.starts_with("signal ")) {
        out.signaled = true;
        s.remove_prefix(7);
    } else {
        return std::nullopt;
    }
    auto n = decodeNumber(s);
    if (!n || *n < 0 || *n > 255) return std::nullopt;
    out.value = static_cast<int>(*n);
    return out;
}

std::string encodeJoinResult(const JoinResult& r) {
    switch (r.kind) {
        case JoinResult::Kind::Exited:
            return "exit " + encodeExitStatus(r.exit);
        case JoinResult::Kind::ExecFailed:
            return "execfail " + encodeNumber(r.execErrno);
        case JoinResult::Kind::Failed:
            return "error " + r.error;
    }
    return {};
}

std::optional<JoinResult> decodeJoinResult(std::string_view s) {
    JoinResult r;
    if (s.starts_with("exit ")) {
        auto e = decodeExitStatus(s.substr(5));
        if (!e) return std::nullopt;
        r.kind = JoinResult::Kind::Exited;
        r.exit = *e;
    } else if (s.starts_with("execfail ")) {
        auto n = decodeNumber(s.substr(9));
        if (!n || *n <= 0 || *n > 4095) return std::nullopt;
        r.kind = JoinResult::Kind::ExecFailed;
        r.execErrno = static_cast<int>(*n);
    } else if (s.starts_with("error ")) {
        r.kind = JoinResult::Kind::Failed;
        r.error = std::string(s.substr(6));
    } else {
        return std::nullopt;
    }
    return r;
}

std::string encodeJoined(const Joined& j) {
    return j.token + ' ' + j.body;
}

std::optional<Joined> decodeJoined(std::string_view s) {
    auto sp = s.find(' ');
    std::string_view token = s.substr(0, sp);
    if (token.empty() || token.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    return Joined{std::string(token),
                  sp == std::string_view::npos ? std::string() : std::string(s.substr(sp + 1))};
}

namespace {

// Strings are length-prefixed ("5:hello"), so any byte, NUL included, travels unchanged.
void putString(std::string& out, std::string_view s) {
    out += std::to_string(s.size());
    out += ':';
    out += s;
}

bool getString(std::string_view& in, std::string& out) {
    auto colon = in.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 7) return false;
    auto n = decodeNumber(in.substr(0, colon));
    if (!n || *n < 0 || static_cast<size_t>(*n) > in.size() - colon - 1) return false;
    out.assign(in.substr(colon + 1, static_cast<size_t>(*n)));
    in.remove_prefix(colon + 1 + static_cast<size_t>(*n));
    return true;
}

void putList(std::string& out, const std::vector<std::string>& v) {
    putString(out, std::to_string(v.size()));
    for (const auto& s : v)
        putString(out, s);
}

bool getList(std::string_view& in, std::vector<std::string>& out) {
    std::string count;
    if (!getString(in, count)) return false;
    auto n = decodeNumber(count);
    if (!n || *n < 0 || *n > 100000) return false;
    out.clear();
    for (int64_t i = 0; i < *n; ++i) {
        std::string s;
        if (!getString(in, s)) return false;
        out.push_back(std::move(s));
    }
    return true;
}

}  // namespace

std::string encodeExecRequest(const ExecRequest& r) {
    std::string out;
    putString(out, r.cwd);
    putList(out, r.argv);
    putList(out, r.env);
    putString(out, r.pty ? "1" : "0");
    return out;
}

std::optional<ExecRequest> decodeExecRequest(std::string_view s) {
    ExecRequest r;
    std::string pty;
    if (!getString(s, r.cwd) || !getList(s, r.argv) || !getList(s, r.env) || !getString(s, pty) ||
        !s.empty() || (pty != "0" && pty != "1"))
        return std::nullopt;
    r.pty = pty == "1";
    return r;
}

std::string encodeFileGrant(const FileGrant& g) {
    std::string out;
    putString(out, g.path);
    putString(out, g.rw ? "rw" : "ro");
    putString(out, std::to_string(g.dev));
    putString(out, std::to_string(g.ino));
    return out;
}

std::optional<FileGrant> decodeFileGrant(std::string_view s) {
    FileGrant g;
    std::string mode, dev, ino;
    if (!getString(s, g.path) || !getString(s, mode) || !getString(s, dev) || !getString(s, ino) ||
        !s.empty() || (mode != "ro" && mode != "rw") || g.path.empty() || g.path[0] != '/')
        return std::nullopt;
    auto u64 = [](const std::string& t, uint64_t& v) {
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        return !t.empty() && ec == std::errc() && end == t.data() + t.size();
    };
    if (!u64(dev, g.dev) || !u64(ino, g.ino)) return std::nullopt;
    g.rw = mode == "rw";
    return g;
}

std::string encodeGrantReply(const GrantReply& r) {
    std::string out;
    putString(out, std::to_string(static_cast<int>(r.kind)));
    putString(out, r.error);
    return out;
}

std::optional<GrantReply> decodeGrantReply(std::string_view s) {
    GrantReply r;
    std::string kind;
    if (!getString(s, kind) || !getString(s, r.error) || !s.empty()) return std::nullopt;
    if (kind == "0")
        r.kind = GrantReply::Kind::Done;
    else if (kind == "1")
        r.kind = GrantReply::Kind::NotGranted;
    else if (kind == "2")
        r.kind = GrantReply::Kind::Failed;
    else
        return std::nullopt;
    return r;
}

}  // namespace lb
