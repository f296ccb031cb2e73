// The sandbox engine, for real: user namespaces, both storage drivers, seccomp, capabilities,
// exit statuses, signals and cleanup. Runs `layerbox run` as the (unprivileged) test user.
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QProcess>
#include <QtTest>

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "testsupport.h"

using namespace lbtest;

class TstEngine : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;

    QString sandboxDir(const QString& profile = "default") const {
        return home_->dataHome() + "/layerbox/sandboxes/" + profile;
    }
    RunResult run(const QStringList& runArgs, const QStringList& cmd, int timeoutMs = 60000,
                  const QByteArray& input = {}) {
        QStringList args{"run"};
        args << probeBind() << runArgs << "--" << cmd;
        return home_->layerbox(args, timeoutMs, input);
    }
    QJsonObject probe(const QStringList& runArgs, const QStringList& probeArgs = {"report"}) {
        auto r = run(runArgs, QStringList{probePath()} + probeArgs);
        if (r.exitCode != 0) qWarning().noquote() << "probe failed:" << r.exitCode << r.err;
        return lastJson(r.out);
    }
    static void addDrivers() {
        QTest::addColumn<QString>("driver");
        QTest::newRow("native") << "native";
        QTest::newRow("fuse") << "fuse";
    }

    // `layerbox run --driver DRIVER -- lbprobe sleep`, until the program is ready and the
    // runner's "started" event (with the program's host pid) has come on stdout (--status-fd 1;
    // the two come in either order).
    void startSleeper(QProcess& p, const QString& driver, QJsonObject& started) {
        p.setProcessEnvironment(home_->env());
        p.start(layerboxBin(), QStringList{"run", "--status-fd", "1", "--driver", driver} +
                                   probeBind() + QStringList{"--", probePath(), "sleep"});
        QVERIFY(p.waitForStarted());
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT(
            (out += p.readAllStandardOutput()).contains("ready") && out.contains("\"started\""),
            20000);
        for (const auto& line : out.split('\n'))
            if (line.contains("\"started\"")) started = QJsonDocument::fromJson(line).object();
    }

