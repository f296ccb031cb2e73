// The display: X11 (its socket file and an Xauthority holding only that display's cookies),
// Wayland (the compositor's socket) and the GPU (/dev/dri).
//
// X11 "isolated" (nested_x11.h): the socket of the sandbox's own X server, nothing of the host's.
// X11 "host": only /tmp/.X11-unix/XN is bound, never the abstract socket "@/tmp/.X11-unix/XN": the
// sandbox's private network namespace already makes every abstract socket of the host
// unreachable, and nothing here brings one back. The Xauthority file is parsed here (it is a
// list of length-prefixed records) and rewritten for the sandbox: the entries of other displays
// and of remote hosts are left out, and the kept ones are addressed to the sandbox's own host
// name, which is what Xlib and xcb look up for a local connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "desktop/desktop.h"

namespace lb {

// Families of Xauthority entries (Xauth.h).
inline constexpr uint16_t kXauthFamilyInternet = 0;
inline constexpr uint16_t kXauthFamilyLocal = 256;
inline constexpr uint16_t kXauthFamilyWild = 65535;

struct XauthEntry {
    uint16_t family = kXauthFamilyLocal;
    std::string address;  // the host name for FamilyLocal
    std::string number;   // the display number, as text ("0")
    std::string name;     // "MIT-MAGIC-COOKIE-1"
    std::string data;     // the cookie
    bool operator==(const XauthEntry&) const = default;
};

// The binary format: per entry a big-endian 16-bit family, then address, number, name and data,
// each a big-endian 16-bit length followed by that many bytes. nullopt when truncated.
std::optional<std::vector<XauthEntry>> parseXauthority(std::string_view bytes);
std::string encodeXauthority(const std::vector<XauthEntry>& entries);

// The entries that authorise display `number` of this machine (family Local with the host's
// name, or Wild; an entry without a number is for every display), rewritten as family Local for
// `sandboxHostname` and display `number`.
std::vector<XauthEntry> xauthorityForSandbox(const std::vector<XauthEntry>& entries,
                                             const std::string& number,
                                             const std::string& hostHostname,
                                             const std::string& sandboxHostname);

// A local X display: ":N", ":N.S", "unix:N[.S]". nullopt for TCP displays ("host:N") and
// anything else.
struct X11Display {
    std::string number;  // "0"
    std::string screen;  // "" or "1"
};
std::optional<X11Display> parseX11Display(const std::string& display);
// /tmp/.X11-unix/XN
std::string x11SocketPath(const std::string& number);
// The host's Wayland socket: $WAYLAND_DISPLAY, relative to the runtime directory unless
// absolute; empty when WAYLAND_DISPLAY is not set.
std::string waylandSocketPath(const DesktopHost& host);
// The Xauthority file: $XAUTHORITY, or ~/.Xauthority.
std::string xauthorityPath(const DesktopHost& host);

// Name of the Wayland socket inside the sandbox's runtime directory.
inline constexpr const char* kSandboxWaylandSocket = "wayland-0";

enum class X11Mode;

// "host": the host's display socket and its cookies.
DesktopPlan planX11(const DesktopHost& host, const DesktopContext& ctx);
// "isolated": the nested server's socket and a cookie file holding only its cookie. Never
// anything of the host's display: without a nested server the program gets no X11 at all.
DesktopPlan planIsolatedX11(const DesktopHost& host, const DesktopContext& ctx);
DesktopPlan planWayland(const DesktopHost& host, const DesktopContext& ctx);
// x11 and/or wayland as the profile asks; a warning when it asks for a display and none of
// the ones it asked for is available.
DesktopPlan planDisplay(X11Mode x11, bool wayland, const DesktopHost& host,
                        const DesktopContext& ctx);
// /dev/dri as devices; a warning when this host has none.
DesktopPlan planGpu(const DesktopHost& host);

}  // namespace lb
