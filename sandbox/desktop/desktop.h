// Desktop programs in the sandbox: the display (display.cpp), sound (audio.cpp), appearance
// settings (theme.cpp) and D-Bus through xdg-dbus-proxy (dbusproxy.cpp). Each concern has a pure
// plan over the facts of the user's session, gathered once by the runner (probeDesktopHost);
// planDesktop() combines them into what the launch needs: mounts, environment variables, the
// proxy to start, and warnings said once.
//
// What never happens, whatever the profile says: the user's runtime directory, the unfiltered
// session bus and the systemd user manager's sockets ($XDG_RUNTIME_DIR/systemd/private,
// $XDG_RUNTIME_DIR/bus) are not bound into the sandbox. A program that reached any of them could
// ask systemd to run anything outside. Only single sockets are bound, each into the sandbox's own
// runtime directory (a fresh tmpfs): the display's, the sound server's, and the proxy's.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "isolation/mounts.h"

namespace lb {

struct Paths;
struct Profile;

// desktop.open_uri "ask": the gate between the sandbox and its proxy (open_uri_gate.h).
struct OpenUriGatePlan {
    std::string listen;    // host path of the socket the sandbox gets as its session bus
    std::string upstream;  // xdg-dbus-proxy's session socket, which the gate connects to
    std::string sandbox;   // the profile's name, shown in the question
    std::string opener;    // the host's xdg-open, run on the user's yes
    bool wanted() const { return !listen.empty(); }
};

// xdg-dbus-proxy, as the runner starts it (before the setup process, which binds its sockets).
struct DbusProxyPlan {
    std::string binary;                // absolute path of xdg-dbus-proxy
    std::vector<std::string> args;     // after the binary; --fd=N is added at start
    std::vector<std::string> sockets;  // host paths it listens on, removed when it ends
    bool wanted() const { return !args.empty(); }
    // The desktop portal's sandbox identity (portals.h): the /.flatpak-info the proxy's own
    // root holds, and the empty host directory that root is mounted on. Empty: none.
    std::string identity, identityRoot;
    OpenUriGatePlan gate;  // empty: the sandbox talks to the proxy itself
};

// What the desktop concerns add to a sandbox.
struct DesktopPlan {
    std::vector<MountOp> mounts;             // sockets, devices, generated files
    std::map<std::string, std::string> env;  // DISPLAY, WAYLAND_DISPLAY, PULSE_SERVER ...
    std::vector<std::string> warnings;       // said once at launch (stderr and status event)
    DbusProxyPlan dbusProxy;
    void append(DesktopPlan other);
};

// Facts of the user's session, gathered by the runner.
struct DesktopHost {
    std::string home;        // the user's real home
    std::string runtimeDir;  // the user's $XDG_RUNTIME_DIR
    std::string hostname;    // the host's name: local Xauthority entries carry it
    // DISPLAY, XAUTHORITY, WAYLAND_DISPLAY, PULSE_SERVER, PULSE_COOKIE,
    // DBUS_SESSION_BUS_ADDRESS, DBUS_SYSTEM_BUS_ADDRESS, as the caller has them.
    std::map<std::string, std::string> env;
    std::string xauthority;       // bytes of the Xauthority file; empty when there is none
    std::set<std::string> exist;  // which of the paths the plans might use exist
    std::string dbusProxy;        // xdg-dbus-proxy's path; empty when not installed
    std::string xephyr;           // Xephyr's path (x11 "isolated"); empty when not installed
    std::string xdgOpen;          // xdg-open's path (open_uri "ask"); empty when not installed
    // The document portal's mount point when the profile talks to the portals (portals.h);
    // empty with docPortalProblem saying why.
    std::string docPortalMount, docPortalProblem;
    // desktop.x11 "isolated": the display number and cookie of the nested X server the runner
    // started for this sandbox (nested_x11.h); no number when there is none, and
    // nestedX11Problem says why.
    std::string nestedX11Number, nestedX11Cookie, nestedX11Problem;

    std::string var(const std::string& name) const;
    bool has(const std::string& path) const { return exist.count(path) > 0; }
};

// The sandbox's side.
struct DesktopContext {
    std::string runtimeDir;   // XDG_RUNTIME_DIR inside: "/run/user/UID"
    std::string hostname;     // the sandbox's host name
    std::string instanceDir;  // $XDG_RUNTIME_DIR/layerbox/instances: where the proxy listens
    std::string instance;     // the sandbox's id
};

// A read-only bind of one host socket (or file) onto `target` inside. connect() needs no write
// access to the mount, so a read-only bind is enough and keeps the node from being replaced.
MountOp bindSocket(const std::string& source, const std::string& target);

// Everything the profile's "desktop" section asks for, on this session (pure). The theme binds
// come first (theme.h); they are mount points inside the home, so `layerbox diff` adds them to
// its own call of planMounts and does not list them as changes.
DesktopPlan planDesktop(const Profile& profile, const DesktopHost& host, const DesktopContext& ctx);
// The D-Bus proxy's part of planDesktop alone (it does not depend on the display): the runner
// starts the proxy while an isolated display's server starts.
DbusProxyPlan planDesktopBus(const Profile& profile, const DesktopHost& host,
                             const DesktopContext& ctx);

// Read the caller's environment, the Xauthority file (when x11 is asked for) and which of the
// sockets and devices exist.
DesktopHost probeDesktopHost(const Profile& profile, const Paths& paths);

}  // namespace lb
