// The desktop concerns' pure plans, without privileges: which sockets, devices and files are
// bound for a given profile and session, the Xauthority filtering, the D-Bus proxy's command
// line, the theme binds, and the menu entries' text.
#include <QtTest>

#include <algorithm>
#include <set>

#include "base/elf_needed.h"
#include "base/fsutil.h"
#include "base/hostinfo.h"
#include "desktop/audio.h"
#include "desktop/dbusproxy.h"
#include "desktop/desktop.h"
#include "desktop/display.h"
#include "desktop/display_need.h"
#include "desktop/nested_x11.h"
#include "desktop/portals.h"
#include "desktop/theme.h"
#include "desktop/x11_close.h"
#include "host/menu_entries.h"
#include "isolation/mounts.h"
#include "profile/profile.h"

using namespace lb;

namespace {

HostInfo fakeHost() {
    HostInfo h;
    h.uid = 1000;
    h.gid = 1000;
    h.user = "alice";
    h.home = "/home/alice";
    h.rootDirs = {"usr", "etc", "home", "tmp", "run", "dev"};
    return h;
}

// A desktop session with everything: X11 :1, Wayland, PulseAudio, PipeWire, both buses, a GPU.
DesktopHost fullSession() {
    DesktopHost h;
    h.home = "/home/alice";
    h.runtimeDir = "/run/user/1000";
    h.hostname = "laptop";
    h.env = {{"DISPLAY", ":1"},
             {"WAYLAND_DISPLAY", "wayland-1"},
             {"DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1000/bus"}};
    h.exist = {"/tmp/.X11-unix/X1",           "/run/user/1000/wayland-1",
               "/run/user/1000/pulse/native", "/home/alice/.config/pulse/cookie",
               "/run/user/1000/pipewire-0",   "/run/user/1000/bus",
               "/run/dbus/system_bus_socket", "/dev/dri"};
    h.dbusProxy = "/usr/bin/xdg-dbus-proxy";
    return h;
}

DesktopContext sandboxSide() {
    return {"/run/user/1000", "firefox", "/run/user/1000/layerbox/instances", "abcd1234"};
}

const MountOp* bindTo(const DesktopPlan& p, const std::string& target) {
    for (const auto& o : p.mounts)
        if (o.target == target) return &o;
    return nullptr;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

std::string anyWarning(const DesktopPlan& p, const std::string& needle) {
    for (const auto& w : p.warnings)
        if (w.find(needle) != std::string::npos) return w;
    return {};
}

XauthEntry entry(uint16_t family, std::string address, std::string number, std::string data) {
    return {family, std::move(address), std::move(number), "MIT-MAGIC-COOKIE-1", std::move(data)};
}

}  // namespace

class TstDesktopPlans : public QObject {
    Q_OBJECT

private slots:
    // A graphical program in a profile with no display is named before it starts (issue 22).
    void windowingLibraries() {
        QCOMPARE(windowingLibrary({"libc.so.6", "libX11.so.6"}), std::string("libX11.so.6"));
        QCOMPARE(windowingLibrary({"libgtk-3.so.0"}), std::string("libgtk-3.so.0"));
        QCOMPARE(windowingLibrary({"libQt6Gui.so.6", "libQt6Core.so.6"}),
                 std::string("libQt6Gui.so.6"));
        QCOMPARE(windowingLibrary({"libwayland-client.so.0"}),
                 std::string("libwayland-client.so.0"));
        QCOMPARE(windowingLibrary({"libc.so.6", "libQt6Core.so.6", "libEGL.so.1"}), std::string());
        QCOMPARE(windowingLibrary({}), std::string());
        Profile p;
        p.name = "default";
        const std::string w = noDisplayWarning(p, "/usr/bin/xterm", "libX11.so.6");
        QVERIFY2(w.find("xterm draws windows (it uses libX11.so.6)") == 0, w.c_str());
        QVERIFY(w.find("\"default\" gives it no display") != std::string::npos);
        QVERIFY(w.find("--profile untrusted-gui") != std::string::npos);
        QCOMPARE(noDisplayWarning(p, "tool", ""), std::string());
        p.desktop.x11 = X11Mode::Isolated;
        QCOMPARE(noDisplayWarning(p, "xterm", "libX11.so.6"), std::string());
        p.desktop.x11 = X11Mode::Off;
        p.desktop.wayland = true;
        QCOMPARE(noDisplayWarning(p, "xterm", "libX11.so.6"), std::string());
    }

