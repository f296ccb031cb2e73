#include "desktop/audio.h"

#include "base/fsutil.h"

namespace lb {

std::string pulseSocketPath(const DesktopHost& host) {
    // A PULSE_SERVER naming a local socket wins; TCP servers are not passed in (the sandbox
    // has its own network and firewall for that).
    std::string server = host.var("PULSE_SERVER");
    if (startsWith(server, "unix:/")) return normalizePath(server.substr(5));
    if (host.runtimeDir.empty()) return {};
    return joinPath(host.runtimeDir, "pulse/native");
}

std::string pulseCookiePath(const DesktopHost& host) {
    std::string cookie = host.var("PULSE_COOKIE");
    if (startsWith(cookie, "/")) return normalizePath(cookie);
    return joinPath(host.home, ".config/pulse/cookie");
}

std::string pipewireSocketPath(const DesktopHost& host) {
    if (host.runtimeDir.empty()) return {};
    return joinPath(host.runtimeDir, "pipewire-0");
}

DesktopPlan planAudio(const std::string& mode, const DesktopHost& host, const DesktopContext& ctx) {
    DesktopPlan out;
    if (mode == "pulseaudio" || mode == "both") {
        std::string socket = pulseSocketPath(host);
        if (socket.empty() || !host.has(socket)) {
            out.warnings.push_back("audio: no PulseAudio socket (" +
                                   (socket.empty() ? std::string("XDG_RUNTIME_DIR is not set")
                                                   : socket + " does not exist") +
                                   "); the program gets no PulseAudio sound");
        } else {
            std::string inside = joinPath(ctx.runtimeDir, "pulse/native");
            out.mounts.push_back(bindSocket(socket, inside));
            out.env["PULSE_SERVER"] = "unix:" + inside;
            // The cookie is only needed by servers that ask for it; the socket's credentials
            // (the user's own uid) are enough for a default per-user server.
            std::string cookie = pulseCookiePath(host);
            if (host.has(cookie)) {
                std::string cookieInside = joinPath(ctx.runtimeDir, "pulse/cookie");
                out.mounts.push_back(bindSocket(cookie, cookieInside));
                out.env["PULSE_COOKIE"] = cookieInside;
            }
        }
    }
    if (mode == "pipewire" || mode == "both") {
        std::string socket = pipewireSocketPath(host);
        if (socket.empty() || !host.has(socket)) {
            out.warnings.push_back("audio: no PipeWire socket (" +
                                   (socket.empty() ? std::string("XDG_RUNTIME_DIR is not set")
                                                   : socket + " does not exist") +
                                   "); the program gets no PipeWire sound");
        } else {
            out.mounts.push_back(bindSocket(socket, joinPath(ctx.runtimeDir, "pipewire-0")));
        }
    }
    return out;
}

}  // namespace lb
