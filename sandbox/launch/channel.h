// Messages between the runner and the processes it starts (the setup process, PID 1 and the
// program just before execve), and between a caller joining a running sandbox and its runner.
//
// Transport: a SOCK_SEQPACKET socket keeps message boundaries; a file descriptor can travel with
// a message (SCM_RIGHTS); with SO_PASSCRED on the runner's end of the channel the kernel
// attaches the sender's pid *as seen from the runner's PID namespace*, which is how the runner
// learns the host pid of a process inside the sandbox.
//
// Every message is one of `Msg`; its payload has exactly one encoder and one decoder below.
// The order in which they are sent is the launch sequence of docs/architecture.md.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/fsutil.h"
#include "isolation/file_grants.h"

namespace lb {

enum class Msg : uint8_t {
    // setup process -> runner
    SetupFailed = 1,  // text: "step: error"; the setup process exits 125 after it
    NamespacesReady,  // the namespaces exist: the runner may start slirp4netns for them
    Warning,          // text, said once by the runner
    Pid1Killed,       // number: the signal that killed PID 1 from outside
    Recoverable,      // recover_watch's list for an ephemeral sandbox (encodeRecoverable)
    // runner -> setup process
    Scoped,  // the scope exists: processes started from now on are born in it
    Go,      // the network is up: start PID 1
    Abort,   // give up (a port forward could not be set up)
    // PID 1 -> runner
    ProgramTerminal,   // fd: the master of the program's pty
    ProgramExited,     // ExitStatus of the program
    JoinedStarted,     // token; the sender is the joined program, before its execve
    JoinedTerminal,    // token; fd: the master of the joined program's pty
    JoinedExecFailed,  // Joined{token, errno}
    JoinedEnded,       // Joined{token, JoinResult}
    // the program, before its execve -> runner
    ProgramStarted,     // nothing: the kernel attaches its pid
    ProgramExecFailed,  // number: errno of execve
    SeccompListener,    // text: the token (empty: the main program); fd: its filter's listener
    // runner -> PID 1
    Signal,        // number: relay this signal to the program
    JoinedSignal,  // Joined{token, signal}
    StartJoined,   // Joined{token, ExecRequest}; fds: the caller's stdio pipes (no pty)
    // joining caller <-> runner, over the control socket
    ExecRequest,   // caller -> runner: ExecRequest; fds: stdin, stdout, stderr pipes (no pty)
    CallerSignal,  // caller -> runner: number
    JoinStarted,   // runner -> caller: number, the program's pid on the host
    JoinTerminal,  // runner -> caller: fd, the master of the program's pty
    JoinEnded,     // runner -> caller: JoinResult
    GrantFile,     // caller -> runner: FileGrant, to show in the running sandbox now
    RevokeFile,    // caller -> runner: text, the path of a grant to take back now
    GrantDone,     // runner -> caller: GrantReply
    // PID 1 -> runner
    ProgramOutlived,  // number: processes still running when the program's first one exited
    // runner -> PID 1
    Stop,  // layerbox stop: SIGTERM to every process of the sandbox
    // setup process -> runner
    SetupEnded,  // number: the setup process's exit status; nothing of the sandbox runs any more
    // runner -> PID 1
    Kill,  // the launch failed after the program started (slirp4netns): SIGKILL to every process
};

// The name of a message, for errors and traces ("ProgramExited").
std::string_view msgName(Msg type);

struct Message {
    Msg type = Msg::Warning;
    std::string payload;
    UniqueFd fd;                 // the first descriptor received, if any
    std::vector<UniqueFd> more;  // the others
    pid_t senderPid = 0;         // with SO_PASSCRED on the receiving end
};

// A connected pair (close-on-exec); the first end gets SO_PASSCRED.
Result<std::pair<UniqueFd, UniqueFd>> makeChannel();

Status sendMessage(int sock, Msg type, std::string_view payload = {},
                   const std::vector<int>& fds = {});
// std::nullopt at end of stream (every sender closed its end). A message of an unknown type is
// an error: both ends are the same executable, so it can only be corruption.
Result<std::optional<Message>> receiveMessage(int sock);

// ---------------------------------------------------------------------------------------------
// Payloads: one encoder and one decoder each. Decoders return std::nullopt on malformed input.

std::string encodeNumber(int64_t n);
std::optional<int64_t> decodeNumber(std::string_view s);

// How a process ended, from wait(2).
struct ExitStatus {
    bool signaled = false;
    int value = 0;  // exit code, or the signal
    static ExitStatus fromWait(int waitStatus);
    // What a shell reports: the code, or 128 + the signal.
    int shellStatus() const { return signaled ? 128 + value : value; }
    // "exited with status 3", "killed by signal 9".
    std::string describe() const;
    bool operator==(const ExitStatus&) const = default;
};
std::string encodeExitStatus(const ExitStatus& s);
std::optional<ExitStatus> decodeExitStatus(std::string_view s);

// How a joined command ended: it ran and exited, its execve failed, or it could not be started.
struct JoinResult {
    enum class Kind { Exited, ExecFailed, Failed };
    Kind kind = Kind::Failed;
    ExitStatus exit;    // Exited
    int execErrno = 0;  // ExecFailed
    std::string error;  // Failed
    bool operator==(const JoinResult&) const = default;
};
std::string encodeJoinResult(const JoinResult& r);
std::optional<JoinResult> decodeJoinResult(std::string_view s);

// Messages about one joined command carry the runner's token for its caller first.
struct Joined {
    std::string token;  // digits
    std::string body;   // the rest, itself encoded by one of the codecs here
};
std::string encodeJoined(const Joined& j);
std::optional<Joined> decodeJoined(std::string_view s);

// What a joining caller asks for.
struct ExecRequest {
    std::string cwd;
    std::vector<std::string> argv;  // empty: the command the sandbox was started with
    std::vector<std::string> env;   // the caller's; the runner builds the program's from it
    bool pty = false;
};
std::string encodeExecRequest(const ExecRequest& r);
std::optional<ExecRequest> decodeExecRequest(std::string_view s);

// A file for a running sandbox (`run` with files on a running profile, `grants rm`).
std::string encodeFileGrant(const FileGrant& g);
std::optional<FileGrant> decodeFileGrant(std::string_view s);

// The runner's answer to GrantFile and RevokeFile.
struct GrantReply {
    enum class Kind { Done, NotGranted, Failed };
    Kind kind = Kind::Failed;
    std::string error;  // Failed
    bool operator==(const GrantReply&) const = default;
};
std::string encodeGrantReply(const GrantReply& r);
std::optional<GrantReply> decodeGrantReply(std::string_view s);

}  // namespace lb
