// desktop.open_uri "ask" for real (open_uri_gate.h), as the unprivileged test user: a private
// session bus (no activation) on which the test is the notification daemon (it records each
// Notify and answers with ActionInvoked, as a click would) and a stand-in for the desktop portal
// (it records any OpenURI that reaches it: none may); a test handler is the desktop's default
// https handler (a .desktop file in the test's XDG_DATA_HOME) and appends each link it is given
// to a marker file on the host, so "opened" is seen on the host, outside the sandbox.
//  - From inside a running "ask" sandbox, `xdg-open URL` and OpenURI (gdbus, and GLib from
//    Python waiting for the Request's Response) each put one question with the sandbox's name
//    and the exact link; "Don't open" opens nothing; "Open link" opens exactly that link, once,
//    even when clicked twice.
//  - "deny": the call is refused, nothing is asked, nothing opens, xdg-open does not call out.
//  - A flood of 100 requests makes at most UriAskLimiter::kMaxOpen questions.
#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusObjectPath>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QtTest>

#include <unistd.h>

#include "desktop/open_uri.h"
#include "notifications.h"
#include "testsupport.h"

using namespace lbtest;

// A stand-in owner of org.freedesktop.portal.Desktop: anything that reaches it went through
// the proxy, which must never happen for OpenURI.
class PortalStandIn : public QObject {
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.portal.OpenURI")

public:
    QStringList reached;

public slots:
    QDBusObjectPath OpenURI(const QString&, const QString& uri, const QVariantMap&) {
        reached << uri;
        return QDBusObjectPath("/org/freedesktop/portal/desktop/request/x/y");
    }
};

