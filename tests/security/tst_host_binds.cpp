// Binds that would hand a program the user manager, the host's /proc or Layerbox's own folders
// (issue 17, items 2 and 3): refused in profiles (`profile validate`, `run`) and on the command
// line, also when the path gets there through a link; a launch cannot start a transient unit;
// Layerbox's folders stay hidden even with the home bound read-write.
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QtTest>

#include <unistd.h>

#include "base/paths.h"
#include "profile/host_binds.h"
#include "testsupport.h"

using namespace lbtest;

class TstHostBinds : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;
    QString rt_ = "/run/user/" + QString::number(::getuid());

    QString profileWithBind(const QString& host, const QString& sandbox = "/mnt/x",
                            const QString& extra = {}) {
        QString json = QString(R"({"version": 1, "filesystem": {"binds": [{"host": "%1", )"
                               R"("sandbox": "%2"%3}]}})")
                           .arg(host, sandbox, extra);
        home_->writeProfile("reach", json.toUtf8());
        return home_->profileDir() + "/reach.json";
    }

private slots:
    void initTestCase() { QVERIFY2(::getuid() != 0, "must run as an unprivileged user"); }
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
        // Links in the home that lead to the runtime directory and to Layerbox's config.
        QVERIFY(QFile::link(rt_, home_->home() + "/rt-link"));
        QVERIFY(QFile::link(rt_ + "/lbtest-not-there", home_->home() + "/dangling"));
        QVERIFY(QFile::link(home_->configHome(), home_->home() + "/cfg-link"));
    }
    void cleanup() { home_.reset(); }

    // The pure rule: at, below and above a reserved path; beside it is fine.
    void policyRule() {
        lb::HostBindPolicy p;
        p.refused.push_back({"/run/user/1000", "your runtime directory", "which holds the bus"});
        p.refused.push_back({"/proc", "the host's /proc", "which shows the host's processes"});
        p.layerboxDirs = {"/home/a/.config/layerbox", "/home/a/.cache/layerbox"};
        for (const char* bad :
             {"/run/user/1000", "/run/user/1000/bus", "/run/user", "/run", "/", "/proc",
              "/proc/1/root", "/home/a/.config/layerbox", "/home/a/.config/layerbox/profiles"})
            QVERIFY2(!p.refusal(bad).empty(), bad);
        for (const char* ok : {"/run/user/10000", "/run/usr", "/home/a", "/home/a/.config",
                               "/home/a/.config/layerbox2", "/procfs", "/srv"})
            QVERIFY2(p.refusal(ok).empty(), ok);
        QCOMPARE(p.refusal("/run"), std::string("\"/run\" holds your runtime directory "
                                                "\"/run/user/1000\", which holds the bus"));
        QCOMPARE(p.hiddenBelow("/home/a", "/mnt/h"),
                 (std::vector<std::string>{"/mnt/h/.config/layerbox", "/mnt/h/.cache/layerbox"}));
        QCOMPARE(p.hiddenBelow("/home/a/.config", "/home/a/.config"),
                 (std::vector<std::string>{"/home/a/.config/layerbox"}));
        QVERIFY(p.hiddenBelow("/srv", "/srv").empty());
    }

    void linksAreResolved() {
        QString h = home_->home();
        QCOMPARE(QString::fromStdString(lb::resolveHostPath((h + "/rt-link/bus").toStdString())),
                 rt_ + "/bus");
        QCOMPARE(QString::fromStdString(lb::resolveHostPath((h + "/dangling/x").toStdString())),
                 rt_ + "/lbtest-not-there/x");
        QCOMPARE(QString::fromStdString(lb::resolveHostPath((h + "/cfg-link/../x").toStdString())),
                 h + "/x");
    }

    void reachingBindsAreRefused_data() {
        QTest::addColumn<QString>("host");
        QTest::newRow("runtime dir") << rt_;
        QTest::newRow("session bus") << rt_ + "/bus";
        QTest::newRow("systemd private") << rt_ + "/systemd/private";
        QTest::newRow("/run") << "/run";
        QTest::newRow("/") << "/";
        QTest::newRow("host /proc") << "/proc";
        QTest::newRow("host /proc/1") << "/proc/1";
        QTest::newRow("link to the runtime dir") << "~/rt-link";
        QTest::newRow("link to the bus") << "~/rt-link/bus";
        QTest::newRow("dangling link into it") << "~/dangling";
        QTest::newRow("Layerbox config") << "~/.config/layerbox";
        QTest::newRow("Layerbox profiles through a link") << "~/cfg-link/layerbox/profiles";
        QTest::newRow("Layerbox cache") << "~/.cache/layerbox";
        QTest::newRow("Layerbox data") << "~/.local/share/layerbox";
    }
    void reachingBindsAreRefused() {
        QFETCH(QString, host);
        QDir().mkpath(home_->home() + "/.cache/layerbox");
        QDir().mkpath(home_->dataHome() + "/layerbox");
        QString file = profileWithBind(host, "/mnt/x", R"(, "create": true)");
        auto v = home_->layerbox({"profile", "validate", file});
        QVERIFY2(v.exitCode != 0, qPrintable(v.out + v.err));
        QVERIFY2((v.out + v.err).contains("/filesystem/binds/0/host") &&
                     (v.out + v.err).contains("refused"),
                 qPrintable(v.out + v.err));
        auto r = home_->layerbox({"run", "--profile", "reach", "--", "true"});
        QCOMPARE(r.exitCode, 125);
        QVERIFY2(r.err.contains("refused"), qPrintable(r.err));
        QVERIFY2(!QFileInfo::exists(rt_ + "/lbtest-not-there"), "create went through the link");
        // The command line: the same rule.
        QFile::remove(file);
        for (const char* opt : {"--bind", "--ro-bind"}) {
            auto c = home_->layerbox({"run", opt, host + ":/mnt/x", "--", "true"});
            QCOMPARE(c.exitCode, 125);
            QVERIFY2(c.err.contains(QString(opt) + " ") && c.err.contains("refused"),
                     qPrintable(c.err));
            QCOMPARE(c.err.count('\n'), 1);
        }
    }

    void besideIsFine() {
        // Control: a folder beside the reserved ones binds as before.
        QDir().mkpath(home_->home() + "/work");
        QString file = profileWithBind("~/work", "/mnt/x");
        auto v = home_->layerbox({"profile", "validate", file});
        QVERIFY2(v.exitCode == 0, qPrintable(v.out + v.err));
        auto r = home_->layerbox({"run", "--profile", "reach", "--", "ls", "/mnt/x"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    }

    void aLaunchCannotStartATransientUnit_data() {
        QTest::addColumn<QString>("how");
        QTest::newRow("default") << "";
        QTest::newRow("profile: runtime dir") << rt_;
        QTest::newRow("profile: link to it") << "~/rt-link";
        QTest::newRow("--ro-bind: runtime dir") << "cli";
    }
    void aLaunchCannotStartATransientUnit() {
        QFETCH(QString, how);
        // Positive control: the user manager runs a transient unit for us outside.
        QString hostMarker = home_->home() + "/../marker-host";
        QProcess ctl;
        ctl.start("systemd-run", {"--user", "--quiet", "--wait", "--", "touch", hostMarker});
        QVERIFY(ctl.waitForFinished(30000));
        QVERIFY2(ctl.exitCode() == 0 && QFileInfo::exists(hostMarker),
                 qPrintable(ctl.readAllStandardError()));
        // From inside: a marker the sandbox cannot see, written only if a unit ran outside.
        QString marker = home_->home() + "/../marker-sandbox";
        QString script =
            QString(
                "for b in /mnt/x/bus \"$XDG_RUNTIME_DIR/bus\"; do "
                "DBUS_SESSION_BUS_ADDRESS=unix:path=$b systemd-run --user --quiet --wait "
                "-- touch %1; done; XDG_RUNTIME_DIR=/mnt/x systemd-run --user --quiet --wait "
                "-- touch %1; true")
                .arg(marker);
        QStringList args{"run"};
        if (how == "cli") {
            args << "--ro-bind" << rt_ + ":/mnt/x";
        } else if (!how.isEmpty()) {
            profileWithBind(how, "/mnt/x");
            args << "--profile"
                 << "reach";
        }
        args << "--"
             << "sh"
             << "-c" << script;
        auto r = home_->layerbox(args, 120000);
        QVERIFY2(!QFileInfo::exists(marker), qPrintable(r.out + r.err));
        if (!how.isEmpty()) QCOMPARE(r.exitCode, 125);
    }

    void layerboxFoldersStayHiddenWithTheHomeBound_data() {
        QTest::addColumn<QString>("target");
        QTest::newRow("home rw at its place") << "~";
        QTest::newRow("home rw elsewhere") << "/mnt/home";
    }
    void layerboxFoldersStayHiddenWithTheHomeBound() {
        QFETCH(QString, target);
        QString h = home_->home();
        // Caches and a sandbox exist, as on a used machine.
        QCOMPARE(home_->layerbox({"run", "--", "true"}).exitCode, 0);
        profileWithBind("~", target, R"(, "mode": "rw")");
        QString inside = target == "~" ? h : target;
        const QStringList dirs{".config/layerbox", ".cache/layerbox", ".local/share/layerbox",
                               ".local/state/layerbox"};
        QString script;
        for (const QString& d : dirs)
            script += QString(
                          "ls -A %1/%2 && echo SEEN %2; "
                          "mkdir -p %1/%2/profiles && echo '{}' > %1/%2/profiles/evil.json "
                          "&& echo WROTE %2; ")
                          .arg(inside, d);
        script += "touch " + inside + "/visible-on-host";
        auto r = home_->layerbox({"run", "--profile", "reach", "--", "sh", "-c", script});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(QFileInfo::exists(h + "/visible-on-host"), "the home was not bound rw");
        QVERIFY2(!r.out.contains("SEEN") && !r.out.contains("WROTE"), qPrintable(r.out));
        for (const QString& d : dirs)
            QVERIFY2(!QFileInfo::exists(h + "/" + d + "/profiles/evil.json"), qPrintable(d));
        // Profiles still load: nothing was planted.
        QCOMPARE(home_->layerbox({"profile", "validate", "reach"}).exitCode, 0);
    }

    // The rename trick: with the home bound read-write, a program moves a folder between the
    // bind and a Layerbox folder (~/.config) aside, hiding mount and all, then makes a new
    // ~/.config/layerbox on the host and plants a profile. Each such folder is a mount point
    // inside the sandbox, which rename refuses; a missing Layerbox folder is made and hidden.
    void foldersAboveLayerboxsCannotBeMovedAside_data() {
        QTest::addColumn<QString>("target");
        QTest::newRow("home rw at its place") << "~";
        QTest::newRow("home rw elsewhere") << "/mnt/home";
    }
    void foldersAboveLayerboxsCannotBeMovedAside() {
        QFETCH(QString, target);
        QString h = home_->home();
        QCOMPARE(home_->layerbox({"run", "--", "true"}).exitCode, 0);
        profileWithBind("~", target, R"(, "mode": "rw")");
        QString inside = target == "~" ? h : target;
        // Control: a folder beside Layerbox's in the same parents moves (the bind is writable).
        QVERIFY(QDir().mkpath(h + "/.local/share/other"));
        const QStringList above{".local/share", ".local/state", ".local", ".config", ".cache"};
        const QStringList dirs{".config/layerbox", ".cache/layerbox", ".local/share/layerbox",
                               ".local/state/layerbox", ".cache/layerbox-runtime"};
        QString script = QString(
                             "mv %1/.local/share/other %1/.local/share/other-moved && "
                             "echo CONTROL; ")
                             .arg(inside);
        for (const QString& a : above)
            script += QString("mv %1/%2 %1/%2-aside && echo MOVED %2; ").arg(inside, a);
        for (const QString& d : dirs)
            script += QString(
                          "mkdir -p %1/%2/profiles && echo '{}' > %1/%2/profiles/evil.json "
                          "&& echo WROTE %2; ")
                          .arg(inside, d);
        script += "true";
        auto r = home_->layerbox({"run", "--profile", "reach", "--", "sh", "-c", script});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(!r.out.contains("MOVED") && !r.out.contains("WROTE"), qPrintable(r.out));
        QVERIFY2(r.out.contains("CONTROL") && QFileInfo::exists(h + "/.local/share/other-moved"),
                 qPrintable("the home was not bound rw: " + r.out + r.err));
        for (const QString& a : above)
            QVERIFY2(QFileInfo(h + "/" + a).isDir() && !QFileInfo::exists(h + "/" + a + "-aside"),
                     qPrintable(a));
        for (const QString& d : dirs)
            QVERIFY2(!QFileInfo::exists(h + "/" + d + "/profiles/evil.json"), qPrintable(d));
        // Layerbox's own data is where it was: the profile still loads.
        QCOMPARE(home_->layerbox({"profile", "validate", "reach"}).exitCode, 0);
    }

    // A link on the way to a Layerbox folder (a dotfiles manager's ~/.config/layerbox ->
    // ~/dotfiles/layerbox): hiding the folder it leads to does not stop a program from removing
    // the link and making a real ~/.config/layerbox, which the host uses from then on. So the
    // home is refused read-write (profile, --bind, and the setup process); read-only it binds.
    void aLinkOnTheWayToLayerboxsFoldersIsNotGivenWritable() {
        QString h = home_->home();
        QVERIFY(QDir().mkpath(h + "/dotfiles"));
        QVERIFY(QDir().rename(h + "/.config/layerbox", h + "/dotfiles/layerbox"));
        QVERIFY(QFile::link(h + "/dotfiles/layerbox", h + "/.config/layerbox"));
        QString file = profileWithBind("~", "~", R"(, "mode": "rw")");
        auto v = home_->layerbox({"profile", "validate", file});
        QVERIFY2(v.exitCode != 0 && (v.out + v.err).contains("/filesystem/binds/0/host") &&
                     (v.out + v.err).contains(h + "/.config/layerbox"),
                 qPrintable(v.out + v.err));
        auto r = home_->layerbox(
            {"run", "--profile", "reach", "--", "sh", "-c",
             "rm ~/.config/layerbox && mkdir -p ~/.config/layerbox/profiles && echo PLANTED"});
        QCOMPARE(r.exitCode, 125);
        QVERIFY2(!r.out.contains("PLANTED") && r.err.contains("link"), qPrintable(r.out + r.err));
        auto c = home_->layerbox({"run", "--bind", h + ":" + h, "--", "true"});
        QCOMPARE(c.exitCode, 125);
        QVERIFY2(c.err.contains("link"), qPrintable(c.err));
        QVERIFY(QFileInfo(h + "/.config/layerbox").isSymLink());
        // Read-only, or a folder beside the link: fine.
        profileWithBind("~", "/mnt/home");
        auto ro = home_->layerbox({"run", "--profile", "reach", "--", "ls", "/mnt/home"});
        QVERIFY2(ro.exitCode == 0, qPrintable(ro.err));
        QVERIFY(QDir().mkpath(h + "/work"));
        profileWithBind("~/work", "/mnt/work", R"(, "mode": "rw")");
        auto beside = home_->layerbox({"run", "--profile", "reach", "--", "touch", "/mnt/work/x"});
        QVERIFY2(beside.exitCode == 0 && QFileInfo::exists(h + "/work/x"), qPrintable(beside.err));
    }
};

QTEST_GUILESS_MAIN(TstHostBinds)
#include "tst_host_binds.moc"