    // The ELF reader: real programs of this system, and files that are not what they claim.
    void elfNeededReadsRealPrograms() {
        auto xterm = elfNeeded("/usr/bin/xterm");
        QVERIFY2(xterm, xterm ? "" : xterm.error().message().c_str());
        QVERIFY(std::find(xterm->begin(), xterm->end(), "libX11.so.6") != xterm->end());
        auto truePrg = elfNeeded("/bin/true");
        QVERIFY(truePrg);
        QVERIFY(std::find(truePrg->begin(), truePrg->end(), "libc.so.6") != truePrg->end());
        QCOMPARE(windowingLibrary(*truePrg), std::string());
        // A script, a folder, a file cut short at every length: errors, never a crash.
        QVERIFY(!elfNeeded("/usr/bin/ldd"));
        QVERIFY(!elfNeeded("/usr"));
        QFile in("/usr/bin/xterm");
        QVERIFY(in.open(QIODevice::ReadOnly));
        const QByteArray whole = in.readAll();
        QTemporaryDir dir;
        const QString cut = dir.path() + "/cut";
        for (qsizetype len : {qsizetype(4), qsizetype(20), qsizetype(64), qsizetype(100),
                              qsizetype(1000), qsizetype(4096), whole.size() / 2}) {
            QFile out(cut);
            QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
            out.write(whole.left(len));
            out.close();
            auto r = elfNeeded(cut.toStdString());
            QVERIFY2(!r || r->size() <= xterm->size(), qPrintable(QString::number(len)));
        }
    }

    // layerbox stop's first step (issue 21): on the desktop's display only the sandbox's own
    // windows (its pids, its host name) are asked to close; on its own server every window.
    void windowCloseTakesOnlyTheSandboxsWindows() {
        std::vector<lb::X11WindowFacts> w = {
            {1, 5, "box", true},             // ours
            {2, 5, "otherbox", true},        // another sandbox's pid 5
            {3, 99, "box", true},            // not one of our pids
            {4, std::nullopt, "box", true},  // says no pid
            {5, 6, "box", false},            // does not take WM_DELETE_WINDOW
            {1, 5, "box", true},             // listed twice (tree and client list)
        };
        std::set<int64_t> pids = {5, 6};
        QCOMPARE(lb::planWindowClose(w, pids, "box", false), std::vector<uint32_t>({1}));
        QCOMPARE(lb::planWindowClose(w, pids, "", false), std::vector<uint32_t>());
        QCOMPARE(lb::planWindowClose(w, pids, "box", true), std::vector<uint32_t>({1, 2, 3, 4}));
    }
    void xauthorityRoundTrip() {
        std::vector<XauthEntry> in = {entry(kXauthFamilyLocal, "laptop", "1", "secret-one"),
                                      entry(kXauthFamilyInternet, "\x0a\x01\x02\x03", "0", "x")};
        std::string bytes = encodeXauthority(in);
        // The format: 16-bit big-endian family, then length-prefixed fields.
        QCOMPARE(static_cast<unsigned char>(bytes[0]), 0x01u);
        QCOMPARE(static_cast<unsigned char>(bytes[1]), 0x00u);
        QCOMPARE(static_cast<unsigned char>(bytes[3]), 6u);  // strlen("laptop")
        auto out = parseXauthority(bytes);
        QVERIFY(out);
        QVERIFY(*out == in);
        QVERIFY(!parseXauthority(bytes.substr(0, bytes.size() - 1)));  // truncated
        QVERIFY(parseXauthority("")->empty());
    }

    void xauthorityKeepsOnlyThisDisplay() {
        std::vector<XauthEntry> all = {
            entry(kXauthFamilyLocal, "laptop", "1", "for-1"),
            entry(kXauthFamilyLocal, "laptop", "0", "for-0"),
            entry(kXauthFamilyLocal, "otherhost", "1", "other-machine"),
            entry(kXauthFamilyInternet, "\x0a\x01\x02\x03", "1", "remote"),
            entry(kXauthFamilyWild, "", "1", "wild-1"),
            entry(kXauthFamilyLocal, "laptop", "", "every-display"),
        };
        auto kept = xauthorityForSandbox(all, "1", "laptop", "firefox");
        QCOMPARE(kept.size(), size_t(3));
        QStringList cookies;
        for (const auto& e : kept) {
            QCOMPARE(e.family, kXauthFamilyLocal);
            QCOMPARE(e.address, std::string("firefox"));  // the sandbox's host name
            QCOMPARE(e.number, std::string("1"));
            cookies << QString::fromStdString(e.data);
        }
        QCOMPARE(cookies, QStringList({"for-1", "wild-1", "every-display"}));
        QCOMPARE(xauthorityForSandbox(all, "7", "laptop", "x").size(), size_t(1));  // any-number
    }

    void x11Displays() {
        QCOMPARE(parseX11Display(":0")->number, std::string("0"));
        QCOMPARE(parseX11Display(":12.1")->screen, std::string("1"));
        QCOMPARE(parseX11Display("unix:3")->number, std::string("3"));
        QVERIFY(!parseX11Display("localhost:10.0"));  // ssh -X: TCP
        QVERIFY(!parseX11Display(":"));
        QVERIFY(!parseX11Display(":1x"));
        QVERIFY(!parseX11Display("/tmp/launch-x/org.xquartz:0"));
        QVERIFY(!parseX11Display(""));
    }

