// Files Layerbox reads that someone else may have shaped (issue 17, items 7, 8, 9): a profile,
// a cache, a layer's info. None may hang a command (a fifo), exhaust memory (/dev/zero, a huge
// file), or decide for good from a damaged answer; the command line takes no path a profile
// could not name.
#include <QDir>
#include <QFile>
#include <QtTest>

#include <sys/stat.h>
#include <unistd.h>

#include "testsupport.h"

using namespace lbtest;

class TstUntrustedFiles : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;
    QString cache() const { return home_->home() + "/.cache/layerbox"; }
    void fifo(const QString& path) {
        QDir().mkpath(QFileInfo(path).path());
        QFile::remove(path);
        QVERIFY2(::mkfifo(path.toUtf8().constData(), 0600) == 0, strerror(errno));
    }

private slots:
    void initTestCase() { QVERIFY2(::getuid() != 0, "must run as an unprivileged user"); }
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
    }
    void cleanup() { home_.reset(); }

    void profilesAreSmallRegularFiles() {
        auto zero = home_->layerbox({"profile", "validate", "/dev/zero"});
        QVERIFY(!zero.timedOut && !zero.crashed);
        QVERIFY2(zero.exitCode != 0 && zero.err.contains("not a regular file"),
                 qPrintable(zero.err));
        QString f = home_->home() + "/pipe.json";
        fifo(f);
        for (const QStringList& args : {QStringList{"profile", "validate", f},
                                        QStringList{"run", "--profile", f, "--", "true"},
                                        QStringList{"profile", "import", f}}) {
            auto r = home_->layerbox(args);
            QVERIFY2(!r.timedOut && r.exitCode != 0 && r.err.contains("not a regular file"),
                     qPrintable(args.join(' ') + ": " + r.err));
        }
        QString big = home_->home() + "/big.json";
        QVERIFY(
            writeFile(big, "{\"version\": 1, \"title\": \"" + QByteArray(2 << 20, 'x') + "\"}"));
        for (const QStringList& args :
             {QStringList{"profile", "validate", big}, QStringList{"profile", "import", big}}) {
            auto r = home_->layerbox(args);
            QVERIFY2(r.exitCode != 0 && r.err.contains("larger than 1048576 bytes"),
                     qPrintable(r.err));
        }
        QVERIFY(!QFile::exists(home_->profileDir() + "/big.json"));
    }

    void cachesThatAreFifosDoNotHang() {
        fifo(cache() + "/overlay-probe");
        fifo(cache() + "/slirp4netns-features");
        auto r = home_->layerbox({"run", "--net", "nat", "--", "true"});
        QVERIFY2(!r.timedOut && r.exitCode == 0, qPrintable(r.err));
        // A layer whose info is a fifo is listed, not waited for.
        fifo(home_->dataHome() + "/layerbox/layers/stuck/info");
        QDir().mkpath(home_->dataHome() + "/layerbox/layers/stuck/root");
        auto l = home_->layerbox({"layer", "list"});
        QVERIFY2(!l.timedOut && l.exitCode == 0 && l.out.contains("stuck"),
                 qPrintable(l.out + l.err));
    }

    void aDamagedSlirpCacheIsProbedAgain() {
        // A cache that says slirp4netns has no ready fd made every nat launch wait 10 s and
        // fail; it is not trusted, and the real answer replaces it.
        QCOMPARE(home_->layerbox({"run", "--net", "nat", "--", "true"}).exitCode, 0);
        QString file = cache() + "/slirp4netns-features";
        QByteArray text = readFile(file);
        QVERIFY2(text.endsWith("11\n"), text.constData());
        QByteArray damaged = text.left(text.indexOf('\n') + 1) + "00000000\n";
        QVERIFY(writeFile(file, damaged));
        auto r = home_->layerbox({"run", "--net", "nat", "--", "true"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(readFile(file), text);
        QVERIFY(writeFile(file, text.left(text.indexOf('\n') + 1) + "11x11111\n"));
        QCOMPARE(home_->layerbox({"run", "--net", "nat", "--", "true"}).exitCode, 0);
        QCOMPARE(readFile(file), text);
    }

    void aDamagedProbeCacheIsProbedAgain() {
        QCOMPARE(home_->layerbox({"run", "--", "true"}).exitCode, 0);
        QString file = cache() + "/overlay-probe";
        QByteArray text = readFile(file);
        QVERIFY(text.contains("\nnative\n") || text.contains("\nfuse\n"));
        QVERIFY(writeFile(file, text.left(text.indexOf('\n') + 1) + "garbage\n"));
        QCOMPARE(home_->layerbox({"run", "--", "true"}).exitCode, 0);
        QCOMPARE(readFile(file), text);
    }

    void commandLineBindsNameWhatAProfileCan_data() {
        QTest::addColumn<QString>("spec");
        QTest::newRow("into /proc") << "/tmp:/proc/x";
        QTest::newRow("into /sys") << "/tmp:/sys/kernel";
        QTest::newRow("into /dev") << "/tmp:/dev/x";
        QTest::newRow("the root") << "/tmp:/";
        QTest::newRow("dotdot") << "/tmp/../etc:/mnt/x";
    }
    void commandLineBindsNameWhatAProfileCan() {
        QFETCH(QString, spec);
        auto r = home_->layerbox({"run", "--ro-bind", spec, "--", "true"});
        QCOMPARE(r.exitCode, 125);
        QVERIFY2(r.err.startsWith("layerbox: error: --ro-bind ") && r.err.count('\n') == 1,
                 qPrintable(r.err));
    }

    void environmentValuesWithNulAreRefused() {
        home_->writeProfile("nul", R"({"version": 1, "environment": {"set": {"A": "x\u0000y"}}})");
        auto r = home_->layerbox({"profile", "validate", "nul"});
        QVERIFY2(r.exitCode != 0 && r.err.contains("/environment/set/A") && r.err.contains("NUL"),
                 qPrintable(r.out + r.err));
    }
};

QTEST_GUILESS_MAIN(TstUntrustedFiles)
#include "tst_untrusted_files.moc"
