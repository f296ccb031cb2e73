// GUI features whose backend command is still being written: `layerbox desktop install|remove`
// (Add to / Remove from the applications menu). Built, not registered with CTest until the
// command is committed (see CMakeLists.txt); run by hand as an unprivileged user:
//   tests/gui/tst_gui_backend
#include <QAction>
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
};

QTEST_MAIN(TstGuiBackend)
#include "tst_gui_backend.moc"
