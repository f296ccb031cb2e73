// Files given to a sandbox (issue 20, "Safety"): a grant is one file, never its parent; it never
// follows a symbolic link or a "..", neither on the host nor one the sandbox planted in its own
// layer; read-only stays read-only (no write, no rename over it, no chmod, no delete);
// read-write writes the real file and nothing beside it; bad input is one line and grants
// nothing. Each case is checked at launch and, where it differs, in a running sandbox.
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QtTest>

#include <sys/stat.h>
#include <unistd.h>

#include "testsupport.h"

using namespace lbtest;

class TstGrantsSafety : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;

    QString h(const QString& rel) const { return home_->home() + "/" + rel; }
    QString upper() const { return home_->dataHome() + "/layerbox/sandboxes/default/upper"; }
    RunResult lb(const QStringList& args) { return home_->layerbox(args); }
    int grantCount() {
        auto r = lb({"grants", "default", "--json"});
        return QJsonDocument::fromJson(r.out.toUtf8()).array().size();
    }
    QString startSleeping(QProcess& p) { return startSleepingSandbox(*home_, p); }
    void stop(QProcess& p) {
        lb({"stop", "default"});
        finished(p, 10000);
    }
    // What a read-only file must refuse, from inside: prints "refused: N" for N refusals.
    static QString attackReadOnly(const QString& file) {
        return "f='" + file +
               "'; n=0; (echo x >> \"$f\") 2>/dev/null || n=$((n+1)); "
               "chmod 666 \"$f\" 2>/dev/null || n=$((n+1)); "
               "echo over > /tmp/o; mv -f /tmp/o \"$f\" 2>/dev/null || n=$((n+1)); "
               "rm -f \"$f\" 2>/dev/null || n=$((n+1)); "
               "truncate -s 0 \"$f\" 2>/dev/null || n=$((n+1)); echo refused: $n";
    }