class TstOpenUri : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;
    QProcess bus_;
    QString address_, marker_;
    std::unique_ptr<RecordingNotifications> notifications_;
    std::unique_ptr<PortalStandIn> portal_;

    QProcessEnvironment env() const {
        auto e = home_->env();
        for (const char* v : {"DISPLAY", "WAYLAND_DISPLAY", "PULSE_SERVER", "XAUTHORITY"})
            e.remove(v);
        e.insert("DBUS_SESSION_BUS_ADDRESS", address_);
        // The host's xdg-open then opens with `gio open`, as on a GNOME desktop.
        e.insert("XDG_CURRENT_DESKTOP", "GNOME");
        return e;
    }
    QDBusConnection bus() const { return QDBusConnection::connectToBus(address_, "openuri"); }
    QStringList markerLines() const {
        return QString::fromUtf8(readFile(marker_)).split('\n', Qt::SkipEmptyParts);
    }
    // `layerbox run --profile P -- CMD` left running (joins the running sandbox of P).
    void startInside(QProcess& p, const QString& profile, const QStringList& cmd) const {
        p.setProcessEnvironment(env());
        p.setWorkingDirectory(home_->home());
        p.start(layerboxBin(), QStringList{"run", "--no-pty", "--profile", profile, "--"} + cmd);
    }
    // `layerbox run --profile P -- CMD` (joins the running sandbox of P). The event loop runs
    // meanwhile: the test's services must answer (gdbus introspects before it calls).
    ProcOut inside(const QString& profile, const QStringList& cmd) const {
        QProcess p;
        startInside(p, profile, cmd);
        ProcOut o;
        if (!p.waitForStarted(10000)) return o;
        QElapsedTimer t;
        t.start();
        while (p.state() != QProcess::NotRunning && t.elapsed() < 120000)
            QTest::qWait(20);
        if (p.state() != QProcess::NotRunning) {
            p.kill();
            p.waitForFinished(5000);
            o.err = "timed out: ";
        }
        o.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        o.out = p.readAllStandardOutput();
        o.err += p.readAllStandardError();
        return o;
    }
    static QStringList gdbusOpenUri(const QString& uri) {
        return {"gdbus",
                "call",
                "--session",
                "--dest",
                "org.freedesktop.portal.Desktop",
                "--object-path",
                "/org/freedesktop/portal/desktop",
                "--method",
                "org.freedesktop.portal.OpenURI.OpenURI",
                "",
                uri,
                "{}"};
    }
    // GLib's own way: OpenURI with a handle token, then the Request's Response signal, as
    // g_app_info_launch_default_for_uri_async does through the portal.
    static QStringList pythonOpenUri(const QString& uri) {
        return {"python3", "-c", R"PY(
import sys
from gi.repository import Gio, GLib
bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
me = bus.get_unique_name()[1:].replace('.', '_')
path = '/org/freedesktop/portal/desktop/request/%s/lbtest1' % me
loop = GLib.MainLoop()
def response(conn, sender, p, iface, signal, params):
    print('RESPONSE', params.unpack()[0], flush=True)
    loop.quit()
bus.signal_subscribe('org.freedesktop.portal.Desktop', 'org.freedesktop.portal.Request',
                     'Response', path, None, Gio.DBusSignalFlags.NONE, response)
r = bus.call_sync('org.freedesktop.portal.Desktop', '/org/freedesktop/portal/desktop',
                  'org.freedesktop.portal.OpenURI', 'OpenURI',
                  GLib.Variant('(ssa{sv})', ('', sys.argv[1],
                               {'handle_token': GLib.Variant('s', 'lbtest1')})),
                  None, 0, -1, None)
print('HANDLE', r.unpack()[0], flush=True)
loop.run()
)PY",
                uri};
    }
    // The user clicks an action of question `id`.
    void click(uint id, const QString& action) const {
        auto sig = QDBusMessage::createSignal("/org/freedesktop/Notifications",
                                              "org.freedesktop.Notifications", "ActionInvoked");
        sig << id << action;
        QVERIFY(bus().send(sig));
    }
    // A sandbox of `profile` kept running (sleep), started and listed.
    void startSandbox(QProcess& p, const QString& profile) const {
        p.setProcessEnvironment(env());
        p.setWorkingDirectory(home_->home());
        p.setProcessChannelMode(QProcess::SeparateChannels);
        p.start(layerboxBin(), {"run", "--profile", profile, "--no-pty", "--status-fd", "1", "--",
                                "sleep", "600"});
        QVERIFY(p.waitForStarted());
        QByteArray log;
        QTRY_VERIFY_WITH_TIMEOUT((log += p.readAllStandardOutput()).contains("\"started\"") ||
                                     p.state() == QProcess::NotRunning,
                                 60000);
        QVERIFY2(p.state() == QProcess::Running, (log + p.readAllStandardError()).constData());
    }
    void stopSandbox(const QString& profile, QProcess& p) const {
        runProgram(env(), home_->home(), layerboxBin(), {"stop", "--timeout", "5", profile});
        if (!finished(p, 30000)) {
            p.kill();
            p.waitForFinished(5000);
        }
    }

