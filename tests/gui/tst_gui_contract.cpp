// The GUI against the JSON contract of docs/cli-json.md, with a stand-in `layerbox`
// (tests/gui/fake-layerbox, answering as the contract shows and recording its calls): the
// running view, Pause/Resume, the refresh loop, the changes view, Recover, Commit, doctor,
// status events on fd 3, and failures of every kind ending up in the log.
#include <QAction>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTreeView>
#include <QTreeWidget>
#include <QtTest>

#include "backend/layerboxclient.h"
#include "backend/sandboxlaunch.h"
#include "dialogs/doctordialog.h"
#include "dialogs/recoverdialog.h"
#include "editor/profileeditor.h"
#include "guitest.h"
#include "main/changesmodel.h"
#include "main/changesview.h"
#include "main/instancemodel.h"
#include "main/logpanel.h"
#include "main/mainwindow.h"
#include "main/profilelistmodel.h"
#include "main/runningview.h"
#include "testsupport.h"

using namespace lbtest;

namespace {}  // namespace

class TstGuiContract : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;
    std::unique_ptr<QTemporaryDir> fakeDir_;
    QString fake_;
    QByteArray realBin_;

    // The stand-in (tests/gui/fake-layerbox), copied into a folder of its own.
    void useFake() {
        fake_ = fakeDir_->path() + "/layerbox";
        const QByteArray script = readFile(sourceDir() + "/tests/gui/fake-layerbox");
        QVERIFY2(!script.isEmpty(), qPrintable(sourceDir()));
        QVERIFY(writeFile(fake_, script));
        QFile::setPermissions(
            fake_, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
        qputenv("LAYERBOX_BIN", fake_.toUtf8());
    }
    QStringList calls() const {
        return QString::fromUtf8(readFile(fakeDir_->path() + "/calls"))
            .split('\n', Qt::SkipEmptyParts);
    }
    void setState(const QString& file, const QByteArray& content) {
        QVERIFY(writeFile(fakeDir_->path() + "/" + file, content));
    }

private slots:
    void initTestCase() { realBin_ = qgetenv("LAYERBOX_BIN"); }
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
        home_->apply();
        fakeDir_ = std::make_unique<QTemporaryDir>();
        QVERIFY(fakeDir_->isValid());
        useFake();
    }
    void cleanup() {
        qputenv("LAYERBOX_BIN", realBin_);
        fakeDir_.reset();
        home_.reset();
    }

    void binaryLocation() {
        QCOMPARE(LayerboxClient::locateBinary(), fake_);
        QCOMPARE(LayerboxClient().binary(), fake_);
        // Without LAYERBOX_BIN: next to the executable, else on PATH.
        const QByteArray path = qgetenv("PATH");
        qunsetenv("LAYERBOX_BIN");
        qputenv("PATH", fakeDir_->path().toUtf8() + ":" + path);
        const QString found = LayerboxClient::locateBinary();
        qputenv("PATH", path);
        qputenv("LAYERBOX_BIN", fake_.toUtf8());
        QVERIFY(found == fake_ || found == QCoreApplication::applicationDirPath() + "/layerbox");
    }

    // `ps --json` rows, as the contract writes them.
    void runningViewShowsPs() {
        LayerboxClient client;
        RunningView view(&client);
        InstanceModel* m = view.model();
        QTRY_COMPARE(m->rowCount(), 2);
        const int r = m->rowOf("a1b2c3d4");
        QVERIFY(r >= 0);
        auto cell = [&](int row, int col) { return m->index(row, col).data().toString(); };
        QCOMPARE(cell(r, InstanceModel::ProfileColumn), QString("firefox"));
        QCOMPARE(cell(r, InstanceModel::PidColumn), QString("12345"));
        QCOMPARE(cell(r, InstanceModel::CommandColumn), QString("firefox-esr --new-instance"));
        QVERIFY2(cell(r, InstanceModel::UptimeColumn).startsWith("1:02:0"),
                 qPrintable(cell(r, InstanceModel::UptimeColumn)));
        QVERIFY2(cell(r, InstanceModel::MemoryColumn).contains("100"),
                 qPrintable(cell(r, InstanceModel::MemoryColumn)));
        QCOMPARE(cell(r, InstanceModel::NetworkColumn), QString("NAT"));
        QCOMPARE(cell(r, InstanceModel::StateColumn), QString("running"));
        const int p = m->rowOf("e5f6a7b8");
        QCOMPARE(cell(p, InstanceModel::StateColumn), QString("paused"));
        QCOMPARE(cell(p, InstanceModel::MemoryColumn), QString());  // null: unknown
        QCOMPARE(cell(p, InstanceModel::NetworkColumn), QString("none"));
        // CPU % comes from two samples of cpu_usec: 0.25 s per ~1 s refresh.
        QTRY_VERIFY(!cell(r, InstanceModel::CpuColumn).isEmpty());
        const double cpu = cell(r, InstanceModel::CpuColumn).section(' ', 0, 0).toDouble();
        QVERIFY2(cpu > 5 && cpu <= 100, qPrintable(cell(r, InstanceModel::CpuColumn)));
        QCOMPARE(m->countByProfile().value("firefox"), 1);
    }

    // Pause and Resume run `layerbox pause|resume ID`; the state shown follows.
    void pauseAndResume() {
        LayerboxClient client;
        RunningView view(&client);
        InstanceModel* m = view.model();
        QTRY_COMPARE(m->rowCount(), 2);
        view.selectInstance("a1b2c3d4");
        auto* pause = view.findChild<QPushButton*>("pauseButton");
        auto* resume = view.findChild<QPushButton*>("resumeButton");
        QVERIFY(pause->isEnabled());
        QVERIFY(!resume->isEnabled());
        pause->click();
        QTRY_COMPARE(m->instance("a1b2c3d4")->state, QString("paused"));
        QVERIFY(calls().contains("pause a1b2c3d4"));
        QTRY_VERIFY(resume->isEnabled());
        QVERIFY(!pause->isEnabled());
        QTest::qWait(1200);  // the next `ps` agrees
        QCOMPARE(m->instance("a1b2c3d4")->state, QString("paused"));
        resume->click();
        QTRY_COMPARE(m->instance("a1b2c3d4")->state, QString("running"));
        QVERIFY(calls().contains("resume a1b2c3d4"));
    }

    // A slow `ps` is never started twice at once.
    void refreshNeverOverlaps() {
        setState("ps-delay", "2");
        LayerboxClient client;
        RunningView view(&client);
        view.setRefreshInterval(50);
        QTest::qWait(1500);
        QCOMPARE(view.refreshesStarted(), 1);
        QVERIFY(view.refreshInFlight());
        QCOMPARE(calls().count("ps --json"), 1);
        QTRY_VERIFY_WITH_TIMEOUT(!view.refreshInFlight() || view.refreshesStarted() > 1, 5000);
        QTRY_COMPARE(view.model()->rowCount(), 2);
    }

    // A command this layerbox does not have: the error text in the log, once, and the
    // window keeps working.
    void missingCommandsAreLoggedOnce() {
        setState("all-unknown", "");
        MainWindow w;
        w.show();
        QTRY_VERIFY(
            w.logPanel()->text().contains("layerbox ps --json: error: unknown command "
                                          "\"ps\""));
        QTest::qWait(2500);  // more refreshes, with the same error
        QCOMPARE(w.logPanel()->text().count("unknown command \"ps\""), 1);
        QVERIFY(calls().count("ps --json") >= 2);
        // Still usable: select, search, the doctor says what failed.
        w.selectProfile("firefox");
        QCOMPARE(w.selectedProfile(), QString("firefox"));
        QTRY_VERIFY(w.logPanel()->text().contains("unknown command \"diff\""));
        auto* status = w.changesView()->findChild<QLabel*>("changesStatus");
        QTRY_VERIFY(status->text().contains("firefox") &&
                    status->text().contains("unknown command \"diff\""));
        w.showDoctor();
        QTRY_VERIFY(w.logPanel()->text().contains("unknown command \"doctor\""));
    }

    // The runner cannot even be started.
    void missingBinary() {
        qputenv("LAYERBOX_BIN", "/nonexistent/layerbox");
        ScriptedAsker asker;  // the failed launch is also said in a message
        asker.answer(questions::kActionFailed, "ok");
        MainWindow w;
        QPointer<SandboxLaunch> l = w.launchProfile("default", {"true"});
        QTRY_VERIFY(
            w.logPanel()->text().contains("default: error: cannot run "
                                          "/nonexistent/layerbox"));
        QTRY_VERIFY(!l);  // finished and cleaned up
        QTRY_VERIFY(w.logPanel()->text().contains("layerbox ps --json: error: cannot run"));
        QCOMPARE(asker.asked, QStringList{questions::kActionFailed});
    }

    // Status events on fd 3: started, warning, recoverable (offered in a dialog), exited.
    void statusEventsFromThePipe() {
        ScriptedAsker asker;
        setState("ps-empty", "");  // no other sandboxes
        MainWindow w;
        QPointer<SandboxLaunch> l = w.launchProfile("browser");
        QVERIFY(l);
        QSignalSpy started(l.data(), &SandboxLaunch::started);
        QSignalSpy finished(l.data(), &SandboxLaunch::finished);
        QTRY_COMPARE(w.runningView()->model()->rowCount(), 1);
        QCOMPARE(started.count(), 1);
        QCOMPARE(w.runningView()->model()->instanceAt(0)->id, QString("feedf00d"));
        QCOMPARE(w.runningView()->model()->instanceAt(0)->pid, 4242);
        QTRY_COMPARE(finished.count(), 1);
        QCOMPARE(w.runningView()->model()->rowCount(), 0);
        QVERIFY(w.logPanel()->text().contains("browser: warning: something to know"));
        QVERIFY(w.logPanel()->text().contains("browser: | program output"));
        const QStringList runs = calls().filter(QRegularExpression("^run "));
        QCOMPARE(runs.size(), 1);
        QCOMPARE(runs.first(), QString("run --status-fd 3 --profile browser"));
        RecoverDialog* d = w.findChild<RecoverDialog*>("recoverDialog");
        QVERIFY(d);
        QCOMPARE(d->checkedPaths(), QStringList{"/home/u/Downloads/a.pdf"});
        d->findChild<QPushButton*>("recoverCheckedButton")->click();
        QTRY_VERIFY(calls().contains("recover browser /home/u/Downloads/a.pdf --json"));
        QTRY_VERIFY(w.logPanel()->text().contains("recovered 1 file"));
    }

    // `diff --json` as a tree, with kinds, sizes and the filters.
    void changesViewListsTheDiff() {
        LayerboxClient client;
        ChangesView view(&client);
        QSignalSpy counted(&view, &ChangesView::changesCounted);
        view.setProfile("firefox");
        QTRY_COMPARE(counted.count(), 1);
        QCOMPARE(counted.first().at(1).toInt(), 5);
        ChangesModel* m = view.model();
        QCOMPARE(m->entryCount(), 5);
        QCOMPARE(m->countByKind().value("added"), 2);
        QStandardItem* motd = m->itemFor("/etc/motd");
        QVERIFY(motd);
        QCOMPARE(motd->data(ChangesModel::KindRole).toString(), QString("modified"));
        QVERIFY(m->itemFor("/home/u/Downloads"));  // a folder on the way
        auto visible = [&]() {
            QStringList out;
            for (const QString& p : guitest::collect(view.view()->model(), ChangesModel::PathRole))
                if (m->itemFor(p)->data(ChangesModel::IsEntryRole).toBool()) out << p;
            out.sort();
            return out;
        };
        QCOMPARE(visible().size(), 5);
        auto* kind = view.findChild<QComboBox*>("changesKindFilter");
        kind->setCurrentIndex(kind->findData("added"));
        QCOMPARE(visible(),
                 (QStringList{"/home/u/Downloads/a.pdf", "/home/u/Downloads/notes.txt"}));
        kind->setCurrentIndex(0);
        view.findChild<QLineEdit*>("changesSearch")->setText("motd");
        QCOMPARE(visible(), QStringList{"/etc/motd"});
        view.findChild<QLineEdit*>("changesSearch")->clear();
        QCOMPARE(visible().size(), 5);
        QVERIFY(view.findChild<QLabel*>("changesSummary")->text().contains("5 changes"));
    }

    // "Keep Both", the answer Enter gives, recovers beside the existing file (issue 22).
    void recoverCanKeepBoth() {
        ScriptedAsker asker;
        asker.answer(questions::kOverwriteFiles, "keep-both");
        setState("exists", "/etc/motd\n");
        LayerboxClient client;
        ChangesView view(&client);
        QSignalSpy recovered(&view, &ChangesView::recovered);
        view.setProfile("firefox");
        QTRY_COMPARE(view.model()->entryCount(), 5);
        view.selectPaths({"/etc/motd"});
        view.recoverSelected();
        QTRY_VERIFY(calls().contains("recover firefox /etc/motd --json --keep-both"));
        QVERIFY(!calls().contains("recover firefox /etc/motd --json --force"));
        const Question q = asker.questions.last();
        QCOMPARE(q.defaultChoice, QString("keep-both"));
        QCOMPARE(q.choices.size(), 3);
        QTRY_COMPARE(recovered.count(), 1);
        QCOMPARE(recovered.last().first().toStringList(), QStringList{"/etc/motd (1)"});
    }

    // Recover asks before overwriting, then forces; to a folder passes --to.
    void recoverAsksBeforeOverwriting() {
        ScriptedAsker asker;
        asker.answer(questions::kOverwriteFiles, "overwrite");
        asker.answerPath(questions::kRecoverFolder, home_->home() + "/Rescued");
        setState("exists", "/etc/motd\n");
        LayerboxClient client;
        ChangesView view(&client);
        QSignalSpy recovered(&view, &ChangesView::recovered);
        view.setProfile("firefox");
        QTRY_COMPARE(view.model()->entryCount(), 5);
        view.selectPaths({"/etc/motd", "/home/u/Downloads/a.pdf", "/etc/hostname"});
        QCOMPARE(view.selectedPaths().size(), 3);
        view.recoverSelected();
        // The deleted file is not offered for recovery.
        QTRY_VERIFY(calls().contains("recover firefox /etc/motd /home/u/Downloads/a.pdf --json"));
        QTRY_VERIFY(calls().contains("recover firefox /etc/motd --json --force"));
        QCOMPARE(asker.asked.count(questions::kOverwriteFiles), 1);
        QTRY_COMPARE(recovered.count(), 2);
        // To a folder.
        view.selectPaths({"/home/u/Downloads/notes.txt"});
        view.findChild<QAction*>("recoverToFolder")->trigger();
        QTRY_VERIFY(calls().contains("recover firefox /home/u/Downloads/notes.txt --json --to " +
                                     home_->home() + "/Rescued"));
        QVERIFY(asker.unexpected.isEmpty());
    }

    void discardAndResetAsk() {
        ScriptedAsker asker;
        asker.answer(questions::kDiscardChanges, "cancel");
        asker.answer(questions::kDiscardChanges, "discard");
        asker.answer(questions::kResetChanges, "reset");
        LayerboxClient client;
        ChangesView view(&client);
        view.setProfile("firefox");
        QTRY_COMPARE(view.model()->entryCount(), 5);
        view.selectPaths({"/etc/motd"});
        view.discardSelected();
        QVERIFY(!calls().contains("discard firefox /etc/motd"));
        view.discardSelected();
        QTRY_VERIFY(calls().contains("discard firefox /etc/motd"));
        QTRY_VERIFY(!view.isLoading());
        view.resetAll();
        QTRY_VERIFY(calls().contains("reset firefox"));
        QVERIFY(asker.unexpected.isEmpty());
    }

    // Failures are said where the action was taken (a message), not only in the log dock;
    // the GUI's words point to its own menu, not to a flag of the command line.
    void failuresAreSaidWhereTaken() {
        ScriptedAsker asker;
        asker.answer(questions::kActionFailed, "ok");
        asker.answer(questions::kResetChanges, "reset");
        asker.answer(questions::kActionFailed, "ok");
        setState("outside-home", "");
        setState("refuse-reset", "");
        LayerboxClient client;
        ChangesView view(&client);
        view.setProfile("firefox");
        QTRY_COMPARE(view.model()->entryCount(), 5);
        view.selectPaths({"/etc/motd"});
        view.recoverSelected();
        QTRY_COMPARE(asker.asked, QStringList{questions::kActionFailed});
        const Question skipped = asker.questions.last();
        QCOMPARE(skipped.title, QString("1 file was not recovered"));
        QCOMPARE(skipped.informativeText,
                 QString("/etc/motd (not in the home (recover it with Recover \u25b8 To a "
                         "folder... instead))"));
        QVERIFY(!skipped.informativeText.contains("--to"));
        QTRY_VERIFY(!view.isLoading());
        view.resetAll();
        QTRY_COMPARE(asker.asked.size(), 3);
        QCOMPARE(asker.questions.at(1).defaultChoice, QString("cancel"));  // Enter keeps them
        QCOMPARE(asker.asked.last(), questions::kActionFailed);
        QCOMPARE(asker.questions.last().title, QString("The sandbox of \u201cfirefox\u201d was "
                                                       "not reset"));
        QVERIFY(asker.questions.last().informativeText.contains("stop it first"));
        QVERIFY(asker.unexpected.isEmpty());
    }

    void commitShowsProgress() {
        ScriptedAsker asker;
        asker.answerText(questions::kLayerName, QString("fonts"));
        LayerboxClient client;
        ChangesView view(&client);
        QSignalSpy log(&view, &ChangesView::log);
        view.setProfile("firefox");
        QTRY_COMPARE(view.model()->entryCount(), 5);
        auto* bar = view.findChild<QProgressBar*>("operationProgress");
        QVERIFY(bar->isHidden());
        view.commitAsLayer();
        QVERIFY(!bar->isHidden());
        QTRY_VERIFY(bar->maximum() == 1000 && bar->value() >= 250);
        QTRY_VERIFY(bar->value() >= 750 || bar->isHidden());
        QTRY_VERIFY(bar->isHidden());
        QVERIFY(calls().contains("commit firefox --as fonts --json"));
        bool said = false;
        for (const auto& args : log)
            said = said || args.at(2).toString().contains("committed as layer");
        QVERIFY(said);
    }

    void doctorShowsChecks() {
        LayerboxClient client;
        DoctorDialog d(&client);
        QTRY_VERIFY(!d.isRunning());
        QTreeWidget* checks = d.checks();
        QCOMPARE(checks->topLevelItemCount(), 3);
        QCOMPARE(checks->topLevelItem(2)->text(0), QString("slirp4netns is missing"));
        QCOMPARE(checks->topLevelItem(2)->text(1), QString("apt install slirp4netns"));
        QCOMPARE(checks->topLevelItem(2)->data(0, Qt::UserRole + 1).toString(), QString("failure"));
        QVERIFY(d.status()->text().contains("1 check failed"));
        QVERIFY(d.hostFacts()->topLevelItemCount() >= 5);
        // The host facts are doctor's own (its `host` object), not found out again by the GUI.
        const QList<QTreeWidgetItem*> storage =
            d.hostFacts()->findItems("Storage", Qt::MatchExactly, 0);
        QCOMPARE(storage.size(), 1);
        QVERIFY2(storage.first()->text(1).contains("fake: overlay refused"),
                 qPrintable(storage.first()->text(1)));
        const QList<QTreeWidgetItem*> display =
            d.hostFacts()->findItems("Display", Qt::MatchExactly, 0);
        QCOMPARE(display.size(), 1);
        QCOMPARE(display.first()->text(1), QString("Wayland"));
    }

    // The editor's notes come from `layerbox doctor --json` too: what it says is enforced is
    // what the editor marks, whatever this machine's /sys says.
    void editorHostFactsFromDoctor() {
        home_->writeProfile("myapp", R"({"version": 1, "name": "myapp", "extends": "default"})");
        LayerboxClient client;
        ProfileEditor e(&client, "myapp");
        auto* memory = e.findChild<QLabel*>("enforced:memory_max");
        auto* cpu = e.findChild<QLabel*>("enforced:cpu_percent");
        QVERIFY(memory && cpu);
        QTRY_COMPARE(memory->text(), QString("enforced here"));
        QCOMPARE(cpu->text(), QString("not enforced here"));
        QVERIFY(calls().contains("doctor --json"));
        const QString storage = e.findChild<QLabel*>("driverNote")->text();
        QVERIFY2(storage.contains("fake: overlay refused"), qPrintable(storage));
        QVERIFY2(e.findChild<QLabel*>("limitsNote")->text().contains("memory, pids"),
                 qPrintable(e.findChild<QLabel*>("limitsNote")->text()));
    }

    void applicationsMenu() {
        MainWindow w;
        w.selectProfile("firefox");
        w.action("actionAddToMenu")->trigger();
        QTRY_VERIFY(w.logPanel()->text().contains("firefox: added to the applications menu"));
        w.action("actionRemoveFromMenu")->trigger();
        QTRY_VERIFY(calls().contains("desktop remove firefox"));
        QVERIFY(calls().contains("desktop install firefox"));
    }

    // The profile list shows the number of changes of profiles that have a sandbox.
    void changeCountsInTheList() {
        QVERIFY(writeFile(home_->dataHome() + "/layerbox/sandboxes/firefox/upper/.keep", ""));
        MainWindow w;
        QTRY_COMPARE(w.profileModel()->entry("firefox")->changes, 5);
        // No sandbox folder: nothing to count (the changes view counts the selected one).
        QCOMPARE(w.profileModel()->entry("chromium")->changes, -1);
        QVERIFY(!calls().contains("diff chromium --json"));
    }
};

QTEST_MAIN(TstGuiContract)
#include "tst_gui_contract.moc"
