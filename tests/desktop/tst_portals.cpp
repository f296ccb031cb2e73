// The desktop portals for real (portals.h): a private session bus on which the real
// xdg-desktop-portal, xdg-document-portal and xdg-desktop-portal-gtk are started by activation,
// Xvfb for the dialogs, and sandboxed programs that call the portal through Layerbox's proxy.
//  - OpenURI: a test handler is the desktop's default https handler and writes a marker file on
//    the host when it runs; from a profile that talks to the portals it must not run unless
//    desktop.open_uri is "allow" (the control).
//  - The file chooser: a GTK program (lbpick.py) in a profile that binds nothing gets the host's
//    dialog; the test picks or names a file in it; only that file appears inside.
//  - Real programs: Firefox ESR (firefox profile, portal file picker on) saves a page through the
//    host's dialog into a folder it does not bind; GIMP in a profile without binds opens the PNG
//    its menu entry's %U was given.
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QUrl>
#include <QtTest>

#include <signal.h>
#include <unistd.h>

#include "testsupport.h"

using namespace lbtest;

namespace {

using Out = lbtest::ProcOut;

// The processes whose environment holds `needle` (the private bus's address): what the bus
// started by activation, ended by the test (by pid).
QList<qint64> processesWithEnv(const QByteArray& needle) {
    QList<qint64> out;
    for (const auto& e : QDir("/proc").entryList(QDir::Dirs)) {
        bool ok = false;
        qint64 pid = e.toLongLong(&ok);
        if (!ok || pid == ::getpid()) continue;
        // Not fusermount3: it unmounts the document portal when the portal ends
        // (auto_unmount), and ended first it would leave the mount behind.
        if (readFile(QString("/proc/%1/comm").arg(pid)).startsWith("fusermount")) continue;
        if (readFile(QString("/proc/%1/environ").arg(pid)).contains(needle)) out << pid;
    }
    return out;
}

}  // namespace

