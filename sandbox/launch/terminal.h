// The caller's terminal and standard streams, relayed into the sandbox. No descriptor of the
// caller's terminal ever enters the sandbox: a program holding one could read what the user
// types into the shell later, even after the program ended (a process left in the sandbox can
// take a descriptor from another with pidfd_getfd), or inject input where the kernel allows it.
//   TerminalRelay: a pty allocated inside the sandbox's own devpts; the runner copies bytes
//                  between it and the caller's terminal.
//   StdioRelay:    pipes in place of the caller's stdin, stdout and stderr, for programs without
//                  a pty (--no-pty, joined commands); the caller copies bytes.
#pragma once

#include <poll.h>
#include <termios.h>

#include <array>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fsutil.h"

namespace lb {

class TerminalRelay {
public:
    // Relay only when stdin and stdout are terminals and we are in the terminal's foreground
    // (putting it in raw mode from the background would stop us with SIGTTOU).
    static bool wanted();

    ~TerminalRelay() { restore(); }
    void attach(UniqueFd master);
    bool active() const { return master_.valid(); }
    // Add our descriptors to a poll set; `handle` reads the results back.
    void addTo(std::vector<struct pollfd>& fds);
    void handle(const std::vector<struct pollfd>& fds);
    void copyWindowSize();
    void restore();

private:
    UniqueFd master_;
    struct termios saved_ = {};
    bool raw_ = false;
    bool stdinOpen_ = true;
    int masterIdx_ = -1, stdinIdx_ = -1;
};

class StdioRelay {
public:
    // Pipes for the caller's fds 0, 1, 2 where `relay[i]` is set; the others are not touched.
    static Result<StdioRelay> create(std::array<bool, 3> relay);
    // Which of the caller's fds 0-2 are terminals: those must never be handed in.
    static std::array<bool, 3> terminals();

    bool any() const { return inner_[0].valid() || inner_[1].valid() || inner_[2].valid(); }
    // The ends for the sandbox: fd i stands in for the caller's fd i (invalid where not relayed).
    const std::array<UniqueFd, 3>& sandboxEnds() const { return inner_; }
    // Once they were handed over (sent, or inherited by a forked child).
    void closeSandboxEnds();

    void addTo(std::vector<struct pollfd>& fds);
    void handle(const std::vector<struct pollfd>& fds);
    // The program ended: copy out what is still in the pipes without waiting for more.
    void drain();

private:
    std::array<UniqueFd, 3> inner_;  // read end of stdin's pipe, write ends of stdout's, stderr's
    std::array<UniqueFd, 3> outer_;  // the caller's sides (non-blocking)
    std::string pendingIn_;          // read from our stdin, not yet taken by the program
    bool stdinOpen_ = true;
    int idx_[4] = {-1, -1, -1, -1};  // poll slots: our stdin, pipe in (POLLOUT), out, err
    bool copyOut(int which);         // false at end of stream
};

}  // namespace lb
