#include "desktop/desktop.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "base/fsutil.h"
#include "base/paths.h"
#include "base/safe_open.h"
#include "desktop/audio.h"
#include "desktop/dbusproxy.h"
#include "desktop/display.h"
#include "desktop/portals.h"
#include "desktop/theme.h"
#include "profile/profile.h"

namespace lb {

void DesktopPlan::append(DesktopPlan other) {
    for (auto& m : other.mounts)
        mounts.push_back(std::move(m));
    for (auto& [k, v] : other.env)
        env[k] = std::move(v);
    for (auto& w : other.warnings)
        warnings.push_back(std::move(w));
    if (other.dbusProxy.wanted()) dbusProxy = std::move(other.dbusProxy);
}

std::string DesktopHost::var(const std::string& name) const {
    auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
}

MountOp bindSocket(const std::string& source, const std::string& target) {
    MountOp o;
    o.kind = MountKind::Bind;
    o.source = source;
    o.target = target;
    o.readOnly = true;
    return o;
}

namespace {

// What the desktop portal learns of the sandbox (the same for the plan and the proxy).
PortalSetup portalSetup(const Profile& profile) {
    PortalSetup portal;
    portal.appId = portalAppId(profile.name);
    portal.allowOpenUri = profile.desktop.openUri == "allow";
    portal.askOpenUri = profile.desktop.openUri == "ask";
    portal.sandbox = profile.name;
    portal.network = profile.network.mode != NetMode::None;
    return portal;
}

}  // namespace

DesktopPlan planDesktop(const Profile& profile, const DesktopHost& host,
                        const DesktopContext& ctx) {
    const DesktopConfig& d = profile.desktop;
    DesktopPlan out;
    // Appearance first: binds inside the home, which the sockets below do not depend on.
    out.mounts = planThemeMounts(d, host.home);
    out.append(planDisplay(d.x11, d.wayland, host, ctx));
    out.append(planAudio(d.audio, host, ctx));
    if (d.gpu) out.append(planGpu(host));
    out.append(planDbus(d.dbus, host, ctx, portalSetup(profile)));
    return out;
}

DbusProxyPlan planDesktopBus(const Profile& profile, const DesktopHost& host,
                             const DesktopContext& ctx) {
    return planDbus(profile.desktop.dbus, host, ctx, portalSetup(profile)).dbusProxy;
}

DesktopHost probeDesktopHost(const Profile& profile, const Paths& paths) {
    const DesktopConfig& d = profile.desktop;
    DesktopHost h;
    h.home = paths.home;
    h.runtimeDir = paths.runtimeDir;
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) == 0) h.hostname = name;
    for (const char* v : {"DISPLAY", "XAUTHORITY", "WAYLAND_DISPLAY", "PULSE_SERVER",
                          "PULSE_COOKIE", "DBUS_SESSION_BUS_ADDRESS", "DBUS_SYSTEM_BUS_ADDRESS"})
        if (const char* value = std::getenv(v)) h.env[v] = value;
    if (d.x11 == X11Mode::Host) {
        // Only for the host's display: an isolated one never reads the host's cookies. A cookie
        // file is small; anything huge is not one.
        struct stat st;
        std::string file = xauthorityPath(h);
        if (::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size < (1 << 20))
            if (auto bytes = readFile(file)) h.xauthority = std::move(*bytes);
    }
    if (d.x11 == X11Mode::Isolated) h.xephyr = findExecutable("Xephyr");
    if (d.dbus.sessionWanted() || d.dbus.systemWanted() || d.openUri == "ask")
        h.dbusProxy = findExecutable("xdg-dbus-proxy");
    if (d.openUri == "ask") h.xdgOpen = findExecutable("xdg-open");
    if (d.dbus.talksToPortals() && !h.dbusProxy.empty())
        h.docPortalMount = documentPortalMount(h.docPortalProblem);

    // Which of the paths the plans may use exist (lstat: a socket, a file or a directory).
    std::vector<std::string> candidates = {"/dev/dri",
                                           pulseSocketPath(h),
                                           pulseCookiePath(h),
                                           pipewireSocketPath(h),
                                           waylandSocketPath(h),
                                           busSocketPath(sessionBusAddress(h)),
                                           busSocketPath(systemBusAddress(h))};
    if (h.runtimeDir.size()) candidates.push_back(joinPath(h.runtimeDir, "bus"));
    if (auto x = parseX11Display(h.var("DISPLAY"))) candidates.push_back(x11SocketPath(x->number));
    for (const auto& c : candidates) {
        struct stat st;
        if (!c.empty() && ::stat(c.c_str(), &st) == 0) h.exist.insert(c);
    }
    return h;
}

}  // namespace lb
