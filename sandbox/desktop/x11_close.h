// layerbox stop, first step (issue 21): ask the sandbox's windows to close, as a desktop
// session does at logout, so that a program saves its state and ends as after its own Quit (a
// browser keeps its session, no crash prompt at the next start). On X11 that is the
// WM_DELETE_WINDOW client message of the ICCCM, sent to every top-level window that takes it.
//
// Which windows: on the sandbox's own nested X server (x11 "isolated") every window there; on
// the desktop's server (x11 "host") those whose _NET_WM_PID is a process of the sandbox, as the
// sandbox's PID namespace numbers it (the program knows only that number), and whose
// WM_CLIENT_MACHINE is the sandbox's host name (EWMH: a pid means something only with its
// machine; every sandbox has a host name of its own, so another sandbox's pid 5 is not ours).
// A window of another program cannot be reached by mistake: one that lies about its pid
// and host name only asks to be closed itself.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"

namespace lb {

// What stop reads of one top-level window.
struct X11WindowFacts {
    uint32_t id = 0;
    std::optional<int64_t> pid;  // _NET_WM_PID
    std::string machine;         // WM_CLIENT_MACHINE
    bool takesDelete = false;    // WM_PROTOCOLS names WM_DELETE_WINDOW
};

// Which windows to send WM_DELETE_WINDOW (pure). `wholeServer`: the sandbox's own server.
std::vector<uint32_t> planWindowClose(const std::vector<X11WindowFacts>& windows,
                                      const std::set<int64_t>& sandboxPids,
                                      const std::string& hostname, bool wholeServer);

// The sandbox's processes as its PID namespace numbers them, from the host pids of its
// processes (NSpid in /proc/PID/status, one level below this process's namespace).
std::set<int64_t> sandboxNamespacePids(const std::vector<pid_t>& hostPids);

// Connect to `display` (with the cookie of the Xauthority file `xauthFile` when not empty),
// read the top-level windows and send WM_DELETE_WINDOW to those planWindowClose picks. Returns
// how many were asked.
Result<int> closeX11Windows(const std::string& display, const std::string& xauthFile,
                            const std::set<int64_t>& sandboxPids, const std::string& hostname,
                            bool wholeServer);

}  // namespace lb
