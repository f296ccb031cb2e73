// "See what it changed" cannot be fooled (issue 17, items 4 and 5): a file or device a program
// makes in a private home to look like a whiteout is listed (and recovered) as what it is, and
// names a program chose reach the terminal escaped, in every human-readable output.
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QtTest>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "testsupport.h"

using namespace lbtest;

class TstIntegrity : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;
    QString upperHome() const {
        return home_->dataHome() + "/layerbox/sandboxes/default/upper" + home_->home();
    }

private slots:
    void initTestCase() { QVERIFY2(::getuid() != 0, "must run as an unprivileged user"); }
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
    }
    void cleanup() { home_.reset(); }

    void forgedWhiteoutsAreListedAsFiles() {
        // The default profile: a private home, the upper directory bound as it is.
        auto r = home_->layerbox(
            {"run", "--", "sh", "-c",
             "head -c 1048576 /dev/zero > ~/.wh.payload && echo x > ~/payload && mkdir ~/d && "
             "echo o > ~/d/.wh..wh..opq"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        // A 0:0 device, as a program could make it where the kernel lets it (here the
        // program's Landlock domain refuses mknod, so it is planted from outside).
        QVERIFY2(::mknod((upperHome() + "/dev00").toUtf8().constData(), S_IFCHR | 0600,
                         makedev(0, 0)) == 0,
                 strerror(errno));
        auto d = home_->layerbox({"diff", "default"});
        QCOMPARE(d.exitCode, 0);
        const QString h = home_->home();
        for (const QString& want :
             {"added     file +1M  .* " + h + "/.wh.payload$",
              "added     file .* " + h + "/payload$", "added     file .* " + h + "/d/.wh..wh..opq$",
              "added     char .* " + h + "/dev00$"})
            QVERIFY2(d.out.contains(QRegularExpression(want, QRegularExpression::MultilineOption)),
                     qPrintable(want + "\n" + d.out));
        QVERIFY2(!d.out.contains("deleted"), qPrintable(d.out));
        // recover copies the file and names the device for what it is.
        QString to = home_->home() + "/recovered";
        auto rc =
            home_->layerbox({"recover", "default", "~/.wh.payload", "~/dev00", "~/d", "--to", to});
        QCOMPARE(QFileInfo(to + "/.wh.payload").size(), qint64(1 << 20));
        QVERIFY(QFileInfo::exists(to + "/d/.wh..wh..opq"));
        QVERIFY2(rc.err.contains("dev00: a device file (not copied)"), qPrintable(rc.err));
        QVERIFY2(!rc.err.contains("deleted"), qPrintable(rc.err));
    }

    void namesAreEscapedForTheTerminal() {
        // A newline that would fake a second line, and escape sequences (clear the screen; a C1
        // CSI) in names the program chose.
        auto r = home_->layerbox(
            {"run", "--", "sh", "-c",
             "touch \"$(printf 'a\\nadded     file      1B  2020-01-01 00:00  fake')\" "
             "\"$(printf '\\033[2Jclear')\" \"$(printf 'c1\\302\\233x')\" 'caf\303\251'"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        auto d = home_->layerbox({"diff", "default"});
        QCOMPARE(d.exitCode, 0);
        QVERIFY2(!d.out.contains(QChar(0x1b)) && !d.out.contains(QChar(0x9b)), qPrintable(d.out));
        QVERIFY2(!d.out.contains(QRegularExpression("^added     file +1B  2020-01-01 00:00  fake$",
                                                    QRegularExpression::MultilineOption)),
                 qPrintable(d.out));
        QCOMPARE(d.out.count('\n'), 4);  // one line per change
        QVERIFY2(d.out.contains("/a\\nadded") && d.out.contains("/\\x1b[2Jclear") &&
                     d.out.contains("/c1\\xc2\\x9bx") && d.out.contains(QString::fromUtf8("/café")),
                 qPrintable(d.out));
        // --json keeps the name exactly (escaped as JSON).
        auto j = home_->layerbox({"diff", "default", "--json"});
        QVERIFY2(j.out.contains("\\u001b[2Jclear"), qPrintable(j.out));
        // recover and discard print them escaped too.
        QString to = home_->home() + "/recovered";
        auto rc = home_->layerbox({"recover", "default", "~", "--to", to});
        QVERIFY2(!rc.out.contains(QChar(0x1b)) && !rc.err.contains(QChar(0x1b)),
                 qPrintable(rc.out + rc.err));
        auto dc = home_->layerbox({"discard", "default", "~/\033[2Jclear"});
        QVERIFY2(
            dc.exitCode == 0 && dc.out.contains("\\x1b[2Jclear") && !dc.out.contains(QChar(0x1b)),
            qPrintable(dc.out + dc.err));
        // ps: the command line of a running sandbox.
        QProcess running;
        running.setProcessEnvironment(home_->env());
        running.start(layerboxBin(), {"run", "--ephemeral", "--no-pty", "--", "sh", "-c",
                                      "sleep 60", "\033[2J\nfake"});
        QVERIFY(running.waitForStarted());
        QString ps;
        for (int i = 0; i < 100 && !ps.contains("sleep"); ++i) {
            QThread::msleep(100);
            ps = home_->layerbox({"ps"}).out;
        }
        running.kill();
        running.waitForFinished();
        QVERIFY2(ps.contains("sleep 60") && !ps.contains(QChar(0x1b)), qPrintable(ps));
        QCOMPARE(ps.count('\n'), 2);  // the header and one sandbox
    }
};

QTEST_GUILESS_MAIN(TstIntegrity)
#include "tst_integrity.moc"
