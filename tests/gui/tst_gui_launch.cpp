// Launching real sandboxes from the GUI: through the real runner (`layerbox run --status-fd`),
// as an unprivileged user. A row appears on the `started` event and goes on `exited`; a launch
// that fails says why in one line of the log; Stop and Kill end a sandbox.
#include <QAction>
#include <QDir>
#include <QElapsedTimer>
#include <QMimeData>
#include <QProcess>
#include <QPushButton>
#include <QTreeView>
#include <QtTest>

#include <unistd.h>

#include "backend/layerboxclient.h"
#include "backend/sandboxlaunch.h"
#include "guitest.h"
#include "main/instancemodel.h"
#include "main/logpanel.h"
#include "main/mainwindow.h"
#include "main/notifier.h"
#include "main/profilelistmodel.h"
#include "main/runningview.h"
#include "testsupport.h"

using namespace lbtest;

namespace {
constexpr int kLaunchTimeout = 60000;

bool hasEvent(const QSignalSpy& spy, const QString& kind) {
    for (const auto& args : spy)
        if (args.at(0).toJsonObject().value("event").toString() == kind) return true;
    return false;
}
}  // namespace

class TstGuiLaunch : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;
    // Failed launches are also said in a message box: answered here unless a test asks itself.
    std::unique_ptr<ScriptedAsker> fallbackAsker_;

