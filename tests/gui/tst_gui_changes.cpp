// The changes of real sandboxes in the GUI: the changes view lists what a sandbox wrote,
// previews it, and Recover (asking before overwriting), Discard, Reset and Commit as layer
// (with progress) do it through `layerbox`; after a sandbox with recover_watch exits, a dialog
// offers its new files; the doctor dialog shows `layerbox doctor`.
#include <QAction>
#include <QDir>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QTreeWidget>
#include <QtTest>

#include <unistd.h>

#include "backend/layerboxclient.h"
#include "backend/sandboxlaunch.h"
#include "dialogs/doctordialog.h"
#include "dialogs/recoverdialog.h"
#include "guitest.h"
#include "main/changesmodel.h"
#include "main/changesview.h"
#include "main/logpanel.h"
#include "main/mainwindow.h"
#include "main/profilelistmodel.h"
#include "testsupport.h"

using namespace lbtest;

namespace {
constexpr int kTimeout = 60000;
}

class TstGuiChanges : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;

    // Run a command in the default profile and wait until it has exited.
    void runAndWait(MainWindow& w, const QStringList& cmd, const QString& profile = "default") {
        QPointer<SandboxLaunch> l = w.launchProfile(profile, cmd);
        QVERIFY(l);
        QSignalSpy finished(l.data(), &SandboxLaunch::finished);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeout);
        QCOMPARE(finished.first().first().toJsonObject().value("status").toInt(), 0);
    }

