// `layerbox profile import | duplicate | rename | rm` on real files: one naming rule for
// import, "extends" checked, the sandbox's data and menu entry following a rename under the
// sandbox's lock (refused while a real sandbox runs), and the JSON answers the GUI reads
// (names that cannot be used say so). Runs as an unprivileged user (it starts sandboxes).
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

#include <unistd.h>

#include "testsupport.h"

using namespace lbtest;

namespace {

QJsonObject json(const RunResult& r) {
    return QJsonDocument::fromJson(r.out.toUtf8()).object();
}

QString why(const RunResult& r) {
    return QString("exit %1, out: %2, err: %3").arg(r.exitCode).arg(r.out, r.err);
}

}  // namespace

class TstProfileAdmin : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;

    QString sandboxDir(const QString& name) const {
        return home_->dataHome() + "/layerbox/sandboxes/" + name;
    }
    QString profileFile(const QString& name) const {
        return home_->profileDir() + "/" + name + ".json";
    }
    QString menuEntry(const QString& name) const {
        return home_->dataHome() + "/applications/layerbox-" + name + ".desktop";
    }
    RunResult lb(const QStringList& args) const { return home_->layerbox(args); }

    // `layerbox run --profile NAME -- sleep 600` in the background, until its `started` event.
    bool startSandbox(QProcess& p, const QString& name) {
        p.setProcessEnvironment(home_->env());
        p.start(layerboxBin(),
                {"run", "--status-fd", "1", "--profile", name, "--", "sleep", "600"});
        if (!p.waitForStarted()) return false;
        QByteArray out;
        for (int i = 0; i < 300; ++i) {
            p.waitForReadyRead(100);
            out += p.readAllStandardOutput();
            if (out.contains("\"event\":\"started\"")) return true;
            if (p.state() == QProcess::NotRunning) break;
        }
        qWarning().noquote() << "no started event:" << out << p.readAllStandardError();
        return false;
    }
    static void stopSandbox(QProcess& p) {
        p.terminate();
        if (!p.waitForFinished(20000)) {
            p.kill();
            p.waitForFinished(5000);
        }
    }

