// What a Wayland client can do on the desktop's compositor beyond its own windows. A sandbox
// given `desktop.wayland` is a client of the user's compositor like any other: the compositor
// decides what it may do, and some compositors offer every client protocols that reach the
// rest of the desktop (screenshots of every output, reading the clipboard without focus,
// typing into other windows, listing them). wp_security_context_v1 lets a sandbox engine hand
// out a restricted connection; no compositor in Debian 12 offers it.
//
// waylandGlobals() asks the compositor for its globals over the wire protocol (wl_display
// get_registry, then sync), without libwayland: doctor, and the GUI through doctor --json.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace lb {

// The interface names the compositor at `socketPath` announces, sorted.
Result<std::vector<std::string>> waylandGlobals(const std::string& socketPath);

struct WaylandReach {
    std::string global;  // "zwlr_screencopy_manager_v1"
    std::string what;    // "take screenshots of every output"
};
// The globals among `globals` that reach beyond a client's own windows (pure).
std::vector<WaylandReach> waylandPrivileged(std::vector<std::string> globals);
// Whether the compositor offers wp_security_context_v1 (pure).
bool waylandHasSecurityContext(const std::vector<std::string>& globals);

}  // namespace lb
