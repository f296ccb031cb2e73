// The host module's pure parts: doctor's checks from the facts (so the checks and the facts
// `doctor --json` gives the GUI are one answer), the limits a host enforces, Exec lines, and
// the installed applications read with the one Desktop Entry parser (also through
// `layerbox desktop applications --json`).
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/elf_needed.h"
#include "base/paths.h"
#include "desktop/wayland_globals.h"
#include "host/doctor.h"
#include "host/menu_entries.h"
#include "layers/storage.h"
#include "testsupport.h"

using namespace lb;

namespace {

// A host where everything works.
HostFacts goodHost() {
    HostFacts f;
    f.kernelRelease = "6.1.0";
    f.seccomp = true;
    f.landlockAbi = 3;
    f.dataDir = "/home/u/.local/share/layerbox";
    f.nativeOverlay = true;
    f.fuseOverlayfsVersion = "fuse-overlayfs: version 1.10";
    f.devFuse = true;
    f.slirp4netnsVersion = "slirp4netns version 1.2.0";
    f.slirpSandbox = f.slirpSeccomp = true;
    f.devNetTun = true;
    f.dbusProxyVersion = "xdg-dbus-proxy 0.1.4";
    f.userManager = true;
    f.userManagerInfo = "systemd 252 user manager";
    f.delegated = {"cpu", "io", "memory", "pids"};
    f.cgroup2Root = "/sys/fs/cgroup";
    f.x11Display = ":0";
    f.x11Socket = true;
    f.x11Answers = true;
    f.xephyr = "/usr/bin/Xephyr";
    f.pulseaudio = true;
    f.gpuDevices = {"card0", "renderD128"};
    f.freeSpaceKnown = true;
    f.freeBytes = 50ull << 30;
    return f;
}

const Check* find(const std::vector<Check>& checks, const std::string& id) {
    for (const auto& c : checks)
        if (c.id == id) return &c;
    return nullptr;
}

}  // namespace

class TstHost : public QObject {
    Q_OBJECT

private slots:
    // Issue 25: every command and every sandbox's runner starts by loading these; libxcb & co
    // (loaded when an X11 client of the runner first connects) and the C++ runtime (linked in)
    // are not among them. Not a timing: the list itself.
    void layerboxStartsWithFewLibraries() {
        auto needed = elfNeeded(lbtest::layerboxBin().toStdString());
        QVERIFY2(needed, needed ? "" : needed.error().message().c_str());
        QStringList names;
        for (const auto& n : *needed)
            names << QString::fromStdString(n);
        for (const char* lazy : {"libxcb", "libsystemd", "libnftables"})
            QVERIFY2(!names.join(' ').contains(lazy), qPrintable(names.join(' ')));
#if !defined(__SANITIZE_ADDRESS__)
        QVERIFY2(!names.join(' ').contains("libstdc++"), qPrintable(names.join(' ')));
#endif
    }
    void everythingWorks() {
        const auto checks = checkHost(goodHost());
        QStringList ids;
        for (const auto& c : checks) {
            ids << QString::fromStdString(c.id);
            QVERIFY2(c.status == "ok", qPrintable(QString::fromStdString(c.id + ": " + c.summary)));
            QVERIFY(c.fix.empty());
        }
        QCOMPARE(ids, (QStringList{"kernel", "landlock", "userns", "overlay", "fuse", "slirp4netns",
                                   "firewall", "internet-only", "dbus-proxy", "systemd", "cgroup2",
                                   "display", "x11-isolated", "wayland", "gpu", "audio", "space"}));
        QCOMPARE(find(checks, "gpu")->summary, std::string("/dev/dri: card0, renderD128"));
        QCOMPARE(
            find(checks, "systemd")->summary,
            std::string("systemd 252 user manager; limits enforced here: memory tasks cpu io"));
    }