    void x11BindsTheSocketFileAndAFilteredCookie() {
        DesktopHost h = fullSession();
        h.xauthority = encodeXauthority({entry(kXauthFamilyLocal, "laptop", "1", "mine"),
                                         entry(kXauthFamilyLocal, "laptop", "0", "not-mine")});
        auto p = planX11(h, sandboxSide());
        QVERIFY(p.warnings.empty());
        // The socket file, at the same path in the sandbox's own /tmp; never the abstract one.
        const MountOp* sock = bindTo(p, "/tmp/.X11-unix/X1");
        QVERIFY(sock);
        QCOMPARE(sock->kind, MountKind::Bind);
        QCOMPARE(sock->source, std::string("/tmp/.X11-unix/X1"));
        QVERIFY(sock->readOnly);
        for (const auto& o : p.mounts)
            QVERIFY(o.source.find('@') == std::string::npos);
        QCOMPARE(p.env["DISPLAY"], std::string(":1"));
        // The cookie file: generated (in the setup process's staging tmpfs), only :1's entry.
        const MountOp* auth = bindTo(p, "/run/user/1000/Xauthority");
        QVERIFY(auth);
        QCOMPARE(auth->kind, MountKind::GeneratedFile);
        auto kept = parseXauthority(auth->content);
        QVERIFY(kept && kept->size() == 1);
        QCOMPARE((*kept)[0].data, std::string("mine"));
        QCOMPARE((*kept)[0].address, std::string("firefox"));
        QCOMPARE(p.env["XAUTHORITY"], std::string("/run/user/1000/Xauthority"));
    }

    void x11WithoutCookieOrSocket() {
        DesktopHost h = fullSession();
        auto p = planX11(h, sandboxSide());  // no Xauthority: a server without access control
        QVERIFY(bindTo(p, "/tmp/.X11-unix/X1"));
        QVERIFY(!bindTo(p, "/run/user/1000/Xauthority"));
        QVERIFY(!p.env.count("XAUTHORITY"));

        h.xauthority = "\x01";  // not an Xauthority file
        QVERIFY(!anyWarning(planX11(h, sandboxSide()), "not a valid Xauthority").empty());

        h.exist.erase("/tmp/.X11-unix/X1");  // an X server with the abstract socket only
        p = planX11(h, sandboxSide());
        QVERIFY(p.mounts.empty());
        QVERIFY(!p.env.count("DISPLAY"));
        QVERIFY(!anyWarning(p, "/tmp/.X11-unix/X1 does not exist").empty());

        h.env["DISPLAY"] = "localhost:10.0";
        p = planX11(h, sandboxSide());
        QVERIFY(p.mounts.empty());
        QVERIFY(!anyWarning(p, "not a local display").empty());
    }

    // "isolated": the nested server's socket and its cookie alone; nothing of the host's
    // display, even though this session has one (X11 :1 with a cookie).
    void isolatedX11BindsOnlyTheNestedServer() {
        DesktopHost h = fullSession();
        h.xauthority = encodeXauthority({entry(kXauthFamilyLocal, "laptop", "1", "host-cookie")});
        h.nestedX11Number = "7";
        h.nestedX11Cookie = "nested-cookie-16";
        Profile prof;
        prof.name = "firefox";
        prof.desktop.x11 = X11Mode::Isolated;
        auto p = planDesktop(prof, h, sandboxSide());
        QVERIFY(p.warnings.empty());
        QCOMPARE(p.env["DISPLAY"], std::string(":7"));
        const MountOp* sock = bindTo(p, "/tmp/.X11-unix/X7");
        QVERIFY(sock && sock->source == "/tmp/.X11-unix/X7" && sock->readOnly);
        for (const auto& o : p.mounts) {
            QVERIFY2(o.source != "/tmp/.X11-unix/X1", o.describe().c_str());
            QVERIFY2(o.target != "/tmp/.X11-unix/X1", o.describe().c_str());
        }
        const MountOp* auth = bindTo(p, "/run/user/1000/Xauthority");
        QVERIFY(auth && auth->kind == MountKind::GeneratedFile);
        auto kept = parseXauthority(auth->content);
        QVERIFY(kept && kept->size() == 1);
        QCOMPARE((*kept)[0].data, std::string("nested-cookie-16"));
        QCOMPARE((*kept)[0].number, std::string("7"));
        QCOMPARE((*kept)[0].address, std::string("firefox"));
        QVERIFY(auth->content.find("host-cookie") == std::string::npos);

        // No nested server (Xephyr missing, failed): no X11 at all, and a word why; never a
        // fallback to the host's display.
        h.nestedX11Number.clear();
        h.nestedX11Problem = "Xephyr is not installed: install the xserver-xephyr package";
        p = planDesktop(prof, h, sandboxSide());
        QVERIFY(!p.env.count("DISPLAY") && !p.env.count("XAUTHORITY"));
        for (const auto& o : p.mounts)
            QVERIFY2(o.target.find("X11-unix") == std::string::npos, o.describe().c_str());
        QVERIFY(!anyWarning(p, "xserver-xephyr").empty());
    }

