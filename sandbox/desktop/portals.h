// The desktop portals (xdg-desktop-portal) for a sandboxed program: a sandbox identity, the
// document portal's files, and OpenURI only where the profile allows it.
//
// The portal identifies a caller by the D-Bus peer's pid and reads `/.flatpak-info` under
// /proc/PID/root; the peer of a sandboxed program is its xdg-dbus-proxy on the host. For a
// profile that may talk to org.freedesktop.portal.Desktop, the runner starts that proxy with a
// root of its own (a user and mount namespace whose root is a tmpfs holding the host's top-level
// directories and a generated /.flatpak-info naming the app id io.github.layerbox.PROFILE), so
// the portal treats the program as a sandboxed app: its file chooser hands out documents of the
// document portal, which the sandbox sees under the document portal's own path (its
// by-app/APP_ID view is bound there), and nothing else of the folder.
//
// OpenURI, even for a sandboxed app, starts the host's default handler of http(s), mailto and
// any type with one handler without asking (xdg-desktop-portal 1.16, open-uri.c). So
// desktop.open_uri "deny" (the default) and "ask" keep OpenURI away from the program in the
// proxy's filter: it gets call rules for the portal's other interfaces instead of `talk`. With
// "ask", the OpenURI gate in front of the proxy answers the calls itself (open_uri_gate.h).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace lb {

inline constexpr const char* kPortalDesktop = "org.freedesktop.portal.Desktop";

// io.github.layerbox.NAME, with characters an app id may not hold turned into '_'.
std::string portalAppId(const std::string& profile);

// The contents of the generated /.flatpak-info.
std::string flatpakInfo(const std::string& appId, const std::string& instance, bool network);

// The proxy's session-bus rules for the talk entries (pure): `--talk=N` as they are, except
// with open_uri "deny", where an entry covering the desktop portal becomes --see plus call
// rules for every portal interface but OpenURI, and --talk for the portal's other names.
std::vector<std::string> portalTalkArgs(const std::vector<std::string>& talk, bool allowOpenUri);

// In the proxy's child, before exec (only the calling process changes): a new user namespace
// (the caller's ids mapped to themselves, so the bus still sees the user) and mount namespace,
// a tmpfs on `stagingDir` with the host's top-level entries bound in and /.flatpak-info
// holding `info`, made the root. Returns a message on failure.
std::string enterPortalIdentity(const std::string& stagingDir, const std::string& info);

// The document portal's mount point (org.freedesktop.portal.Documents.GetMountPoint on the
// session bus, which starts it when needed). Empty with `why` set when there is none.
std::string documentPortalMount(std::string& why);

}  // namespace lb
