// The Activity tab (issue 23) with real sandboxes, as the unprivileged test user: a program in a
// sandbox with security.activity_log makes a connection the firewall refuses, calls a D-Bus
// name the proxy hides and makes a system call the filter denies; the tab shows each once,
// grouped and counted as `layerbox log` says it, with the process that did it (a screenshot
// is kept in build/artifacts/screenshots/gui-activity.png). "Allow this" on the D-Bus group
// opens the editor at desktop.dbus.talk and saves exactly that name, after the user agreed,
// and nothing when cancelled. A sandbox without the log says how to turn it on. What allows a
// denied system call is checked against the filter itself (planSeccomp).
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QPointer>
#include <QProcess>
#include <QPushButton>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTreeView>
#include <QtTest>

#include <unistd.h>

#include <set>

#include "backend/activitylog.h"
#include "backend/profilejson.h"
#include "backend/profiles.h"
#include "backend/sandboxlaunch.h"
#include "base/paths.h"
#include "common/textformat.h"
#include "editor/editorpage.h"
#include "editor/profileeditor.h"
#include "guitest.h"
#include "isolation/seccomp.h"
#include "main/activityview.h"
#include "main/instancemodel.h"
#include "main/logpanel.h"
#include "main/mainwindow.h"
#include "main/profilelistmodel.h"
#include "main/runningview.h"
#include "network/network.h"
#include "profile/profile.h"
#include "profile/profile_store.h"
#include "testsupport.h"

using namespace lbtest;

namespace {
constexpr int kLaunchTimeout = 90000;

// lbprobe and lbdbuscall (tests/), and where screenshots go: set by tests/gui/CMakeLists.txt.
QString helperDir() {
    return qEnvironmentVariable("LB_TEST_HELPER_DIR");
}

QStringList strings(const QJsonValue& v) {
    QStringList out;
    for (const QJsonValue& s : v.toArray())
        out << s.toString();
    return out;
}

QStringList linesStartingWith(const QString& text, const QString& prefix) {
    QStringList out;
    for (const QString& l : text.split('\n'))
        if (l.startsWith(prefix)) out << l;
    return out;
}
}  // namespace

class TstGuiActivity : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;
    std::unique_ptr<ScriptedAsker> asker_;
    QByteArray savedBus_;

    // The profile as the GUI sees it (merged, defaults filled in).
    QJsonObject values(const QString& name) {
        QString error;
        const QJsonObject o =
            profilejson::parseObject(profiles::mergedJson(name, true, &error).toUtf8());
        if (!error.isEmpty()) qWarning("%s: %s", qPrintable(name), qPrintable(error));
        return o;
    }
    // The typed profile the runner would build from `o` (saved as NAME.json).
    std::optional<lb::Profile> typed(const QString& name, QJsonObject o) {
        o.insert("name", name);
        home_->writeProfile(name, QJsonDocument(o).toJson());
        lb::ProfileStore store(lb::Paths::fromEnvironment());
        auto p = lb::loadProfile(store, profiles::userPath(name).toStdString());
        if (!p) {
            qWarning("%s", p.error().message().c_str());
            return std::nullopt;
        }
        return *p;
    }

