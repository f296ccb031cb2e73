#include "launch/channel.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lb {

Result<std::pair<UniqueFd, UniqueFd>> makeChannel() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return Error::fromErrno("socketpair");
    int one = 1;
    if (::setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) {
        int err = errno;
        ::close(sv[0]);
        ::close(sv[1]);
        return Error::sys("setsockopt(SO_PASSCRED)", err);
    }
    return std::make_pair(UniqueFd(sv[0]), UniqueFd(sv[1]));
}

Status sendMessage(int sock, std::string_view type, std::string_view payload, int fd) {
    return sendMessage(sock, type, payload, fd >= 0 ? std::vector<int>{fd} : std::vector<int>{});
}

Status sendMessage(int sock, std::string_view type, std::string_view payload,
                   const std::vector<int>& fds) {
    std::string buf(type);
    buf += '\0';
    buf += payload;
    struct iovec iov = {buf.data(), buf.size()};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    if (fds.size() > 4) return Error("sendmsg: too many descriptors", EINVAL);
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
        if (errno != EINTR) return Error::fromErrno("sendmsg(" + std::string(type) + ")");
    }
}

Result<std::optional<Message>> receiveMessage(int sock) {
    char data[8192];
    struct iovec iov = {data, sizeof data};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(struct cmsghdr) char
        control[CMSG_SPACE(sizeof(int) * 4) + CMSG_SPACE(sizeof(struct ucred))];
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
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
    std::string all(data, static_cast<size_t>(n));
    auto nul = all.find('\0');
    m.type = all.substr(0, nul);
    if (nul != std::string::npos) m.payload = all.substr(nul + 1);
    return std::optional<Message>(std::move(m));
}

}  // namespace lb
