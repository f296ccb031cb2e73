// Files through the wall (issue 20), for real: a host file given to a sandbox appears inside at
// its own path and nothing else of its folder does; the README's tour works word for word; a
// running sandbox gets a file without a restart and loses it at once when it is taken back.
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

class TstGrants : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;

    QString h(const QString& rel) const { return home_->home() + "/" + rel; }
    QString upper(const QString& profile = "default") const {
        return home_->dataHome() + "/layerbox/sandboxes/" + profile + "/upper";
    }
    RunResult lb(const QStringList& args) { return home_->layerbox(args); }
    // `layerbox ARGS` from the folder `cwd`, as a user in a terminal would.
    RunResult lbIn(const QString& cwd, const QStringList& args) {
        return home_->layerboxIn(cwd, args);
    }
    void writeExecutable(const QString& path, const QByteArray& text) {
        QVERIFY(writeFile(path, text));
        QVERIFY(::chmod(path.toUtf8().constData(), 0755) == 0);
    }
    QJsonArray grants(const QString& profile = "default") {
        auto r = lb({"grants", profile, "--json"});
        if (r.exitCode != 0) qWarning().noquote() << r.err;
        return QJsonDocument::fromJson(r.out.toUtf8()).array();
    }
    // Start a persistent sandbox of `default` running the probe's sleep; its instance id.
    QString startSleeping(QProcess& p) { return startSleepingSandbox(*home_, p); }

