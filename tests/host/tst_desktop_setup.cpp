// layerbox desktop setup (issue 24), firecfg's counterpart, with a small made-up set of installed
// applications (XDG_DATA_DIRS) and Firejail profiles: the system's (firejail-profiles, for mpv)
// and the user's (~/.config/firejail, for a program of the test's own); vlc has a built-in
// Layerbox profile, which is left alone. A dry run changes
// nothing; setup imports and adds entries; --undo removes exactly what it added and keeps a
// profile edited since; an existing profile and an application without a Firejail profile are
// left alone. The pure choice is tested first.
#include <QDir>
#include <QFileInfo>
#include <QtTest>

#include <unistd.h>

#include "host/desktop_setup.h"
#include "testsupport.h"

using namespace lbtest;

class TstDesktopSetup : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;
    std::unique_ptr<QTemporaryDir> data_;  // the made-up XDG_DATA_DIRS

    RunResult lb(const QStringList& args) {
        auto env = home_->env();
        env.insert("XDG_DATA_DIRS", data_->path());
        env.insert("XDG_STATE_HOME", home_->home() + "/.local/state");
        return home_->layerboxIn(home_->home(), args, 120000, env);
    }
    void app(const QString& id, const QString& name, const QString& exec) {
        QVERIFY(writeFile(data_->path() + "/applications/" + id,
                          ("[Desktop Entry]\nType=Application\nName=" + name + "\nExec=" + exec +
                           "\nIcon=" + name.toLower() + "\n")
                              .toUtf8()));
    }
    QString entry(const QString& profile) const {
        return home_->dataHome() + "/applications/layerbox-" + profile + ".desktop";
    }
    QString profileFile(const QString& profile) const {
        return home_->profileDir() + "/" + profile + ".json";
    }
    QStringList files() const {
        QStringList out;
        for (const auto& d : {home_->profileDir(), home_->dataHome() + "/applications"})
            for (const auto& f : QDir(d).entryList(QDir::Files))
                out << d + "/" + f;
        return out;
    }