private slots:
    void initTestCase() { QVERIFY2(::getuid() != 0, "run as an unprivileged user"); }
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
        home_->apply();
    }
    void cleanup() { home_.reset(); }

    // "the changes view lists a file a sandbox created and Recover copies it"
    void changesViewListsCreatedFileAndRecoverCopiesIt() {
        ScriptedAsker asker;
        const QString rescued = home_->home() + "/Rescued";
        QDir().mkpath(rescued);
        asker.answerPath(questions::kRecoverFolder, rescued);
        MainWindow w;
        runAndWait(w, {"sh", "-c", "mkdir -p ~/Downloads && echo hello > ~/Downloads/made.txt"});
        const QString made = home_->home() + "/Downloads/made.txt";
        ChangesView* c = w.changesView();
        w.selectProfile("default");
        c->reload();
        QTRY_VERIFY_WITH_TIMEOUT(c->model()->itemFor(made), 20000);
        QCOMPARE(c->model()->itemFor(made)->data(ChangesModel::KindRole).toString(),
                 QString("added"));
        QTRY_VERIFY(w.profileModel()->entry("default")->changes > 0);
        c->selectPaths({made});
        QTRY_VERIFY(c->findChild<QPlainTextEdit*>("previewText")->toPlainText().contains("hello"));
        c->findChild<QAction*>("recoverToFolder")->trigger();
        QVERIFY(c->isBusy());
        QCOMPARE(c->findChild<QLabel*>("operationLabel")->text(),
                 QString("Recovering 1 file\u2026"));
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(rescued + "/made.txt"), 20000);
        QTRY_VERIFY(!c->isBusy());
        QCOMPARE(readFile(rescued + "/made.txt"), QByteArray("hello\n"));
        QVERIFY(!QFile::exists(made));  // the host's home was never touched
    }

    // Recover to the original place asks before overwriting.
    void recoverAsksBeforeOverwriting() {
        ScriptedAsker asker;
        asker.answer(questions::kOverwriteFiles, "skip");
        MainWindow w;
        runAndWait(w, {"sh", "-c", "mkdir -p ~/Downloads && echo new > ~/Downloads/f.txt"});
        const QString f = home_->home() + "/Downloads/f.txt";
        QVERIFY(writeFile(f, "old\n"));
        ChangesView* c = w.changesView();
        w.selectProfile("default");
        c->reload();
        QTRY_VERIFY_WITH_TIMEOUT(c->model()->itemFor(f), 20000);
        c->selectPaths({f});
        c->recoverSelected();
        QTRY_VERIFY_WITH_TIMEOUT(asker.asked.contains(questions::kOverwriteFiles), 20000);
        QCOMPARE(readFile(f), QByteArray("old\n"));
    }

    // After a sandbox with recover_watch exits, a dialog offers the new files.
    void recoverWatchOffersNewFiles() {
        home_->writeProfile("dl", R"({"version": 1, "name": "dl", "extends": "default",
                                      "filesystem": {"recover_watch": ["~/Downloads"]}})");
        MainWindow w;
        runAndWait(w, {"sh", "-c", "mkdir -p ~/Downloads && echo x > ~/Downloads/got.txt"}, "dl");
        QTRY_VERIFY_WITH_TIMEOUT(w.findChild<RecoverDialog*>("recoverDialog"), 10000);
        auto* d = w.findChild<RecoverDialog*>("recoverDialog");
        QCOMPARE(d->checkedPaths(), QStringList{home_->home() + "/Downloads/got.txt"});
        d->findChild<QPushButton*>("recoverCheckedButton")->click();
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(home_->home() + "/Downloads/got.txt"), 20000);
    }

    // While the sandbox runs, the Changes tab follows its layer (without a click), and Reset
    // and Commit, which the core refuses then, are disabled saying why.
    void changesFollowTheRunningSandbox() {
        ScriptedAsker asker;  // the runner killed below is a failed launch, said in a message
        asker.answer(questions::kActionFailed, "ok");
        MainWindow w;
        w.selectProfile("default");
        ChangesView* c = w.changesView();
        QTRY_VERIFY(!c->isLoading());
        const QString flag = home_->home() + "/go";
        QPointer<SandboxLaunch> l = w.launchProfile(
            "default", {"sh", "-c",
                        "echo 1 > ~/first.txt; while [ ! -e " + flag +
                            " ]; do sleep 0.1; done; echo 2 > ~/second.txt; sleep 60"});
        QVERIFY(l);
        const QString first = home_->home() + "/first.txt";
        const QString second = home_->home() + "/second.txt";
        QTRY_VERIFY_WITH_TIMEOUT(c->model()->itemFor(first), 20000);
        QVERIFY(c->isRunning());
        auto* reset = c->findChild<QPushButton*>("resetButton");
        auto* commit = c->findChild<QPushButton*>("commitButton");
        QVERIFY(!reset->isEnabled());
        QVERIFY(!commit->isEnabled());
        QVERIFY2(reset->toolTip().contains("running"), qPrintable(reset->toolTip()));
        // The flag file on the host is outside the sandbox's view of the home: write it there
        // through the sandbox instead.
        QVERIFY(!c->model()->itemFor(second));
        QProcess exec;
        exec.setProcessEnvironment(home_->env());
        exec.start(layerboxBin(), {"exec", l->instanceId(), "--no-pty", "--", "touch", flag});
        QVERIFY(exec.waitForFinished(30000));
        QCOMPARE(exec.exitCode(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(c->model()->itemFor(second), 20000);
        l->kill();
        QTRY_VERIFY_WITH_TIMEOUT(!c->isRunning(), kTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(reset->isEnabled() && commit->isEnabled(), 20000);
    }

    // Commit as layer shows progress, and the layer is then listed.
    void commitShowsProgress() {
        ScriptedAsker asker;
        asker.answerText(questions::kLayerName, QString("made-layer"));
        MainWindow w;
        runAndWait(w, {"sh", "-c",
                       "mkdir -p /opt/x && for i in $(seq 200); do echo $i > "
                       "/opt/x/$i; done"});
        ChangesView* c = w.changesView();
        w.selectProfile("default");
        c->reload();
        QTRY_VERIFY_WITH_TIMEOUT(c->model()->entryCount() > 0, 20000);
        auto* bar = c->findChild<QProgressBar*>("operationProgress");
        c->commitAsLayer();
        QVERIFY(!bar->isHidden());
        QTRY_VERIFY_WITH_TIMEOUT(!c->isCommitting(), 120000);
        QVERIFY(bar->isHidden());
        QVERIFY2(w.logPanel()->text().contains("committed as layer"),
                 qPrintable(w.logPanel()->text()));
        const RunResult r = home_->layerbox({"layer", "list", "--json"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("\"made-layer\""));
        // The layer is stacked on the profile, saved as yours: the list shows it so.
        QTRY_VERIFY(w.profileModel()->entry("default") &&
                    !w.profileModel()->entry("default")->builtin);
        QTRY_COMPARE_WITH_TIMEOUT(c->model()->entryCount(), 0, 20000);  // its layer was emptied
    }

    // Discard and Reset.
    void discardAndReset() {
        ScriptedAsker asker;
        asker.answer(questions::kDiscardChanges, "discard");
        asker.answer(questions::kResetChanges, "reset");
        MainWindow w;
        runAndWait(w, {"sh", "-c", "echo a > ~/a.txt; echo b > ~/b.txt"});
        ChangesView* c = w.changesView();
        w.selectProfile("default");
        c->reload();
        const QString a = home_->home() + "/a.txt";
        QTRY_VERIFY_WITH_TIMEOUT(c->model()->itemFor(a), 20000);
        c->selectPaths({a});
        c->discardSelected();
        QTRY_VERIFY_WITH_TIMEOUT(!c->isLoading() && !c->model()->itemFor(a) &&
                                     c->model()->itemFor(home_->home() + "/b.txt"),
                                 20000);
        // Reset of a large layer takes its time: the busy bar says what runs, and the
        // actions wait (no timing: the command answers only after this returns).
        auto* bar = c->findChild<QProgressBar*>("operationProgress");
        auto* label = c->findChild<QLabel*>("operationLabel");
        c->resetAll();
        QVERIFY(c->isBusy());
        QVERIFY(!bar->isHidden());
        QCOMPARE(label->text(), QString("Resetting\u2026"));
        QVERIFY(!c->findChild<QPushButton*>("resetButton")->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(!c->isBusy(), 60000);
        QVERIFY(bar->isHidden() && label->isHidden());
        QTRY_VERIFY_WITH_TIMEOUT(!c->isLoading() && c->model()->entryCount() == 0, 20000);
    }

    void doctorReportsChecks() {
        LayerboxClient client;
        DoctorDialog d(&client);
        QTRY_VERIFY_WITH_TIMEOUT(!d.isRunning(), 30000);
        QVERIFY2(d.checks()->topLevelItemCount() > 0, qPrintable(d.status()->text()));
    }
};

QTEST_MAIN(TstGuiChanges)
#include "tst_gui_changes.moc"
