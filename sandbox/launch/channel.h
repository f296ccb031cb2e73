// Messages between the runner and the processes it starts (the setup process, PID 1 and the
// program just before execve). A SOCK_SEQPACKET socketpair keeps message boundaries; a file
// descriptor can travel with a message (SCM_RIGHTS); with SO_PASSCRED on the runner's end the
// kernel attaches the sender's pid *as seen from the runner's PID namespace*, which is how the
// runner learns the host pid of a process inside the sandbox.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/fsutil.h"

namespace lb {

struct Message {
    std::string type;
    std::string payload;
    UniqueFd fd;                 // the first descriptor received, if any
    std::vector<UniqueFd> more;  // the others
    pid_t senderPid = 0;
};

// A connected pair (close-on-exec); the first end gets SO_PASSCRED.
Result<std::pair<UniqueFd, UniqueFd>> makeChannel();

Status sendMessage(int sock, std::string_view type, std::string_view payload = {}, int fd = -1);
Status sendMessage(int sock, std::string_view type, std::string_view payload,
                   const std::vector<int>& fds);
// std::nullopt at end of stream (every sender closed its end).
Result<std::optional<Message>> receiveMessage(int sock);

}  // namespace lb