private slots:
    void initTestCase() {
        QVERIFY2(::getuid() != 0, "sandboxes are launched as an unprivileged user");
        QVERIFY2(QFileInfo(layerboxBin()).isExecutable(), qPrintable(layerboxBin()));
        QVERIFY2(QFileInfo(helperDir() + "/lbprobe").isExecutable(), qPrintable(helperDir()));
        savedBus_ = qgetenv("DBUS_SESSION_BUS_ADDRESS");
    }
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
        home_->apply();
        asker_ = std::make_unique<ScriptedAsker>();
    }
    void cleanup() {
        asker_.reset();
        home_.reset();
        qputenv("DBUS_SESSION_BUS_ADDRESS", savedBus_);
    }

    // Every system call the filter can deny, under profiles that change the filter: what
    // "Allow this" offers takes every rule for that call out of the filter the runner would
    // build from the changed profile; what it does not offer says why, and is only what must
    // not be offered (a rule refuses only some uses of the call, or allowing it would open
    // more than the user sees).
    void allowingASystemCallTakesItOutOfTheFilter() {
        const QStringList variants = {
            R"({"version": 1})",
            R"({"version": 1, "security": {"seccomp": "strict"}})",
            R"({"version": 1, "security": {"memory_deny_write_execute": true}})",
            R"({"version": 1, "security": {"deny_syscalls": ["ptrace", "getppid"]}})",
            R"({"version": 1, "security": {"socket_families": ["unix"], "devel": true}})",
        };
        const std::set<QString> neverOffered{"ioctl",      "socket",       "mount",    "umount",
                                             "umount2",    "pivot_root",   "clone3",   "open_tree",
                                             "move_mount", "fsopen",       "fsconfig", "fsmount",
                                             "fspick",     "mount_setattr"};
        int offered = 0;
        std::set<QString> named;  // every call a rule of the filter names, under any profile
        for (const QString& v : variants) {
            home_->writeProfile("filtered", v.toUtf8());
            const QJsonObject before = values("filtered");
            auto p = typed("filtered-base", before);
            QVERIFY2(p, qPrintable(v));
            std::set<std::string> denied;
            for (const auto& r : lb::planSeccomp(p->security).rules) {
                denied.insert(r.syscall);
                const QString c = QString::fromStdString(r.syscall);
                if (!strings(before.value("security").toObject().value("deny_syscalls"))
                         .contains(c))
                    named.insert(c);
            }
            QVERIFY(denied.count("keyctl"));
            for (const std::string& call : denied) {
                const QString c = QString::fromStdString(call);
                ActivityGroupItem g;
                g.kind = "syscall";
                g.object = c;
                const Allowance a = allowanceFor(g, before);
                if (neverOffered.count(c)) {
                    QVERIFY2(!a.possible() && !a.why.isEmpty(), qPrintable(c));
                    continue;
                }
                QVERIFY2(a.possible(), qPrintable(c + ": " + a.why + " in " + v));
                QCOMPARE(a.page, QString("securityPage"));
                const QJsonObject after = a.applyTo(before);
                auto q = typed("filtered-after", after);
                QVERIFY2(q, qPrintable(c));
                for (const auto& r : lb::planSeccomp(q->security).rules)
                    QVERIFY2(r.syscall != call,
                             qPrintable(c + " still denied after " + a.fieldName() + " in " + v));
                // Allowed now: not offered again (the sandbox must be started again).
                QVERIFY2(!allowanceFor(g, after).possible(), qPrintable(c));
                ++offered;
            }
        }
        QVERIFY(offered > 50);
        // The GUI's list of the filter's calls is the filter's.
        const std::set<QString> listed(filterCalls().begin(), filterCalls().end());
        QCOMPARE(QStringList(named.begin(), named.end()),
                 QStringList(listed.begin(), listed.end()));
        // Kinds no profile field allows say so.
        ActivityGroupItem file;
        file.kind = "file";
        file.object = "/home/u/.ssh/id_rsa";
        QVERIFY(!allowanceFor(file, values("filtered")).possible());
        QVERIFY(!allowanceFor(file, values("filtered")).why.isEmpty());
    }

    // A refused connection: a rule that accepts exactly it, first (the first match decides),
    // which the firewall then puts before the preset's refusals.
    void allowingAConnectionAddsAFirstRule() {
        home_->writeProfile("lan", R"({"version": 1, "network": {"mode": "nat",
            "firewall": {"rules": [{"action": "deny", "to": "192.168.0.0/16"}]}}})");
        const QJsonObject before = values("lan");
        const struct {
            const char* object;
            const char* rule;
        } cases[] = {
            {"192.168.1.1:53",
             R"({"action":"allow","to":"192.168.1.1/32","ports":53,"proto":"tcp"})"},
            {"192.168.1.1:53/udp",
             R"({"action":"allow","to":"192.168.1.1/32","ports":53,"proto":"udp"})"},
            {"[fd00::1]:443", R"({"action":"allow","to":"fd00::1/128","ports":443,"proto":"tcp"})"},
            {"192.168.1.1/icmp", R"({"action":"allow","to":"192.168.1.1/32","proto":"icmp"})"},
        };
        for (const auto& c : cases) {
            ActivityGroupItem g;
            g.kind = "net";
            g.object = c.object;
            const Allowance a = allowanceFor(g, before);
            QVERIFY2(a.possible(), qPrintable(a.why));
            QCOMPARE(a.edits.size(), 1);
            const Allowance::Edit e = a.edits.first();
            QCOMPARE(e.pointer, QString("/network/firewall/rules"));
            QCOMPARE(a.page, QString("networkPage"));
            QCOMPARE(e.item.toObject(), QJsonDocument::fromJson(c.rule).object());
            const QJsonObject after = a.applyTo(before);
            const QJsonArray rules = profilejson::valueAt(after, e.pointer).toArray();
            QCOMPARE(rules.size(), 2);
            QCOMPARE(rules.first(), e.item);  // before the user's own refusal
            auto p = typed("lan-after", after);
            QVERIFY(p);
            const std::string fw = lb::planFirewall(p->network, true);
            const auto allow =
                fw.find(QString(c.object).contains(':') && c.object[0] == '[' ? "fd00::1/128"
                                                                              : "192.168.1.1/32");
            QVERIFY2(allow != std::string::npos, fw.c_str());
            QVERIFY2(fw.find("accept", allow) < fw.find("192.168.0.0/16"), fw.c_str());
            QVERIFY(!allowanceFor(g, after).possible());
        }
        // A D-Bus name: the session bus's talk list, once.
        ActivityGroupItem d;
        d.kind = "dbus";
        d.object = "org.example.Hidden";
        const Allowance a = allowanceFor(d, before);
        QCOMPARE(a.edits.size(), 1);
        const Allowance::Edit e = a.edits.first();
        QCOMPARE(e.pointer, QString("/desktop/dbus/talk"));
        QCOMPARE(e.apply(QJsonArray{"org.x"}),
                 QJsonValue(QJsonArray{"org.x", "org.example.Hidden"}));
        QCOMPARE(e.apply(QJsonArray{"org.example.Hidden"}),
                 QJsonValue(QJsonArray{"org.example.Hidden"}));
        QJsonObject covered = before;
        profilejson::setValueAt(covered, "/desktop/dbus/talk", QJsonArray{"org.example.*"});
        QVERIFY(!allowanceFor(d, covered).possible());
        // The change as the question shows it.
        QCOMPARE(textformat::lineChanges("a\nb\nc\nd\ne\nf\n", "a\nb\nc\nD\ne\nf\n", 1),
                 QString("  \u2026\n  c\n- d\n+ D\n  e\n  \u2026"));
        QCOMPARE(textformat::lineChanges("x\n", "x\n"), QString());
    }

    // The whole feature on a real sandbox.
    void activityOfARealSandbox() {
        QProcess daemon;
        const QString bus = home_->runtimeDir() + "/test-bus";
        daemon.start("dbus-daemon", {"--session", "--nofork", "--address=unix:path=" + bus});
        QVERIFY2(daemon.waitForStarted(), "dbus-daemon is needed");
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(bus), 10000);
        qputenv("DBUS_SESSION_BUS_ADDRESS", ("unix:path=" + bus).toUtf8());
        // As the editor writes profiles (with its name), so that a save adds nothing else.
        home_->writeProfile("watched", R"({"version": 1, "name": "watched",
            "security": {"activity_log": true}, "network": {"mode": "nat"},
            "desktop": {"dbus": {"talk": ["org.freedesktop.Notifications"]}}})");
        const QString file = profiles::userPath("watched");
        const QByteArray original = readFile(file);

        MainWindow w;
        w.resize(1024, 600);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_VERIFY(w.profileModel()->entry("watched"));
        w.selectProfile("watched");
        ActivityView* v = w.activityView();
        w.tabs()->setCurrentWidget(v);
        QVERIFY(v->isVisible());
        // The tab adds nothing to the window's minimum size (a 1024x600 screen).
        QVERIFY2(v->minimumSizeHint().height() <= w.runningView()->minimumSizeHint().height(),
                 qPrintable(QString("%1 > %2")
                                .arg(v->minimumSizeHint().height())
                                .arg(w.runningView()->minimumSizeHint().height())));
        QCOMPARE(v->state(), ActivityView::State::NotRunning);
        QVERIFY(v->placeholder()->text().contains("is not running"));
        QVERIFY(!v->turnOnButton()->isVisibleTo(v));  // its log is on

        // A refused connection (internet-only: no LAN), a denied call (keyctl) by a probe that
        // stays, and a call to a hidden name by a client that keeps its connection.
        const QString probe = helperDir() + "/lbprobe";
        const QString script = probe + " deny 1 & " + probe + " try tcp-connect 192.168.1.1:53; " +
                               "exec " + helperDir() + "/lbdbuscall org.example.Hidden";
        QPointer<SandboxLaunch> launch =
            w.launchProfile("watched", {"sh", "-c", script}, {"--ro-bind", helperDir()});
        QVERIFY(launch);
        QTRY_VERIFY2_WITH_TIMEOUT(
            w.logPanel()->text().contains("called: org.freedesktop.DBus.Error.ServiceUnknown"),
            qPrintable(w.logPanel()->text()), kLaunchTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(w.logPanel()->text().contains("denied 1 errno 1"), 30000);
        QVERIFY(!v->instanceId().isEmpty());

        // Each once, grouped and counted, live (the tab reads the log while shown). Programs
        // may be refused more on their own (glibc's threads try clone3 first, then clone):
        // shown too, never offered.
        auto rowOf = [v](const QString& kind, const QString& object) {
            int found = -1;
            for (int r = 0; r < v->model()->rowCount(); ++r)
                if (v->groupAt(r).kind == kind && v->groupAt(r).object == object)
                    found = found < 0 ? r : -2;  // twice: a group is one row
            return found;
        };
        auto rows = [v]() {
            QStringList out;
            for (int r = 0; r < v->model()->rowCount(); ++r)
                out << v->groupAt(r).kind + ": " + v->groupAt(r).text + " by " +
                           v->groupAt(r).command;
            return out.join("; ");
        };
        QTRY_VERIFY2_WITH_TIMEOUT(rowOf("syscall", "keyctl") >= 0 &&
                                      rowOf("dbus", "org.example.Hidden") >= 0 &&
                                      rowOf("net", "192.168.1.1:53") >= 0,
                                  qPrintable(rows() + " / " + v->placeholder()->text()), 30000);
        QCOMPARE(v->state(), ActivityView::State::Shown);
        const int sys = rowOf("syscall", "keyctl"), dbus = rowOf("dbus", "org.example.Hidden"),
                  net = rowOf("net", "192.168.1.1:53");
        for (int r = 0; r < v->model()->rowCount(); ++r) {
            if (r == sys || r == dbus || r == net) continue;
            QVERIFY2(v->groupAt(r).object == "clone3" && !v->allowanceAt(r).possible(),
                     qPrintable(rows()));
        }
        auto cell = [v](int row, int col) { return v->model()->index(row, col).data().toString(); };
        QCOMPARE(cell(sys, ActivityView::WhatColumn), QString("denied 1 call to keyctl"));
        QCOMPARE(cell(dbus, ActivityView::WhatColumn),
                 QString("hid D-Bus name org.example.Hidden from 1 call"));
        QCOMPARE(cell(net, ActivityView::WhatColumn),
                 QString("dropped 1 connection to 192.168.1.1:53"));
        // The right processes: the host's pids of the probe and of the D-Bus client.
        const ActivityGroupItem gs = v->groupAt(sys), gd = v->groupAt(dbus);
        QCOMPARE(gs.command, QString("lbprobe"));
        QVERIFY2(readFile(QString("/proc/%1/cmdline").arg(gs.pid)).contains("deny"),
                 qPrintable(QString::number(gs.pid)));
        QCOMPARE(cell(sys, ActivityView::ProcessColumn), QString("lbprobe (pid %1)").arg(gs.pid));
        QCOMPARE(gd.command, QString("lbdbuscall"));
        QCOMPARE(readFile(QString("/proc/%1/comm").arg(gd.pid)).trimmed(),
                 QByteArray("lbdbuscall"));
        QCOMPARE(cell(dbus, ActivityView::ProcessColumn),
                 QString("lbdbuscall (pid %1)").arg(gd.pid));
        QCOMPARE(cell(net, ActivityView::ProcessColumn), QString("not known"));
        QVERIFY2(v->summaryLabel()->text().contains(QString("%1 refused").arg(v->total())) &&
                     v->summaryLabel()->text().contains("0 dropped from the bounded log"),
                 qPrintable(v->summaryLabel()->text()));
        // What would allow each.
        QCOMPARE(cell(dbus, ActivityView::AllowColumn), QString("desktop.dbus.talk"));
        QCOMPARE(cell(sys, ActivityView::AllowColumn), QString("security.allow_syscalls"));
        QCOMPARE(cell(net, ActivityView::AllowColumn), QString("network.firewall.rules"));
        // The same groups as the command line says.
        const RunResult cli = home_->layerbox({"log", "watched", "--json"});
        QCOMPARE(cli.exitCode, 0);
        QStringList cliTexts, shown;
        for (const auto& g :
             QJsonDocument::fromJson(cli.out.toUtf8()).object().value("groups").toArray())
            cliTexts << g.toObject().value("text").toString();
        for (int r = 0; r < v->model()->rowCount(); ++r)
            shown << cell(r, ActivityView::WhatColumn);
        cliTexts.sort();
        shown.sort();
        QCOMPARE(shown, cliTexts);

        // The screenshot, with the D-Bus group selected (Allow This enabled).
        v->selectRow(dbus);
        QVERIFY(v->allowButton()->isEnabled());
        const QString shots = qEnvironmentVariable("LB_SCREENSHOT_DIR");
        QDir().mkpath(shots);
        QVERIFY(w.grab().save(shots + "/gui-activity.png"));

        // Allow this, cancelled: the editor at the field, the change shown, nothing saved.
        asker_->answer(questions::kAllowChange, "cancel");
        v->allowButton()->click();
        ProfileEditor* editor = w.editorFor("watched");
        QVERIFY(editor && editor->isVisible());
        QCOMPARE(asker_->asked, QStringList{questions::kAllowChange});
        const Question q = asker_->questions.last();
        QVERIFY2(q.text.contains("org.example.Hidden"), qPrintable(q.text));
        QVERIFY2(q.informativeText.contains("desktop.dbus.talk"), qPrintable(q.informativeText));
        const QStringList added = linesStartingWith(q.informativeText, "+ ");
        const QStringList removed = linesStartingWith(q.informativeText, "- ");
        QCOMPARE(added.size(), 1);
        QCOMPARE(removed.size(), 1);
        QVERIFY2(
            added.first().contains("\"org.freedesktop.Notifications\", \"org.example.Hidden\""),
            qPrintable(added.first()));
        QVERIFY(!removed.first().contains("org.example.Hidden"));
        auto* pages = editor->findChild<QListWidget*>("pageList");
        QCOMPARE(pages->currentItem()->data(Qt::UserRole).toString(), QString("desktopPage"));
        QCOMPARE(readFile(file), original);
        QVERIFY(!editor->isModified());
        QCOMPARE(editor->page("desktopPage")->currentValue("/desktop/dbus/talk"),
                 QJsonValue(QJsonArray{"org.freedesktop.Notifications"}));

        // Allow this, agreed: exactly that name added, nothing else.
        asker_->answer(questions::kAllowChange, "save");
        v->allowButton()->click();
        QCOMPARE(asker_->asked.size(), 2);
        QVERIFY2(asker_->unexpected.isEmpty(), qPrintable(asker_->unexpected.join(", ")));
        QJsonObject expected = QJsonDocument::fromJson(original).object();
        profilejson::setValueAt(expected, "/desktop/dbus/talk",
                                QJsonArray{"org.freedesktop.Notifications", "org.example.Hidden"});
        QCOMPARE(QJsonDocument::fromJson(readFile(file)).object(), expected);
        QVERIFY(!editor->isModified());
        QTRY_VERIFY(w.logPanel()->text().contains("allowed talking to the D-Bus name"));
        // Allowed now: not offered again until the sandbox runs with the new profile.
        QVERIFY(!v->allowanceAt(dbus).possible());
        QVERIFY(!v->allowButton()->isEnabled());
        editor->close();

        // The sandbox ends (layerbox stop: the probe in the background too): what it refused
        // stays in the tab.
        w.runningView()->stopInstance(v->instanceId());
        QTRY_VERIFY_WITH_TIMEOUT(!launch || !launch->isRunning(), kLaunchTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(v->state(), ActivityView::State::Ended, 30000);
        QVERIFY(v->model()->rowCount() >= 3);
        QVERIFY(v->summaryLabel()->text().contains("has ended"));
        daemon.kill();
        daemon.waitForFinished();
    }

    // A sandbox without the log: the tab says so and how to turn it on; Turn On saves
    // security.activity_log after the user agreed.
    void offStateSaysHowToTurnItOn() {
        home_->writeProfile("quiet", R"({"version": 1, "name": "quiet"})");
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_VERIFY(w.profileModel()->entry("quiet"));
        w.selectProfile("quiet");
        ActivityView* v = w.activityView();
        w.tabs()->setCurrentWidget(v);
        QCOMPARE(v->state(), ActivityView::State::NotRunning);
        QVERIFY(v->placeholder()->text().contains("activity log is off"));
        QPointer<SandboxLaunch> launch = w.launchProfile(
            "quiet", {helperDir() + "/lbprobe", "deny", "1"}, {"--ro-bind", helperDir()});
        QTRY_COMPARE_WITH_TIMEOUT(v->state(), ActivityView::State::Off, kLaunchTimeout);
        QVERIFY2(v->placeholder()->text().contains("keeps no activity log") &&
                     v->placeholder()->text().contains("security.activity_log"),
                 qPrintable(v->placeholder()->text()));
        QVERIFY(v->turnOnButton()->isVisible());
        QVERIFY(!v->allowButton()->isEnabled());
        asker_->answer(questions::kAllowChange, "save");
        v->turnOnButton()->click();
        QCOMPARE(asker_->asked, QStringList{questions::kAllowChange});
        QCOMPARE(QJsonDocument::fromJson(readFile(profiles::userPath("quiet")))
                     .object()
                     .value("security")
                     .toObject(),
                 QJsonObject({{"activity_log", true}}));
        QTRY_VERIFY(v->placeholder()->text().contains("It is on now"));
        QVERIFY(!v->turnOnButton()->isVisible());
        if (ProfileEditor* e = w.editorFor("quiet")) e->close();
        launch->terminate();
        QTRY_VERIFY_WITH_TIMEOUT(!launch || !launch->isRunning(), kLaunchTimeout);
    }
};

QTEST_MAIN(TstGuiActivity)
#include "tst_gui_activity.moc"