private slots:
    void initTestCase() {
        QVERIFY2(::getuid() != 0,
                 "the sandbox suite must run as an unprivileged user (see scripts/test)");
        QVERIFY2(QFileInfo(layerboxBin()).isExecutable(), qPrintable(layerboxBin()));
        QVERIFY2(QFileInfo(probePath()).isExecutable(), qPrintable(probePath()));
    }
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
    }
    void cleanup() { home_.reset(); }

    void identity_data() { addDrivers(); }
    void identity() {
        QFETCH(QString, driver);
        auto j = probe({"--driver", driver});
        QVERIFY2(!j.isEmpty(), "no report from the probe");
        const QString uid = QString::number(::getuid()), gid = QString::number(::getgid());
        QCOMPARE(j["uid"].toInt(), int(::getuid()));
        // Nested user namespaces: the program's maps the caller's ids onto root of the outer
        // namespace (which holds the mounts), whose own map is root -> the caller's ids.
        QCOMPARE(j["uid_map"].toString().simplified(), uid + " 0 1");
        QCOMPARE(j["gid_map"].toString().simplified(), gid + " 0 1");
        QCOMPARE(j["euid"].toInt(), int(::getuid()));
        QCOMPARE(j["setgroups"].toString().trimmed(), QString("deny"));
        QCOMPARE(j["hostname"].toString(), QString("default"));
        QCOMPARE(j["pid1_comm"].toString(), QString("layerbox-init"));
        QCOMPARE(j["ppid"].toInt(), 1);
        // Only the sandbox's own processes: PID 1 and the probe.
        QCOMPARE(j["pids"].toArray().size(), 2);
        for (const char* cap : {"CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb"})
            QCOMPARE(j[cap].toString(), QString("0000000000000000"));
        QCOMPARE(j["NoNewPrivs"].toString(), QString("1"));
        QCOMPARE(j["Seccomp"].toString(), QString("2"));
        // Network: loopback only.
        QCOMPARE(j["net"].toArray().size(), 1);
        QCOMPARE(j["net"].toArray()[0].toString(), QString("lo"));
        // The environment is rebuilt: nothing of the caller's that was not asked for.
        QStringList env;
        for (const auto& v : j["env"].toArray())
            env << v.toString().section('=', 0, 0);
        QVERIFY(env.contains("HOME"));
        QVERIFY(!env.contains("DBUS_SESSION_BUS_ADDRESS"));
        QVERIFY(!env.contains("LAYERBOX_BIN"));
        // Mount table: overlays for the system directories, of the driver asked for.
        bool sawUsr = false;
        for (const auto& m : j["mounts"].toArray()) {
            auto parts = m.toString().split(' ');
            if (parts[0] == "/usr") {
                sawUsr = true;
                QCOMPARE(parts[1],
                         driver == "native" ? QString("overlay") : QString("fuse.fuse-overlayfs"));
            }
        }
        QVERIFY(sawUsr);
    }

    void writesLandInTheUpperLayer_data() { addDrivers(); }
    void writesLandInTheUpperLayer() {
        QFETCH(QString, driver);
        auto r = run({"--driver", driver},
                     {"sh", "-c", "echo changed > /usr/layerbox-test && cat /usr/layerbox-test"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out.trimmed(), QString("changed"));
        QVERIFY(!QFileInfo::exists("/usr/layerbox-test"));
        QCOMPARE(readFile(sandboxDir() + "/upper/usr/layerbox-test"), QByteArray("changed\n"));
    }

    void deletionBecomesAWhiteout_data() { addDrivers(); }
    void deletionBecomesAWhiteout() {
        QFETCH(QString, driver);
        QVERIFY(QFileInfo::exists("/etc/shells"));
        auto r = run({"--driver", driver}, {"sh", "-c", "rm /etc/shells && test ! -e /etc/shells"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(QFileInfo::exists("/etc/shells"));
        struct stat st;
        QCOMPARE(::lstat(qPrintable(sandboxDir() + "/upper/etc/shells"), &st), 0);
        QVERIFY(S_ISCHR(st.st_mode));
        QCOMPARE(st.st_rdev, makedev(0, 0));
    }

    void driverSwitchKeepsData() {
        auto r =
            run({"--driver", "native"},
                {"sh", "-c",
                 "echo one > /etc/lb-a && rm /etc/shells && mkdir -p ~/docs && echo n > ~/docs/x"});
        QCOMPARE(r.exitCode, 0);
        r = run({"--driver", "fuse"},
                {"sh", "-c",
                 "cat /etc/lb-a ~/docs/x && test ! -e /etc/shells && echo two > /etc/lb-b"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QString("one\nn\n"));
        r = run({"--driver", "native"},
                {"sh", "-c", "cat /etc/lb-a /etc/lb-b && test ! -e /etc/shells"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QString("one\ntwo\n"));
    }

    void homeIsPrivate() {
        writeFile(home_->home() + "/secret.txt", "real home\n");
        auto j = probe({});
        QCOMPARE(j["home"].toString(), home_->home());
        QVERIFY(!j["home_entries"].toVariant().toStringList().contains("secret.txt"));
        auto r = run({}, {"sh", "-c", "echo mine > ~/sandboxed.txt"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(!QFileInfo::exists(home_->home() + "/sandboxed.txt"));
        QVERIFY(QFileInfo::exists(sandboxDir() + "/upper" + home_->home() + "/sandboxed.txt"));
        // No other homes, no host /tmp, no /root, /media or /mnt.
        auto root = j["root_entries"].toVariant().toStringList();
        for (const char* hidden : {"root", "media", "mnt", "boot", "lost+found"})
            QVERIFY2(!root.contains(hidden), hidden);
        writeFile("/tmp/layerbox-host-tmp-marker", "x");
        auto t = probe({}, {"try", "read-file", "/tmp/layerbox-host-tmp-marker"});
        QCOMPARE(t["succeeded"].toBool(), false);
        QFile::remove("/tmp/layerbox-host-tmp-marker");
    }

    void hiddenPathsAreMasked() {
        writeFile(home_->home() + "/.ssh/id_ed25519", "PRIVATE KEY\n");
        home_->writeProfile(
            "overlayhome",
            R"({"version": 1, "filesystem": {"home": "overlay", "hide": ["~/.ssh"]}})");
        auto j = probe({"--profile", "overlayhome"},
                       {"try", "read-file", home_->home() + "/.ssh/id_ed25519"});
        QCOMPARE(j["succeeded"].toBool(), false);
        // ...while the rest of the real home is there, read-only through the overlay.
        writeFile(home_->home() + "/notes.txt", "visible\n");
        auto r = run({"--profile", "overlayhome"},
                     {"sh", "-c", "cat ~/notes.txt && echo edited >> ~/notes.txt"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QString("visible\n"));
        QCOMPARE(readFile(home_->home() + "/notes.txt"), QByteArray("visible\n"));
    }

    void bindsReadOnlyAndReadWrite() {
        QString shared = home_->home() + "/shared";
        QDir().mkpath(shared);
        auto ro = probe({"--ro-bind", shared}, {"try", "write-file", shared + "/x"});
        QCOMPARE(ro["succeeded"].toBool(), false);
        QCOMPARE(ro["errno"].toInt(), EROFS);
        auto rw = probe({"--bind", shared}, {"try", "write-file", shared + "/x"});
        QCOMPARE(rw["succeeded"].toBool(), true);
        QCOMPARE(readFile(shared + "/x"), QByteArray("escape\n"));
        // A bind to another path inside.
        auto moved = run({"--ro-bind", shared + ":/opt/data"}, {"cat", "/opt/data/x"});
        QCOMPARE(moved.out, QString("escape\n"));
    }

    void exitStatuses() {
        QCOMPARE(run({}, {"sh", "-c", "exit 7"}).exitCode, 7);
        QCOMPARE(run({}, {"sh", "-c", "kill -TERM $$"}).exitCode, 128 + SIGTERM);
        auto nf = run({}, {"no-such-program-xyz"});
        QCOMPARE(nf.exitCode, 127);
        QCOMPARE(nf.err.trimmed().count('\n'), 0);
        QVERIFY2(nf.err.contains("cannot run \"no-such-program-xyz\": No such file or directory"),
                 qPrintable(nf.err));
        writeFile(home_->home() + "/bin/notexec", "#!/bin/sh\n");
        auto ne = run({"--ro-bind", home_->home() + "/bin"}, {home_->home() + "/bin/notexec"});
        QCOMPARE(ne.exitCode, 126);
        home_->writeProfile("badlayer", R"({"version": 1, "filesystem": {"layers": ["nope"]}})");
        auto setup = run({"--profile", "badlayer"}, {"true"});
        QCOMPARE(setup.exitCode, 125);
        QCOMPARE(setup.err.trimmed().count('\n'), 0);
        QVERIFY2(setup.err.startsWith("layerbox: error: layer \"nope\" does not exist"),
                 qPrintable(setup.err));
    }

    void signalsReachTheProgram_data() {
        QTest::addColumn<int>("sig");
        QTest::newRow("SIGTERM") << int(SIGTERM);
        QTest::newRow("SIGINT") << int(SIGINT);
    }
    void signalsReachTheProgram() {
        QFETCH(int, sig);
        QString dir = home_->home() + "/sig";
        QDir().mkpath(dir);
        QProcess p;
        p.setProcessEnvironment(home_->env());
        p.start(layerboxBin(),
                QStringList{"run"} + probeBind() +
                    QStringList{"--bind", dir, "--", probePath(), "sleep", dir + "/marker"});
        QVERIFY(p.waitForStarted());
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT(
            (out += p.readAllStandardOutput()).contains("ready") || p.state() != QProcess::Running,
            20000);
        QCOMPARE(p.state(), QProcess::Running);
        ::kill(static_cast<pid_t>(p.processId()), sig);
        QVERIFY(finished(p, 10000));
        QCOMPARE(p.exitCode(), 0);
        QCOMPARE(readFile(dir + "/marker"), QByteArray("signal " + QByteArray::number(sig) + "\n"));
    }

    void killingTheRunnerKillsTheSandbox_data() { addDrivers(); }
    void killingTheRunnerKillsTheSandbox() {
        QFETCH(QString, driver);
        auto fuseBefore = processesNamed("fuse-overlayfs");
        QProcess p;
        QJsonObject started;
        startSleeper(p, driver, started);
        if (QTest::currentTestFailed()) return;
        qint64 pid = started["pid"].toInteger();
        QVERIFY2(processAlive(pid), "program pid from the started event");
        QCOMPARE(started["driver"].toString(), driver);
        if (driver == "fuse") QVERIFY(processesNamed("fuse-overlayfs").size() > fuseBefore.size());
        ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
        QVERIFY(finished(p, 5000));
        QTRY_VERIFY_WITH_TIMEOUT(!processAlive(pid), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(processesNamed("fuse-overlayfs").size(), fuseBefore.size(), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(processesNamed("layerbox-init").size(), 0, 5000);
        // The lock died with it: the profile can be started again.
        QCOMPARE(run({}, {"true"}).exitCode, 0);
    }

    // Issue 25: one fuse-overlayfs serves every overlaid directory of a sandbox, and what it
    // serves (its lower layers, as the daemon itself sees them) holds nothing but those
    // directories: never the host's "/".
    void oneFuseDaemonServesOnlyTheOverlaidDirectories() {
        QProcess p;
        QJsonObject started;
        startSleeper(p, "fuse", started);
        if (QTest::currentTestFailed()) return;
        auto ppid = [](qint64 pid) {
            for (const auto& l : readFile(QString("/proc/%1/status").arg(pid)).split('\n'))
                if (l.startsWith("PPid:")) return l.mid(5).trimmed().toLongLong();
            return qint64(-1);
        };
        const qint64 init = ppid(started["pid"].toInteger());
        const qint64 setup = ppid(init);
        QVERIFY2(setup > 1, "the setup process, parent of the sandbox's PID 1");
        QList<qint64> daemons;
        for (qint64 d : processesNamed("fuse-overlayfs"))
            if (ppid(d) == setup) daemons << d;
        QCOMPARE(daemons.size(), 1);
        // Its lower layers, read through the daemon's own root (its mount namespace).
        QString lowers;
        for (const auto& a : readFile(QString("/proc/%1/cmdline").arg(daemons[0])).split('\0'))
            for (const auto& o : a.split(','))
                if (o.startsWith("lowerdir=")) lowers = QString::fromUtf8(o.mid(9));
        QVERIFY2(!lowers.isEmpty(), "lowerdir= in the daemon's arguments");
        QStringList allowed;  // the system directories the host has (mounts.cpp systemDirs())
        for (const char* d : {"usr", "etc", "opt", "var", "srv", "bin", "sbin", "lib", "lib32",
                              "lib64", "libx32", "nix", "gnu"})
            if (QFileInfo(QString("/") + d).isDir() && !QFileInfo(QString("/") + d).isSymLink())
                allowed << d;
        const QString daemonRoot = QString("/proc/%1/root").arg(daemons[0]);
        QStringList hostLower;
        for (const auto& l : lowers.split(':')) {
            QVERIFY2(l != "/" && !l.startsWith("/proc/"), qPrintable(l));
            const auto names = QDir(daemonRoot + l)
                                   .entryList(QDir::AllEntries | QDir::Hidden | QDir::System |
                                              QDir::NoDotAndDotDot);
            QVERIFY2(!names.isEmpty(), qPrintable("nothing readable in lower " + l));
            for (const auto& n : names) {
                if (n == "home") {  // only the user's home, when it is overlaid
                    QCOMPARE(QDir(daemonRoot + l + "/home")
                                 .entryList(QDir::AllEntries | QDir::Hidden | QDir::System |
                                            QDir::NoDotAndDotDot),
                             QStringList{QFileInfo(home_->home()).fileName()});
                    continue;
                }
                QVERIFY2(allowed.contains(n), qPrintable(l + "/" + n + " is not overlaid"));
            }
            hostLower = names;
        }
        // The host's layer (the last) is the real /usr and /etc.
        QVERIFY(hostLower.contains("usr") && hostLower.contains("etc"));
        QVERIFY(QFileInfo(daemonRoot + lowers.split(':').last() + "/etc/shells").isFile());
        ::kill(static_cast<pid_t>(p.processId()), SIGTERM);
        QVERIFY(finished(p, 10000));
        QTRY_VERIFY_WITH_TIMEOUT(!processAlive(daemons[0]), 5000);
    }

    // Issue 17, item 9: the setup process killed from outside ends the sandbox, and the runner
    // says so (it used to exit 137 without a word). PID 1 and the program are gone too.
    void killingTheSetupProcessIsReported() {
        QProcess p;
        p.setProcessEnvironment(home_->env());
        p.start(layerboxBin(), QStringList{"run", "--status-fd", "1"} + probeBind() +
                                   QStringList{"--", probePath(), "sleep"});
        QVERIFY(p.waitForStarted());
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT(
            (out += p.readAllStandardOutput()).contains("ready") && out.contains("\"started\""),
            20000);
        // Our runner's setup process is the child of the QProcess's pid named layerbox-setup.
        qint64 setup = 0;
        for (qint64 pid : processesNamed("layerbox-setup")) {
            QByteArray st = readFile(QString("/proc/%1/stat").arg(pid));
            auto fields = st.mid(st.lastIndexOf(')') + 2).split(' ');
            if (fields.size() > 1 && fields[1].toLongLong() == p.processId()) setup = pid;
        }
        QVERIFY(setup > 0);
        ::kill(static_cast<pid_t>(setup), SIGKILL);
        QVERIFY(finished(p, 10000));
        QCOMPARE(p.exitCode(), 128 + SIGKILL);
        QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.contains("layerbox: error: the sandbox's setup process was killed (signal 9)"),
                 qPrintable(err));
        out += p.readAllStandardOutput();
        QVERIFY2(out.contains(R"("event":"exited")") && out.contains(R"("signal":9)") &&
                     out.contains("setup process was killed"),
                 out.constData());
        QTRY_COMPARE_WITH_TIMEOUT(processesNamed("layerbox-init").size(), 0, 5000);
    }

    void aSecondRunJoinsTheRunningSandbox() {
        // One persistent upper layer is mounted once: a second `run` of the profile joins the
        // sandbox that has it mounted instead of mounting it again.
        QProcess p;
        p.setProcessEnvironment(home_->env());
        p.start(layerboxBin(),
                QStringList{"run"} + probeBind() +
                    QStringList{"--", "sh", "-c",
                                "echo first > /tmp/marker; exec " + probePath() + " sleep"});
        QVERIFY(p.waitForStarted());
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += p.readAllStandardOutput()).contains("ready"), 20000);
        auto second = run({}, {"cat", "/tmp/marker"});
        QCOMPARE(second.exitCode, 0);
        QCOMPARE(second.out, QString("first\n"));
        // A throw-away copy is a sandbox of its own.
        auto eph = run({"--ephemeral"}, {"cat", "/tmp/marker"});
        QCOMPARE(eph.exitCode, 1);
        p.terminate();
        QVERIFY(finished(p, 10000));
    }

    void ephemeralLeavesNothing() {
        auto r = run({"--ephemeral"}, {"sh", "-c", "echo x > /etc/eph && echo y > ~/eph"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(!QFileInfo::exists(sandboxDir()));
    }

    void symlinkPlantedInStorageIsNotFollowed() {
        // Another sandbox (or anything with write access to the data folder) replaced this
        // sandbox's home with a link to the real home: the next launch must refuse it
        // (Flatpak CVE-2024-42472).
        writeFile(home_->home() + "/secret.txt", "real\n");
        QString upperHome = sandboxDir() + "/upper" + home_->home();
        QDir().mkpath(QFileInfo(upperHome).absolutePath());
        QVERIFY(QFile::link(home_->home(), upperHome));
        auto r = run({}, {"cat", home_->home() + "/secret.txt"});
        QCOMPARE(r.exitCode, 125);
        QVERIFY(!r.out.contains("real"));
        QVERIFY2(r.err.contains("symbolic links"), qPrintable("stderr: " + r.err));
    }

    void homeBelowAnOverlaidVar_data() { addDrivers(); }
    void homeBelowAnOverlaidVar() {
        // A home below a system directory the sandbox overlays (/var/home/USER on Fedora
        // Silverblue): the private home is stored in the upper layer at its path, the very
        // directory the /var overlay shows. It works, and a link planted in place of a
        // component above the home (to have the next launch mount the home, or read it, at
        // another place) is refused, not followed.
        QFETCH(QString, driver);
        const struct passwd* pw = ::getpwuid(::getuid());
        QVERIFY(pw);
        const QString base = QStringLiteral("/var/lib/layerbox-tests/") + pw->pw_name;
        QVERIFY2(QFileInfo(base).isDir() && QFileInfo(base).isWritable(),
                 qPrintable(base + " is missing: run scripts/test-host-setup as root"));
        qputenv("TMPDIR", base.toUtf8());
        home_ = std::make_unique<TestHome>();
        qunsetenv("TMPDIR");
        QVERIFY(home_->isValid());
        QVERIFY2(home_->home().startsWith(base + "/"), qPrintable(home_->home()));

        auto first = run({"--driver", driver},
                         {"sh", "-c", "cd && echo mine > kept && pwd && ls /var/lib >/dev/null"});
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        QCOMPARE(first.out, home_->home() + "\n");
        const QString stored = sandboxDir() + "/upper" + home_->home() + "/kept";
        QVERIFY2(QFileInfo::exists(stored), qPrintable(stored));
        QVERIFY(!QFileInfo::exists(home_->home() + "/kept"));  // not the real home

        // Plant: the home's parent in the upper layer becomes a link to /etc.
        const QString parent = sandboxDir() + "/upper" + QFileInfo(home_->home()).path();
        QVERIFY(QDir().rename(parent, parent + ".moved"));
        QVERIFY(QFile::link("/etc", parent));
        auto second = run({"--driver", driver}, {"sh", "-c", "cd && pwd && ls"});
        QCOMPARE(second.exitCode, 125);
        QVERIFY2(second.err.contains("symbolic link"), qPrintable(second.err));
        QVERIFY(!second.out.contains("kept"));
        // Nothing was made through the link: not in the sandbox's /etc, not on the host.
        QVERIFY(!QFileInfo::exists(sandboxDir() + "/upper/etc/home"));
        QVERIFY(!QFileInfo::exists("/etc/home"));
        QFile::remove(parent);
        QVERIFY(QDir().rename(parent + ".moved", parent));
    }

    void bindOfAMissingPathSaysWhatToDo() {
        const QString missing = home_->home() + "/not-there";
        auto r = run({"--bind", missing}, {"true"});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.err, "layerbox: error: --bind \"" + missing +
                            "\": no such file or folder on the host; create it first (mkdir -p " +
                            missing + ") or give a path that exists\n");
    }

    void symlinkPlantedAtABindTargetIsRefused() {
        QString dl = home_->home() + "/Downloads";
        QDir().mkpath(dl);
        // The program plants ~/Downloads -> /etc inside its own home...
        QCOMPARE(run({}, {"ln", "-s", "/etc", dl}).exitCode, 0);
        // ...so that the next launch would mount the host folder over its /etc.
        auto r = run({"--bind", dl}, {"true"});
        QCOMPARE(r.exitCode, 125);
        QVERIFY2(r.err.contains("symbolic link"), qPrintable(r.err));
    }

    // Issue 25: the runner returns without waiting for the kernel to unmount the sandbox (its
    // setup process exits holding the profile's lock until that is done). The next launch of
    // the same profile and reset, right after, must get the lock, never "already running", and
    // only once nothing of the old sandbox is left but, at most, a zombie.
    void aPersistentProfileRunsAgainAtOnce() {
        auto ending = [] {
            int n = 0;
            for (qint64 pid : processesNamed("layerbox-end")) {
                QByteArray stat = readFile(QString("/proc/%1/stat").arg(pid));
                int close = stat.lastIndexOf(')');
                if (close > 0 && stat.size() > close + 2 && stat[close + 2] != 'Z') ++n;
            }
            return n;
        };
        for (int i = 0; i < 5; ++i) {
            auto r = run({}, {"sh", "-c", QString("echo %1 >> ~/count").arg(i)});
            QVERIFY2(r.exitCode == 0, qPrintable(r.err));
            QVERIFY2(!r.err.contains("already running"), qPrintable(r.err));
        }
        QCOMPARE(readFile(sandboxDir() + "/upper" + home_->home() + "/count"),
                 QByteArray("0\n1\n2\n3\n4\n"));
        QVERIFY(run({}, {"true"}).exitCode == 0);
        auto r = home_->layerbox({"reset", "default"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(ending(), 0);
        QVERIFY(!QFileInfo::exists(sandboxDir() + "/upper" + home_->home() + "/count"));
    }

    // Issue 25: a persistent layer's overlays are taken down at the end by threads the setup
    // process starts before it mounts them, and given each overlay once mounted. A launch right
    // after the last one sees every change made through two of them (/etc and /usr), in its
    // sandbox and in the upper layer.
    void changesThroughTheOverlaysOutliveBackToBackRuns() {
        QString expected;
        for (int i = 0; i < 5; ++i) {
            auto r = run({}, {"sh", "-c",
                              QString("echo %1 >> /etc/lb-count && echo %1 >> /usr/lb-count && "
                                      "cat /etc/lb-count && cmp /etc/lb-count /usr/lb-count")
                                  .arg(i)});
            QVERIFY2(r.exitCode == 0, qPrintable(r.err));
            expected += QString::number(i) + "\n";
            QCOMPARE(r.out, expected);
        }
        QCOMPARE(readFile(sandboxDir() + "/upper/etc/lb-count"), expected.toUtf8());
        QCOMPARE(readFile(sandboxDir() + "/upper/usr/lb-count"), expected.toUtf8());
        QVERIFY(!QFileInfo::exists("/etc/lb-count") && !QFileInfo::exists("/usr/lb-count"));
    }

    // The next launch of a persistent profile mounts its layer only once the last sandbox's
    // overlays are down (two overlays must never share an upper layer): that sandbox's setup
    // process holds the layer's mount lock (.mounted) until its unmounts are done, after its
    // runner returned. The launch waits for it as late as it can (issue 25), but never after
    // mounting. Here the test holds the lock, standing for the ending sandbox: while it does,
    // some process of the launch waits (an inotify watch on .mounted) with no overlay mounted
    // and the program has not run; once the test lets go, the launch goes on.
    void aLaunchMountsItsLayerOnlyOnceTheLastOneIsDown() {
        QVERIFY(run({}, {"true"}).exitCode == 0);
        const QString lockPath = sandboxDir() + "/.mounted";
        // The last launch let go of it (at the latest once its setup process is gone).
        const int held = ::open(QFile::encodeName(lockPath).constData(), O_RDWR | O_CLOEXEC);
        QVERIFY(held >= 0);
        auto cleanup = qScopeGuard([&] { ::close(held); });
        QTRY_VERIFY_WITH_TIMEOUT(::flock(held, LOCK_EX | LOCK_NB) == 0, 15000);

        QProcess launch;
        launch.setProcessEnvironment(home_->env());
        launch.start(layerboxBin(), {"run", "--", "sh", "-c", "echo ran > ~/ran"});
        QVERIFY(launch.waitForStarted());
        struct stat st;
        QVERIFY(::stat(QFile::encodeName(lockPath).constData(), &st) == 0);
        // inotify's fdinfo: "inotify wd:1 ino:<hex> sdev:... mask:..."
        const QByteArray watchLine = "ino:" + QByteArray::number(qulonglong(st.st_ino), 16) + " ";
        auto waiter = [&]() -> qint64 {
            QList<qint64> pids{launch.processId()};
            for (const auto& e : QDir("/proc").entryList(QDir::Dirs)) {
                const QByteArray stat = readFile("/proc/" + e + "/stat");
                const QList<QByteArray> f = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
                if (f.size() > 1 && f[1].toLongLong() == launch.processId()) pids << e.toLongLong();
            }
            for (qint64 pid : pids) {
                const QString dir = QString("/proc/%1/fdinfo").arg(pid);
                for (const auto& fd : QDir(dir).entryList(QDir::Files)) {
                    const QByteArray info = readFile(dir + "/" + fd);
                    if (info.contains("inotify wd:") && info.contains(watchLine)) return pid;
                }
            }
            return 0;
        };
        QTRY_VERIFY_WITH_TIMEOUT(waiter() != 0, 30000);
        auto overlays = [](const QByteArray& mountinfo) { return mountinfo.count(" - overlay "); };
        QCOMPARE(overlays(readFile(QString("/proc/%1/mountinfo").arg(waiter()))),
                 overlays(readFile("/proc/self/mountinfo")));
        const QString ran = sandboxDir() + "/upper" + home_->home() + "/ran";
        QTest::qWait(300);
        QVERIFY(!QFileInfo::exists(ran));
        QCOMPARE(launch.state(), QProcess::Running);

        // Let go as an ending sandbox does: by closing it. Not a speed check: the launch's own
        // bound is 10 s from the start of its wait, so a wakeup it missed would show as a
        // launch still waiting 5 s later.
        cleanup.dismiss();
        QVERIFY(::close(held) == 0);
        QVERIFY2(launch.waitForFinished(5000), "the launch missed the lock's release");
        QVERIFY2(launch.exitCode() == 0, launch.readAllStandardError().constData());
        QCOMPARE(readFile(ran), QByteArray("ran\n"));
    }

    // The layer's mount lock is held while the sandbox runs, by no process the program could
    // reach (the setup process, outside its PID namespace), and let go once the sandbox ended.
    void theLayerIsHeldWhileMountedAndLetGoAfter() {
        QProcess launch;
        launch.setProcessEnvironment(home_->env());
        launch.start(layerboxBin(),
                     {"run", "--", "sh", "-c", "ls -l /proc/[0-9]*/fd/ > ~/fds; exec sleep 600"});
        QVERIFY(launch.waitForStarted());
        const QString fds = sandboxDir() + "/upper" + home_->home() + "/fds";
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(fds).size() > 0, 30000);
        QTest::qWait(200);
        const int probe =
            ::open(QFile::encodeName(sandboxDir() + "/.mounted").constData(), O_RDWR | O_CLOEXEC);
        QVERIFY(probe >= 0);
        auto cleanup = qScopeGuard([&] { ::close(probe); });
        QCOMPARE(::flock(probe, LOCK_EX | LOCK_NB), -1);
        QCOMPARE(errno, EWOULDBLOCK);
        // No process of the sandbox has it open.
        QVERIFY2(!readFile(fds).contains(".mounted"), readFile(fds).constData());
        ::kill(static_cast<pid_t>(launch.processId()), SIGTERM);
        QVERIFY(finished(launch, 10000));
        QTRY_VERIFY_WITH_TIMEOUT(::flock(probe, LOCK_EX | LOCK_NB) == 0, 15000);
    }

    void failedLaunchLeavesNothingBehind() {
        auto fuseBefore = processesNamed("fuse-overlayfs");
        // Files in the runtime directory (directories may stay for the next launch).
        auto runtimeFiles = [&] {
            QStringList all;
            for (const char* d : {"/layerbox", "/layerbox/instances"})
                all += QDir(home_->runtimeDir() + d).entryList(QDir::Files | QDir::System);
            return all;
        };
        QStringList runtimeBefore = runtimeFiles();
        home_->writeProfile(
            "broken",
            R"({"version": 1, "filesystem": {"binds": [{"host": "/nonexistent-layerbox"}]}})");
        auto r = run({"--profile", "broken", "--driver", "fuse"}, {"true"});
        QCOMPARE(r.exitCode, 125);
        QVERIFY2(r.err.contains("/nonexistent-layerbox"), qPrintable(r.err));
        QCOMPARE(processesNamed("fuse-overlayfs").size(), fuseBefore.size());
        QCOMPARE(processesNamed("layerbox-init").size(), 0);
        QCOMPARE(processesNamed("layerbox-setup").size(), 0);
        QCOMPARE(runtimeFiles(), runtimeBefore);
        // No scope left either. The user manager collects an emptied scope on its own, a few
        // milliseconds after its last process ended (asynchronously, from cgroup.events).
        auto scopes = [&] {
            QProcess sc;
            sc.setProcessEnvironment(home_->env());
            sc.start("systemctl", {"--user", "list-units", "--no-legend", "app-layerbox-broken-*"});
            sc.waitForFinished(10000);
            return QString::fromUtf8(sc.readAllStandardOutput()).trimmed();
        };
        QTRY_COMPARE_WITH_TIMEOUT(scopes(), QString(), 5000);
    }

    void terminalIsPrivate() {
        // Under a terminal the program gets a pty of the sandbox's own devpts.
        QProcess p;
        p.setProcessEnvironment(home_->env());
        QString cmd = QString("%1 run --ro-bind %2 -- %3 report")
                          .arg(layerboxBin(), testBinDir(), probePath());
        p.start("script", {"-qec", cmd, "/dev/null"});
        QVERIFY(finished(p, 30000));
        QCOMPARE(p.exitCode(), 0);
        auto j = lastJson(QString::fromUtf8(p.readAllStandardOutput()).remove('\r'));
        QCOMPARE(j["isatty0"].toBool(), true);
        QCOMPARE(j["sid"].toInt(), j["pid"].toInt());
        QProcess q;
        q.setProcessEnvironment(home_->env());
        q.start("script", {"-qec",
                           QString("%1 run --ro-bind %2 -- %3 try tiocsti")
                               .arg(layerboxBin(), testBinDir(), probePath()),
                           "/dev/null"});
        QVERIFY(finished(q, 30000));
        auto t = lastJson(QString::fromUtf8(q.readAllStandardOutput()).remove('\r'));
        QCOMPARE(t["succeeded"].toBool(), false);
        QCOMPARE(t["errno"].toInt(), EPERM);
    }
};

QTEST_GUILESS_MAIN(TstEngine)
#include "tst_engine.moc"
