#include "desktop/nested_x11.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "base/helper_process.h"
#include "base/safe_open.h"
#include "desktop/desktop.h"
#include "desktop/display.h"
#include "desktop/xcb_util.h"

namespace lb {

std::string nestedX11Title(const std::string& profileTitle, const std::string& profileName) {
    std::string name = profileTitle.empty() ? profileName : profileTitle;
    return name + " (Layerbox sandbox \"" + profileName + "\")";
}

NestedX11Plan planNestedX11(const std::string& xephyr, const std::string& title,
                            const std::string& authFile) {
    NestedX11Plan p;
    p.binary = xephyr;
    p.authFile = authFile;
    p.args = {"-auth", authFile, "-nolisten", "tcp", "-noreset", "-resizeable", "-title", title,
              "-name", "layerbox-sandbox",
              // A normal window size; -resizeable lets the user change it (RandR follows).
              "-screen", "1280x800",
              // No GLX, even for a profile with desktop.gpu: it would give the program nothing
              // it lacks. This Xephyr has no DRI2/DRI3 (no -glamor) and refuses indirect GLX
              // contexts (-iglx is its default), so a GL program on it draws in its own process
              // with Mesa's software renderer, GLX or not, even where /dev/dri exists; the
              // server's GLX would only list visuals, for the price of loading Mesa's software
              // driver (libLLVM: 26 of Xephyr's 41 MiB PSS measured here). Browsers lose
              // nothing (measured, docs/architecture.md): Firefox draws and runs WebGL through
              // EGL, which needs no GLX; Chromium finds only llvmpipe through GLX, which its
              // own list disables. And GLX, a large part of a server's protocol decoding, is
              // out of the program's reach.
              "-extension", "GLX"};
    return p;
}

std::optional<XkbNames> hostXkbNames(const std::string& display) {
    int screenNum = 0;
    xcb_connection_t* c = xcb_connect(display.c_str(), &screenNum);
    if (!c || xcb_connection_has_error(c)) {
        if (c) xcb_disconnect(c);
        return std::nullopt;
    }
    std::optional<XkbNames> out;
    const char name[] = "_XKB_RULES_NAMES";
    xcb_intern_atom_reply_t* a =
        xcb_intern_atom_reply(c, xcb_intern_atom(c, 1, sizeof name - 1, name), nullptr);
    xcb_screen_t* screen = xcb_setup_roots_iterator(xcb_get_setup(c)).data;
    if (a && a->atom && screen) {
        xcb_get_property_reply_t* r = xcb_get_property_reply(
            c, xcb_get_property(c, 0, screen->root, a->atom, XCB_ATOM_STRING, 0, 1024), nullptr);
        if (r && r->format == 8) {
            // "evdev\0pc105\0us,de\0\0grp:alt_shift_toggle\0"
            std::string v(static_cast<const char*>(xcb_get_property_value(r)),
                          static_cast<size_t>(xcb_get_property_value_length(r)));
            auto f = split(v, '\0');
            f.resize(5);
            out = XkbNames{f[0], f[1], f[2], f[3], f[4]};
        }
        std::free(r);
    }
    std::free(a);
    xcb_disconnect(c);
    return out;
}

std::vector<std::string> planSetxkbmap(const std::string& setxkbmap, const std::string& display,
                                       const XkbNames& n) {
    std::vector<std::string> argv = {setxkbmap, "-display", display};
    auto add = [&](const char* opt, const std::string& v) {
        if (v.empty()) return;
        argv.push_back(opt);
        argv.push_back(v);
    };
    add("-rules", n.rules);
    add("-model", n.model);
    add("-layout", n.layout);
    add("-variant", n.variant);
    // -option "" first clears the server's defaults, so the list is exactly the desktop's.
    if (!n.options.empty()) argv.insert(argv.end(), {"-option", "", "-option", n.options});
    return argv;
}

Result<std::string> newX11Cookie() {
    std::string cookie(16, '\0');
    size_t got = 0;
    while (got < cookie.size()) {
        ssize_t n = ::getrandom(cookie.data() + got, cookie.size() - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Error::fromErrno("getrandom");
        got += static_cast<size_t>(n);
    }
    return cookie;
}

Result<std::unique_ptr<NestedX11>> NestedX11::start(const NestedX11Plan& plan,
                                                    const std::string& cookie,
                                                    const std::string& logPath) {
    LB_TRY(makeDirs(dirName(logPath), 0700));
    auto x = std::unique_ptr<NestedX11>(new NestedX11);
    x->log_ = logPath;
    // The server accepts every cookie of its -auth file, whatever address an entry names.
    // 0600 in the user's 0700 runtime directory: no other user reads it, and the sandbox gets
    // its own copy (display.cpp), never this path.
    XauthEntry e;
    e.family = kXauthFamilyWild;
    e.name = "MIT-MAGIC-COOKIE-1";
    e.data = cookie;
    LB_TRY_CTX(writeFileAtomic(plan.authFile, encodeXauthority({e}), 0600, false),
               "writing the nested X server's cookie");
    x->authFile_ = plan.authFile;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return Error::fromErrno("pipe2");
    x->displayFd_.reset(fds[0]);
    UniqueFd w(fds[1]);
    UniqueFd log(::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!log.valid()) return Error::fromErrno("open(" + quote(logPath) + ")");
    std::vector<std::string> args = {plan.binary, "-displayfd", std::to_string(w.get())};
    args.insert(args.end(), plan.args.begin(), plan.args.end());
    LB_ASSIGN(x->pid_, spawnHelper(args, {w.get()}, log.get(), "Xephyr"));
    return x;
}

Result<std::string> NestedX11::waitReady(int timeoutMs) {
    // It writes "N\n" once it listens; the pipe closes without a number when it fails.
    std::string number;
    struct timespec start;
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    bool timedOut = false;
    while (true) {
        struct timespec now;
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        long left = timeoutMs -
                    ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
        if (left <= 0) {
            timedOut = true;
            break;
        }
        std::string c = waitForByte(displayFd_.get(), static_cast<int>(left), timedOut);
        if (c.empty() || c == "\n") break;
        number += c;
    }
    displayFd_.reset();
    bool digits = !number.empty() && number.size() <= 5 &&
                  number.find_first_not_of("0123456789") == std::string::npos;
    if (digits && !timedOut) return number;
    std::string why = lastLogLine(log_);
    return Error(
        "Xephyr did not start" +
            (timedOut ? " within " + std::to_string(timeoutMs / 1000) + " s" : std::string()) +
            (why.empty() ? "" : ": " + why) + " (log: " + log_ + ")",
        EIO);
}

Status NestedX11::startClipboard(const ClipboardPlan& plan, const std::string& hostDisplay,
                                 const std::string& display, const std::string& cookie,
                                 const std::string& logPath) {
    if (!plan.any()) return Ok();
    UniqueFd log(::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!log.valid()) return Error::fromErrno("open(" + quote(logPath) + ")");
    LB_ASSIGN(clipboardPid_,
              startClipboardBridge(plan, hostDisplay, ":" + display, cookie, log.get()));
    clipboardLog_ = logPath;
    return Ok();
}

Status NestedX11::startKeyboard(const std::vector<std::string>& argv) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return Error::fromErrno("pipe2");
    UniqueFd r(fds[0]), w(fds[1]);
    LB_ASSIGN(keyboardPid_, spawnHelper(argv, {}, w.get(), "setxkbmap"));
    keyboardOut_ = std::move(r);
    return Ok();
}

void NestedX11::finishKeyboard(int timeoutMs) {
    if (keyboardPid_ <= 0) return;
    // Its output (it writes only when something is wrong), until it closes or the time is up.
    std::string out;
    struct timespec start;
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    while (keyboardOut_.valid() && out.size() < 4096) {
        struct timespec now;
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        const long left = timeoutMs - ((now.tv_sec - start.tv_sec) * 1000 +
                                       (now.tv_nsec - start.tv_nsec) / 1000000);
        struct pollfd p = {keyboardOut_.get(), POLLIN, 0};
        if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) == 0) {
            out += "setxkbmap did not finish within " + std::to_string(timeoutMs / 1000) + " s\n";
            break;
        }
        char buf[512];
        const ssize_t n = ::read(keyboardOut_.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    keyboardOut_.reset();
    ::kill(keyboardPid_, SIGKILL);  // done by now, or too late to matter
    reapHelper(keyboardPid_, 0);
    if (!out.empty())
        std::fprintf(stderr, "layerbox: warning: keyboard layout of the sandbox's display: %s\n",
                     safeLine(trim(out)).c_str());
}

void NestedX11::stop() {
    keyboardOut_.reset();
    if (keyboardPid_ > 0) ::kill(keyboardPid_, SIGKILL);
    reapHelper(keyboardPid_, 0);
    if (clipboardPid_ > 0) ::kill(clipboardPid_, SIGTERM);
    reapHelper(clipboardPid_, 1000);
    if (!clipboardLog_.empty()) ::unlink(clipboardLog_.c_str());
    clipboardLog_.clear();
    if (pid_ > 0) ::kill(pid_, SIGTERM);  // it removes its socket and lock file
    reapHelper(pid_, 2000);
    if (!authFile_.empty()) ::unlink(authFile_.c_str());
    authFile_.clear();
}

NestedX11::~NestedX11() {
    stop();
}

std::unique_ptr<NestedX11> startIsolatedDisplay(const std::string& title, DesktopHost& host,
                                                const std::string& instanceDir,
                                                const std::string& instance,
                                                const std::string& logPath) {
    // Xephyr draws its window on the desktop's X server (DISPLAY, with the runner's own
    // cookie): that connection is the runner's, the program never sees it.
    if (!parseX11Display(host.var("DISPLAY"))) {
        host.nestedX11Problem =
            host.var("DISPLAY").empty()
                ? "its window needs the desktop's X11 display, and DISPLAY "
                  "is not set"
                : "its window needs a local X11 display, and DISPLAY=" + host.var("DISPLAY") +
                      " is not one";
        return nullptr;
    }
    if (host.xephyr.empty()) {
        host.nestedX11Problem = "Xephyr is not installed: install the xserver-xephyr package";
        return nullptr;
    }
    auto fail = [&](const Error& e) {
        host.nestedX11Problem = e.message();
        return nullptr;
    };
    auto cookie = newX11Cookie();
    if (!cookie) return fail(cookie.error());
    auto plan = planNestedX11(host.xephyr, title, joinPath(instanceDir, instance + ".xauth"));
    auto x = NestedX11::start(plan, *cookie, logPath);
    if (!x) return fail(x.error().wrap("starting Xephyr"));
    host.nestedX11Cookie = *cookie;
    return std::move(*x);
}

std::unique_ptr<NestedX11> finishIsolatedDisplay(std::unique_ptr<NestedX11> x, DesktopHost& host,
                                                 ClipboardPolicy clipboard) {
    if (!x) return nullptr;
    auto number = x->waitReady(10000);
    if (!number) {
        host.nestedX11Problem = number.error().message();
        return nullptr;
    }
    host.nestedX11Number = *number;
    const std::string& cookie = host.nestedX11Cookie;
    // The desktop's keyboard layout, set with setxkbmap (x11-xkb-utils) against the nested
    // server only (its own cookie); without setxkbmap the server keeps its default (US). It
    // runs while the launch goes on; the runner waits for it before the program starts.
    if (auto names = hostXkbNames(host.var("DISPLAY"))) {
        const std::string setxkbmap = findExecutable("setxkbmap");
        if (!setxkbmap.empty()) {
            std::vector<std::string> argv = {"/usr/bin/env", "XAUTHORITY=" + x->authFile()};
            for (auto& a : planSetxkbmap(setxkbmap, ":" + *number, *names))
                argv.push_back(std::move(a));
            if (auto s = x->startKeyboard(argv); !s)
                std::fprintf(stderr,
                             "layerbox: warning: keyboard layout of the sandbox's display: %s\n",
                             s.error().message().c_str());
        }
    }
    std::string clipLog = x->logPath();
    if (endsWith(clipLog, ".log")) clipLog.resize(clipLog.size() - 4);
    if (auto s = x->startClipboard(planClipboard(clipboard), host.var("DISPLAY"), *number, cookie,
                                   clipLog + "-clipboard.log");
        !s)
        std::fprintf(stderr,
                     "layerbox: warning: no clipboard between the sandbox and the desktop: %s\n",
                     s.error().message().c_str());
    return x;
}

}  // namespace lb