private slots:
    void initTestCase() {
        QVERIFY2(::getuid() != 0, "sandboxes are launched as an unprivileged user");
        QVERIFY2(QFileInfo(layerboxBin()).isExecutable(), qPrintable(layerboxBin()));
    }
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
        home_->apply();
        fallbackAsker_ = std::make_unique<ScriptedAsker>();
    }
    void cleanup() {
        fallbackAsker_.reset();
        home_.reset();
    }

    // The `started` event on the status pipe adds the row; `exited` removes it.
    void rowFollowsTheSandbox() {
        MainWindow w;
        w.show();
        RunningView* rv = w.runningView();
        rv->setRefreshInterval(3600 * 1000);  // rows from status events only, not from `ps`
        // The first `ps` (queued by the constructor) has answered, before any sandbox runs: a
        // later answer would list a sandbox this test starts.
        QTRY_VERIFY(rv->refreshesStarted() > 0 && !rv->refreshInFlight());
        InstanceModel* m = rv->model();
        QCOMPARE(m->rowCount(), 0);

        QPointer<SandboxLaunch> launch = w.launchProfile("default", {"sh", "-c", "sleep 2"});
        QVERIFY(launch);
        QSignalSpy events(launch.data(), &SandboxLaunch::event);
        bool exitedBeforeRemoval = false;
        // The launch records the event before it tells anyone about it.
        connect(m, &QAbstractItemModel::rowsRemoved, this, [&]() {
            exitedBeforeRemoval = launch && launch->exitedEvent().value("event") == "exited";
        });

        QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 1, kLaunchTimeout);
        QVERIFY(hasEvent(events, "started"));
        const Instance* row = m->instanceAt(0);
        QVERIFY(row->fromLaunch);
        QCOMPARE(row->id, launch->instanceId());
        QVERIFY(!row->id.isEmpty());
        QCOMPARE(row->profile, QString("default"));
        QCOMPARE(row->command, (QStringList{"sh", "-c", "sleep 2"}));
        QCOMPARE(row->state, QString("running"));
        QVERIFY(row->pid > 0);
        QCOMPARE(row->pid, launch->programPid());
        QVERIFY(processAlive(row->pid));
        QCOMPARE(m->index(0, InstanceModel::ProfileColumn).data().toString(), QString("default"));
        QCOMPARE(m->index(0, InstanceModel::CommandColumn).data().toString(),
                 QString("sh -c 'sleep 2'"));
        QCOMPARE(m->index(0, InstanceModel::NetworkColumn).data().toString(), QString("none"));
        QTRY_COMPARE(w.profileModel()->entry("default")->running, 1);  // the list's indicator

        QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 0, kLaunchTimeout);
        QVERIFY(exitedBeforeRemoval);
        QTRY_COMPARE(w.profileModel()->entry("default")->running, 0);
        QTRY_VERIFY(w.logPanel()->text().contains("default: exited"));
        // No error about the sandbox (commands the backend lacks yet may have complained).
        QVERIFY2(!w.logPanel()->text().contains("default: error"),
                 qPrintable(w.logPanel()->text()));
        QCOMPARE(w.notifier()->sentCount(), 0);
    }

    // With `ps` refreshing as usual the sandbox is still one row, and it still goes.
    void rowWithRefresh() {
        MainWindow w;
        InstanceModel* m = w.runningView()->model();
        w.launchProfile("default", {"sh", "-c", "sleep 3"});
        QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 1, kLaunchTimeout);
        QTest::qWait(1500);  // a refresh or two
        QCOMPARE(m->rowCount(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 0, kLaunchTimeout);
        QTest::qWait(1200);  // a late `ps` must not bring it back
        QCOMPARE(m->rowCount(), 0);
    }

    // A launch that cannot start (a layer that does not exist) says why in one line.
    void failedLaunchIsLogged() {
        home_->writeProfile("broken", R"({"version": 1, "name": "broken", "extends": "default",
                                          "filesystem": {"layers": ["missing"]}})");
        ScriptedAsker asker;
        asker.answer(questions::kActionFailed, "ok");
        MainWindow w;
        w.runningView()->setRefreshInterval(3600 * 1000);
        QSignalSpy inserted(w.runningView()->model(), &QAbstractItemModel::rowsInserted);
        QPointer<SandboxLaunch> launch = w.launchProfile("broken", {"true"});
        QVERIFY(launch);
        QSignalSpy finished(launch.data(), &SandboxLaunch::finished);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kLaunchTimeout);
        const QJsonObject exited = finished.first().first().toJsonObject();
        QCOMPARE(exited.value("status").toInt(), 125);
        const QString expected = "layer \"missing\" does not exist";
        QVERIFY2(exited.value("error").toString().contains(expected),
                 qPrintable(exited.value("error").toString()));
        const QString log = w.logPanel()->text();
        QVERIFY2(log.contains("broken: error: " + exited.value("error").toString()),
                 qPrintable(log));
        QCOMPARE(log.count(expected), 1);  // one line, not the runner's stderr again
        QCOMPARE(inserted.count(), 0);
        QCOMPARE(w.notifier()->sentCount(), 1);
        // Said in the window too, not only in the log dock (which may be hidden).
        QCOMPARE(asker.asked, QStringList{questions::kActionFailed});
        QVERIFY(asker.questions.first().informativeText.contains(expected));

        // And the GUI goes on working.
        w.launchProfile("default", {"true"});
        QTRY_VERIFY_WITH_TIMEOUT(w.logPanel()->text().contains("default: exited"), kLaunchTimeout);
    }

    // A program that is not there did not start: the log says why (the `exited` event's
    // error) and never says "started"; no row appears for it. The runner reports `started`
    // only once execve has succeeded.
    void programNotFoundIsNotStarted() {
        MainWindow w;
        w.runningView()->setRefreshInterval(3600 * 1000);
        QSignalSpy inserted(w.runningView()->model(), &QAbstractItemModel::rowsInserted);
        QPointer<SandboxLaunch> launch = w.launchProfile("default", {"no-such-program-lbtest"});
        QVERIFY(launch);
        QSignalSpy events(launch.data(), &SandboxLaunch::event);
        QSignalSpy finished(launch.data(), &SandboxLaunch::finished);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kLaunchTimeout);
        const QJsonObject exited = finished.first().first().toJsonObject();
        QCOMPARE(exited.value("status").toInt(), 127);
        QVERIFY(!hasEvent(events, "started"));
        const QString log = w.logPanel()->text();
        QVERIFY2(log.contains("default: error: cannot run \"no-such-program-lbtest\": No such "
                              "file or directory"),
                 qPrintable(log));
        QVERIFY2(!log.contains("started"), qPrintable(log));
        QCOMPARE(inserted.count(), 0);
        QCOMPARE(w.notifier()->sentCount(), 1);

        // A program that is there is reported as started, as before.
        QPointer<SandboxLaunch> ok = w.launchProfile("default", {"true"});
        QTRY_VERIFY_WITH_TIMEOUT(w.logPanel()->text().contains("default: exited"), kLaunchTimeout);
        QVERIFY(w.logPanel()->text().contains("default: started true"));
    }

    // A program that fails is reported with its status (and a notification).
    void failingProgramIsReported() {
        MainWindow w;
        w.launchProfile("default", {"sh", "-c", "echo oops >&2; exit 3"});
        QTRY_VERIFY_WITH_TIMEOUT(w.logPanel()->text().contains("exited with status 3"),
                                 kLaunchTimeout);
        QVERIFY(w.logPanel()->text().contains("default: | oops"));
        // The runner's own line ("sandbox ... ended: the program exited with status 3") can
        // reach the log before the `exited` event is handled, which sends the notification.
        QTRY_COMPARE_WITH_TIMEOUT(w.notifier()->sentCount(), 1, kLaunchTimeout);
    }

    // The CPU column follows what the sandbox really uses: about nothing for a sleeping
    // program, most of a core for a busy one (from the scope's cpu.stat, as `ps` reports it).
    void cpuColumnFollowsTheSandbox() {
        MainWindow w;
        InstanceModel* m = w.runningView()->model();
        QPointer<SandboxLaunch> idle = w.launchProfile("default", {"sleep", "60"});
        QPointer<SandboxLaunch> busy =
            w.launchProfile("default", {"sh", "-c", "while :; do :; done"}, {"--ephemeral"});
        QVERIFY(idle && busy);
        QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 2, kLaunchTimeout);
        const Instance* a = m->instanceAt(0);
        const Instance* b = m->instanceAt(1);
        const QString idleId = a->command.contains("sleep") ? a->id : b->id;
        const QString busyId = a->command.contains("sleep") ? b->id : a->id;
        QTRY_VERIFY_WITH_TIMEOUT(m->instance(idleId)->inPs && m->instance(busyId)->inPs, 10000);
        QVERIFY2(m->instance(busyId)->psHasCpu, "ps reports no cpu_usec: no scope?");
        // Several samples, compared with what the busy program really got over the same time
        // (its utime + stime): on a loaded machine a busy loop gets far less than a core, and
        // the column must say so, not a fixed "more than 30 %".
        const qint64 busyPid = m->instance(busyId)->pid;
        QVERIFY(busyPid > 0);
        const auto cpuSeconds = [](qint64 pid) {
            const QByteArray stat = readFile(QString("/proc/%1/stat").arg(pid));
            const QList<QByteArray> f = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
            return f.size() > 12 ? double(f[11].toLongLong() + f[12].toLongLong()) /
                                       double(sysconf(_SC_CLK_TCK))
                                 : -1.0;
        };
        QElapsedTimer clock;
        clock.start();
        const double before = cpuSeconds(busyPid);
        QVERIFY(before >= 0);
        QTest::qWait(1200);  // the column's next sample covers only this time
        double shown = 0;
        const int samples = 5;
        for (int n = 0; n < samples; ++n) {
            QTest::qWait(1200);
            const double idleCpu = m->instance(idleId)->cpuPercent;
            const double busyCpu = m->instance(busyId)->cpuPercent;
            QVERIFY2(idleCpu >= 0 && idleCpu < 10,
                     qPrintable(QString("sleep uses %1 % CPU").arg(idleCpu)));
            QVERIFY2(busyCpu > idleCpu && busyCpu < 210,
                     qPrintable(QString("a busy loop uses %1 % CPU").arg(busyCpu)));
            shown += busyCpu / samples;
        }
        const double truth = (cpuSeconds(busyPid) - before) * 100.0 / (clock.elapsed() / 1000.0);
        qInfo("busy loop: the column showed %.1f %% on average, it got %.1f %% of a core", shown,
              truth);
        QVERIFY2(truth > 5, qPrintable(QString("the busy loop got only %1 % of a core: the machine "
                                               "is too loaded to compare")
                                           .arg(truth)));
        QVERIFY2(
            qAbs(shown - truth) <= qMax(15.0, truth * 0.5),
            qPrintable(
                QString("the column showed %1 %, the program got %2 %").arg(shown).arg(truth)));
        idle->kill();
        busy->kill();
        QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 0, kLaunchTimeout);
    }

    // Pause and Resume change the state shown (`layerbox pause|resume` freeze the sandbox's
    // systemd scope: that needs the test to run inside the user's systemd manager, as
    // scripts/test does; elsewhere the sandbox has no scope and the test is skipped).
    void pauseAndResume() {
        MainWindow w;
        RunningView* rv = w.runningView();
        InstanceModel* m = rv->model();
        QPointer<SandboxLaunch> launch = w.launchProfile("default", {"sleep", "60"});
        QVERIFY(launch);
        QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 1, kLaunchTimeout);
        const QString id = m->instanceAt(0)->id;
        QTRY_VERIFY_WITH_TIMEOUT(m->instance(id)->inPs, 10000);  // `ps` lists it
        // A missing capability is a failure, not a skip: the suite runs inside the systemd
        // user manager (scripts/test), where every sandbox gets a scope.
        if (m->instance(id)->scope.isEmpty()) launch->kill();
        QVERIFY2(!m->instance(id)->scope.isEmpty(),
                 "the sandbox has no systemd scope: run the suite inside the user manager, as "
                 "scripts/test does");
        rv->selectInstance(id);
        auto* pause = rv->findChild<QPushButton*>("pauseButton");
        auto* resume = rv->findChild<QPushButton*>("resumeButton");
        QVERIFY(pause->isEnabled());
        pause->click();
        QTRY_COMPARE_WITH_TIMEOUT(m->instance(id)->state, QString("paused"), 10000);
        QTRY_VERIFY(resume->isEnabled());
        QTest::qWait(1500);  // the next `ps` agrees
        QCOMPARE(m->instance(id)->state, QString("paused"));
        QCOMPARE(m->index(m->rowOf(id), InstanceModel::StateColumn).data().toString(),
                 QString("paused"));
        // The profile list says paused too, not running.
        const QModelIndex entry = w.profileModel()->indexOf("default");
        QTRY_VERIFY(entry.data(Qt::AccessibleTextRole).toString().contains(", paused"));
        QVERIFY2(!entry.data(Qt::AccessibleTextRole).toString().contains("running"),
                 qPrintable(entry.data(Qt::AccessibleTextRole).toString()));
        resume->click();
        QTRY_COMPARE_WITH_TIMEOUT(m->instance(id)->state, QString("running"), 10000);
        QTRY_VERIFY(w.profileModel()
                        ->indexOf("default")
                        .data(Qt::AccessibleTextRole)
                        .toString()
                        .contains(", running"));
        QTest::qWait(1500);
        QCOMPARE(m->instance(id)->state, QString("running"));
        rv->findChild<QPushButton*>("stopButton")->click();
        QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 0, kLaunchTimeout);
        QVERIFY2(!w.logPanel()->text().contains("default: error"),
                 qPrintable(w.logPanel()->text()));
    }

    // A file dropped on a running sandbox's row is shown in that sandbox at once (the grant
    // path of `run` on a running profile), read-only unless the user picks read-write in the
    // question the drop asks, alone: a command joining the sandbox reads it, not its sibling;
    // the profile's grants list it. Read-write: the program writes the real file, and nothing
    // beside it reaches the host. Cancel gives nothing. A throw-away sandbox is refused.
    void fileDroppedOnARunningSandboxIsGivenToIt() {
        const QString file = home_->home() + "/Downloads/dropped.txt";
        const QString sibling = home_->home() + "/Downloads/sibling.txt";
        QVERIFY(writeFile(file, "dropped in\n"));
        QVERIFY(writeFile(sibling, "stays out\n"));
        MainWindow w;
        w.show();
        RunningView* rv = w.runningView();
        rv->setRefreshInterval(3600 * 1000);
        QTRY_VERIFY(rv->refreshesStarted() > 0 && !rv->refreshInFlight());
        InstanceModel* m = rv->model();
        QPointer<SandboxLaunch> launch = w.launchProfile("default", {"sleep", "600"});
        QVERIFY(launch);
        QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 1, kLaunchTimeout);
        auto inside = [&](const QString& path) {
            return home_->layerbox({"run", "--no-pty", "--profile", "default", "--", "cat", path});
        };
        QVERIFY2(inside(file).exitCode != 0, "the file is inside before it was dropped");

        // The drop, as Qt delivers it to the view: enter, move over the row, drop.
        QWidget* viewport = rv->view()->viewport();
        const QPoint row = rv->view()->visualRect(m->index(0, 0)).center();
        auto dropOnRow = [&](const QString& path) {
            QMimeData data;
            data.setUrls({QUrl::fromLocalFile(path)});
            QDragEnterEvent enter(row, Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(viewport, &enter);
            QDragMoveEvent move(row, Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(viewport, &move);
            QVERIFY(move.isAccepted());
            QDropEvent drop(QPointF(row), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(viewport, &drop);
            QVERIFY(drop.isAccepted());
        };
        // The question's default (Enter) is read-only.
        fallbackAsker_->answer(questions::kGiveFiles, "read-only");
        dropOnRow(file);
        QTRY_VERIFY(fallbackAsker_->asked.contains(questions::kGiveFiles));
        const Question asked = fallbackAsker_->questions.last();
        QCOMPARE(asked.defaultChoice, QString("read-only"));
        QVERIFY2(asked.text.contains("dropped.txt") && asked.text.contains("default"),
                 qPrintable(asked.text));
        QTRY_VERIFY_WITH_TIMEOUT(
            w.logPanel()->text().contains("gave " + file + " (read-only) to the running sandbox"),
            kLaunchTimeout);
        // The same sandbox, still running, now shows the file, and nothing beside it.
        QCOMPARE(m->rowCount(), 1);
        QCOMPARE(m->instanceAt(0)->id, launch->instanceId());
        auto read = inside(file);
        QVERIFY2(read.exitCode == 0, qPrintable(read.err));
        QCOMPARE(read.out, QString("dropped in\n"));
        QVERIFY(inside(sibling).exitCode != 0);
        auto write = home_->layerbox({"run", "--no-pty", "--profile", "default", "--", "sh", "-c",
                                      "echo changed > " + file});
        QVERIFY(write.exitCode != 0);
        QCOMPARE(readFile(file), QByteArray("dropped in\n"));
        auto grants = home_->layerbox({"grants", "default", "--json"});
        QVERIFY2(grants.out.contains(file), qPrintable(grants.out));

        // Read-write, picked in the question: the program writes the real file; what it writes
        // beside it stays in the sandbox; the sibling stays out.
        const QString rwFile = home_->home() + "/Downloads/rw.txt";
        QVERIFY(writeFile(rwFile, "before\n"));
        fallbackAsker_->answer(questions::kGiveFiles, "read-write");
        dropOnRow(rwFile);
        QTRY_VERIFY_WITH_TIMEOUT(w.logPanel()->text().contains(
                                     "gave " + rwFile + " (read-write) to the running sandbox"),
                                 kLaunchTimeout);
        auto rw = home_->layerbox({"run", "--no-pty", "--profile", "default", "--", "sh", "-c",
                                   "echo written inside > " + rwFile + " && echo beside > " +
                                       home_->home() + "/Downloads/beside.txt; cat " + sibling});
        QVERIFY2(rw.exitCode != 0 && !rw.out.contains("stays out"), qPrintable(rw.out + rw.err));
        QCOMPARE(readFile(rwFile), QByteArray("written inside\n"));
        QVERIFY(!QFileInfo::exists(home_->home() + "/Downloads/beside.txt"));
        QCOMPARE(QDir(home_->home() + "/Downloads").entryList(QDir::Files | QDir::Hidden),
                 (QStringList{"dropped.txt", "rw.txt", "sibling.txt"}));
        // The first one is still read-only.
        QVERIFY(home_
                    ->layerbox({"run", "--no-pty", "--profile", "default", "--", "sh", "-c",
                                "echo changed > " + file})
                    .exitCode != 0);
        QCOMPARE(readFile(file), QByteArray("dropped in\n"));

        // Cancel: nothing given.
        const QString kept = home_->home() + "/Downloads/kept.txt";
        QVERIFY(writeFile(kept, "not given\n"));
        const auto before = fallbackAsker_->asked.size();
        fallbackAsker_->answer(questions::kGiveFiles, "cancel");
        dropOnRow(kept);
        QTRY_COMPARE(fallbackAsker_->asked.size(), before + 1);
        QVERIFY(inside(kept).exitCode != 0);
        QVERIFY(!home_->layerbox({"grants", "default", "--json"}).out.contains(kept));
        launch->terminate();
        QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 0, kLaunchTimeout);

        // A throw-away sandbox: `run` would not join it, so the drop is refused and said.
        QPointer<SandboxLaunch> eph = w.launchProfile("default", {"sleep", "600"}, {"--ephemeral"});
        QVERIFY(eph);
        QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 1, kLaunchTimeout);
        QVERIFY(m->instanceAt(0)->ephemeral);
        rv->giveFiles(m->instanceAt(0)->id, {sibling});
        QVERIFY2(w.logPanel()->text().contains(
                     "files cannot be given to a throw-away (ephemeral) sandbox while it runs"),
                 qPrintable(w.logPanel()->text()));
        eph->terminate();
        QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 0, kLaunchTimeout);
    }

    // Stop and Kill from the running view end the sandbox (through `layerbox stop`/`kill`, or
    // through the runner when those are not there).
    void stopAndKill_data() {
        QTest::addColumn<QString>("button");
        QTest::newRow("stop") << "stopButton";
        QTest::newRow("kill") << "killButton";
    }
    void stopAndKill() {
        QFETCH(QString, button);
        ScriptedAsker asker;
        asker.answer(questions::kKillSandbox, "kill");
        MainWindow w;
        RunningView* rv = w.runningView();
        InstanceModel* m = rv->model();
        QPointer<SandboxLaunch> launch = w.launchProfile("default", {"sleep", "60"});
        QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 1, kLaunchTimeout);
        const qint64 pid = m->instanceAt(0)->pid;
        rv->selectInstance(m->instanceAt(0)->id);
        auto* b = rv->findChild<QPushButton*>(button);
        QVERIFY(b);
        QVERIFY(b->isEnabled());
        b->click();
        QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 0, kLaunchTimeout);
        QTRY_VERIFY(!processAlive(pid));
        QCOMPARE(w.notifier()->sentCount(), 0);  // asked for: not an error
        QVERIFY(asker.unexpected.isEmpty());
        QTRY_VERIFY(w.logPanel()->text().contains("default: stopped"));
        QVERIFY2(!w.logPanel()->text().contains("default: warning"),
                 qPrintable(w.logPanel()->text()));
    }

    // A program that takes SIGTERM by exiting with a status of its own (15 here) was still
    // stopped as asked: an info line, not "warning: exited with status 15".
    void stopOfAProgramThatExitsOnTerm() {
        MainWindow w;
        RunningView* rv = w.runningView();
        InstanceModel* m = rv->model();
        w.launchProfile("default",
                        {"sh", "-c", "trap 'exit 15' TERM; while :; do sleep 0.1; done"});
        QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 1, kLaunchTimeout);
        rv->selectInstance(m->instanceAt(0)->id);
        rv->findChild<QPushButton*>("stopButton")->click();
        QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 0, kLaunchTimeout);
        QTRY_VERIFY(w.logPanel()->text().contains("default: stopped (exited with status 15)"));
        QVERIFY2(!w.logPanel()->text().contains("default: warning"),
                 qPrintable(w.logPanel()->text()));
        QCOMPARE(w.notifier()->sentCount(), 0);
    }

    // The core does not move or delete a running sandbox's data, even when the GUI does not
    // know it runs (it was started from a terminal): the profile and its data stay, and the
    // log says why. Once it has ended the rename goes through, data and all.
    void profileActionsWaitForTheSandbox() {
        ScriptedAsker asker;
        asker.answerText(questions::kRenameName, QString("job"));
        asker.answer(questions::kDeleteProfile, "delete", true);
        asker.answerText(questions::kRenameName, QString("job"));
        asker.answer(questions::kActionFailed, "ok");  // the refused rename, said
        asker.answer(questions::kActionFailed, "ok");  // the refused delete, said
        home_->writeProfile("work", R"({"version": 1, "name": "work", "extends": "default"})");
        const QString data = home_->dataHome() + "/layerbox/sandboxes/";
        QVERIFY(writeFile(data + "work/upper/etc/marker", "x"));
        MainWindow w;
        w.runningView()->setRefreshInterval(3600 * 1000);
        // Its first `ps` has answered before the sandbox starts (it must not know of it).
        QTRY_VERIFY(w.runningView()->refreshesStarted() > 0 && !w.runningView()->refreshInFlight());
        QProcess p;
        p.setProcessEnvironment(home_->env());
        p.start(layerboxBin(),
                {"run", "--status-fd", "1", "--profile", "work", "--", "sleep", "600"});
        QVERIFY(p.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT((p.waitForReadyRead(10), p.peek(1 << 16).contains("\"started\"")),
                                 kLaunchTimeout);
        w.selectProfile("work");
        QVERIFY(w.action("actionRename")->isEnabled());  // as far as the GUI knows
        w.action("actionRename")->trigger();
        QTRY_VERIFY2(w.logPanel()->text().contains(
                         "work: error: profile \"work\" is running: stop it before renaming it"),
                     qPrintable(w.logPanel()->text()));
        QVERIFY(w.profileModel()->entry("work"));
        QVERIFY(!QFile::exists(home_->profileDir() + "/job.json"));
        QVERIFY(QFile::exists(data + "work/upper/etc/marker"));
        w.action("actionDelete")->trigger();  // with its sandbox
        QTRY_VERIFY(w.logPanel()->text().contains("stop it before deleting its sandbox"));
        QVERIFY(QFile::exists(home_->profileDir() + "/work.json"));
        QVERIFY(QFile::exists(data + "work/upper/etc/marker"));
        p.terminate();
        QVERIFY(finished(p, 20000));
        w.action("actionRename")->trigger();
        QTRY_VERIFY(w.profileModel()->entry("job"));
        QVERIFY(QFile::exists(data + "job/upper/etc/marker"));
        QVERIFY(!QFile::exists(data + "work"));
        QVERIFY(asker.unexpected.isEmpty());
    }
};

QTEST_MAIN(TstGuiLaunch)
#include "tst_gui_launch.moc"
