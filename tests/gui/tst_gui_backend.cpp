// GUI features whose backend command is still being written: `layerbox desktop install|remove`
// (Add to / Remove from the applications menu). Built, not registered with CTest until the
// command is committed (see CMakeLists.txt); run by hand as an unprivileged user:
//   tests/gui/tst_gui_backend
#include <QAction>
#include <QDialog>
#include <QListWidget>
#include <QPushButton>
#include <QtTest>

#include <unistd.h>

#include "main/logpanel.h"
#include "main/mainwindow.h"
#include "testsupport.h"

using namespace lbtest;

class TstGuiBackend : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;

private slots:
    void initTestCase() { QVERIFY2(::getuid() != 0, "run as an unprivileged user"); }
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
        home_->apply();
    }
    void cleanup() { home_.reset(); }

    void applicationsMenu() {
        MainWindow w;
        w.selectProfile("default");
        w.action("actionAddToMenu")->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(w.logPanel()->text().contains("added to the applications menu"),
                                 20000);
        w.action("actionRemoveFromMenu")->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(
            w.logPanel()->text().contains("removed from the applications menu"), 20000);
    }

    // Files given (issue 20): the profile view lists what `layerbox grants` lists, and Revoke
    // takes a file back through `layerbox grants rm`.
    void filesGivenAndRevoked() {
        const QString file = home_->home() + "/Documents/given.txt";
        QVERIFY(writeFile(file, "given"));
        auto r = home_->layerbox({"run", "--file", file, "--", "cat", file});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        MainWindow w;
        w.selectProfile("default");
        auto* list = w.findChild<QListWidget*>("grantsList");
        auto* revoke = w.findChild<QPushButton*>("revokeGrant");
        QVERIFY(list && revoke);
        QTRY_COMPARE_WITH_TIMEOUT(list->count(), 1, 20000);
        QVERIFY2(list->item(0)->text().contains(file), qPrintable(list->item(0)->text()));
        QVERIFY(!revoke->isEnabled());
        list->setCurrentRow(0);
        QVERIFY(revoke->isEnabled());
        revoke->click();
        QTRY_COMPARE_WITH_TIMEOUT(list->count(), 0, 20000);
        QCOMPARE(home_->layerbox({"grants", "default"}).out, QString());
    }

    // layerbox-gui FILE: the Run Sandboxed dialog gives exactly that file (not its folder).
    void runAFileGivesOnlyThatFile() {
        const QString file = home_->home() + "/Downloads/hello.sh";
        QVERIFY(writeFile(file, "#!/bin/sh\necho hello\n"));
        QVERIFY(
            QFile::setPermissions(file, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        MainWindow w;
        w.selectProfile("default");
        w.runSandboxed(file);
        QDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = w.findChild<QDialog*>("runFileDialog")) != nullptr);
        auto* run = dialog->findChild<QPushButton*>("runButton");
        QVERIFY(run);
        run->click();
        QTRY_VERIFY_WITH_TIMEOUT(home_->layerbox({"grants", "default"}).out == "ro " + file + "\n",
                                 20000);
    }
};

QTEST_MAIN(TstGuiBackend)
#include "tst_gui_backend.moc"
