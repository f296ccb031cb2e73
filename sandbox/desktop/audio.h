// Sound: the sound server's socket bound into the sandbox's own runtime directory.
//   pulseaudio: $XDG_RUNTIME_DIR/pulse/native (or the path in a "unix:" PULSE_SERVER), and the
//               cookie (~/.config/pulse/cookie, read-only) when there is one; PULSE_SERVER and
//               PULSE_COOKIE point at them. PipeWire's pipewire-pulse serves the same socket.
//   pipewire:   $XDG_RUNTIME_DIR/pipewire-0, where PipeWire clients look by default.
// The server sees the program's real uid on its socket, as for any other program of the user.
#pragma once

#include <string>

#include "desktop/desktop.h"

namespace lb {

// Host paths the plan uses (empty when unknown).
std::string pulseSocketPath(const DesktopHost& host);
std::string pulseCookiePath(const DesktopHost& host);
std::string pipewireSocketPath(const DesktopHost& host);

// `mode`: none | pulseaudio | pipewire | both. A warning per socket asked for and missing.
DesktopPlan planAudio(const std::string& mode, const DesktopHost& host, const DesktopContext& ctx);

}  // namespace lb
