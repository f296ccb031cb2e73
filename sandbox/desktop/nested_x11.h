// desktop.x11 = "isolated": the program gets an X server of its own, Xephyr (package
// xserver-xephyr), shown as one resizeable window of the user's desktop whose title names the
// sandbox. The program talks X11 only to Xephyr; Xephyr alone is a client of the host's X
// server. So the program cannot list the desktop's windows, read its keystrokes (XInput2,
// XRecord), take screenshots of it or type into it: none of that exists on its server.
//
// The runner starts Xephyr before it plans the desktop (the display number is only known once
// the server is up: -displayfd), outside the sandbox and out of the program's reach: it is a
// child of the runner with the runner's view of the host, the program reaches only its socket.
// It is put into the sandbox's scope (so the scope's limits, freeze and kill cover it too) and
// ends with the sandbox: the runner sends SIGTERM, PR_SET_PDEATHSIG kills it if the runner dies.
//
// Its cookie: 16 random bytes, in a 0600 file in the user's 0700 instance directory that
// Xephyr reads with -auth; the sandbox gets an Xauthority with that cookie only (display.cpp).
// The host's own cookie file is never read for an isolated display.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fsutil.h"
#include "desktop/x11_clipboard.h"

namespace lb {

struct NestedX11Plan {
    std::string binary;             // absolute path of Xephyr
    std::vector<std::string> args;  // after the binary; -displayfd N is added at start
    std::string authFile;           // the cookie file it reads (-auth), removed at stop
};

// The window title: which sandbox the windows inside come from.
std::string nestedX11Title(const std::string& profileTitle, const std::string& profileName);

// Xephyr's command line (pure). No TCP; no reset when the last client leaves (a program that
// reconnects finds the same server); resizeable, so the window behaves like the desktop's own;
// no GLX, with or without desktop.gpu (why: in the function).
NestedX11Plan planNestedX11(const std::string& xephyr, const std::string& title,
                            const std::string& authFile);

class NestedX11 {
public:
    // Write `cookie` into plan.authFile and start Xephyr with -displayfd; its output goes to
    // `logPath`.
    static Result<std::unique_ptr<NestedX11>> start(const NestedX11Plan& plan,
                                                    const std::string& cookie,
                                                    const std::string& logPath);
    ~NestedX11();
    // Wait until it accepts clients; returns its display number ("5").
    Result<std::string> waitReady(int timeoutMs);
    pid_t pid() const { return pid_; }
    // The clipboard bridge (x11_clipboard.h), 0 when the profile passes nothing.
    pid_t clipboardPid() const { return clipboardPid_; }
    // Start it (desktop.clipboard other than "none"), with its output in `logPath`.
    Status startClipboard(const ClipboardPlan& plan, const std::string& hostDisplay,
                          const std::string& display, const std::string& cookie,
                          const std::string& logPath);
    const std::string& logPath() const { return log_; }
    const std::string& authFile() const { return authFile_; }
    // setxkbmap against this server (the desktop's keyboard layout), started in the background
    // once it is ready (startKeyboard), and waited for before the program may start
    // (finishKeyboard, by the runner before "Go"): it no longer holds up the launch's other
    // steps (issue 25: about 70 ms of the browsers' time to their first window). A failure is a
    // warning; the server keeps its default layout.
    Status startKeyboard(const std::vector<std::string>& argv);
    void finishKeyboard(int timeoutMs);
    // SIGTERM, reaped (SIGKILL after a grace period); its cookie file is removed.
    void stop();
    // It ended on its own (reaped by the caller).
    void markExited() { pid_ = 0; }

private:
    pid_t pid_ = 0;
    pid_t clipboardPid_ = 0;
    pid_t keyboardPid_ = 0;
    UniqueFd keyboardOut_;  // setxkbmap's stdout and stderr
    UniqueFd displayFd_;
    std::string log_, authFile_, clipboardLog_;
};

// The desktop's keyboard layout, as its X server names it (_XKB_RULES_NAMES on the root window):
// the nested server gets the same, so keys type in the sandbox what they type outside.
struct XkbNames {
    std::string rules, model, layout, variant, options;
};
std::optional<XkbNames> hostXkbNames(const std::string& display);
// setxkbmap's command line that gives display `display` those names (pure; empty names are
// left out).
std::vector<std::string> planSetxkbmap(const std::string& setxkbmap, const std::string& display,
                                       const XkbNames& names);

// A fresh MIT-MAGIC-COOKIE-1 (16 bytes from getrandom).
Result<std::string> newX11Cookie();

struct DesktopHost;

// For a profile with desktop.x11 "isolated", in two steps, so that the runner can start other
// helpers while the server starts (it takes ~100 ms): startIsolatedDisplay starts its nested
// server (cookie file INSTANCEDIR/ID.xauth, log `logPath`) and records its cookie in `host`;
// finishIsolatedDisplay waits until it is up, records its display number in `host`, starts
// setxkbmap (waited for before "Go") and the clipboard bridge the profile asks for (its log
// beside, "-clipboard.log" for ".log"; a bridge that cannot start costs the clipboard, not the
// launch: it says so). When there is none (no host display for its window, Xephyr not
// installed, it failed), host.nestedX11Problem says why and the result is null: the sandbox
// then gets no X11 at all, never the host's.
std::unique_ptr<NestedX11> startIsolatedDisplay(const std::string& title, DesktopHost& host,
                                                const std::string& instanceDir,
                                                const std::string& instance,
                                                const std::string& logPath);
std::unique_ptr<NestedX11> finishIsolatedDisplay(std::unique_ptr<NestedX11> x, DesktopHost& host,
                                                 ClipboardPolicy clipboard = ClipboardPolicy::None);

}  // namespace lb
