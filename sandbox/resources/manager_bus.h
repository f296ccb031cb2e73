// The systemd user manager's own socket ($XDG_RUNTIME_DIR/systemd/private), spoken to directly:
// D-Bus peer to peer (base/dbus_wire.h), without libsystemd. A launch asks for one scope and
// waits for its job; loading libsystemd for that (it maps libgcrypt, liblzma, libzstd, liblz4
// and libcap with it) cost about 3 ms of CPU per launch, more than the talk itself (issue 25).
// Only what that talk needs: calls to the Manager object, their replies and errors, and the
// JobRemoved signals that pass meanwhile (the manager sends its signals to every connection on
// this socket). Other messages are skipped by their header; one that cannot be read ends the
// talk with an error, never a guess.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/dbus_wire.h"
#include "base/error.h"
#include "base/fsutil.h"

namespace lb {

class ManagerConnection {
public:
    // Connect and authenticate (SASL EXTERNAL: the manager checks the socket's credentials
    // against the uid we name), within timeoutMs.
    static Result<ManagerConnection> connect(const std::string& socketPath, int timeoutMs);
    // Connect and send the authentication and BEGIN at once, without waiting for the answer
    // (as sd-bus does): the first call follows at once, and the manager's OK comes with its
    // reply, one round trip instead of two (issue 25). The answer is read by authenticated(), or
    // by the first call.
    static Result<ManagerConnection> open(const std::string& socketPath);
    // The manager's answer to the authentication: OK, or why not, within the deadline.
    Status authenticated(int timeoutMs);
    // Whether that answer is still to come (or was a refusal).
    bool authPending() const { return authPending_; }

    struct Reply {
        bool ok = false;
        std::string value;      // a reply's first argument, when it is a string or a path
        std::string errorName;  // an error's name and text
        std::string errorMessage;
    };
    // Call a method of org.freedesktop.systemd1.Manager with `body` of `signature` and wait (up
    // to timeoutMs) for its reply or error.
    Result<Reply> call(const std::string& member, const std::string& signature,
                       const std::string& body, int timeoutMs);
    // Wait (up to timeoutMs) for the JobRemoved signal of `job`: its result ("done", ...).
    // With 0, only what has already come is read (ETIMEDOUT when the signal is not among it).
    Result<std::string> waitForJob(const std::string& job, int timeoutMs);
    int fd() const { return fd_.get(); }

private:
    explicit ManagerConnection(UniqueFd fd) : fd_(std::move(fd)) {}
    // The next whole message, reading as needed until the deadline (CLOCK_MONOTONIC, ms).
    Result<std::string> next(int64_t deadlineMs);
    // Read the answer to AUTH (open()) if it has not been read yet.
    Status finishAuth(int64_t deadlineMs);
    // Keep the job and result of a JobRemoved signal, if `m` is one.
    void remember(const std::string& m, const DbusHeader& h);

    struct Removed {
        std::string job, result;
    };
    UniqueFd fd_;
    uint32_t serial_ = 0;
    bool authPending_ = false;  // AUTH and BEGIN sent, the answer not read yet
    std::string buffer_;
    std::vector<Removed> removed_;
};

}  // namespace lb