    void nestedServerCommandLine() {
        auto p = planNestedX11("/usr/bin/Xephyr", nestedX11Title("Firefox", "firefox"),
                               "/run/user/1000/layerbox/instances/abcd.xauth");
        QCOMPARE(p.binary, std::string("/usr/bin/Xephyr"));
        auto has = [&](const std::string& a, const std::string& b = {}) {
            auto it = std::find(p.args.begin(), p.args.end(), a);
            return it != p.args.end() && (b.empty() || (it + 1 != p.args.end() && *(it + 1) == b));
        };
        QVERIFY(has("-auth", "/run/user/1000/layerbox/instances/abcd.xauth"));
        QVERIFY(has("-nolisten", "tcp"));
        QVERIFY(has("-resizeable"));
        QVERIFY(has("-title", "Firefox (Layerbox sandbox \"firefox\")"));
        // Never GLX (the browsers' profiles, with desktop.gpu, included): the plan has no
        // input that could bring it back.
        QVERIFY(has("-extension", "GLX"));
    }

    void wayland() {
        DesktopHost h = fullSession();
        auto p = planWayland(h, sandboxSide());
        const MountOp* s = bindTo(p, "/run/user/1000/wayland-0");
        QVERIFY(s);
        QCOMPARE(s->source, std::string("/run/user/1000/wayland-1"));
        QCOMPARE(p.env["WAYLAND_DISPLAY"], std::string("wayland-0"));

        h.env["WAYLAND_DISPLAY"] = "/run/custom/wl";
        h.exist.insert("/run/custom/wl");
        QCOMPARE(bindTo(planWayland(h, sandboxSide()), "/run/user/1000/wayland-0")->source,
                 std::string("/run/custom/wl"));
        h.env["WAYLAND_DISPLAY"] = "../escape";  // relative names stay in the runtime dir
        QVERIFY(planWayland(h, sandboxSide()).mounts.empty());
    }

    void displayWarnsOnlyWhenNoneIsThere() {
        DesktopHost h = fullSession();
        h.env.erase("WAYLAND_DISPLAY");  // an X11 session: a wayland+x11 profile is happy
        QVERIFY(planDisplay(X11Mode::Host, true, h, sandboxSide()).warnings.empty());
        h.env.erase("DISPLAY");
        auto p = planDisplay(X11Mode::Host, true, h, sandboxSide());
        QCOMPARE(p.warnings.size(), size_t(1));
        QVERIFY(!anyWarning(p, "DISPLAY and WAYLAND_DISPLAY are not set").empty());
        QVERIFY(planDisplay(X11Mode::Off, false, h, sandboxSide()).warnings.empty());
    }

    void gpu() {
        DesktopHost h = fullSession();
        auto p = planGpu(h);
        QVERIFY(bindTo(p, "/dev/dri") && bindTo(p, "/dev/dri")->device);
        h.exist.erase("/dev/dri");
        p = planGpu(h);
        QVERIFY(p.mounts.empty());
        QVERIFY(!anyWarning(p, "no /dev/dri").empty());
    }

    void audio() {
        DesktopHost h = fullSession();
        auto p = planAudio("pulseaudio", h, sandboxSide());
        QCOMPARE(bindTo(p, "/run/user/1000/pulse/native")->source,
                 std::string("/run/user/1000/pulse/native"));
        QVERIFY(bindTo(p, "/run/user/1000/pulse/cookie")->readOnly);
        QCOMPARE(p.env["PULSE_SERVER"], std::string("unix:/run/user/1000/pulse/native"));
        QCOMPARE(p.env["PULSE_COOKIE"], std::string("/run/user/1000/pulse/cookie"));
        QVERIFY(!bindTo(p, "/run/user/1000/pipewire-0"));

        p = planAudio("pipewire", h, sandboxSide());
        QVERIFY(bindTo(p, "/run/user/1000/pipewire-0"));
        QVERIFY(!bindTo(p, "/run/user/1000/pulse/native"));
        QCOMPARE(planAudio("both", h, sandboxSide()).mounts.size(), size_t(3));
        QVERIFY(planAudio("none", h, sandboxSide()).mounts.empty());

        h.env["PULSE_SERVER"] = "unix:/run/pulse/native";  // a system-wide server
        h.exist.insert("/run/pulse/native");
        QCOMPARE(bindTo(planAudio("pulseaudio", h, sandboxSide()), "/run/user/1000/pulse/native")
                     ->source,
                 std::string("/run/pulse/native"));
        h.exist.clear();
        p = planAudio("both", h, sandboxSide());
        QVERIFY(p.mounts.empty());
        QCOMPARE(p.warnings.size(), size_t(2));
    }

