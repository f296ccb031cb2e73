#include "desktop/display.h"

#include <algorithm>

#include "base/fsutil.h"
#include "profile/profile.h"

namespace lb {

// ---------------------------------------------------------------------------------------------
// Xauthority

std::optional<std::vector<XauthEntry>> parseXauthority(std::string_view b) {
    std::vector<XauthEntry> out;
    size_t pos = 0;
    auto u16 = [&](uint16_t& v) {
        if (b.size() - pos < 2) return false;
        v = static_cast<uint16_t>((static_cast<unsigned char>(b[pos]) << 8) |
                                  static_cast<unsigned char>(b[pos + 1]));
        pos += 2;
        return true;
    };
    auto field = [&](std::string& s) {
        uint16_t len;
        if (!u16(len) || b.size() - pos < len) return false;
        s.assign(b.substr(pos, len));
        pos += len;
        return true;
    };
    while (pos < b.size()) {
        XauthEntry e;
        if (!u16(e.family) || !field(e.address) || !field(e.number) || !field(e.name) ||
            !field(e.data))
            return std::nullopt;
        out.push_back(std::move(e));
    }
    return out;
}

std::string encodeXauthority(const std::vector<XauthEntry>& entries) {
    std::string out;
    auto u16 = [&](size_t v) {
        out += static_cast<char>((v >> 8) & 0xff);
        out += static_cast<char>(v & 0xff);
    };
    for (const auto& e : entries) {
        u16(e.family);
        for (const std::string* f : {&e.address, &e.number, &e.name, &e.data}) {
            u16(std::min<size_t>(f->size(), 0xffff));
            out.append(*f, 0, std::min<size_t>(f->size(), 0xffff));
        }
    }
    return out;
}

std::vector<XauthEntry> xauthorityForSandbox(const std::vector<XauthEntry>& entries,
                                             const std::string& number,
                                             const std::string& hostHostname,
                                             const std::string& sandboxHostname) {
    std::vector<XauthEntry> out;
    for (const auto& e : entries) {
        // Only this machine's entries: remote hosts' cookies are none of the sandbox's business.
        bool local = e.family == kXauthFamilyWild ||
                     (e.family == kXauthFamilyLocal && e.address == hostHostname);
        if (!local) continue;
        if (!e.number.empty() && e.number != number) continue;
        XauthEntry k = e;
        k.family = kXauthFamilyLocal;
        k.address = sandboxHostname;
        k.number = number;
        if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(std::move(k));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Plans

std::optional<X11Display> parseX11Display(const std::string& display) {
    std::string rest;
    if (startsWith(display, ":"))
        rest = display.substr(1);
    else if (startsWith(display, "unix:"))
        rest = display.substr(5);
    else
        return std::nullopt;  // "host:N" is TCP; "/path:N" is not Linux
    X11Display d;
    auto dot = rest.find('.');
    d.number = rest.substr(0, dot);
    if (dot != std::string::npos) d.screen = rest.substr(dot + 1);
    auto digits = [](const std::string& s) {
        return !s.empty() && s.size() <= 5 &&
               s.find_first_not_of("0123456789") == std::string::npos;
    };
    if (!digits(d.number) || (dot != std::string::npos && !digits(d.screen))) return std::nullopt;
    return d;
}

std::string x11SocketPath(const std::string& number) {
    return "/tmp/.X11-unix/X" + number;
}

std::string waylandSocketPath(const DesktopHost& host) {
    std::string name = host.var("WAYLAND_DISPLAY");
    if (name.empty()) return {};
    if (name[0] == '/') return normalizePath(name);
    if (host.runtimeDir.empty() || name.find('/') != std::string::npos) return {};
    return joinPath(host.runtimeDir, name);
}

std::string xauthorityPath(const DesktopHost& host) {
    std::string p = host.var("XAUTHORITY");
    return p.empty() ? joinPath(host.home, ".Xauthority") : p;
}

DesktopPlan planX11(const DesktopHost& host, const DesktopContext& ctx) {
    DesktopPlan out;
    std::string display = host.var("DISPLAY");
    if (display.empty()) return out;
    auto d = parseX11Display(display);
    if (!d) {
        out.warnings.push_back("x11: DISPLAY=" + display +
                               " is not a local display (:N); only a local display's socket "
                               "file can be passed in, so the program gets no X11 display");
        return out;
    }
    std::string socket = x11SocketPath(d->number);
    if (!host.has(socket)) {
        out.warnings.push_back("x11: " + socket + " does not exist (DISPLAY=" + display +
                               "); the program gets no X11 display (the abstract socket is "
                               "never passed in)");
        return out;
    }
    // The socket file alone, at the same path: /tmp is the sandbox's own tmpfs.
    out.mounts.push_back(bindSocket(socket, socket));
    out.env["DISPLAY"] = ":" + d->number + (d->screen.empty() ? "" : "." + d->screen);
    // Only this display's cookies, for the sandbox's host name, in a file of the setup
    // process's staging tmpfs bound read-only into the sandbox's runtime directory.
    auto entries = parseXauthority(host.xauthority);
    if (!entries) {
        out.warnings.push_back("x11: " + xauthorityPath(host) +
                               " is not a valid Xauthority file; no X11 cookie is passed in");
        return out;
    }
    auto kept = xauthorityForSandbox(*entries, d->number, host.hostname, ctx.hostname);
    if (kept.empty()) return out;  // a server without access control needs none
    MountOp f;
    f.kind = MountKind::GeneratedFile;
    f.target = joinPath(ctx.runtimeDir, "Xauthority");
    f.content = encodeXauthority(kept);
    out.mounts.push_back(std::move(f));
    out.env["XAUTHORITY"] = joinPath(ctx.runtimeDir, "Xauthority");
    return out;
}

DesktopPlan planIsolatedX11(const DesktopHost& host, const DesktopContext& ctx) {
    DesktopPlan out;
    const std::string& number = host.nestedX11Number;
    if (number.empty()) {
        out.warnings.push_back("x11: no isolated display (" +
                               (host.nestedX11Problem.empty()
                                    ? std::string("the nested X server is not running")
                                    : host.nestedX11Problem) +
                               "); the program gets no X11 display (never the desktop's own)");
        return out;
    }
    // Safe: the source is the nested server's socket, which the runner started for this
    // sandbox alone; the host's socket, its abstract twin (another network namespace) and the
    // host's Xauthority are not in this plan.
    std::string socket = x11SocketPath(number);
    out.mounts.push_back(bindSocket(socket, socket));
    out.env["DISPLAY"] = ":" + number;
    XauthEntry e;
    e.family = kXauthFamilyLocal;
    e.address = ctx.hostname;
    e.number = number;
    e.name = "MIT-MAGIC-COOKIE-1";
    e.data = host.nestedX11Cookie;
    MountOp f;
    f.kind = MountKind::GeneratedFile;
    f.target = joinPath(ctx.runtimeDir, "Xauthority");
    f.content = encodeXauthority({e});
    out.mounts.push_back(std::move(f));
    out.env["XAUTHORITY"] = joinPath(ctx.runtimeDir, "Xauthority");
    return out;
}

DesktopPlan planWayland(const DesktopHost& host, const DesktopContext& ctx) {
    DesktopPlan out;
    std::string socket = waylandSocketPath(host);
    if (socket.empty()) return out;
    if (!host.has(socket)) {
        out.warnings.push_back("wayland: " + socket +
                               " does not exist; the program gets no Wayland display");
        return out;
    }
    // Into the sandbox's own runtime directory, never the user's.
    out.mounts.push_back(bindSocket(socket, joinPath(ctx.runtimeDir, kSandboxWaylandSocket)));
    out.env["WAYLAND_DISPLAY"] = kSandboxWaylandSocket;
    return out;
}

DesktopPlan planDisplay(X11Mode x11Mode, bool wayland, const DesktopHost& host,
                        const DesktopContext& ctx) {
    DesktopPlan out;
    if (x11Mode == X11Mode::Host) out.append(planX11(host, ctx));
    if (x11Mode == X11Mode::Isolated) out.append(planIsolatedX11(host, ctx));
    if (wayland) out.append(planWayland(host, ctx));
    bool x11 = x11Mode != X11Mode::Off;
    bool gotOne = out.env.count("DISPLAY") || out.env.count("WAYLAND_DISPLAY");
    if ((x11 || wayland) && !gotOne && out.warnings.empty()) {
        std::string vars = x11 && wayland ? "DISPLAY and WAYLAND_DISPLAY are"
                           : x11          ? "DISPLAY is"
                                          : "WAYLAND_DISPLAY is";
        out.warnings.push_back("display: " + vars +
                               " not set; the program gets no display (is this a desktop "
                               "session?)");
    }
    return out;
}

DesktopPlan planGpu(const DesktopHost& host) {
    DesktopPlan out;
    if (!host.has("/dev/dri")) {
        out.warnings.push_back(
            "gpu: this host has no /dev/dri; the program runs without GPU acceleration");
        return out;
    }
    MountOp dri;
    dri.kind = MountKind::Bind;
    dri.source = dri.target = "/dev/dri";
    dri.device = true;
    dri.optional = true;
    out.mounts.push_back(std::move(dri));
    return out;
}

}  // namespace lb