private slots:
    void initTestCase() { QVERIFY2(::getuid() != 0, "must run as an unprivileged user"); }
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
    }
    void cleanup() { home_.reset(); }

    void oneFileNeverItsParent() {
        QVERIFY(writeFile(h("dir/a.txt"), "a"));
        QVERIFY(writeFile(h("dir/b.txt"), "b"));
        QVERIFY(writeFile(h("dir/sub/c.txt"), "c"));
        auto r = lb({"run", "--file", h("dir/a.txt"), "--", "sh", "-c",
                     "ls -A \"$1\"; cat \"$1/b.txt\" \"$1/sub/c.txt\" 2>/dev/null; echo end", "sh",
                     h("dir")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(r.out, QString("a.txt\nend\n"));
    }

    void readOnlyStaysReadOnly() {
        QVERIFY(writeFile(h("ro/file.txt"), "original"));
        const QByteArray before = readFile(h("ro/file.txt"));
        struct stat st0;
        QCOMPARE(::stat(h("ro/file.txt").toUtf8().constData(), &st0), 0);
        auto r = lb({"run", "--file", h("ro/file.txt"), "--", "sh", "-c",
                     attackReadOnly(h("ro/file.txt"))});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(r.out, QString("refused: 5\n"));
        QCOMPARE(readFile(h("ro/file.txt")), before);
        struct stat st1;
        QCOMPARE(::stat(h("ro/file.txt").toUtf8().constData(), &st1), 0);
        QCOMPARE(st1.st_mode, st0.st_mode);
        // The same for a file given to a running sandbox.
        QProcess p;
        QString id = startSleeping(p);
        QVERIFY(!id.isEmpty());
        QVERIFY(writeFile(h("ro/late.txt"), "late"));
        r = lb({"run", "--file", h("ro/late.txt"), "--", "sh", "-c",
                attackReadOnly(h("ro/late.txt"))});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(r.out, QString("refused: 5\n"));
        QCOMPARE(readFile(h("ro/late.txt")), QByteArray("late"));
        stop(p);
    }

    void readWriteWritesOnlyThatFile() {
        QVERIFY(writeFile(h("rw/file.txt"), "original"));
        auto r = lb({"run", "--file-rw", h("rw/file.txt"), "--", "sh", "-c",
                     "echo changed > \"$1/file.txt\" && echo beside > \"$1/beside.txt\"; "
                     "mkdir -p \"$1/made\"; echo done",
                     "sh", h("rw")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(readFile(h("rw/file.txt")), QByteArray("changed\n"));
        QCOMPARE(QDir(h("rw")).entryList(QDir::AllEntries | QDir::NoDotAndDotDot),
                 QStringList{"file.txt"});
    }

    void hostLinksAndDotDotAreRefused_data() {
        QTest::addColumn<QString>("given");
        QTest::addColumn<QString>("says");
        QTest::newRow("link to a file") << "link.txt"
                                        << "symbolic link";
        QTest::newRow("file in a linked folder") << "linkdir/secret.txt"
                                                 << "symbolic link";
        QTest::newRow("dot-dot") << "dir/../secret/secret.txt"
                                 << "\"..\"";
    }
    void hostLinksAndDotDotAreRefused() {
        QFETCH(QString, given);
        QFETCH(QString, says);
        QVERIFY(writeFile(h("secret/secret.txt"), "secret"));
        QVERIFY(QDir().mkpath(h("dir")));
        QVERIFY(QFile::link(h("secret/secret.txt"), h("link.txt")));
        QVERIFY(QFile::link(h("secret"), h("linkdir")));
        auto r = lb({"run", "--file", h(given), "--", "cat", h(given)});
        QVERIFY(r.exitCode != 0);
        QVERIFY(!r.out.contains("secret"));
        QCOMPARE(r.err.count('\n'), 1);
        QVERIFY2(r.err.contains(says), qPrintable(r.err));
        QCOMPARE(grantCount(), 0);
    }

    // The sandbox plants a link in its own home where a file will later be given: the grant is
    // refused rather than shown where the link points.
    void plantedLinksInsideAreNotFollowed() {
        QVERIFY(writeFile(h("Downloads/x.txt"), "x"));
        auto plant = lb({"run", "--", "ln", "-s", "/etc", h("Downloads")});
        QVERIFY2(plant.exitCode == 0, qPrintable(plant.err));
        auto r = lb({"run", "--file", h("Downloads/x.txt"), "--", "cat", "/etc/x.txt"});
        QVERIFY(r.exitCode != 0);
        QVERIFY(!r.out.contains("x"));
        QVERIFY2(r.err.contains("symbolic link"), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(upper() + "/etc/x.txt"));
        // In a running sandbox too.
        QProcess p;
        QString id = startSleeping(p);
        QVERIFY(!id.isEmpty());
        QVERIFY(writeFile(h("Music/y.txt"), "y"));
        QCOMPARE(lb({"exec", id, "--", "ln", "-s", "/tmp", h("Music")}).exitCode, 0);
        r = lb({"run", "--file", h("Music/y.txt"), "--", "cat", "/tmp/y.txt"});
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.contains("symbolic link"), qPrintable(r.err));
        QVERIFY(lb({"exec", id, "--", "test", "-e", "/tmp/y.txt"}).exitCode != 0);
        stop(p);
    }

    void badInputGrantsNothing_data() {
        QTest::addColumn<QString>("given");
        QTest::addColumn<QString>("says");
        QTest::newRow("missing") << "@home/none.txt"
                                 << "no such file";
        QTest::newRow("device") << "/dev/null"
                                << "never granted";
        QTest::newRow("fifo") << "@home/fifo"
                              << "FIFO";
        QTest::newRow("proc") << "/proc/self/status"
                              << "never granted";
        QTest::newRow("folder") << "@home/folder"
                                << "folder";
        QTest::newRow("newline") << "@home/a\nb.txt"
                                 << "control character";
    }
    void badInputGrantsNothing() {
        QFETCH(QString, given);
        QFETCH(QString, says);
        given.replace("@home", home_->home());
        QVERIFY(QDir().mkpath(h("folder")));
        QCOMPARE(::mkfifo(h("fifo").toUtf8().constData(), 0600), 0);
        QVERIFY(writeFile(h("a\nb.txt"), "newline"));
        auto r = lb({"run", "--file", given, "--", "sh", "-c", "echo ran > \"$HOME/ran\""});
        QVERIFY(r.exitCode != 0);
        QCOMPARE(r.err.count('\n'), 1);
        QVERIFY2(r.err.startsWith("layerbox: error: "), qPrintable(r.err));
        QVERIFY2(r.err.contains(says), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(upper() + h("ran")));
        QCOMPARE(grantCount(), 0);
    }
};

QTEST_GUILESS_MAIN(TstGrantsSafety)
#include "tst_grants_safety.moc"
