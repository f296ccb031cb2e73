// Changes and layers, for real: sandboxes of both storage drivers create, modify and delete
// files in the home, in /etc and in /usr, and `layerbox diff` must report each exactly; then
// recover (a copy out, a refused symlink escape, a refused overwrite), discard, reset (refused
// while running), commit a layer and stack it under a second profile, recover_watch. Runs as
// the unprivileged test user, as scripts/test does.
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QtTest>

#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "testsupport.h"

using namespace lbtest;

namespace {

QJsonObject statusEvent(const QString& out, const char* name) {
    for (const auto& line : out.split('\n')) {
        auto o = QJsonDocument::fromJson(line.toUtf8()).object();
        if (o["event"].toString() == name) return o;
    }
    return {};
}

// A top-level regular file of the host's /etc that a sandbox may delete or change (not one
// Layerbox mounts over, such as hosts or hostname).
QString etcFile(int index) {
    QStringList found;
    for (const char* name : {"debian_version", "issue.net", "adduser.conf", "debconf.conf",
                             "bash.bashrc", "host.conf", "networks", "issue", "shells"}) {
        QFileInfo fi(QString("/etc/") + name);
        if (fi.isFile() && !fi.isSymLink() && fi.isReadable()) found << fi.filePath();
    }
    return index < found.size() ? found[index] : QString();
}

// A file deep in /usr (only the fuse driver may delete a root-owned file there).
QString usrDeepFile() {
    for (const auto& d : QDir("/usr/share/doc").entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFileInfo fi("/usr/share/doc/" + d + "/copyright");
        if (fi.isFile() && !fi.isSymLink()) return fi.filePath();
    }
    return {};
}

}  // namespace

class TstChangesIntegration : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;

    QString h(const QString& rel) const { return home_->home() + "/" + rel; }
    QString layersDir() const { return home_->dataHome() + "/layerbox/layers"; }
    QString upper(const QString& profile) const {
        return home_->dataHome() + "/layerbox/sandboxes/" + profile + "/upper";
    }

    RunResult run(const QStringList& runArgs, const QString& script) {
        QStringList args{"run"};
        args << probeBind() << runArgs << "--"
             << "sh"
             << "-c" << script;
        auto r = home_->layerbox(args, 60000);
        if (r.exitCode != 0) qWarning().noquote() << "run failed:" << r.exitCode << r.err;
        return r;
    }

    QJsonArray diff(const QString& profile, const QString& path = {}) {
        QStringList args{"diff", profile, "--json"};
        if (!path.isEmpty()) args << path;
        auto r = home_->layerbox(args);
        if (r.exitCode != 0) qWarning().noquote() << "diff failed:" << r.err;
        return QJsonDocument::fromJson(r.out.toUtf8()).array();
    }

    static std::set<QString> rows(const QJsonArray& a) {
        std::set<QString> out;
        for (const auto& v : a) {
            auto o = v.toObject();
            out.insert(o["kind"].toString() + " " + o["type"].toString() + " " +
                       o["path"].toString());
        }
        return out;
    }

    static QString show(const std::set<QString>& s) {
        QStringList l(s.begin(), s.end());
        return l.join('\n');
    }

    static void addDrivers() {
        QTest::addColumn<QString>("driver");
        QTest::newRow("native") << "native";
        QTest::newRow("fuse") << "fuse";
    }

    // Start a sandbox that stays up (the probe sleeps until signalled) after running `script`.
    bool startBackground(QProcess& p, const QStringList& runArgs, const QString& script) {
        p.setProcessEnvironment(home_->env());
        p.start(layerboxBin(),
                QStringList{"run"} + probeBind() + runArgs +
                    QStringList{"--", "sh", "-c", script + " && exec " + probePath() + " sleep"});
        if (!p.waitForStarted()) return false;
        QByteArray out;
        for (int i = 0; i < 200; ++i) {
            p.waitForReadyRead(100);
            out += p.readAllStandardOutput();
            if (out.contains("ready")) return true;
            if (p.state() == QProcess::NotRunning) break;
        }
        qWarning().noquote() << "sandbox did not start:" << out << p.readAllStandardError();
        return false;
    }