    void portalRulesKeepOpenUriOutUnlessAllowed() {
        std::vector<std::string> talk = {"org.freedesktop.portal.*", "org.example.A"};
        auto has = [](const std::vector<std::string>& v, const std::string& x) {
            return std::find(v.begin(), v.end(), x) != v.end();
        };
        auto deny = portalTalkArgs(talk, false);
        QVERIFY(has(deny, "--see=org.freedesktop.portal.*"));
        QVERIFY(has(deny, "--talk=org.example.A"));
        QVERIFY(has(deny, "--talk=org.freedesktop.portal.Documents"));
        QVERIFY(has(deny,
                    "--call=org.freedesktop.portal.Desktop=org.freedesktop.portal."
                    "FileChooser.*"));
        for (const auto& a : deny) {
            QVERIFY2(a.find("OpenURI") == std::string::npos, a.c_str());
            QVERIFY2(a.find("Email") == std::string::npos, a.c_str());
            QVERIFY2(a != "--talk=org.freedesktop.portal.*", a.c_str());
            QVERIFY2(a.find("=*") == std::string::npos || startsWith(a, "--broadcast"), a.c_str());
        }
        auto allow = portalTalkArgs(talk, true);
        QCOMPARE(allow, (std::vector<std::string>{"--talk=org.freedesktop.portal.*",
                                                  "--talk=org.example.A"}));
        // Not covering the portal: unchanged.
        QCOMPARE(portalTalkArgs({"org.freedesktop.Notifications"}, false),
                 (std::vector<std::string>{"--talk=org.freedesktop.Notifications"}));
        QCOMPARE(portalAppId("my.web-1"), std::string("io.github.layerbox.my_web-1"));
        std::string info = flatpakInfo("io.github.layerbox.x", "ab12", false);
        QVERIFY(info.find("[Application]\nname=io.github.layerbox.x\n") == 0);
        QVERIFY(info.find("instance-id=ab12") != std::string::npos);
        DbusConfig broad;
        broad.talk = {"org.freedesktop.*"};
        QCOMPARE(broad.broadPortalPattern(), std::string("org.freedesktop.*"));
        QVERIFY(broad.talksToPortals());
    }

    void dbusProxyCommandLine() {
        DbusConfig d;
        d.talk = {"org.freedesktop.Notifications", "org.freedesktop.portal.*"};
        d.own = {"org.mozilla.firefox_esr.*"};
        d.see = {"org.freedesktop.secrets"};
        d.call = {"org.example.X=org.example.X.Do@/org/example/X"};
        d.systemTalk = {"org.freedesktop.UPower"};
        auto p = planDbus(d, fullSession(), sandboxSide());
        QVERIFY(p.warnings.empty());
        const auto& a = p.dbusProxy.args;
        QCOMPARE(p.dbusProxy.binary, std::string("/usr/bin/xdg-dbus-proxy"));
        // Session: address, socket next to the instance's record, --filter, the lists.
        QCOMPARE(a[0], std::string("unix:path=/run/user/1000/bus"));
        QCOMPARE(a[1], std::string("/run/user/1000/layerbox/instances/abcd1234.bus"));
        QCOMPARE(a[2], std::string("--filter"));
        for (const char* want :
             {"--talk=org.freedesktop.Notifications", "--see=org.freedesktop.portal.*",
              "--own=org.mozilla.firefox_esr.*", "--see=org.freedesktop.secrets",
              "--call=org.example.X=org.example.X.Do@/org/example/X"})
            QVERIFY2(contains(a, want), want);
        // System bus, filtered, with system_talk only.
        auto sys = std::find(a.begin(), a.end(), "unix:path=/run/dbus/system_bus_socket");
        QVERIFY(sys != a.end());
        QCOMPARE(*(sys + 1), std::string("/run/user/1000/layerbox/instances/abcd1234.system-bus"));
        QCOMPARE(*(sys + 2), std::string("--filter"));
        QCOMPARE(*(sys + 3), std::string("--talk=org.freedesktop.UPower"));
        QVERIFY(sys + 4 == a.end());
        // Every bus address given is followed by --filter: nothing is ever unfiltered.
        QCOMPARE(std::count(a.begin(), a.end(), "--filter"), 2);
        QCOMPARE(bindTo(p, "/run/user/1000/bus")->source, a[1]);
        QVERIFY(bindTo(p, "/run/dbus/system_bus_socket"));
        QCOMPARE(p.env["DBUS_SESSION_BUS_ADDRESS"], std::string("unix:path=/run/user/1000/bus"));
        QCOMPARE(p.env["DBUS_SYSTEM_BUS_ADDRESS"],
                 std::string("unix:path=/run/dbus/system_bus_socket"));
        QCOMPARE(p.dbusProxy.sockets.size(), size_t(2));
    }