    // Each fact, spoiled, turns its own check and no other.
    // A display is there when a server answers on its socket, not when a socket file is: the
    // file of a compositor that has gone (bound, then closed) makes doctor warn, a listening
    // one is ok.
    void displayMustAnswer() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QByteArray path = (dir.path() + "/wayland-test").toUtf8();
        struct sockaddr_un addr = {};
        addr.sun_family = AF_UNIX;
        QVERIFY(size_t(path.size()) < sizeof addr.sun_path);
        std::memcpy(addr.sun_path, path.constData(), path.size() + 1);
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        QVERIFY(fd >= 0);
        QCOMPARE(::bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr), 0);
        ::close(fd);  // the file stays, nothing listens
        const QByteArray oldDisplay = qgetenv("DISPLAY"), oldWayland = qgetenv("WAYLAND_DISPLAY");
        qunsetenv("DISPLAY");
        qputenv("WAYLAND_DISPLAY", path);
        auto check = [](const char* id) {
            for (const auto& c : checkHost(probeHost(Paths::fromEnvironment())))
                if (c.id == id) return c;
            return Check{};
        };
        const Check stale = check("display");
        QCOMPARE(QString::fromStdString(stale.status), QString("warning"));
        QVERIFY2(stale.summary.find("no compositor answers") != std::string::npos,
                 stale.summary.c_str());
        // A server that listens on it answers.
        ::unlink(path.constData());
        fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        QCOMPARE(::bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr), 0);
        QCOMPARE(::listen(fd, 4), 0);
        const Check live = check("display");
        ::close(fd);
        qputenv("DISPLAY", oldDisplay);
        qputenv("WAYLAND_DISPLAY", oldWayland);
        QCOMPARE(QString::fromStdString(live.status), QString("ok"));
        QVERIFY2(live.summary.find("Wayland " + path.toStdString()) != std::string::npos,
                 live.summary.c_str());
    }

    void oneFactOneCheck_data() {
        QTest::addColumn<QString>("fact");
        QTest::addColumn<QString>("check");
        QTest::addColumn<QString>("status");
        QTest::newRow("no seccomp") << "seccomp"
                                    << "kernel"
                                    << "failure";
        QTest::newRow("no landlock") << "landlock"
                                     << "landlock"
                                     << "warning";
        QTest::newRow("no user namespaces") << "userns"
                                            << "userns"
                                            << "failure";
        QTest::newRow("no native overlay") << "overlay"
                                           << "overlay"
                                           << "warning";
        QTest::newRow("no fuse-overlayfs") << "fuse"
                                           << "fuse"
                                           << "warning";
        QTest::newRow("no /dev/net/tun") << "tun"
                                         << "slirp4netns"
                                         << "warning";
        QTest::newRow("no firewall") << "firewall"
                                     << "firewall"
                                     << "warning";
        QTest::newRow("no user manager") << "manager"
                                         << "systemd"
                                         << "warning";
        QTest::newRow("nothing delegated") << "delegated"
                                           << "systemd"
                                           << "warning";
        QTest::newRow("hybrid cgroups") << "hybrid"
                                        << "cgroup2"
                                        << "warning";
        QTest::newRow("no display") << "display"
                                    << "display"
                                    << "warning";
        QTest::newRow("no Xephyr") << "xephyr"
                                   << "x11-isolated"
                                   << "warning";
        QTest::newRow("no gpu") << "gpu"
                                << "gpu"
                                << "warning";
        QTest::newRow("no sound") << "audio"
                                  << "audio"
                                  << "warning";
        QTest::newRow("disk full") << "space"
                                   << "space"
                                   << "failure";
    }
    void oneFactOneCheck() {
        QFETCH(QString, fact);
        QFETCH(QString, check);
        QFETCH(QString, status);
        HostFacts f = goodHost();
        if (fact == "seccomp") f.seccomp = false;
        if (fact == "landlock") f.landlockAbi = 0;
        if (fact == "userns") f.usernsError = EPERM;
        if (fact == "overlay") f.nativeOverlay = false, f.nativeOverlayError = "mount: EINVAL";
        if (fact == "fuse") f.fuseOverlayfsVersion.clear();
        if (fact == "tun") f.devNetTun = false;
        if (fact == "firewall") f.firewallStep = 3;
        if (fact == "manager") f.userManager = false, f.userManagerInfo = "no user bus";
        if (fact == "delegated") f.delegated.clear();
        if (fact == "hybrid") f.cgroup2Root = "/sys/fs/cgroup/unified";
        if (fact == "display") f.x11Display.clear(), f.x11Socket = f.x11Answers = false;
        if (fact == "xephyr") f.xephyr.clear();
        if (fact == "gpu") f.gpuDevices.clear();
        if (fact == "audio") f.pulseaudio = false;
        if (fact == "space") f.freeBytes = 10 << 20;
        for (const auto& c : checkHost(f)) {
            QString expected = QString::fromStdString(c.id) == check ? status : "ok";
            // Without a display, Xephyr has nowhere to show its window either.
            if (fact == "display" && c.id == "x11-isolated") expected = "warning";
            QVERIFY2(QString::fromStdString(c.status) == expected,
                     qPrintable(QString::fromStdString(c.id + ": " + c.status + ": " + c.summary)));
            if (c.status != "ok" && c.id != "display" && c.id != "gpu" && c.id != "audio" &&
                !(fact == "display" && c.id == "x11-isolated"))
                QVERIFY2(!c.fix.empty(), c.id.c_str());
        }
    }

    // The user-namespace fix names what refuses them.
    void usernsFix() {
        HostFacts f = goodHost();
        f.usernsError = EACCES;
        f.apparmorRestrictsUserns = "1";
        QVERIFY(find(checkHost(f), "userns")->fix.find("AppArmor") != std::string::npos);
        f.apparmorRestrictsUserns = "0";
        f.unprivilegedUsernsClone = "0";
        QVERIFY(find(checkHost(f), "userns")->fix.find("unprivileged_userns_clone=1") !=
                std::string::npos);
    }

    // A storage probe that failed because the disk is full blames the disk, not the kernel.
    void overlayProbeOnAFullDisk() {
        HostFacts f = goodHost();
        f.nativeOverlay = false;
        f.nativeOverlayError = "mkdir: No space left on device";
        f.nativeOverlayTransient = true;
        const auto checks = checkHost(f);
        const auto* c = find(checks, "overlay");
        QVERIFY(c);
        QVERIFY2(c->fix.find("free space") != std::string::npos, c->fix.c_str());
        QVERIFY2(c->fix.find("Linux") == std::string::npos, c->fix.c_str());
        QVERIFY2(c->summary.find("No space left") != std::string::npos, c->summary.c_str());
        f.nativeOverlayTransient = false;  // a real refusal: the kernel is what to change
        QVERIFY(find(checkHost(f), "overlay")->fix.find("Linux") != std::string::npos);
        QVERIFY(lb::storageProbeFailureIsTransient(ENOSPC));
        QVERIFY(lb::storageProbeFailureIsTransient(EDQUOT));
        QVERIFY(!lb::storageProbeFailureIsTransient(EPERM));
        QVERIFY(!lb::storageProbeFailureIsTransient(EINVAL));
    }

    // What a Wayland client reaches beyond its own windows, named from the globals offered.
    void waylandReachIsNamed() {
        HostFacts f = goodHost();
        f.waylandDisplay = "wayland-0";
        f.waylandSocket = f.waylandAnswers = true;
        f.waylandGlobals = {"wl_compositor", "wl_seat", "xdg_wm_base"};
        auto checks = checkHost(f);
        QCOMPARE(find(checks, "wayland")->status, std::string("ok"));
        QVERIFY(find(checks, "wayland")->summary.find("no wp_security_context_v1") !=
                std::string::npos);
        f.waylandGlobals = {"wl_compositor", "zwlr_data_control_manager_v1",
                            "zwlr_screencopy_manager_v1", "zwp_virtual_keyboard_manager_v1"};
        checks = checkHost(f);
        const auto* c = find(checks, "wayland");
        QCOMPARE(c->status, std::string("warning"));
        for (const char* g : {"zwlr_screencopy_manager_v1", "zwlr_data_control_manager_v1",
                              "zwp_virtual_keyboard_manager_v1"})
            QVERIFY2(c->summary.find(g) != std::string::npos, c->summary.c_str());
        QVERIFY(c->summary.find("screenshots") != std::string::npos);
        QVERIFY(!c->fix.empty());
        QCOMPARE(lb::waylandPrivileged(f.waylandGlobals).size(), size_t(3));
        QVERIFY(!lb::waylandHasSecurityContext(f.waylandGlobals));
        QVERIFY(lb::waylandHasSecurityContext({"wp_security_context_manager_v1"}));
    }

    // The limits the GUI marks "enforced here" are the ones a launch enforces: delegated
    // controllers of a user manager that answers.
    void hostLimits() {
        HostFacts f = goodHost();
        f.delegated = {"memory", "pids"};
        QStringList enforced, recorded;
        for (const auto& l : lb::hostLimits(f))
            (l.enforced ? enforced : recorded)
                << QString::fromStdString(l.key + ":" + l.controller);
        QCOMPARE(enforced, (QStringList{"memory_max:memory", "memory_high:memory",
                                        "memory_swap_max:memory", "tasks_max:pids"}));
        QCOMPARE(recorded, (QStringList{"cpu_percent:cpu", "cpu_weight:cpu", "io_weight:io"}));
        f.userManager = false;  // no scope at all: nothing is enforced
        for (const auto& l : lb::hostLimits(f))
            QVERIFY(!l.enforced);
    }

    void execArguments_data() {
        QTest::addColumn<QString>("exec");
        QTest::addColumn<QStringList>("argv");
        QTest::newRow("plain") << "firefox-esr %u" << QStringList{"firefox-esr"};
        QTest::newRow("codes dropped") << "app --x %F %i %c %k" << QStringList{"app", "--x"};
        QTest::newRow("percent") << "printf 100%%" << QStringList{"printf", "100%"};
        QTest::newRow("quoted") << "\"/opt/My App/run\" --name \"a \\\"b\\\" \\$c \\\\ d\""
                                << QStringList{"/opt/My App/run", "--name", "a \"b\" $c \\ d"};
        QTest::newRow("spaces") << "  a   b  " << QStringList{"a", "b"};
        QTest::newRow("empty quotes") << "a \"\" b" << QStringList{"a", "", "b"};
    }
    void execArguments() {
        QFETCH(QString, exec);
        QFETCH(QStringList, argv);
        QStringList got;
        for (const auto& a : lb::execArguments(exec.toStdString()))
            got << QString::fromStdString(a);
        QCOMPARE(got, argv);
    }

    // Shown applications only, the first directory's id winning, sorted by name; the CLI gives
    // the same list.
    void installedApplications() {
        lbtest::TestHome home;
        home.apply();
        const QString data = home.home() + "/data";
        qputenv("XDG_DATA_DIRS", data.toUtf8());
        auto entry = [](const QString& body) {
            return QByteArray("# a comment\n[Desktop Entry]\n") + body.toUtf8() +
                   "\n[Desktop Action new]\nName=Not this\nExec=nope\n";
        };
        QVERIFY(lbtest::writeFile(data + "/applications/zed.desktop",
                                  entry("Type=Application\nName=Zed\\sEditor\nExec=zed %F\n"
                                        "Icon=zed\nComment=Edit\nTerminal=true")));
        QVERIFY(lbtest::writeFile(data + "/applications/apple.desktop",
                                  entry("Type=Application\nName=Apple\nExec=\"/opt/a b/apple\"")));
        QVERIFY(lbtest::writeFile(data + "/applications/hidden.desktop",
                                  entry("Type=Application\nName=H\nExec=h\nNoDisplay=true")));
        QVERIFY(lbtest::writeFile(data + "/applications/link.desktop",
                                  entry("Type=Link\nName=L\nURL=http://x")));
        QVERIFY(lbtest::writeFile(data + "/applications/noexec.desktop",
                                  entry("Type=Application\nName=N")));
        // Yours shadows the system's of the same id.
        QVERIFY(lbtest::writeFile(home.dataHome() + "/applications/zed.desktop",
                                  entry("Type=Application\nName=My Zed\nExec=zed --mine")));
        const auto apps = lb::installedApplications(Paths::fromEnvironment());
        QCOMPARE(apps.size(), size_t(2));
        QCOMPARE(apps[0].id, std::string("apple.desktop"));
        QCOMPARE(apps[0].command, std::vector<std::string>{"/opt/a b/apple"});
        QCOMPARE(apps[1].name, std::string("My Zed"));
        QCOMPARE(apps[1].path, (home.dataHome() + "/applications/zed.desktop").toStdString());

        QVERIFY(QFile::remove(home.dataHome() + "/applications/zed.desktop"));
        auto r = home.layerbox({"desktop", "applications", "--json"});
        qunsetenv("XDG_DATA_DIRS");
        QCOMPARE(r.exitCode, 0);
        const QJsonArray a = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QCOMPARE(a.size(), 2);
        const QJsonObject zed = a.at(1).toObject();
        QCOMPARE(zed["id"].toString(), QString("zed.desktop"));
        QCOMPARE(zed["name"].toString(), QString("Zed Editor"));
        QCOMPARE(zed["comment"].toString(), QString("Edit"));
        QCOMPARE(zed["icon"].toString(), QString("zed"));
        QCOMPARE(zed["exec"].toString(), QString("zed %F"));
        QCOMPARE(zed["command"].toArray(), QJsonArray{"zed"});
        QCOMPARE(zed["terminal"].toBool(), true);
        QCOMPARE(zed["path"].toString(), data + "/applications/zed.desktop");
    }
};

QTEST_MAIN(TstHost)
#include "tst_host.moc"