private slots:
    void initTestCase() {
        QVERIFY2(::getuid() != 0, "the sandbox suite must run as an unprivileged user");
        QVERIFY2(QFileInfo(layerboxBin()).isExecutable(), qPrintable(layerboxBin()));
        QVERIFY2(QFileInfo(probePath()).isExecutable(), qPrintable(probePath()));
        QVERIFY2(!etcFile(1).isEmpty(), "two deletable files in /etc");
    }
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
    }
    void cleanup() { home_.reset(); }

    void diffReportsEachChange_data() { addDrivers(); }
    void diffReportsEachChange() {
        QFETCH(QString, driver);
        // The real home is below the sandbox's (home "overlay"), so a file there can be
        // modified with either driver.
        writeFile(h("existing.txt"), "old\n");
        writeFile(h("todelete.txt"), "x\n");
        writeFile(h("olddir/f1"), "x\n");
        home_->writeProfile("ovl", R"({"version": 1, "filesystem": {"home": "overlay"}})");
        const QString del = etcFile(0), mod = etcFile(1), deep = usrDeepFile();
        QString script =
            "set -e; echo new > ~/new.txt; echo changed >> ~/existing.txt; rm ~/todelete.txt; "
            "rm -rf ~/olddir; mkdir ~/olddir; echo n > ~/olddir/new; "
            "echo lb > /etc/lb-new; rm " +
            del + "; echo lb > /usr/lb-new";
        std::set<QString> expected = {
            "added file " + h("new.txt"),
            "modified file " + h("existing.txt"),
            "deleted whiteout " + h("todelete.txt"),
            "replaced dir " + h("olddir"),
            "added file " + h("olddir/new"),
            "added file /etc/lb-new",
            "deleted whiteout " + del,
            "added file /usr/lb-new",
        };
        if (driver == "fuse") {
            // fuse-overlayfs presents every file as the user's: root's files change too.
            QVERIFY(!deep.isEmpty());
            script += "; echo mod >> " + mod + "; rm " + deep;
            expected.insert("modified file " + mod);
            expected.insert("deleted whiteout " + deep);
        }
        const qint64 before = QDateTime::currentSecsSinceEpoch();
        QCOMPARE(run({"--profile", "ovl", "--driver", driver}, script).exitCode, 0);
        const qint64 after = QDateTime::currentSecsSinceEpoch();
        // The host is untouched...
        QVERIFY(QFileInfo::exists(del));
        QCOMPARE(readFile(h("existing.txt")), QByteArray("old\n"));
        QVERIFY(QFileInfo::exists(h("todelete.txt")));
        // ...and the diff is exactly what the program did.
        auto a = diff("ovl");
        QCOMPARE(show(rows(a)), show(expected));
        for (const auto& v : a) {
            auto o = v.toObject();
            QVERIFY2(o["mtime"].toInteger() >= before - 1 && o["mtime"].toInteger() <= after + 1,
                     qPrintable(o["path"].toString()));
            if (o["path"].toString() == "/etc/lb-new") QCOMPARE(o["size"].toInteger(), 3);
            if (o["path"].toString() == h("existing.txt")) QCOMPARE(o["size"].toInteger(), 12);
        }
        // A path limits the list; the text form has one line per change.
        QCOMPARE(
            rows(diff("ovl", "~/olddir")),
            (std::set<QString>{"replaced dir " + h("olddir"), "added file " + h("olddir/new")}));
        auto text = home_->layerbox({"diff", "ovl"});
        QCOMPARE(text.exitCode, 0);
        QCOMPARE(text.out.trimmed().split('\n').size(), int(expected.size()));
    }

    void whileRunning() {
        QProcess p;
        QVERIFY(startBackground(p, {}, "echo x > ~/running.txt"));
        // diff and recover read the layer while the sandbox runs...
        QCOMPARE(rows(diff("default")), std::set<QString>{"added file " + h("running.txt")});
        QString to = QDir::cleanPath(home_->home() + "/../recovered");
        auto rec = home_->layerbox({"recover", "default", "~/running.txt", "--to", to});
        QCOMPARE(rec.exitCode, 0);
        QCOMPARE(readFile(to + "/running.txt"), QByteArray("x\n"));
        // ...changing it is refused, in one line.
        for (const QStringList& args :
             {QStringList{"reset", "default"}, QStringList{"discard", "default", "~/running.txt"},
              QStringList{"commit", "default", "--as", "snap"}}) {
            auto r = home_->layerbox(args);
            QCOMPARE(r.exitCode, 1);
            QCOMPARE(r.err.trimmed().count('\n'), 0);
            QVERIFY2(r.err.contains("is running") && r.err.contains("layerbox stop default"),
                     qPrintable(r.err));
        }
        QVERIFY(QFileInfo::exists(upper("default") + h("running.txt")));
        QVERIFY(!QFileInfo::exists(layersDir() + "/snap"));
        p.terminate();
        QVERIFY(finished(p, 10000));
        QCOMPARE(home_->layerbox({"reset", "default"}).exitCode, 0);
        QVERIFY(diff("default").isEmpty());
    }

    void recoverCopiesAndRefuses() {
        QCOMPARE(run({},
                     "set -e; mkdir -p ~/out ~/esc; echo doc > ~/out/doc.txt; "
                     "chmod 640 ~/out/doc.txt; touch -d @1700000000 ~/out/doc.txt; "
                     "echo s > ~/esc/file; ln -s /etc/passwd ~/link; echo e > /etc/lb-rec")
                     .exitCode,
                 0);
        // A copy out, to the same path in the real home.
        auto r = home_->layerbox({"recover", "default", "~/out/doc.txt", "--json"});
        QCOMPARE(r.exitCode, 0);
        auto j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j["copied"].toArray().size(), 1);
        QCOMPARE(j["copied"][0]["from"].toString(), h("out/doc.txt"));
        QCOMPARE(j["copied"][0]["to"].toString(), h("out/doc.txt"));
        QCOMPARE(j["copied"][0]["size"].toInteger(), 4);
        QCOMPARE(j["skipped"].toArray().size(), 0);
        QCOMPARE(readFile(h("out/doc.txt")), QByteArray("doc\n"));
        struct stat st;
        QCOMPARE(::stat(qPrintable(h("out/doc.txt")), &st), 0);
        QCOMPARE(st.st_mode & 0777, mode_t(0640));
        QCOMPARE(st.st_mtime, time_t(1700000000));
        // Not again without --force.
        writeFile(h("out/doc.txt"), "mine\n");
        r = home_->layerbox({"recover", "default", "~/out/doc.txt", "--json"});
        QCOMPARE(r.exitCode, 0);
        j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j["skipped"][0]["reason"].toString(),
                 QString("exists (use --force or --keep-both)"));
        r = home_->layerbox({"recover", "default", "~/out/doc.txt"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("exists (use --force or --keep-both)"), qPrintable(r.err));
        QCOMPARE(readFile(h("out/doc.txt")), QByteArray("mine\n"));
        // Or beside it, under a free name, each time (issue 22's "keep both").
        r = home_->layerbox({"recover", "default", "~/out/doc.txt", "--keep-both"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(readFile(h("out/doc (1).txt")), QByteArray("doc\n"));
        QCOMPARE(readFile(h("out/doc.txt")), QByteArray("mine\n"));
        r = home_->layerbox({"recover", "default", "~/out/doc.txt", "~/nosuch", "--keep-both"});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(readFile(h("out/doc (2).txt")), QByteArray("doc\n"));
        // A list ends with its total.
        QVERIFY2(r.out.endsWith("recovered 1 file (4B in all), skipped 1 (below)\n"),
                 qPrintable(r.out));
        QFile::remove(h("out/doc (1).txt"));
        QFile::remove(h("out/doc (2).txt"));
        QCOMPARE(home_->layerbox({"recover", "default", "~/out/doc.txt", "--keep-both", "--force"})
                     .exitCode,
                 2);
        r = home_->layerbox({"recover", "default", "~/out/doc.txt", "--force"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(readFile(h("out/doc.txt")), QByteArray("doc\n"));
        // A link planted on the host side (through a read-write bind, say) is not followed.
        QString outside = QDir::cleanPath(home_->home() + "/../outside");
        QDir().mkpath(outside);
        QVERIFY(QFile::link(outside, h("esc")));
        r = home_->layerbox({"recover", "default", "~/esc/file"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("symbolic link") && r.err.contains(h("esc")), qPrintable(r.err));
        QVERIFY(QDir(outside).isEmpty());
        // A link made by the program is not recreated on the host.
        r = home_->layerbox({"recover", "default", "~/link", "--json"});
        j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QVERIFY(j["skipped"][0]["reason"].toString().contains("symbolic link"));
        QVERIFY(!QFileInfo(h("link")).isSymLink());
        // Outside the home: only with --to.
        r = home_->layerbox({"recover", "default", "/etc/lb-rec"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("--to"), qPrintable(r.err));
        QString to = QDir::cleanPath(home_->home() + "/../to");
        r = home_->layerbox({"recover", "default", "/etc/lb-rec", "--to", to});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(readFile(to + "/lb-rec"), QByteArray("e\n"));
    }

    void discardAndReset_data() { addDrivers(); }
    void discardAndReset() {
        QFETCH(QString, driver);
        const QString del = etcFile(0);
        QCOMPARE(run({"--driver", driver},
                     "set -e; echo a > ~/a; echo b > ~/b; "
                     "echo c > /etc/lb-c; rm " +
                         del)
                     .exitCode,
                 0);
        auto r = home_->layerbox({"discard", "default", "~/a", del});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(rows(diff("default")),
                 (std::set<QString>{"added file " + h("b"), "added file /etc/lb-c"}));
        r = run({"--driver", driver}, "test ! -e ~/a && test -e " + del + " && cat ~/b");
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QString("b\n"));
        r = home_->layerbox({"discard", "default", "~/nothing"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("no change at \"" + h("nothing") + "\""), qPrintable(r.err));
        r = home_->layerbox({"reset", "default"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QString("reset default: 2 changes dropped\n"));
        QVERIFY(diff("default").isEmpty());
        QCOMPARE(run({"--driver", driver}, "test ! -e ~/b && test ! -e /etc/lb-c").exitCode, 0);
        // A run that changed nothing leaves a sandbox behind: reset says it had no changes.
        r = home_->layerbox({"reset", "default"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QString("reset default: it had no changes\n"));
    }

    void committedLayerIsSharedReadOnly_data() { addDrivers(); }
    void committedLayerIsSharedReadOnly() {
        QFETCH(QString, driver);
        const QString del = etcFile(0);
        home_->writeProfile("maker", R"({"version": 1})");
        QCOMPARE(run({"--profile", "maker", "--driver", driver},
                     "set -e; echo tool > /usr/lb-tool; mkdir -p ~/proj; echo p > ~/proj/readme; "
                     "rm " +
                         del)
                     .exitCode,
                 0);
        auto r = home_->layerbox({"commit", "maker", "--as", "tools"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("committed"), qPrintable(r.out));
        // A second commit under the same name says what to do instead (with its home, so
        // that there is something left to commit).
        auto again = home_->layerbox({"commit", "maker", "--as", "tools", "--include-home"});
        QCOMPARE(again.exitCode, 1);
        QCOMPARE(again.err, QString("layerbox: error: layer \"tools\" already exists: commit under "
                                    "another name (--as tools-2), or remove the old one first "
                                    "(layerbox layer rm tools)\n"));
        // The home is left out, and the output says so.
        QVERIFY2(r.out.contains("its home (" + home_->home() + ") was left out"),
                 qPrintable(r.out));
        QCOMPARE(readFile(layersDir() + "/tools/root/usr/lb-tool"), QByteArray("tool\n"));
        QVERIFY(!QFileInfo::exists(layersDir() + "/tools/root" + home_->home()));
        QVERIFY(readFile(layersDir() + "/tools/info").contains("source maker"));
        // The profile stacks its layer and still sees its files; its own layer keeps only its
        // home.
        auto maker = QJsonDocument::fromJson(readFile(home_->profileDir() + "/maker.json"));
        QCOMPARE(maker["filesystem"]["layers"].toArray(), QJsonArray{"tools"});
        QVERIFY(!diff("maker").isEmpty());
        for (const QJsonValue& c : diff("maker"))
            QVERIFY2(c["path"].toString().startsWith(home_->home() + "/"),
                     qPrintable(c["path"].toString()));
        r = run({"--profile", "maker", "--driver", driver},
                "cat /usr/lb-tool ~/proj/readme && test ! -e " + del);
        QCOMPARE(r.out, QString("tool\np\n"));

        // A second profile naming the layer sees it, read-only: its writes land in its own layer.
        // The first sandbox's home is not in it.
        home_->writeProfile("second", R"({"version": 1, "filesystem": {"layers": ["tools"]}})");
        r = run({"--profile", "second", "--driver", driver},
                "cat /usr/lb-tool && test ! -e ~/proj/readme && test ! -e " + del +
                    " && echo changed > /usr/lb-tool && cat /usr/lb-tool");
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QString("tool\nchanged\n"));
        QCOMPARE(readFile(layersDir() + "/tools/root/usr/lb-tool"), QByteArray("tool\n"));
        QCOMPARE(readFile(upper("second") + "/usr/lb-tool"), QByteArray("changed\n"));
        QCOMPARE(rows(diff("second")), std::set<QString>{"modified file /usr/lb-tool"});

        // layer list, and rm refused while profiles use the layer.
        r = home_->layerbox({"layer", "list", "--json"});
        QCOMPARE(r.exitCode, 0);
        auto list = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QCOMPARE(list.size(), 1);
        auto l = list[0].toObject();
        QCOMPARE(l["name"].toString(), QString("tools"));
        QCOMPARE(l["used_by"].toArray(), (QJsonArray{"maker", "second"}));
        QVERIFY(l["files"].toInteger() >= 1);  // /usr/lb-tool (the home stayed in maker)
        QVERIFY(l["size"].toInteger() >= 5);
        QVERIFY(l["created"].toString().endsWith('Z'));
        r = home_->layerbox({"layer", "rm", "tools"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("maker, second"), qPrintable(r.err));
        QVERIFY(QFileInfo::exists(layersDir() + "/tools/root"));
        r = home_->layerbox({"layer", "du", "--json"});
        QCOMPARE(r.exitCode, 0);
        auto du = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(du["layers"].toArray().size(), 1);
        auto dl = du["layers"].toArray()[0].toObject();
        // One layer, one set of numbers in both commands (issue 22).
        QCOMPARE(dl["name"].toString(), QString("tools"));
        QCOMPARE(dl["size"].toInteger(), l["size"].toInteger());
        QCOMPARE(dl["files"].toInteger(), l["files"].toInteger());
        QCOMPARE(dl["disk_bytes"].toInteger(), l["disk_bytes"].toInteger());
        r = home_->layerbox({"layer", "du"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("tools") && r.out.contains("second"));
        home_->writeProfile("maker", R"({"version": 1})");
        home_->writeProfile("second", R"({"version": 1})");
        QCOMPARE(home_->layerbox({"layer", "rm", "tools"}).exitCode, 0);
        QVERIFY(!QFileInfo::exists(layersDir() + "/tools"));
    }

    void commitOfABuiltinProfile() {
        QCOMPARE(run({}, "echo base > /opt/lb-base").exitCode, 0);
        auto r = home_->layerbox({"commit", "default", "base", "--json"});
        QCOMPARE(r.exitCode, 0);
        auto j = lastJson(r.out);
        QCOMPARE(j["layer"].toString(), QString("base"));
        QCOMPARE(j["attached"].toBool(), true);
        // A user profile of the same name, extending the built-in one, stacks the layer.
        auto user = QJsonDocument::fromJson(readFile(home_->profileDir() + "/default.json"));
        QCOMPARE(user["extends"].toString(), QString("default"));
        QCOMPARE(user["filesystem"]["layers"].toArray(), QJsonArray{"base"});
        r = run({}, "cat /opt/lb-base");
        QCOMPARE(r.out, QString("base\n"));
        // Nothing left to commit.
        r = home_->layerbox({"commit", "default", "--as", "again"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("no changes"), qPrintable(r.err));
    }

    // A profile that cannot be written (a full or read-only config folder) stops the commit
    // before anything moves: no layer nobody stacks, and the sandbox keeps its changes.
    void commitThatCannotStackItsLayerMovesNothing() {
        home_->writeProfile("maker", R"({"version": 1})");
        QCOMPARE(run({"--profile", "maker"}, "echo tool > /usr/lb-tool").exitCode, 0);
        QVERIFY(QFile::setPermissions(home_->profileDir(), QFile::ReadOwner | QFile::ExeOwner));
        auto r = home_->layerbox({"commit", "maker", "--as", "tools"});
        QVERIFY(QFile::setPermissions(home_->profileDir(),
                                      QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("nothing was committed"), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(layersDir() + "/tools"));
        QCOMPARE(readFile(upper("maker") + "/usr/lb-tool"), QByteArray("tool\n"));
        QCOMPARE(rows(diff("maker")), std::set<QString>{"added file /usr/lb-tool"});
        // No half-written copy left either.
        QCOMPARE(QDir(home_->profileDir()).entryList({"*.tmp-*"}, QDir::Files | QDir::Hidden),
                 QStringList());
        // Once it can be written, the same commit goes through.
        r = home_->layerbox({"commit", "maker", "--as", "tools"});
        QCOMPARE(r.exitCode, 0);
        auto maker = QJsonDocument::fromJson(readFile(home_->profileDir() + "/maker.json"));
        QCOMPARE(maker["filesystem"]["layers"].toArray(), QJsonArray{"tools"});
    }

    void recoverWatchListsNewFiles_data() { addDrivers(); }
    void recoverWatchListsNewFiles() {
        QFETCH(QString, driver);
        home_->writeProfile("dl",
                            R"({"version": 1, "filesystem": {"recover_watch": ["~/Downloads"]}})");
        const QString make =
            "mkdir -p ~/Downloads && echo pdf > ~/Downloads/a.pdf && "
            "echo p > ~/Downloads/b.part && echo t > ~/Downloads/c.tmp && "
            "echo o > ~/other.txt";
        auto r = run({"--profile", "dl", "--driver", driver, "--status-fd", "1"}, make);
        QCOMPARE(r.exitCode, 0);
        auto ev = statusEvent(r.out, "recoverable");
        QCOMPARE(ev["ephemeral"].toBool(), false);
        QCOMPARE(ev["files"].toArray().size(), 1);
        QCOMPARE(ev["files"][0]["path"].toString(), h("Downloads/a.pdf"));
        QCOMPARE(ev["files"][0]["size"].toInteger(), 4);
        QVERIFY(r.out.indexOf("\"recoverable\"") < r.out.indexOf("\"exited\""));
        QVERIFY2(r.err.contains("recoverable: " + h("Downloads/a.pdf")), qPrintable(r.err));
        // Listed once: the next run made nothing new.
        r = run({"--profile", "dl", "--driver", driver, "--status-fd", "1"}, "true");
        QVERIFY(statusEvent(r.out, "recoverable").isEmpty());
        QVERIFY(!r.err.contains("recoverable"));
        // Ephemeral: listed by the setup process before the layer vanishes.
        r = run({"--profile", "dl", "--driver", driver, "--status-fd", "1", "--ephemeral"},
                "mkdir -p ~/Downloads && echo eph > ~/Downloads/e.pdf && echo x > "
                "~/Downloads/f.crdownload");
        QCOMPARE(r.exitCode, 0);
        ev = statusEvent(r.out, "recoverable");
        QCOMPARE(ev["ephemeral"].toBool(), true);
        QCOMPARE(ev["files"].toArray().size(), 1);
        QCOMPARE(ev["files"][0]["path"].toString(), h("Downloads/e.pdf"));
        QVERIFY2(r.err.contains("not kept (ephemeral sandbox): " + h("Downloads/e.pdf")),
                 qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(upper("dl") + h("Downloads/e.pdf")));
    }
};

QTEST_GUILESS_MAIN(TstChangesIntegration)
#include "tst_changes_integration.moc"
