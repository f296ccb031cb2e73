// desktop.open_uri "ask": the user decides, on the desktop, each link the program wants opened
// outside the sandbox.
//
// The gate is a forked child of the runner, on the host, between the sandbox and its
// xdg-dbus-proxy: the socket bound into the sandbox as its session bus is the gate's, and for
// each connection the gate connects to the proxy and copies the bytes both ways, reading only
// the messages' headers. A call of org.freedesktop.portal.OpenURI.OpenURI to the desktop portal
// is not passed on: the gate answers it as the portal would (a request handle, later
// Request.Response), checks the link (open_uri.h), and asks the user with a notification that
// has "Open link" and "Don't open" actions, sent on the user's own session bus: the program has
// no way to draw it, to answer it (the actions come back as a signal only the notification
// daemon can send), or to learn of it. Only on "Open link" does the gate run the host's
// xdg-open with exactly that link, once. Everything else goes to the proxy, whose filter
// refuses OpenURI as with "deny", so a message the gate does not understand is still refused.
//
// Why a gate, and not the portal's own question or a shim: xdg-dbus-proxy cannot rewrite or
// answer a call, only pass or refuse it; xdg-desktop-portal 1.16 opens web and mail links in
// the default program without asking even for a sandboxed app (its chooser does not name the
// sandbox and cannot be rate-limited); a shim for xdg-open inside would miss GLib, GTK and
// Firefox, which call the portal themselves.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "base/error.h"
#include "desktop/desktop.h"

namespace lb {

class OpenUriGate {
public:
    // Listens on plan.listen (0600, in the instance's 0700 directory) before it returns, so
    // the setup process can bind it; the child's lines go to the runner's stderr.
    static Result<std::unique_ptr<OpenUriGate>> start(const OpenUriGatePlan& plan);
    ~OpenUriGate();
    pid_t pid() const { return pid_; }
    // SIGTERM, reaped; its socket removed.
    void stop();

private:
    pid_t pid_ = 0;
    std::string socket_;
};

}  // namespace lb