private slots:
    void initTestCase() {
        QVERIFY2(::getuid() != 0, "must run as an unprivileged user");
        for (const char* tool : {"dbus-daemon", "gdbus", "gio", "xdg-open", "xdg-dbus-proxy"})
            QVERIFY2(!QStandardPaths::findExecutable(tool).isEmpty(), tool);
    }
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
        // The desktop's default https handler: appends the link it was given to the marker.
        marker_ = home_->home() + "/opened-on-host";
        QVERIFY(installRecordingHttpsHandler(*home_, marker_));
        // The session bus: no service activation (nothing but the test answers on it).
        const QString busPath = home_->runtimeDir() + "/openuri-bus";
        address_ = "unix:path=" + busPath;
        const QString config = home_->home() + "/bus.conf";
        QVERIFY(writeFile(config, "<busconfig><type>session</type><listen>" + address_.toUtf8() +
                                      "</listen><auth>EXTERNAL</auth><policy context=\"default\">"
                                      "<allow send_destination=\"*\" eavesdrop=\"true\"/>"
                                      "<allow eavesdrop=\"true\"/><allow own=\"*\"/>"
                                      "</policy></busconfig>\n"));
        bus_.start("dbus-daemon", {"--config-file=" + config, "--nofork"});
        QVERIFY2(bus_.waitForStarted(), "dbus-daemon is needed");
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(busPath), 10000);
        auto b = bus();
        QVERIFY(b.isConnected());
        notifications_ = std::make_unique<RecordingNotifications>();
        notifications_->capabilities << "body-markup";
        portal_ = std::make_unique<PortalStandIn>();
        QVERIFY(notifications_->serveOn(b));
        QVERIFY(b.registerObject("/org/freedesktop/portal/desktop", portal_.get(),
                                 QDBusConnection::ExportAllSlots));
        QVERIFY(b.registerService("org.freedesktop.portal.Desktop"));
        // As the browser profiles: the portals and the notification daemon itself.
        home_->writeProfile("asker", R"({"version": 1, "desktop": {"open_uri": "ask", "dbus":)"
                                     R"( {"talk": ["org.freedesktop.portal.*",)"
                                     R"( "org.freedesktop.Notifications"]}}})");
        home_->writeProfile("denier", R"({"version": 1, "desktop": {)"
                                      R"( "dbus": {"talk": ["org.freedesktop.portal.*"]}}})");
    }
    void cleanup() {
        QDBusConnection::disconnectFromBus("openuri");
        notifications_.reset();
        portal_.reset();
        bus_.kill();
        bus_.waitForFinished();
        home_.reset();
    }

    // -----------------------------------------------------------------------------------------
    void askedOnTheDesktopOpenedOnlyOnYes() {
        QProcess sandbox;
        startSandbox(sandbox, "asker");
        auto stop = qScopeGuard([&] { stopSandbox("asker", sandbox); });
        auto& calls = notifications_->calls;

        // 1. OpenURI from GLib inside: a question naming the sandbox and the exact link.
        QProcess no;
        startInside(no, "asker", pythonOpenUri("https://example.test/no"));
        QTRY_COMPARE_WITH_TIMEOUT(calls.size(), 1, 30000);
        QVERIFY2(calls[0].summary.contains("\u201casker\u201d"), qPrintable(calls[0].summary));
        QVERIFY2(calls[0].body.contains("https://example.test/no"), qPrintable(calls[0].body));
        QVERIFY2(calls[0].body.contains("site: example.test"), qPrintable(calls[0].body));
        QCOMPARE(calls[0].actions, (QStringList{"open", "Open link", "deny", "Don't open"}));
        // The program, which may talk to the notification daemon, cannot replace the question's
        // text (keeping an "open" action) nor close it.
        const QString qid = QString::number(calls[0].id);
        auto replace = inside(
            "asker", {"gdbus", "call", "--session", "--dest", "org.freedesktop.Notifications",
                      "--object-path", "/org/freedesktop/Notifications", "--method",
                      "org.freedesktop.Notifications.Notify", "x", qid, "", "harmless",
                      "https://example.test/harmless", "['open', 'Open link']", "{}", "10000"});
        QVERIFY2(replace.code != 0 && replace.errors().contains("AccessDenied"),
                 qPrintable(replace.all()));
        auto close = inside(
            "asker", {"gdbus", "call", "--session", "--dest", "org.freedesktop.Notifications",
                      "--object-path", "/org/freedesktop/Notifications", "--method",
                      "org.freedesktop.Notifications.CloseNotification", qid});
        QVERIFY2(close.code != 0 && close.errors().contains("AccessDenied"),
                 qPrintable(close.all()));
        // The same, spoken to the bus directly the ways a daemon still accepts and a careless
        // gate would not read: "BEGIN " with a space ends authentication for the bus (and the
        // proxy), and a call without an INTERFACE field is dispatched by its member (QtDBus,
        // as this test's daemon and Plasma's are). Each is refused; the daemon gets neither.
        const QString script =
            QString::fromUtf8(readFile(sourceDir() + "/tests/desktop/raw_notify.py"));
        QVERIFY(!script.isEmpty());
        auto raw = inside("asker", {"python3", "-c", script, qid});
        QVERIFY2(raw.text().contains("denied: 2 "), qPrintable(raw.all()));
        QCOMPARE(calls.size(), 1);
        // Its own notifications still work.
        auto own = inside(
            "asker", {"gdbus", "call", "--session", "--dest", "org.freedesktop.Notifications",
                      "--object-path", "/org/freedesktop/Notifications", "--method",
                      "org.freedesktop.Notifications.Notify", "x", "0", "", "own", "body", "[]",
                      "{}", "10000"});
        QVERIFY2(own.code == 0, qPrintable(own.all()));
        QTRY_COMPARE(calls.size(), 2);
        QCOMPARE(calls[1].summary, QString("own"));
        QVERIFY(notifications_->closed.isEmpty());
        calls.removeLast();
        // The user says no: the program's request ends with "cancelled"; nothing opens.
        click(calls[0].id, "deny");
        QTRY_VERIFY_WITH_TIMEOUT(no.state() == QProcess::NotRunning, 30000);
        const QString noOut = QString::fromUtf8(no.readAllStandardOutput());
        QVERIFY2(noOut.contains("HANDLE /org/freedesktop/portal/desktop/request/") &&
                     noOut.contains("RESPONSE 1"),
                 qPrintable(noOut + no.readAllStandardError()));

        // 2. xdg-open inside (Debian's, through OpenURI): asked, and "Open link" opens exactly
        // that link on the host, once, even when clicked twice.
        auto x = inside("asker", {"xdg-open", "https://example.test/yes"});
        QVERIFY2(x.code == 0, qPrintable(x.all()));
        QTRY_COMPARE_WITH_TIMEOUT(calls.size(), 2, 30000);
        QVERIFY2(calls[1].body.contains("https://example.test/yes"), qPrintable(calls[1].body));
        QVERIFY(markerLines().isEmpty());  // nothing before the answer
        click(calls[1].id, "open");
        click(calls[1].id, "open");
        QTRY_VERIFY_WITH_TIMEOUT(markerLines().contains("https://example.test/yes"), 30000);

        // 3. gdbus inside, answered yes; GLib's caller gets its Response (0).
        auto g = inside("asker", gdbusOpenUri("https://example.test/gdbus"));
        QVERIFY2(g.code == 0 && g.text().contains("/org/freedesktop/portal/desktop/request/"),
                 qPrintable(g.all()));
        QTRY_COMPARE_WITH_TIMEOUT(calls.size(), 3, 30000);
        QVERIFY2(calls[2].body.contains("https://example.test/gdbus"), qPrintable(calls[2].body));
        QProcess yes;
        startInside(yes, "asker", pythonOpenUri("https://example.test/last"));
        QTRY_COMPARE_WITH_TIMEOUT(calls.size(), 4, 30000);
        click(calls[2].id, "open");
        click(calls[3].id, "open");
        QTRY_VERIFY_WITH_TIMEOUT(yes.state() == QProcess::NotRunning, 30000);
        QVERIFY2(QString::fromUtf8(yes.readAllStandardOutput()).contains("RESPONSE 0"),
                 yes.readAllStandardError().constData());
        QTRY_VERIFY_WITH_TIMEOUT(markerLines().contains("https://example.test/last") &&
                                     markerLines().contains("https://example.test/gdbus"),
                                 30000);
        // By now a second open of "yes" or an open of "no" would have happened.
        QStringList lines = markerLines();
        lines.sort();
        QCOMPARE(lines, (QStringList{"https://example.test/gdbus", "https://example.test/last",
                                     "https://example.test/yes"}));
        QVERIFY2(portal_->reached.isEmpty(), qPrintable(portal_->reached.join(' ')));

        // 4. Links the gate refuses without asking: a file of the host, a mail link that
        // attaches a file, a link hiding its host.
        for (const QString& bad :
             {QString("file:///etc/passwd"), QString("mailto:a@example.test?attach=/etc/passwd"),
              QString("https://bank.example@evil.example/")}) {
            auto r = inside("asker", gdbusOpenUri(bad));
            QVERIFY2(r.code != 0 && r.errors().contains("NotAllowed"), qPrintable(r.all()));
        }
        // OpenFile and Email are not the gate's: the proxy refuses them.
        auto email = inside(
            "asker",
            {"gdbus", "call", "--session", "--dest", "org.freedesktop.portal.Desktop",
             "--object-path", "/org/freedesktop/portal/desktop", "--method",
             "org.freedesktop.portal.Email.ComposeEmail", "", "{'address': <'a@example.test'>}"});
        QVERIFY2(email.code != 0 && email.errors().contains("AccessDenied"),
                 qPrintable(email.all()));
        QCOMPARE(calls.size(), 4);  // none of those was asked
    }

    // -----------------------------------------------------------------------------------------
    void denyNeverAsksNeverOpens() {
        QProcess sandbox;
        startSandbox(sandbox, "denier");
        auto stop = qScopeGuard([&] { stopSandbox("denier", sandbox); });
        auto g = inside("denier", gdbusOpenUri("https://example.test/denied"));
        QVERIFY2(g.code != 0 && g.errors().contains("AccessDenied"), qPrintable(g.all()));
        // xdg-open inside does not call out either: no flatpak-info makes it use the portal.
        auto marker = inside("denier", {"sh", "-c", "test -e \"$XDG_RUNTIME_DIR/flatpak-info\""});
        QVERIFY2(marker.code != 0, "xdg-open would call OpenURI");
        // The control: in an "ask" sandbox the same file is there.
        QProcess asker;
        startSandbox(asker, "asker");
        auto stopAsker = qScopeGuard([&] { stopSandbox("asker", asker); });
        QCOMPARE(inside("asker", {"sh", "-c", "test -e \"$XDG_RUNTIME_DIR/flatpak-info\""}).code,
                 0);
        // Requests are handled in order on the test's bus: a question from the denied call
        // would have come before this one.
        auto a = inside("asker", gdbusOpenUri("https://example.test/control"));
        QVERIFY2(a.code == 0, qPrintable(a.all()));
        QTRY_COMPARE_WITH_TIMEOUT(notifications_->calls.size(), 1, 30000);
        QVERIFY2(notifications_->calls[0].body.contains("control"),
                 qPrintable(notifications_->calls[0].body));
        QVERIFY(markerLines().isEmpty());
        QVERIFY2(portal_->reached.isEmpty(), qPrintable(portal_->reached.join(' ')));
    }

    // -----------------------------------------------------------------------------------------
    void floodMakesABoundedNumberOfQuestions() {
        QProcess sandbox;
        startSandbox(sandbox, "asker");
        auto stop = qScopeGuard([&] { stopSandbox("asker", sandbox); });
        auto flood = inside(
            "asker",
            {"sh", "-c",
             "ok=0; for i in $(seq 100); do gdbus call --session --dest "
             "org.freedesktop.portal.Desktop --object-path /org/freedesktop/portal/desktop "
             "--method org.freedesktop.portal.OpenURI.OpenURI '' https://example.test/flood$i "
             "'{}' >/dev/null 2>&1 && ok=$((ok+1)); done; echo ACCEPTED $ok"});
        QVERIFY2(flood.code == 0, qPrintable(flood.all()));
        qInfo().noquote() << "flood:" << flood.text().trimmed();
        QVERIFY2(flood.text().contains(QString("ACCEPTED %1").arg(lb::UriAskLimiter::kMaxOpen)),
                 qPrintable(flood.text()));
        // Every question asked so far is answered "no"; then one more link: its question comes
        // after every earlier one (the gate's calls arrive in order), so the count is final.
        QTRY_VERIFY_WITH_TIMEOUT(!notifications_->calls.isEmpty(), 30000);
        QTest::qWait(0);
        const int asked = int(notifications_->calls.size());
        for (const auto& c : notifications_->calls)
            click(c.id, "deny");
        auto last = inside("asker", gdbusOpenUri("https://example.test/after-flood"));
        QVERIFY2(last.code == 0, qPrintable(last.all()));
        QTRY_VERIFY_WITH_TIMEOUT(!notifications_->calls.isEmpty() &&
                                     notifications_->calls.last().body.contains("after-flood"),
                                 30000);
        const int flooded = int(notifications_->calls.size()) - 1;
        qInfo() << "questions from 100 requests:" << flooded << "(seen before answering:" << asked
                << ")";
        QVERIFY2(flooded <= lb::UriAskLimiter::kMaxOpen, qPrintable(QString::number(flooded)));
        QVERIFY(markerLines().isEmpty());
        // The runner's terminal says what was refused.
        stopSandbox("asker", sandbox);
        stop.dismiss();
        const QString err = QString::fromUtf8(sandbox.readAllStandardError());
        QVERIFY2(err.contains("links refused without asking: too many at once"), qPrintable(err));
    }
};

QTEST_GUILESS_MAIN(TstOpenUri)
#include "tst_open_uri.moc"