class TstPortals : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;
    QProcess xvfb_, bus_;
    QString display_, address_, marker_;

    QProcessEnvironment env() const {
        auto e = home_ ? home_->env() : QProcessEnvironment::systemEnvironment();
        for (const char* v : {"WAYLAND_DISPLAY", "PULSE_SERVER", "XAUTHORITY"})
            e.remove(v);
        e.insert("DISPLAY", display_);
        e.insert("DBUS_SESSION_BUS_ADDRESS", address_);
        // gtk.portal serves GNOME (UseIn=gnome)
        e.insert("XDG_CURRENT_DESKTOP", "GNOME");
        e.insert("GTK_A11Y", "none");
        e.insert("NO_AT_BRIDGE", "1");
        return e;
    }
    Out exec(const QString& program, const QStringList& args, int timeoutMs = 60000) const {
        return runProgram(env(), home_ ? home_->home() : QString(), program, args, timeoutMs);
    }
    Out run(const QString& profile, const QStringList& cmd) const {
        return exec(layerboxBin(), QStringList{"run", "--profile", profile, "--"} + cmd);
    }
    // gdbus call on the portal, inside a sandbox of `profile`.
    Out portalCall(const QString& profile, const QString& method, const QStringList& args) const {
        return run(profile, QStringList{"gdbus", "call", "--session", "--dest",
                                        "org.freedesktop.portal.Desktop", "--object-path",
                                        "/org/freedesktop/portal/desktop", "--method", method} +
                                args);
    }
    QString markerText() const { return QString::fromUtf8(readFile(marker_)); }

    // A profile that binds nothing and talks to the portals, with GTK using the portal's dialog.
    void writePickerProfile(const QString& name, const QString& x11 = "host") const {
        home_->writeProfile(
            name, R"({"version": 1, "environment": {"set": {"GTK_USE_PORTAL": "1"}},)"
                  R"( "desktop": {"x11": ")" +
                      x11.toUtf8() + R"(", "dbus": {"talk": ["org.freedesktop.portal.*"]}}})");
    }
    // Add `path` to the document portal for `appId` (read), on the host, as a program outside
    // any sandbox could; its document id.
    QString addDocument(const QString& path, const QString& appId) const {
        QString script = R"PY(
import os, sys
from gi.repository import Gio, GLib
bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
fds = Gio.UnixFDList()
fds.append(os.open(sys.argv[1], os.O_PATH))
r, _ = bus.call_with_unix_fd_list_sync("org.freedesktop.portal.Documents",
    "/org/freedesktop/portal/documents", "org.freedesktop.portal.Documents", "AddFull",
    GLib.Variant("(ahusas)", ([0], 0, sys.argv[2], ["read"])), None, 0, -1, fds, None)
print(r.unpack()[0][0])
)PY";
        auto o = exec("/usr/bin/python3", {"-c", script, path, appId});
        if (o.code != 0) qWarning("%s", o.err.constData());
        return QString::fromUtf8(o.out).trimmed();
    }
    // Run tests/desktop/lbpick.py MODE OTHERS... in a sandbox of `profile`, wait for the host's
    // dialog, keep a screenshot of it, type `path` into it (ctrl+L, the path, Return).
    Out pickThroughDialog(const QString& profile, const QString& mode, const QString& path,
                          const QStringList& others, const QString& screenshot) const {
        QProcess p;
        p.setProcessEnvironment(env());
        p.setWorkingDirectory(home_->home());
        p.start(layerboxBin(), QStringList{"run", "--profile", profile, "--",
                                           sourceDir() + "/tests/desktop/lbpick.py", mode} +
                                   others);
        Out o;
        if (!p.waitForStarted(10000)) {
            o.err = "cannot start layerbox";
            return o;
        }
        p.closeWriteChannel();
        // The dialog's window, drawn by xdg-desktop-portal-gtk on the host.
        auto win = exec("xdotool", {"search", "--sync", "--name", "LayerboxPick"}, 60000);
        QString wid = win.text().split('\n').value(0).trimmed();
        if (win.code != 0 || wid.isEmpty()) {
            p.kill();
            p.waitForFinished(5000);
            o.err = "no dialog appeared: " + win.err + p.readAllStandardError();
            o.out = p.readAllStandardOutput();
            return o;
        }
        exec("xdotool", {"windowfocus", "--sync", wid});
        QTest::qWait(1000);  // drawn (a wait for the picture, not a check)
        if (mode == "open") {
            // The picture shows the host's folder with the file and its sibling.
            exec("xdotool", {"key", "alt+Home"});
            QTest::qWait(500);
            exec("xdotool", {"key", "ctrl+l"});
            QTest::qWait(300);
            exec("xdotool", {"type", QFileInfo(path).path() + "/"});
            QTest::qWait(1000);
        }
        QString shots = QDir(testBinDir() + "/../artifacts/screenshots").absolutePath();
        QDir().mkpath(shots);
        exec("import", {"-window", "root", shots + "/" + screenshot});
        // The location (open, already shown) or name (save) entry has the focus: replace its text.
        exec("xdotool", {"key", "ctrl+a"});
        exec("xdotool", {"type", path});
        QTest::qWait(300);
        exec("xdotool", {"key", "Return"});
        if (!p.waitForFinished(60000)) {
            p.kill();
            p.waitForFinished(5000);
            o.err = "timed out: ";
        }
        o.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        o.out += p.readAllStandardOutput();
        o.err += p.readAllStandardError();
        return o;
    }

    // A screenshot of the display into build/artifacts/screenshots.
    void screenshot(const QString& name) const {
        QString shots = QDir(testBinDir() + "/../artifacts/screenshots").absolutePath();
        QDir().mkpath(shots);
        exec("import", {"-window", "root", shots + "/" + name});
    }
    // Stop the running sandbox of `profile` (layerbox stop) and wait for its runner `p`.
    void stopSandbox(const QString& profile, QProcess& p) const {
        exec(layerboxBin(), {"stop", "--timeout", "5", profile});
        if (!p.waitForFinished(30000)) {
            p.kill();
            p.waitForFinished(5000);
        }
    }