private slots:
    void initTestCase() {
        QVERIFY2(::getuid() != 0, "must run as an unprivileged user");
        QVERIFY2(QFileInfo(layerboxBin()).isExecutable(), qPrintable(layerboxBin()));
    }
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
    }
    void cleanup() { home_.reset(); }

    // README, "A five-minute tour", word for word (with the built binary's path).
    void readmeTour() {
        writeExecutable(h("Downloads/installer.sh"),
                        "#!/bin/sh\necho report > ~/report.pdf\nls -A ~/Downloads\n");
        QVERIFY(writeFile(h("Downloads/secret.txt"), "not for the installer"));
        auto r = lbIn(home_->home(), {"run", "--", h("Downloads/installer.sh")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        // Only the program of its folder is inside.
        QCOMPARE(r.out, QString("installer.sh\n"));
        auto diff = lb({"diff", "default"});
        QCOMPARE(diff.exitCode, 0);
        QVERIFY2(diff.out.contains("report.pdf"), qPrintable(diff.out));
        // The mount point made for the program is not a change of the sandbox's.
        QVERIFY2(!diff.out.contains("installer.sh") && !diff.out.contains("Downloads"),
                 qPrintable(diff.out));
        QVERIFY(!QFileInfo::exists(upper() + h("Downloads")));
        auto rec = lb({"recover", "default", h("report.pdf")});
        QVERIFY2(rec.exitCode == 0, qPrintable(rec.err));
        QCOMPARE(readFile(h("report.pdf")), QByteArray("report\n"));
        auto reset = lb({"reset", "default"});
        QVERIFY2(reset.exitCode == 0, qPrintable(reset.err));
        // The file given stays given, and reset says so and how to take it back.
        QVERIFY2(reset.out.contains("1 file given to default stays given (a reset keeps them): "
                                    "see layerbox grants default; take one back with layerbox "
                                    "grants rm default PATH"),
                 qPrintable(reset.out));
        writeExecutable(h("Downloads/tool"), "#!/bin/sh\necho tool ran in \"$(pwd)\"\n");
        auto eph = lbIn(h("Downloads"), {"run", "--ephemeral", "--", "./tool"});
        QVERIFY2(eph.exitCode == 0, qPrintable(eph.err));
        QCOMPARE(eph.out, "tool ran in " + h("Downloads") + "\n");
        // The persistent profile keeps what it was given; the ephemeral run kept nothing.
        auto g = grants();
        QCOMPARE(g.size(), 1);
        QCOMPARE(g[0].toObject()["path"].toString(), h("Downloads/installer.sh"));
        QCOMPARE(g[0].toObject()["mode"].toString(), QString("ro"));
    }

    void cannotRunSaysWhyAndWhatToDo_data() {
        QTest::addColumn<QString>("program");
        QTest::addColumn<QByteArray>("content");  // empty: no file
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("says");
        QTest::newRow("not executable")
            << "Downloads/plain.sh" << QByteArray("#!/bin/sh\n") << 126 << "chmod +x";
        QTest::newRow("missing") << "Downloads/none" << QByteArray() << 127
                                 << "neither in the sandbox nor on the host";
        QTest::newRow("no interpreter")
            << "Downloads/x.py" << QByteArray("#!/no/such/python\n") << 127 << "interpreter";
        QTest::newRow("not in PATH") << "" << QByteArray() << 127 << "not in the sandbox's PATH";
    }
    void cannotRunSaysWhyAndWhatToDo() {
        QFETCH(QString, program);
        QFETCH(QByteArray, content);
        QFETCH(int, status);
        QFETCH(QString, says);
        QString prog = program.isEmpty() ? QString("no-such-program-lb") : h(program);
        if (!content.isEmpty()) {
            QVERIFY(writeFile(prog, content));
            if (!program.endsWith(".sh")) ::chmod(prog.toUtf8().constData(), 0755);
        }
        auto r = lb({"run", "--", prog});
        QCOMPARE(r.exitCode, status);
        QCOMPARE(r.err.count('\n'), 1);
        QVERIFY2(r.err.contains(says), qPrintable(r.err));
    }

    void filesForTheProgram() {
        QVERIFY(writeFile(h("Pictures/a.txt"), "picture a"));
        QVERIFY(writeFile(h("Pictures/b c.txt"), "picture b"));
        QVERIFY(writeFile(h("Pictures/other.txt"), "other"));
        // --file
        auto r = lb({"run", "--file", h("Pictures/a.txt"), "--", "sh", "-c",
                     "cat \"$1\"; ls -A \"$(dirname \"$1\")\"", "sh", h("Pictures/a.txt")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(r.out, QString("picture aa.txt\n"));
        // Marked in the command, as menu entries write %F / %U: a file:// URI becomes its path,
        // a web address passes through.
        QString uri = "file://" + h("Pictures/b%20c.txt");
        r = lb({"run", "--ephemeral", "--", "sh", "-c", "cat \"$1\"; echo \" $2\"", "sh", "@@", uri,
                "https://example.org/", "@@"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(r.out, QString("picture b https://example.org/\n"));
        // Read-write: the program writes the real file.
        r = lb({"run", "--", "sh", "-c", "echo edited > \"$1\"", "sh", "@@rw", h("Pictures/a.txt"),
                "@@"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(readFile(h("Pictures/a.txt")), QByteArray("edited\n"));
        // An unterminated list is a usage error.
        r = lb({"run", "--", "cat", "@@", h("Pictures/a.txt")});
        QCOMPARE(r.exitCode, 2);
    }

    void runningSandboxGetsAndLosesAFile() {
        QVERIFY(writeFile(h("Documents/letter.txt"), "dear sandbox"));
        QProcess p;
        QString id = startSleeping(p);
        QVERIFY(!id.isEmpty());
        // `run` on the running profile: the file appears in that sandbox, no restart.
        auto r = lb(
            {"run", "--file", h("Documents/letter.txt"), "--", "cat", h("Documents/letter.txt")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(r.out, QString("dear sandbox"));
        QCOMPARE(lb({"exec", id, "--", "cat", h("Documents/letter.txt")}).out,
                 QString("dear sandbox"));
        auto g = grants();
        QCOMPARE(g.size(), 1);
        QCOMPARE(g[0].toObject()["path"].toString(), h("Documents/letter.txt"));
        // Taken back: gone inside at once, and from the list.
        auto rm = lb({"grants", "rm", "default", h("Documents/letter.txt")});
        QVERIFY2(rm.exitCode == 0, qPrintable(rm.err));
        auto after = lb({"exec", id, "--", "cat", h("Documents/letter.txt")});
        QVERIFY(after.exitCode != 0);
        QVERIFY(!after.out.contains("dear sandbox"));
        QCOMPARE(grants().size(), 0);
        auto again = lb({"grants", "rm", "default", h("Documents/letter.txt")});
        QCOMPARE(again.exitCode, 1);
        QVERIFY2(again.err.contains("was not given"), qPrintable(again.err));
        QCOMPARE(lb({"stop", "default"}).exitCode, 0);
        QVERIFY(finished(p, 10000));
        // Nothing of the mount points is left in the sandbox's layer.
        QVERIFY(!QFileInfo::exists(upper() + h("Documents")));
    }

    void grantsKeptForPersistentForgottenForEphemeral() {
        QVERIFY(writeFile(h("Documents/kept.txt"), "kept"));
        QVERIFY(writeFile(h("Documents/once.txt"), "once"));
        QCOMPARE(lb({"run", "--file", h("Documents/kept.txt"), "--", "true"}).exitCode, 0);
        QCOMPARE(
            lb({"run", "--ephemeral", "--file", h("Documents/once.txt"), "--", "true"}).exitCode,
            0);
        // The next run of the persistent profile sees the file it was given, nothing else.
        auto r = lb({"run", "--", "sh", "-c", "cat \"$1\"; test ! -e \"$2\" && echo ' only'", "sh",
                     h("Documents/kept.txt"), h("Documents/once.txt")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(r.out, QString("kept only\n"));
        auto list = lb({"grants", "default"});
        QCOMPARE(list.out, "ro " + h("Documents/kept.txt") + "\n");
        QCOMPARE(lb({"grants", "rm", "default", h("Documents/kept.txt")}).exitCode, 0);
        r = lb({"run", "--", "test", "-e", h("Documents/kept.txt")});
        QCOMPARE(r.exitCode, 1);
    }
};

QTEST_GUILESS_MAIN(TstGrants)
#include "tst_grants.moc"