    void dbusOffMeansNoBus() {
        DbusConfig off;
        auto p = planDbus(off, fullSession(), sandboxSide());
        QVERIFY(!p.dbusProxy.wanted());
        QVERIFY(p.mounts.empty() && p.env.empty() && p.warnings.empty());
        DbusConfig on;
        on.session = true;  // the bus with no name allowed: still filtered
        p = planDbus(on, fullSession(), sandboxSide());
        QVERIFY(p.dbusProxy.wanted());
        QVERIFY(contains(p.dbusProxy.args, "--filter"));
        QVERIFY(!bindTo(p, "/run/dbus/system_bus_socket"));
    }

    void dbusWithoutProxyOrBus() {
        DbusConfig d;
        d.talk = {"org.freedesktop.Notifications"};
        DesktopHost h = fullSession();
        h.dbusProxy.clear();
        auto p = planDbus(d, h, sandboxSide());
        QVERIFY(!p.dbusProxy.wanted());
        QVERIFY(p.mounts.empty() && p.env.empty());
        QVERIFY(!anyWarning(p, "xdg-dbus-proxy is not installed").empty());
        h = fullSession();
        h.env.erase("DBUS_SESSION_BUS_ADDRESS");
        h.exist.erase("/run/user/1000/bus");
        p = planDbus(d, h, sandboxSide());
        QVERIFY(!p.dbusProxy.wanted());
        QVERIFY(!anyWarning(p, "no session bus").empty());
        // An abstract address is passed on as it is: the proxy, on the host, can reach it.
        h.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:abstract=/tmp/dbus-x,guid=1";
        QCOMPARE(planDbus(d, h, sandboxSide()).dbusProxy.args[0],
                 std::string("unix:abstract=/tmp/dbus-x,guid=1"));
        QCOMPARE(busSocketPath("unix:path=/run/user/1000/b%75s,guid=1;tcp:host=x"),
                 std::string("/run/user/1000/bus"));
        QCOMPARE(busSocketPath("tcp:host=localhost,port=1"), std::string());
    }

    // The rule that keeps the systemd user manager out of reach: whatever the profile asks
    // for, nothing is bound from the user's runtime directory but the single sockets the
    // concerns name, and never the runtime directory, its bus or systemd's sockets.
    void neverTheRuntimeDirOrTheUnfilteredBus() {
        Profile p;
        p.name = "everything";
        p.desktop.x11 = X11Mode::Host;
        p.desktop.wayland = p.desktop.gpu = true;
        p.desktop.audio = "both";
        p.desktop.dbus.session = p.desktop.dbus.system = true;
        p.desktop.dbus.talk = {"org.freedesktop.systemd1"};  // even when asked to talk to it
        DesktopHost h = fullSession();
        auto plan = planDesktop(p, h, sandboxSide());
        const std::set<std::string> allowed = {
            "/run/user/1000/wayland-1", "/run/user/1000/pulse/native", "/run/user/1000/pipewire-0"};
        for (const auto& o : plan.mounts) {
            if (o.kind != MountKind::Bind) continue;
            QVERIFY2(o.source != h.runtimeDir, o.describe().c_str());
            QVERIFY2(o.source != "/run/user/1000/bus", o.describe().c_str());
            QVERIFY2(o.source.find("/systemd") == std::string::npos, o.describe().c_str());
            bool inRuntime = startsWith(o.source, h.runtimeDir + "/");
            bool proxy = startsWith(o.source, "/run/user/1000/layerbox/instances/abcd1234.");
            QVERIFY2(!inRuntime || proxy || allowed.count(o.source), o.describe().c_str());
        }
        // The session bus the sandbox sees is the proxy's socket.
        QCOMPARE(bindTo(plan, "/run/user/1000/bus")->source,
                 std::string("/run/user/1000/layerbox/instances/abcd1234.bus"));
        // The runtime directory the desktop plans use is the one planMounts creates.
        StorageLayout s;
        s.dataDir = "/tmp/x";
        QCOMPARE(planMounts(p, fakeHost(), s).runtimeDir, sandboxSide().runtimeDir);
    }

