// The caller's terminal, relayed to a pty allocated inside the sandbox's own devpts. The
// program never holds a descriptor of the outer terminal, so no ioctl of its can reach it.
#pragma once

#include <poll.h>
#include <termios.h>

#include <vector>

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

}  // namespace lb