private slots:
    void initTestCase() {
        QVERIFY2(::getuid() != 0, "must run as an unprivileged user");
        // Every tool is in scripts/deps.sh's lists.
        for (const char* tool :
             {"Xvfb", "dbus-daemon", "gdbus", "xdg-dbus-proxy", "/usr/libexec/xdg-desktop-portal",
              "/usr/libexec/xdg-document-portal", "/usr/libexec/xdg-desktop-portal-gtk"})
            QVERIFY2(
                !QStandardPaths::findExecutable(tool).isEmpty() || QFileInfo(tool).isExecutable(),
                tool);
    }
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
        // Xvfb on a free display
        for (int attempt = 0; attempt < 20 && display_.isEmpty(); ++attempt) {
            int n = 600 + QRandomGenerator::global()->bounded(300);
            if (QFileInfo::exists(QString("/tmp/.X11-unix/X%1").arg(n)) ||
                QFileInfo::exists(QString("/tmp/.X%1-lock").arg(n)))
                continue;
            xvfb_.start("Xvfb", {":" + QString::number(n), "-nolisten", "tcp", "-screen", "0",
                                 "1280x800x24"});
            xvfb_.waitForStarted(10000);
            for (int i = 0; i < 100 && xvfb_.state() == QProcess::Running; ++i) {
                if (QFileInfo::exists(QString("/tmp/.X11-unix/X%1").arg(n))) {
                    display_ = ":" + QString::number(n);
                    break;
                }
                xvfb_.waitForFinished(100);
            }
        }
        QVERIFY2(!display_.isEmpty(), "Xvfb did not start");
        // The desktop's default https handler: writes what it was given to the marker file.
        marker_ = home_->home() + "/handler-ran";
        QVERIFY(installRecordingHttpsHandler(*home_, marker_));
        // The private session bus: the portals are started on it by activation, with this
        // environment (the test home, the display).
        QString busPath = home_->runtimeDir() + "/portal-bus";
        address_ = "unix:path=" + busPath;
        bus_.setProcessEnvironment(env());
        bus_.start("dbus-daemon", {"--session", "--nofork", "--address=" + address_});
        bus_.waitForStarted(10000);
        for (int i = 0; i < 100 && !QFileInfo::exists(busPath); ++i)
            bus_.waitForFinished(100);
        QVERIFY2(QFileInfo::exists(busPath), "dbus-daemon did not start");
        // The portal answers on the host (and starts its backends).
        auto v = exec("gdbus", {"call", "--session", "--dest", "org.freedesktop.portal.Desktop",
                                "--object-path", "/org/freedesktop/portal/desktop", "--method",
                                "org.freedesktop.DBus.Properties.Get",
                                "org.freedesktop.portal.OpenURI", "version"});
        QVERIFY2(v.code == 0, qPrintable(v.errors()));
    }
    void cleanup() {
        // What the bus started, then the bus and the display. Again until none is left: one
        // may be starting by activation while the others end (CI once found the document
        // portal still mounted 10 s after a single round), and after 5 s with SIGKILL.
        const QByteArray needle = "DBUS_SESSION_BUS_ADDRESS=" + address_.toUtf8();
        QElapsedTimer ending;
        ending.start();
        for (auto pids = processesWithEnv(needle); !pids.isEmpty() && ending.elapsed() < 15000;
             pids = processesWithEnv(needle)) {
            for (qint64 pid : pids)
                ::kill(pid_t(pid), ending.elapsed() < 5000 ? SIGTERM : SIGKILL);
            QTest::qWait(100);
        }
        for (QProcess* p : {&bus_, &xvfb_}) {
            p->terminate();
            if (!p->waitForFinished(5000)) p->kill();
            p->waitForFinished(5000);
        }
        // The document portal unmounts itself when it ends (auto_unmount); wait for it.
        const QByteArray doc = home_->runtimeDir().toUtf8() + "/doc";
        auto mounted = [&] { return readFile("/proc/self/mountinfo").contains(doc + " "); };
        for (int i = 0; i < 100 && mounted(); ++i)
            QTest::qWait(100);
        // The document portal is the host's, started here by activation: that it ends is not
        // what this test checks (CI once found its mount still there 10 s after every process
        // of the bus had gone, none left to report). Said, with this user's processes, and
        // detached, so that the next test starts from nothing; only a mount that cannot be
        // detached fails here.
        if (mounted()) {
            qWarning().noquote() << "the document portal's mount outlived its processes; this "
                                    "user's processes:"
                                 << userProcesses();
            exec("fusermount3", {"-u", "-z", QString::fromUtf8(doc)});
        }
        const bool stillMounted = mounted();
        // The next test starts from nothing whatever this one left (a display, a home).
        display_.clear();
        home_.reset();
        QVERIFY2(!stillMounted, "the document portal is still mounted");
    }

    // This user's processes and every fusermount (set-user-ID: root's /proc entry): pid,
    // state, name, where it waits, command line.
    static QString userProcesses() {
        QStringList out;
        for (const auto& e : QDir("/proc").entryList(QDir::Dirs)) {
            bool ok = false;
            const qint64 pid = e.toLongLong(&ok);
            if (!ok) continue;
            if (QFileInfo(QString("/proc/%1").arg(pid)).ownerId() != ::getuid() &&
                !readFile(QString("/proc/%1/comm").arg(pid)).startsWith("fusermount"))
                continue;
            const QByteArray stat = readFile(QString("/proc/%1/stat").arg(pid));
            const int close = stat.lastIndexOf(')');
            out << QString("%1 %2 %3 %4 %5")
                       .arg(pid)
                       .arg(close > 0 ? QString::fromUtf8(stat.mid(close + 2, 1)) : "?")
                       .arg(
                           QString::fromUtf8(readFile(QString("/proc/%1/comm").arg(pid))).trimmed())
                       .arg(QString::fromUtf8(readFile(QString("/proc/%1/wchan").arg(pid))))
                       .arg(QString::fromUtf8(readFile(QString("/proc/%1/cmdline").arg(pid)))
                                .replace(QChar(0), ' ')
                                .left(120));
        }
        return out.join("; ");
    }

    // -----------------------------------------------------------------------------------------
    void openUriOnlyWhereTheProfileAllowsIt() {
        // On the host, the portal starts the handler: the set-up works.
        auto host = exec("gdbus", {"call", "--session", "--dest", "org.freedesktop.portal.Desktop",
                                   "--object-path", "/org/freedesktop/portal/desktop", "--method",
                                   "org.freedesktop.portal.OpenURI.OpenURI", "",
                                   "https://layerbox.invalid/host", "{}"});
        QVERIFY2(host.code == 0, qPrintable(host.errors()));
        QTRY_VERIFY_WITH_TIMEOUT(markerText().contains("https://layerbox.invalid/host"), 20000);

        home_->writeProfile(
            "portals",
            R"({"version": 1, "desktop": {"dbus": {"talk": ["org.freedesktop.portal.*"]}}})");
        home_->writeProfile("portals-open",
                            R"({"version": 1, "desktop": {"open_uri": "allow", "dbus": {"talk": )"
                            R"(["org.freedesktop.portal.*"]}}})");

        // Denied: the proxy refuses OpenURI, OpenFile, OpenDirectory and Email ...
        auto denied = portalCall("portals", "org.freedesktop.portal.OpenURI.OpenURI",
                                 {"", "https://layerbox.invalid/denied", "{}"});
        QVERIFY2(denied.code != 0, qPrintable(denied.text()));
        QVERIFY2(denied.errors().contains("AccessDenied"), qPrintable(denied.errors()));
        auto email = portalCall("portals", "org.freedesktop.portal.Email.ComposeEmail",
                                {"", "{'address': <'a@layerbox.invalid'>}"});
        QVERIFY2(email.code != 0 && email.errors().contains("AccessDenied"),
                 qPrintable(email.errors()));
        // ... while the rest of the portal answers.
        auto version = portalCall("portals", "org.freedesktop.DBus.Properties.Get",
                                  {"org.freedesktop.portal.FileChooser", "version"});
        QVERIFY2(version.code == 0, qPrintable(version.errors()));
        auto settings = portalCall("portals", "org.freedesktop.portal.Settings.ReadAll", {"[]"});
        QVERIFY2(settings.code == 0, qPrintable(settings.errors()));

        // The control: allowed, the same call starts the host's handler.
        auto allowed = portalCall("portals-open", "org.freedesktop.portal.OpenURI.OpenURI",
                                  {"", "https://layerbox.invalid/allowed", "{}"});
        QVERIFY2(allowed.code == 0, qPrintable(allowed.errors()));
        QTRY_VERIFY_WITH_TIMEOUT(markerText().contains("https://layerbox.invalid/allowed"), 20000);
        // Requests are handled in order: by now a denied one would have run.
        QVERIFY2(!markerText().contains("denied"), qPrintable(markerText()));

        // profile show says it.
        auto show = home_->layerbox({"profile", "show", "portals"});
        QVERIFY2(show.out.contains("portals (opening links denied)"), qPrintable(show.out));
    }

    // -----------------------------------------------------------------------------------------
    // The file chooser: a GTK program in a profile that binds nothing asks for a file with
    // GTK_USE_PORTAL=1; the dialog is the host's (xdg-desktop-portal-gtk, drawn outside); the
    // test picks a file in it; the program reads that file and nothing beside it.
    void fileChooserOpenGivesOnlyThePickedFile_data() {
        QTest::addColumn<QString>("x11");
        // host: the program on your display; isolated: on a nested server of its own (the
        // browser profile), while the portal draws the dialog on yours.
        QTest::newRow("x11 host") << "host";
        QTest::newRow("x11 isolated") << "isolated";
    }
    void fileChooserOpenGivesOnlyThePickedFile() {
        QFETCH(QString, x11);
        QString pick = home_->home() + "/pick";
        QVERIFY(QDir().mkpath(pick));
        QVERIFY(writeFile(pick + "/chosen.txt", "the chosen one\n"));
        QVERIFY(writeFile(pick + "/sibling.txt", "must stay outside\n"));
        writePickerProfile("picker", x11);
        // Another app's document, added on the host for io.github.layerbox.other: its id must
        // not be reachable from the picker's sandbox.
        QVERIFY(writeFile(pick + "/others.txt", "another app's document\n"));
        QString otherId = addDocument(pick + "/others.txt", "io.github.layerbox.other");
        QVERIFY2(!otherId.isEmpty(), "the document portal did not add the file");
        QString docRoot = home_->runtimeDir() + "/doc";
        QCOMPARE(readFile(docRoot + "/by-app/io.github.layerbox.other/" + otherId + "/others.txt"),
                 QByteArray("another app's document\n"));

        QString otherInside = docRoot + "/" + otherId + "/others.txt";
        auto r = pickThroughDialog("picker", "open", pick + "/chosen.txt",
                                   {pick + "/sibling.txt", otherInside},
                                   "file-chooser-open-" + x11 + ".png");
        QVERIFY2(r.code == 0, qPrintable(r.text() + r.errors()));
        // The portal's answer is a document path, which the program opens inside.
        QRegularExpression picked("PICKED (\\S+)");
        auto m = picked.match(r.text());
        QVERIFY2(m.hasMatch(), qPrintable(r.text()));
        QVERIFY2(m.captured(1).startsWith(docRoot + "/"), qPrintable(m.captured(1)));
        QVERIFY2(r.text().contains("CONTENT the chosen one"), qPrintable(r.text() + r.errors()));
        // Nothing beside it: its folder holds only it, the host path of its sibling is not
        // there, nor another app's document.
        QVERIFY2(r.text().contains("LISTING chosen.txt\n"), qPrintable(r.text()));
        QVERIFY2(r.text().contains("OTHER " + pick + "/sibling.txt FileNotFoundError"),
                 qPrintable(r.text()));
        QVERIFY2(r.text().contains("OTHER " + otherInside + " FileNotFoundError"),
                 qPrintable(r.text()));
    }

    // Save: the name the user gives in the host dialog is the only file created on the host.
    void fileChooserSaveCreatesOnlyTheNamedFile() {
        QString pick = home_->home() + "/pick";
        QVERIFY(QDir().mkpath(pick));
        QVERIFY(writeFile(pick + "/sibling.txt", "must stay outside\n"));
        writePickerProfile("picker");
        auto r = pickThroughDialog("picker", "save", pick + "/new-name.txt",
                                   {pick + "/sibling.txt"}, "file-chooser-save.png");
        QVERIFY2(r.code == 0, qPrintable(r.text() + r.errors()));
        QVERIFY2(r.text().contains("WROTE " + home_->runtimeDir() + "/doc/"), qPrintable(r.text()));
        QCOMPARE(readFile(pick + "/new-name.txt"), QByteArray("saved by the sandbox\n"));
        QCOMPARE(QDir(pick).entryList(QDir::Files | QDir::Hidden | QDir::System),
                 QStringList({"new-name.txt", "sibling.txt"}));
        QCOMPARE(readFile(pick + "/sibling.txt"), QByteArray("must stay outside\n"));
        QVERIFY2(r.text().contains("OTHER " + pick + "/sibling.txt FileNotFoundError"),
                 qPrintable(r.text()));
    }
    // -----------------------------------------------------------------------------------------
    // Firefox ESR in the built-in firefox profile with the portal file picker on saves a page
    // into ~/Documents (which the profile does not bind) through the host's dialog: Ctrl+S, the
    // dialog drawn outside, the path typed into it. The file is on the host; nothing beside it.
    void firefoxSavesAPageThroughTheHostDialog() {
        QString docs = home_->home() + "/Documents";
        QVERIFY(QDir().mkpath(docs));
        QVERIFY(writeFile(docs + "/sibling.txt", "must stay outside\n"));
        QString target = docs + "/saved-page.html";
        // A page of the sandbox's own home, a profile folder with the first-run pages off and
        // the portal's file picker on.
        QString script =
            firefoxProfileScript("~/ff-save-profile",
                                 {R"(user_pref("widget.use-xdg-desktop-portal.file-picker", 1);)",
                                  R"(user_pref("browser.download.panel.shown", true);)"}) +
            "printf '%s\\n' '<html><head><title>Layerbox save "
            "test</title></head><body><p>saved through the portal</p></body></html>' > "
            "~/page.html && exec firefox-esr --profile ~/ff-save-profile --width 1000 --height 700 "
            "file://$HOME/page.html";
        QProcess p;
        p.setProcessEnvironment(env());
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(layerboxBin(), {"run", "--profile", "firefox", "--no-pty", "--status-fd", "1", "--",
                                "sh", "-c", script});
        QVERIFY(p.waitForStarted());
        auto stop = qScopeGuard([&] { stopSandbox("firefox", p); });
        // Started (and listed, so that the runs below join it rather than race it for the lock).
        QByteArray log;
        QTRY_VERIFY_WITH_TIMEOUT((log += p.readAll()).contains("\"event\":\"started\"") ||
                                     p.state() == QProcess::NotRunning,
                                 60000);
        QVERIFY2(p.state() == QProcess::Running, log.constData());
        // The page's window, on the sandbox's own X server (x11 isolated): Ctrl+S sent there.
        QTRY_VERIFY2_WITH_TIMEOUT(
            run("firefox", {"xdotool", "search", "--name", "Layerbox save test"}).code == 0 ||
                p.state() == QProcess::NotRunning,
            "no Firefox window", 120000);
        QVERIFY2(p.state() == QProcess::Running, (log + p.readAll()).constData());
        QTest::qWait(2000);  // let it finish loading (a wait for the page, not a check)
        auto key = run("firefox", {"sh", "-c",
                                   "w=$(xdotool search --name 'Layerbox save test' | head -n1) && "
                                   "xdotool windowfocus --sync $w && xdotool key ctrl+s"});
        QVERIFY2(key.code == 0, qPrintable(key.errors()));
        // The host's dialog, drawn by xdg-desktop-portal-gtk on this display (Firefox's
        // "Save As"), not on the sandbox's server.
        auto win = exec("xdotool", {"search", "--sync", "--name", "Save As"}, 60000);
        QString wid = win.text().split('\n').value(0).trimmed();
        QVERIFY2(win.code == 0 && !wid.isEmpty(),
                 qPrintable("no dialog on the host: " + win.errors() + p.readAll()));
        exec("xdotool", {"windowfocus", "--sync", wid});
        QTest::qWait(1000);  // drawn (a wait for the picture, not a check)
        screenshot("firefox-save-dialog.png");
        exec("xdotool", {"key", "ctrl+a"});
        exec("xdotool", {"type", target});
        QTest::qWait(300);
        exec("xdotool", {"key", "Return"});
        // Firefox writes the page through the document portal; it lands on the host.
        QTRY_VERIFY2_WITH_TIMEOUT(readFile(target).contains("saved through the portal"),
                                  qPrintable("not saved: " + QString::fromUtf8(p.readAll())),
                                  60000);
        QTest::qWait(2000);  // anything Firefox would write beside it has been written by now
        QCOMPARE(QDir(docs).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden |
                                      QDir::System),
                 QStringList({"saved-page.html", "sibling.txt"}));
        QCOMPARE(readFile(docs + "/sibling.txt"), QByteArray("must stay outside\n"));
        // The folder stays outside: the sandbox sees neither the sibling nor the host's file
        // at its host path.
        auto look = run("firefox", {"sh", "-c", "cat ~/Documents/sibling.txt; ls ~/Documents"});
        QVERIFY2(!look.text().contains("must stay outside") && !look.text().contains("saved-page"),
                 qPrintable(look.text()));
    }

    // -----------------------------------------------------------------------------------------
    // GIMP in a profile that binds no folder opens a PNG of ~/Downloads given through its menu
    // entry's field code (Open with): the entry written by `layerbox desktop install`, its Exec
    // line expanded as a desktop does; GIMP's window names the file; its sibling stays outside.
    void gimpOpensTheFileGivenThroughTheMenuEntry() {
        QString downloads = home_->home() + "/Downloads";
        QVERIFY(QDir().mkpath(downloads));
        QString png = downloads + "/layerbox-given.png";
        QString sibling = downloads + "/layerbox-sibling.png";
        QCOMPARE(exec("convert", {"-size", "64x48", "xc:orange", png}).code, 0);
        QCOMPARE(exec("convert", {"-size", "64x48", "xc:navy", sibling}).code, 0);
        home_->writeProfile("gimp-nobinds",
                            R"({"version": 1, "extends": "gimp", "filesystem": {"binds": []}})");
        auto install = exec(layerboxBin(), {"desktop", "install", "gimp-nobinds"});
        QVERIFY2(install.code == 0, qPrintable(install.errors()));
        QString entry = home_->dataHome() + "/applications/layerbox-gimp-nobinds.desktop";
        QCOMPARE(install.text().trimmed(), entry);
        QString execLine;
        for (const auto& line : QString::fromUtf8(readFile(entry)).split('\n'))
            if (line.startsWith("Exec=")) execLine = line.mid(5);
        QVERIFY2(execLine.contains(" @@ %U @@"), qPrintable(execLine));
        // As a desktop expands it (GLib: a URI for %U/%u, a path for %F/%f); the entry's other
        // words need no unquoting here (checked above: no quotes, no escapes).
        QVERIFY2(!execLine.contains('"') && !execLine.contains('\\'), qPrintable(execLine));
        QStringList args;
        for (const auto& word : execLine.split(' ', Qt::SkipEmptyParts)) {
            if (word == "%U" || word == "%u")
                args << QUrl::fromLocalFile(png).toString(QUrl::FullyEncoded);
            else if (word == "%F" || word == "%f")
                args << png;
            else
                args << word;
        }
        QProcess p;
        p.setProcessEnvironment(env());
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(args.takeFirst(), args);
        QVERIFY(p.waitForStarted());
        auto stop = qScopeGuard([&] { stopSandbox("gimp-nobinds", p); });
        // GIMP's image window, on this display (the profile's x11 is host), names the file
        // ("[layerbox-given] (imported)-1.0 (... 64x48 - GIMP").
        auto win = exec("xdotool", {"search", "--sync", "--name", "\\[layerbox-given\\]"}, 180000);
        QVERIFY2(win.code == 0, qPrintable("no GIMP window names the file: " + win.errors() +
                                           QString::fromUtf8(p.readAll())));
        QString wid = win.text().split('\n').value(0).trimmed();
        auto name = exec("xdotool", {"getwindowname", wid});
        qInfo().noquote() << "GIMP's window:" << name.text().trimmed();
        QVERIFY2(name.text().contains("(imported)") && name.text().contains("64x48"),
                 qPrintable(name.text()));
        QTest::qWait(2000);  // let it paint
        screenshot("gimp-open-with.png");
        // Inside (joining the running sandbox): the given file only, read-only; not its sibling.
        auto look =
            run("gimp-nobinds",
                {"sh", "-c",
                 "test -r '" + png + "' && echo GIVEN; test -e '" + sibling +
                     "' && echo SIBLING; ls ~/Downloads; touch '" + png + "' && echo WROTE"});
        QVERIFY2(look.text().contains("GIVEN") && !look.text().contains("SIBLING") &&
                     !look.text().contains("layerbox-sibling") && !look.text().contains("WROTE"),
                 qPrintable(look.text() + look.errors()));
    }
};

QTEST_GUILESS_MAIN(TstPortals)
#include "tst_portals.moc"