    void themeBindsComeFirstInTheDesktopPlan() {
        Profile p;
        p.name = "gui";
        p.desktop.x11 = X11Mode::Host;
        Bind b;
        b.host = b.sandbox = "/home/alice/.config/gtk-3.0";
        b.rw = true;
        p.filesystem.binds = {b};  // the profile's own binds come after, and win
        StorageLayout s;
        s.dataDir = "/tmp/x";
        auto desktop = planDesktop(p, fullSession(), sandboxSide());
        QVERIFY(!desktop.mounts.empty());
        QCOMPARE(desktop.mounts.front().target, "/home/alice/" + themePaths().front());
        auto plan = planMounts(p, fakeHost(), s, desktop.mounts);
        size_t theme = SIZE_MAX, profileBind = SIZE_MAX;
        int themeBinds = 0;
        for (size_t i = 0; i < plan.ops.size(); ++i) {
            const auto& o = plan.ops[i];
            if (o.kind != MountKind::Bind || o.target != "/home/alice/.config/gtk-3.0") continue;
            if (o.readOnly && o.optional && theme == SIZE_MAX) theme = i;
            if (!o.readOnly) profileBind = i;
        }
        for (const auto& o : plan.ops)
            if (o.kind == MountKind::Bind && o.optional && o.readOnly &&
                startsWith(o.target, "/home/alice/"))
                ++themeBinds;
        QCOMPARE(themeBinds, int(themePaths().size()));
        QVERIFY(theme < profileBind && profileBind != SIZE_MAX);
        for (const auto& rel : themePaths())
            QVERIFY2(std::any_of(plan.ops.begin(), plan.ops.end(),
                                 [&](const MountOp& o) {
                                     return o.target == "/home/alice/" + rel &&
                                            o.source == o.target;
                                 }),
                     rel.c_str());
        // No display, or theme off: none.
        p.desktop.x11 = X11Mode::Off;
        QVERIFY(planThemeMounts(p.desktop, "/home/alice").empty());
        p.desktop.wayland = true;
        p.desktop.theme = false;
        QVERIFY(planThemeMounts(p.desktop, "/home/alice").empty());
        // Desktop sockets handed to planMounts come before the profile's binds.
        MountOp sock = bindSocket("/tmp/.X11-unix/X1", "/tmp/.X11-unix/X1");
        plan = planMounts(p, fakeHost(), s, {sock});
        auto at = std::find_if(plan.ops.begin(), plan.ops.end(),
                               [](const MountOp& o) { return o.target == "/tmp/.X11-unix/X1"; });
        auto pb = std::find_if(plan.ops.begin(), plan.ops.end(), [](const MountOp& o) {
            return o.kind == MountKind::Bind && !o.readOnly &&
                   o.target == "/home/alice/.config/gtk-3.0";
        });
        QVERIFY(at != plan.ops.end() && at < pb);
    }

    void planDesktopFollowsTheProfile() {
        Profile p;
        p.name = "none";
        auto plan = planDesktop(p, fullSession(), sandboxSide());  // the default: nothing
        QVERIFY(plan.mounts.empty() && plan.env.empty() && plan.warnings.empty());
        QVERIFY(!plan.dbusProxy.wanted());
        p.desktop.x11 = X11Mode::Host;
        p.desktop.audio = "pulseaudio";
        plan = planDesktop(p, fullSession(), sandboxSide());
        QVERIFY(plan.env.count("DISPLAY") && plan.env.count("PULSE_SERVER"));
        QVERIFY(!plan.env.count("WAYLAND_DISPLAY") && !plan.env.count("DBUS_SESSION_BUS_ADDRESS"));
        QVERIFY(!bindTo(plan, "/dev/dri"));
    }

    // -----------------------------------------------------------------------------------------
    // Menu entries

    void execQuoting_data() {
        QTest::addColumn<QString>("arg");
        QTest::addColumn<QString>("quoted");
        QTest::newRow("plain") << "firefox-esr"
                               << "firefox-esr";
        QTest::newRow("path") << "/usr/bin/x-y_z.1"
                              << "/usr/bin/x-y_z.1";
        QTest::newRow("space") << "/opt/My App/run"
                               << "\"/opt/My App/run\"";
        QTest::newRow("dollar") << "a$b"
                                << "\"a\\$b\"";
        QTest::newRow("quote") << "say \"hi\""
                               << "\"say \\\"hi\\\"\"";
        QTest::newRow("backslash") << "a\\b"
                                   << "\"a\\\\b\"";
        QTest::newRow("backtick") << "`x`"
                                  << "\"\\`x\\`\"";
        QTest::newRow("percent") << "100%"
                                 << "100%%";
        QTest::newRow("percent quoted") << "50% off"
                                        << "\"50%% off\"";
        QTest::newRow("semicolon") << "a;b"
                                   << "\"a;b\"";
        QTest::newRow("tilde") << "~/x"
                               << "\"~/x\"";
        QTest::newRow("empty") << ""
                               << "\"\"";
    }
    void execQuoting() {
        QFETCH(QString, arg);
        QFETCH(QString, quoted);
        QCOMPARE(QString::fromStdString(quoteExecArgument(arg.toStdString())), quoted);
    }

    void fieldCodes() {
        QCOMPARE(execFieldCode("/usr/lib/firefox-esr/firefox-esr %u"), std::string("%u"));
        QCOMPARE(execFieldCode("vlc --started-from-file %U"), std::string("%U"));
        QCOMPARE(execFieldCode("gimp-2.10 %F"), std::string("%F"));
        QCOMPARE(execFieldCode("libreoffice --writer %f"), std::string("%f"));
        QCOMPARE(execFieldCode("xterm"), std::string());
        QCOMPARE(execFieldCode("echo 100%% %i %c"), std::string());
    }