private slots:
    void initTestCase() { QVERIFY2(::getuid() != 0, "must run as an unprivileged user"); }
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
    }
    void cleanup() { home_.reset(); }

    // One rule: the file's name, else the "name" it gives itself, else the caller must say.
    void importNames_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<QString>("name");  // empty: refused for want of a name
        QTest::newRow("file name") << "work.json" << QByteArray(R"({"version": 1, "name": "x"})")
                                   << QStringList() << "work";
        QTest::newRow("file name without .json")
            << "work" << QByteArray(R"({"version": 1})") << QStringList() << "work";
        QTest::newRow("its own name when the file's is not one")
            << "My Profile (1).json" << QByteArray(R"({"version": 1, "name": "mine"})")
            << QStringList() << "mine";
        QTest::newRow("--as wins") << "work.json" << QByteArray(R"({"version": 1, "name": "x"})")
                                   << QStringList{"--as", "other"} << "other";
        QTest::newRow("no name at all")
            << "My Profile.json" << QByteArray(R"({"version": 1})") << QStringList() << "";
        QTest::newRow("an invalid --as") << "work.json" << QByteArray(R"({"version": 1})")
                                         << QStringList{"--as", "Bad Name"} << "";
    }
    void importNames() {
        QFETCH(QString, file);
        QFETCH(QByteArray, text);
        QFETCH(QStringList, extra);
        QFETCH(QString, name);
        const QString path = home_->home() + "/in/" + file;
        QVERIFY(writeFile(path, text));
        auto r = lb(QStringList{"profile", "import", path, "--json"} + extra);
        if (name.isEmpty()) {
            QCOMPARE(r.exitCode, 1);
            QVERIFY2(r.err.startsWith("layerbox: error: "), qPrintable(why(r)));
            QCOMPARE(json(r)["exists"].toBool(), false);
            QCOMPARE(json(r)["error"].toString() + "\n", r.err.mid(17));
            QCOMPARE(QDir(home_->profileDir()).entryList(QDir::Files), QStringList());
            return;
        }
        QVERIFY2(r.exitCode == 0, qPrintable(why(r)));
        QCOMPARE(json(r)["name"].toString(), name);
        QCOMPARE(json(r)["path"].toString(), profileFile(name));
        QCOMPARE(json(r)["replaced"].toBool(), false);
        const QJsonObject saved = QJsonDocument::fromJson(readFile(profileFile(name))).object();
        QCOMPARE(saved["name"].toString(), name);
        // The same rule without --json, which prints the path.
        home_->layerbox({"profile", "rm", name});
        r = lb(QStringList{"profile", "import", path} + extra);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, profileFile(name) + "\n");
    }

    // A taken name: refused with the name, the file kept; --force replaces it.
    void importOverYours() {
        home_->writeProfile("work", R"({"version": 1, "name": "work", "title": "Mine"})");
        const QByteArray before = readFile(profileFile("work"));
        const QString path = home_->home() + "/work.json";
        QVERIFY(writeFile(path, R"({"version": 1, "title": "Theirs"})"));
        auto r = lb({"profile", "import", path, "--json"});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(json(r)["name"].toString(), QString("work"));
        QCOMPARE(json(r)["exists"].toBool(), true);
        QCOMPARE(r.err, QString("layerbox: error: profile \"work\" already exists (use --as NAME "
                                "or --force)\n"));
        QCOMPARE(readFile(profileFile("work")), before);
        r = lb({"profile", "import", path, "--json", "--force"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(json(r)["replaced"].toBool(), true);
        QVERIFY(readFile(profileFile("work")).contains("Theirs"));
        // A built-in's name is not "taken": importing it makes your own copy that overrides it.
        QVERIFY(writeFile(home_->home() + "/browser.json", R"({"version": 1, "title": "B"})"));
        r = lb({"profile", "import", home_->home() + "/browser.json", "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(why(r)));
    }

    // The parent must exist; extending its own name needs a built-in of that name.
    void importChecksExtends() {
        QVERIFY(writeFile(home_->home() + "/orphan.json", R"({"version": 1, "extends": "nope"})"));
        auto r = lb({"profile", "import", home_->home() + "/orphan.json"});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.err, QString("layerbox: error: orphan.json: /extends: no profile named \"nope\" "
                                "(see: layerbox profile list)\n"));
        QVERIFY(
            writeFile(home_->home() + "/selfish.json", R"({"version": 1, "extends": "selfish"})"));
        r = lb({"profile", "import", home_->home() + "/selfish.json"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("cannot extend itself"), qPrintable(r.err));
        QCOMPARE(QDir(home_->profileDir()).entryList(QDir::Files), QStringList());
    }

    void duplicate() {
        home_->writeProfile("work", R"({"version": 1, "name": "work", "extends": "default",
                                        "title": "Work"})");
        QVERIFY(writeFile(sandboxDir("work") + "/upper/etc/marker", "x"));
        auto r = lb({"profile", "duplicate", "work", "play", "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(why(r)));
        QCOMPARE(json(r)["name"].toString(), QString("play"));
        QCOMPARE(json(r)["path"].toString(), profileFile("play"));
        QJsonObject copy = QJsonDocument::fromJson(readFile(profileFile("play"))).object();
        QCOMPARE(copy["name"].toString(), QString("play"));
        QCOMPARE(copy["extends"].toString(), QString("default"));
        QCOMPARE(copy["title"].toString(), QString("Work"));
        QVERIFY(QFileInfo::exists(profileFile("work")));
        QVERIFY(!QFileInfo::exists(sandboxDir("play")));  // the sandbox starts empty
        // A built-in one becomes yours.
        r = lb({"profile", "duplicate", "firefox", "fox"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, profileFile("fox") + "\n");
        r = lb({"profile", "show", "fox", "--json"});
        QCOMPARE(json(r)["command"].toArray().first().toString(), QString("firefox-esr"));
        // Names that cannot be used say so.
        for (const QString& taken : {QString("play"), QString("browser")}) {
            r = lb({"profile", "duplicate", "work", taken, "--json"});
            QCOMPARE(r.exitCode, 1);
            QCOMPARE(json(r)["exists"].toBool(), true);
            QCOMPARE(r.err, "layerbox: error: a profile named \"" + taken + "\" exists already\n");
        }
        r = lb({"profile", "duplicate", "work", "Bad Name", "--json"});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(json(r)["exists"].toBool(), false);
        QVERIFY(r.err.contains("not a valid profile name"));
        r = lb({"profile", "duplicate", "nope", "x"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains("no profile named \"nope\""));
    }

    // The data and the menu entry follow the profile.
    void renameMovesDataAndMenuEntry() {
        home_->writeProfile("work", R"({"version": 1, "name": "work", "extends": "default",
                                        "title": "Work", "command": ["sh"]})");
        QVERIFY(writeFile(sandboxDir("work") + "/upper/etc/marker", "x"));
        auto r = lb({"desktop", "install", "work", "--name", "My Work"});
        QVERIFY2(r.exitCode == 0, qPrintable(why(r)));
        r = lb({"profile", "rename", "work", "job", "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(why(r)));
        const QJsonObject o = json(r);
        QCOMPARE(o["name"].toString(), QString("job"));
        QCOMPARE(o["from"].toString(), QString("work"));
        QCOMPARE(o["path"].toString(), profileFile("job"));
        QCOMPARE(o["data_moved"].toBool(), true);
        QCOMPARE(o["menu_entry_moved"].toBool(), true);
        QVERIFY(!QFileInfo::exists(profileFile("work")));
        QCOMPARE(QJsonDocument::fromJson(readFile(profileFile("job"))).object()["name"].toString(),
                 QString("job"));
        QCOMPARE(readFile(sandboxDir("job") + "/upper/etc/marker"), QByteArray("x"));
        QVERIFY(!QFileInfo::exists(sandboxDir("work")));
        QVERIFY(!QFileInfo::exists(menuEntry("work")));
        const QString entry = QString::fromUtf8(readFile(menuEntry("job")));
        QVERIFY2(entry.contains("Name=My Work\n"), qPrintable(entry));
        QVERIFY2(entry.contains("run --profile job --"), qPrintable(entry));
        QVERIFY(entry.contains("X-Layerbox-Profile=job\n"));
        // Without data or a menu entry, only the file moves.
        r = lb({"profile", "rename", "job", "work2"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, profileFile("work2") + "\n");
    }

    void renameRefusals() {
        home_->writeProfile("base", R"({"version": 1, "name": "base"})");
        home_->writeProfile("kid", R"({"version": 1, "name": "kid", "extends": "base"})");
        home_->writeProfile("other", R"({"version": 1, "name": "other"})");
        // Built-in profiles are not yours to rename.
        auto r = lb({"profile", "rename", "firefox", "fox"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("\"firefox\" is a built-in profile and cannot be renamed"),
                 qPrintable(r.err));
        // Taken or invalid names say so.
        for (const QString& to : {QString("other"), QString("firefox")}) {
            r = lb({"profile", "rename", "kid", to, "--json"});
            QCOMPARE(r.exitCode, 1);
            QCOMPARE(json(r)["exists"].toBool(), true);
        }
        r = lb({"profile", "rename", "kid", "Kid", "--json"});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(json(r)["exists"].toBool(), false);
        // A parent others extend stays, naming them.
        r = lb({"profile", "rename", "base", "root"});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.err, QString("layerbox: error: cannot rename profile \"base\": it is extended "
                                "by profile kid; change its \"extends\" first\n"));
        QVERIFY(QFileInfo::exists(profileFile("base")));
        // ...unless a built-in of the same name takes its place.
        home_->writeProfile("browser",
                            R"({"version": 1, "name": "browser", "extends": "browser"})");
        home_->writeProfile("web", R"({"version": 1, "name": "web", "extends": "browser"})");
        r = lb({"profile", "rename", "browser", "my-browser"});
        QVERIFY2(r.exitCode == 0, qPrintable(why(r)));
        QCOMPARE(lb({"profile", "validate", "web", "my-browser"}).exitCode, 0);
        // Data left behind by an earlier profile of the new name is not overwritten.
        QVERIFY(writeFile(sandboxDir("other") + "/upper/a", "a"));
        QVERIFY(writeFile(sandboxDir("gone") + "/upper/b", "b"));
        r = lb({"profile", "rename", "other", "gone"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("left by an earlier sandbox named \"gone\""), qPrintable(r.err));
        QVERIFY(QFileInfo::exists(profileFile("other")));
        QVERIFY(!QFileInfo::exists(profileFile("gone")));
        QCOMPARE(readFile(sandboxDir("other") + "/upper/a"), QByteArray("a"));
        QCOMPARE(readFile(sandboxDir("gone") + "/upper/b"), QByteArray("b"));
    }

    // A running sandbox holds its lock: its data does not move and nothing changes; once it
    // has ended the rename goes through.
    void renameRefusedWhileRunning() {
        home_->writeProfile("work", R"({"version": 1, "name": "work", "extends": "default"})");
        QVERIFY(writeFile(sandboxDir("work") + "/upper/etc/marker", "x"));
        QProcess p;
        QVERIFY(startSandbox(p, "work"));
        auto r = lb({"profile", "rename", "work", "job"});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.err, QString("layerbox: error: profile \"work\" is running: stop it before "
                                "renaming it (layerbox stop work); changing the layer of a "
                                "mounted overlay is undefined\n"));
        QVERIFY(QFileInfo::exists(profileFile("work")));
        QVERIFY(!QFileInfo::exists(profileFile("job")));
        QVERIFY(QFileInfo::exists(sandboxDir("work") + "/upper/etc/marker"));
        QVERIFY(!QFileInfo::exists(sandboxDir("job")));
        // rm --data is refused the same way, and keeps the profile.
        r = lb({"profile", "rm", "work", "--data"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("is running: stop it before deleting its sandbox"),
                 qPrintable(r.err));
        QVERIFY(QFileInfo::exists(profileFile("work")));
        stopSandbox(p);
        r = lb({"profile", "rename", "work", "job"});
        QVERIFY2(r.exitCode == 0, qPrintable(why(r)));
        QVERIFY(QFileInfo::exists(sandboxDir("job") + "/upper/etc/marker"));
        // The renamed profile runs on its moved data.
        r = lb({"run", "--profile", "job", "--", "cat", "/etc/marker"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QString("x"));
    }

    void remove() {
        home_->writeProfile("base", R"({"version": 1, "name": "base"})");
        home_->writeProfile("kid", R"({"version": 1, "name": "kid", "extends": "base"})");
        home_->writeProfile("kid2", R"({"version": 1, "name": "kid2", "extends": "base"})");
        auto r = lb({"profile", "rm", "base"});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.err, QString("layerbox: error: cannot remove profile \"base\": it is extended "
                                "by profiles kid, kid2; change their \"extends\" first\n"));
        QVERIFY(QFileInfo::exists(profileFile("base")));
        // Without --data the sandbox's data stays; with it, it goes.
        QVERIFY(writeFile(sandboxDir("kid") + "/upper/etc/marker", "x"));
        QVERIFY(writeFile(sandboxDir("kid2") + "/upper/etc/marker", "x"));
        r = lb({"profile", "rm", "kid", "--json"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(json(r)["data_removed"].toBool(), false);
        QVERIFY(QFileInfo::exists(sandboxDir("kid") + "/upper/etc/marker"));
        // A work directory the kernel left with mode 000 goes too.
        QVERIFY(QDir().mkpath(sandboxDir("kid2") + "/work/work"));
        QVERIFY(QFile::setPermissions(sandboxDir("kid2") + "/work/work", {}));
        r = lb({"profile", "rm", "kid2", "--data", "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(why(r)));
        QCOMPARE(json(r)["data_removed"].toBool(), true);
        QVERIFY(!QFileInfo::exists(sandboxDir("kid2")));
        QCOMPARE(QDir(home_->dataHome() + "/layerbox/sandboxes")
                     .entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
                 QStringList{"kid"});
        r = lb({"profile", "rm", "base"});
        QCOMPARE(r.exitCode, 0);
        // The menu entry goes with the profile.
        home_->writeProfile("app", R"({"version": 1, "name": "app", "command": ["sh"]})");
        QCOMPARE(lb({"desktop", "install", "app"}).exitCode, 0);
        QVERIFY(QFileInfo::exists(menuEntry("app")));
        r = lb({"profile", "rm", "app", "--json"});
        QCOMPARE(json(r)["menu_entry_removed"].toBool(), true);
        QVERIFY(!QFileInfo::exists(menuEntry("app")));
    }
};

QTEST_MAIN(TstProfileAdmin)
#include "tst_profile_admin.moc"