private slots:
    void initTestCase() {
        QVERIFY2(::getuid() != 0, "must run as an unprivileged user");
        QVERIFY2(QFileInfo("/etc/firejail/vlc.profile").exists(),
                 "firejail-profiles is needed (scripts/deps.sh)");
    }
    void init() {
        home_ = std::make_unique<TestHome>();
        data_ = std::make_unique<QTemporaryDir>();
        QVERIFY(home_->isValid() && data_->isValid());
        app("mpv.desktop", "MPV", "/usr/bin/mpv --player-operation-mode=pseudo-gui -- %U");
        app("vlc.desktop", "VLC", "/usr/bin/vlc --started-from-file %U");  // a built-in profile
        app("lbtoy.desktop", "Toy", "lbtoy %F");
        app("nothing.desktop", "Nothing", "lb-no-firejail-profile %f");
        // The user's own Firejail profile for lbtoy, with an include of the system's globals.
        QVERIFY(writeFile(home_->home() + "/.config/firejail/lbtoy.profile",
                          "include globals.local\nnet none\nblacklist ${HOME}/secret\n"));
    }
    void cleanup() {
        home_.reset();
        data_.reset();
    }

    void plan() {
        std::vector<lb::InstalledApplication> apps(5);
        apps[0] = {"a.desktop", "", "A", "", "", "", {"/usr/bin/vlc", "%U"}};
        apps[1] = {"b.desktop", "", "B", "", "", "", {"vlc"}};  // the same program: once
        apps[2] = {"c.desktop", "", "C", "", "", "", {"gimp"}};
        apps[3] = {"d.desktop", "", "D", "", "", "", {"nope"}};
        apps[4] = {"layerbox-vlc.desktop", "", "V", "", "", "", {"gimp"}};
        auto actions = lb::planDesktopSetup(apps, {"vlc", "gimp"}, {"gimp"});
        QCOMPARE(actions.size(), size_t(2));
        QCOMPARE(actions[0].appId, std::string("a.desktop"));
        QCOMPARE(actions[0].program, std::string("vlc"));
        QCOMPARE(actions[0].profile, std::string("vlc"));
        QVERIFY(actions[0].skip.empty());
        QCOMPARE(actions[1].appId, std::string("c.desktop"));
        QVERIFY(actions[1].skip.find("exists already") != std::string::npos);
    }

    void dryRunSetupUndo() {
        // An existing profile of the user's is never touched.
        home_->writeProfile("lbtoy-keep", R"({"version": 1})");
        auto dry = lb({"desktop", "setup", "--dry-run"});
        QVERIFY2(dry.exitCode == 0, qPrintable(dry.err));
        QVERIFY2(dry.out.contains("would import Firejail profile mpv as mpv"), qPrintable(dry.out));
        QVERIFY2(dry.out.contains("skip vlc.desktop (VLC): a profile named \"vlc\" exists already"),
                 qPrintable(dry.out));
        QVERIFY2(dry.out.contains("would import Firejail profile lbtoy as lbtoy"),
                 qPrintable(dry.out));
        QVERIFY2(!dry.out.contains("lb-no-firejail-profile"), qPrintable(dry.out));
        QVERIFY2(dry.out.contains("2 application(s) would"), qPrintable(dry.out));
        const QStringList before = files();
        QCOMPARE(before, QStringList{profileFile("lbtoy-keep")});

        auto run = lb({"desktop", "setup"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err + run.out));
        for (const char* p : {"mpv", "lbtoy"}) {
            QVERIFY2(QFileInfo::exists(profileFile(p)), p);
            const QString text = QString::fromUtf8(readFile(entry(p)));
            QVERIFY2(text.contains("X-Layerbox-Profile=" + QString(p)), qPrintable(text));
            QVERIFY2(text.contains(" run --profile " + QString(p) + " -- "), qPrintable(text));
        }
        QVERIFY(readFile(entry("mpv")).contains("\nName=MPV (sandboxed)\n"));
        QVERIFY(readFile(entry("mpv")).contains("@@ %U @@"));
        QVERIFY(!QFileInfo::exists(entry("vlc")) && !QFileInfo::exists(profileFile("vlc")));
        QVERIFY(readFile(profileFile("lbtoy")).contains("\"desktop_entry\": \"lbtoy.desktop\""));
        // The imported profile follows the user's Firejail profile (net none).
        auto show = lb({"profile", "validate", "lbtoy", "mpv"});
        QVERIFY2(show.exitCode == 0, qPrintable(show.err + show.out));
        QVERIFY(readFile(profileFile("lbtoy")).contains("\"mode\": \"none\""));

        // A second run adds nothing: the profiles exist.
        auto again = lb({"desktop", "setup"});
        QVERIFY2(again.exitCode == 0, qPrintable(again.err));
        QVERIFY2(again.out.contains("0 application(s) got"), qPrintable(again.out));

        // Edited since: kept by undo, its entry still removed; everything else goes.
        QVERIFY(writeFile(profileFile("lbtoy"), readFile(profileFile("lbtoy")) + "\n"));
        auto undoDry = lb({"desktop", "setup", "--undo", "--dry-run"});
        QVERIFY2(undoDry.out.contains("would remove profile mpv"), qPrintable(undoDry.out));
        QCOMPARE(files().size(), before.size() + 4);
        auto undo = lb({"desktop", "setup", "--undo"});
        QVERIFY2(undo.exitCode == 0, qPrintable(undo.err));
        QVERIFY2(undo.out.contains("kept profile lbtoy"), qPrintable(undo.out));
        QCOMPARE(files(), QStringList({profileFile("lbtoy-keep"), profileFile("lbtoy")}));
        QVERIFY(!QFileInfo::exists(home_->home() + "/.local/state/layerbox/desktop-setup"));
    }
};

QTEST_GUILESS_MAIN(TstDesktopSetup)
#include "tst_desktop_setup.moc"