    void desktopEntryParsing() {
        auto keys = parseDesktopEntry(
            "# comment\n[Desktop Entry]\nName=Firefox ESR\nName[de]=Firefox\nExec=ff %u\n"
            "Icon = firefox-esr\n\n[Desktop Action new]\nName=New Window\nExec=ff --new\n");
        QCOMPARE(keys["Name"], std::string("Firefox ESR"));
        QCOMPARE(keys["Exec"], std::string("ff %u"));
        QCOMPARE(keys["Icon"], std::string("firefox-esr"));
        QCOMPARE(keys["Name[de]"], std::string("Firefox"));
        QCOMPARE(unescapeDesktopString("a\\sb\\nc\\\\d"), std::string("a b\nc\\d"));
        QCOMPARE(escapeDesktopString(" a\\b\n"), std::string("\\sa\\\\b\\n"));
    }

    void menuEntryText() {
        Profile p;
        p.name = "firefox";
        p.title = "Firefox";
        p.icon = "firefox-esr";
        p.command = {"firefox-esr"};
        std::map<std::string, std::string> orig = {
            {"Name", "Firefox ESR"},
            {"GenericName", "Web Browser"},
            {"Exec", "/usr/lib/firefox-esr/firefox-esr %u"},
            {"Icon", "firefox-esr"},
            {"Categories", "Network;WebBrowser;"},
            {"MimeType", "text/html;x-scheme-handler/https;"},
            {"Keywords", "web;browser"},
            {"StartupWMClass", "firefox-esr"},
            {"Terminal", "false"}};
        auto text = planMenuEntry(p, orig, "/usr/bin/layerbox");
        QVERIFY(text);
        auto keys = parseDesktopEntry(*text);
        QCOMPARE(keys["Type"], std::string("Application"));
        QCOMPARE(keys["Name"], std::string("Firefox ESR (sandboxed)"));
        QCOMPARE(keys["Exec"],
                 std::string("/usr/bin/layerbox run --profile firefox -- firefox-esr @@ %u @@"));
        QCOMPARE(keys["TryExec"], std::string("/usr/bin/layerbox"));
        QCOMPARE(keys["Icon"], std::string("firefox-esr"));
        QCOMPARE(keys["Categories"], std::string("Network;WebBrowser;"));
        QCOMPARE(keys["MimeType"], std::string("text/html;x-scheme-handler/https;"));
        QCOMPARE(keys["Keywords"], std::string("web;browser;sandbox;layerbox;"));
        QCOMPARE(keys["StartupWMClass"], std::string("firefox-esr"));
        QCOMPARE(keys["X-Layerbox-Profile"], std::string("firefox"));

        // A profile command that needs quoting, a layerbox path with a space, no field code.
        p.command = {"sh", "-c", "echo \"$HOME\" 100%"};
        text = planMenuEntry(p, {{"Name", "Tool"}, {"Exec", "tool"}}, "/opt/lb box/layerbox",
                             "My tool");
        keys = parseDesktopEntry(*text);
        QCOMPARE(keys["Name"], std::string("My tool"));
        QCOMPARE(unescapeDesktopString(keys["Exec"]),
                 std::string("\"/opt/lb box/layerbox\" run --profile firefox -- sh -c "
                             "\"echo \\\"\\$HOME\\\" 100%%\""));
        // Written as a string value: the backslashes are escaped once more.
        QVERIFY(keys["Exec"].find("\\\\\"\\\\$HOME") != std::string::npos);

        // Without an application entry: the profile's title and icon; a terminal only when
        // the profile gives no display (default's bash needs one to be of any use).
        p.command = {"x"};
        p.desktop.x11 = X11Mode::Host;
        keys = parseDesktopEntry(planMenuEntry(p, {}, "/usr/bin/layerbox").value());
        QCOMPARE(keys["Name"], std::string("Firefox (sandboxed)"));
        QCOMPARE(keys["Icon"], std::string("firefox-esr"));
        QCOMPARE(keys["Terminal"], std::string("false"));
        p.desktop.x11 = X11Mode::Off;
        keys = parseDesktopEntry(planMenuEntry(p, {}, "/usr/bin/layerbox").value());
        QCOMPARE(keys["Terminal"], std::string("true"));
        p.desktop.wayland = true;
        keys = parseDesktopEntry(planMenuEntry(p, {}, "/usr/bin/layerbox").value());
        QCOMPARE(keys["Terminal"], std::string("false"));
        p.desktop.wayland = false;
        // The application's own entry wins: it knows whether it is a console program.
        keys = parseDesktopEntry(
            planMenuEntry(p, {{"Name", "T"}, {"Exec", "t"}, {"Terminal", "false"}}, "/b/layerbox")
                .value());
        QCOMPARE(keys["Terminal"], std::string("false"));

        p.command.clear();
        QVERIFY(!planMenuEntry(p, {}, "/usr/bin/layerbox"));
    }
};

QTEST_GUILESS_MAIN(TstDesktopPlans)
#include "tst_desktop_plans.moc"
