// Faults: processes of a sandbox killed at random points, the systemd user manager restarted,
// a full disk under the data directory, damaged records and profiles. Each time the user sees
// one clear message, the sandbox's layer and the profiles are intact, nothing is left running,
// and the next launch works.
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSet>
#include <QtTest>

#include <signal.h>
#include <unistd.h>

#include "testsupport.h"

using namespace lbtest;

namespace {

qint64 parentOf(qint64 pid) {
    QByteArray st = readFile(QString("/proc/%1/stat").arg(pid));
    int close = st.lastIndexOf(')');
    if (close < 0) return -1;
    QList<QByteArray> f = st.mid(close + 2).split(' ');
    return f.size() > 1 ? f[1].toLongLong() : -1;
}

// Every live process below `root` (children, grandchildren...).
QSet<qint64> descendants(qint64 root) {
    QHash<qint64, qint64> parent;
    for (const auto& e : QDir("/proc").entryList(QDir::Dirs)) {
        bool ok = false;
        qint64 pid = e.toLongLong(&ok);
        if (ok) parent[pid] = parentOf(pid);
    }
    QSet<qint64> out;
    bool grew = true;
    while (grew) {
        grew = false;
        for (auto it = parent.begin(); it != parent.end(); ++it)
            if (!out.contains(it.key()) && (it.value() == root || out.contains(it.value()))) {
                out.insert(it.key());
                grew = true;
            }
    }
    return out;
}

QString comm(qint64 pid) {
    return QString::fromUtf8(readFile(QString("/proc/%1/comm").arg(pid)).trimmed());
}

}  // namespace

class TstFaults : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;

    QString upper() const {
        return home_->dataHome() + "/layerbox/sandboxes/default/upper" + home_->home();
    }

    // Processes of sandboxes of this test's home still alive (setup processes and fuse
    // daemons carry its environment; PID 1 does not let us read it, so any is counted).
    int leftovers() const {
        int n = 0;
        QByteArray marker = ("XDG_DATA_HOME=" + home_->dataHome()).toUtf8();
        auto ours = [&](qint64 pid) {
            if (!processAlive(pid)) return false;
            QByteArray env = readFile(QString("/proc/%1/environ").arg(pid));
            if (!env.isEmpty()) return env.contains(marker);
            // PID 1 does not let us read its environment: ask its parent, the setup process.
            qint64 parent = parentOf(pid);
            QByteArray penv = readFile(QString("/proc/%1/environ").arg(parent));
            return penv.isEmpty() ? processAlive(pid) : penv.contains(marker);
        };
        for (const char* name :
             {"layerbox-setup", "fuse-overlayfs", "slirp4netns", "layerbox-init"})
            for (qint64 pid : processesNamed(name))
                if (ours(pid)) ++n;
        return n;
    }

    QJsonArray ps() {
        return QJsonDocument::fromJson(home_->layerbox({"ps", "--json"}).out.toUtf8()).array();
    }

    void expectHealthy() {
        QTRY_COMPARE_WITH_TIMEOUT(leftovers(), 0, 10000);
        QCOMPARE(ps().size(), 0);
        auto r = home_->layerbox({"run", "--", "cat", home_->home() + "/keep"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QString("kept\n"));
    }

private slots:
    void initTestCase() { QVERIFY2(::getuid() != 0, "must run as an unprivileged user"); }
    void init() {
        home_ = std::make_unique<TestHome>();
        // Something in the sandbox's layer that must survive every fault.
        QCOMPARE(home_->layerbox({"run", "--", "sh", "-c", "echo kept > ~/keep"}).exitCode, 0);
    }
    void cleanup() { home_.reset(); }

    void killingTheRunnerAtRandomPoints_data() {
        QTest::addColumn<QString>("driver");
        QTest::addColumn<QString>("net");
        QTest::addColumn<int>("delayMs");
        for (int i = 0; i < 16; ++i)
            QTest::newRow(qPrintable(
                QString("kill after %1 ms, %2").arg(i * 5).arg(i % 2 ? "fuse" : "native")))
                << QString(i % 2 ? "fuse" : "native") << QString(i % 3 == 0 ? "nat" : "none")
                << i * 5;
    }
    void killingTheRunnerAtRandomPoints() {
        QFETCH(QString, driver);
        QFETCH(QString, net);
        QFETCH(int, delayMs);
        QProcess p;
        p.setProcessEnvironment(home_->env());
        p.start(layerboxBin(), QStringList{"run", "--driver", driver, "--net", net} + probeBind() +
                                   QStringList{"--", probePath(), "sleep"});
        QVERIFY(p.waitForStarted());
        QTest::qWait(delayMs);
        ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
        QVERIFY(finished(p, 5000));
        QCOMPARE(p.exitStatus(), QProcess::CrashExit);
        expectHealthy();
    }

    void killingPid1() {
        QProcess p;
        p.setProcessEnvironment(home_->env());
        p.start(layerboxBin(),
                QStringList{"run"} + probeBind() + QStringList{"--", probePath(), "sleep"});
        QVERIFY(p.waitForStarted());
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += p.readAllStandardOutput()).contains("ready"), 20000);
        qint64 init = -1;
        for (qint64 pid : descendants(p.processId()))
            if (comm(pid) == "layerbox-init") init = pid;
        QVERIFY(init > 0);
        ::kill(static_cast<pid_t>(init), SIGKILL);
        QVERIFY(finished(p, 10000));
        QCOMPARE(p.exitCode(), 128 + SIGKILL);
        QString err = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(err.count('\n'), 1);
        QVERIFY2(err.contains("PID 1 of the sandbox was killed (signal 9)"), qPrintable(err));
        expectHealthy();
    }

    void killingAFuseDaemon() {
        QString dir = home_->home() + "/out";
        QDir().mkpath(dir);
        QProcess p;
        p.setProcessEnvironment(home_->env());
        p.start(layerboxBin(),
                QStringList{"run", "--driver", "fuse", "--bind", dir, "--", "sh", "-c",
                            "while :; do ls /usr/bin > /dev/null 2>&1; echo $? > " + dir +
                                "/ls; sleep 0.05; done"});
        QVERIFY(p.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(readFile(dir + "/ls") == "0\n", 20000);
        int killed = 0;
        for (qint64 pid : descendants(p.processId()))
            if (comm(pid) == "fuse-overlayfs" &&
                readFile(QString("/proc/%1/cmdline").arg(pid)).contains("usr")) {
                ::kill(static_cast<pid_t>(pid), SIGKILL);
                ++killed;
            }
        if (killed == 0)  // cannot tell which one serves /usr: end them all
            for (qint64 pid : descendants(p.processId()))
                if (comm(pid) == "fuse-overlayfs")
                    killed += ::kill(static_cast<pid_t>(pid), SIGKILL) == 0;
        QVERIFY(killed > 0);
        QTRY_VERIFY_WITH_TIMEOUT(readFile(dir + "/ls") != "0\n",
                                 10000);         // the program sees the failure
        QCOMPARE(p.state(), QProcess::Running);  // the sandbox goes on
        QCOMPARE(home_->layerbox({"stop", "default", "--timeout", "2"}).exitCode, 0);
        QVERIFY(finished(p, 10000));
        QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.contains("fuse-overlayfs serving /") && err.contains("was killed by signal 9"),
                 qPrintable(err));
        expectHealthy();
    }

    void reloadingTheUserManager() {
        // A real restart of the user manager would end this test too: it runs as one of that
        // manager's units (as a desktop terminal does). A reload re-reads every unit and must
        // leave the sandbox's scope working.
        qInfo()
            << "restarting the user manager would end the test itself; exercising daemon-reload";
        QProcess p;
        p.setProcessEnvironment(home_->env());
        p.start(layerboxBin(),
                QStringList{"run"} + probeBind() + QStringList{"--", probePath(), "sleep"});
        QVERIFY(p.waitForStarted());
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += p.readAllStandardOutput()).contains("ready"), 20000);
        QProcess re;
        re.setProcessEnvironment(home_->env());
        re.start("systemctl", {"--user", "daemon-reload"});
        QVERIFY(finished(re, 30000));
        QCOMPARE(re.exitCode(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(ps().size() == 1, 10000);
        QString id = ps()[0].toObject()["id"].toString();
        QVERIFY(!ps()[0].toObject()["scope"].toString().isEmpty());
        QCOMPARE(home_->layerbox({"pause", id}).exitCode, 0);
        QCOMPARE(home_->layerbox({"resume", id}).exitCode, 0);
        QCOMPARE(home_->layerbox({"stop", id}).exitCode, 0);
        QVERIFY(finished(p, 10000));
        expectHealthy();
    }

    void anUnreachableUserManager() {
        // The user bus goes away (a crashed or restarting manager): launches go on without a
        // scope, say so in one line when limits are lost, and end cleanly.
        home_->writeProfile("limited", R"({"version": 1, "resources": {"tasks_max": 50}})");
        auto env = home_->env();
        env.insert("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + home_->runtimeDir() + "/no-such-bus");
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(layerboxBin(), {"run", "--profile", "limited", "--", "echo", "ran"});
        QVERIFY(finished(p, 30000));
        QCOMPARE(p.exitCode(), 0);
        QCOMPARE(QString::fromUtf8(p.readAllStandardOutput()), QString("ran\n"));
        QString err = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(err.count('\n'), 2);  // the warning, and why the sandbox ended
        QCOMPARE(err.count("layerbox: warning:"), 1);
        QVERIFY2(err.contains("tasks_max not applied"), qPrintable(err));
        expectHealthy();
    }

    void aFullDisk() {
        // A 3 MiB tmpfs as the data directory, in a user and mount namespace of the test's own.
        QString data = home_->home() + "/small";
        QDir().mkpath(data);
        QString lb = layerboxBin();
        QString script =
            QString(
                "set -u; mount -t tmpfs -o size=3m tmpfs %1 || exit 99; export XDG_DATA_HOME=%1;\n"
                "%2 run -- sh -c 'echo kept > ~/keep; dd if=/dev/zero of=$HOME/big bs=1M "
                "count=10 2>&1 | head -1'; echo rc1=$?\n"
                "%2 run -- cat ~/keep; echo rc2=$?\n"
                "%2 run --profile untrusted-gui -- true; echo rc3=$?\n"
                "%2 run -- rm ~/big; echo rc4=$?\n"
                "%2 run --profile untrusted-gui -- true; echo rc5=$?\n")
                .arg(data, lb);
        QProcess p;
        p.setProcessEnvironment(home_->env());
        p.start("unshare", {"-Um", "--map-current-user", "--keep-caps", "sh", "-c", script});
        QVERIFY(finished(p, 120000));
        QString out = QString::fromUtf8(p.readAllStandardOutput());
        QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(!out.contains("rc=99"), "could not mount the small tmpfs");
        // The program ran out of space and said so; Layerbox added nothing.
        QVERIFY2(out.contains("No space left on device") && out.contains("rc1=0"),
                 qPrintable(out + err));
        // What was written before is intact and the sandbox still starts.
        QVERIFY2(out.contains("kept\nrc2=0"), qPrintable(out + err));
        // Launches on a full disk still work, and say once that changes cannot be kept.
        QVERIFY2(out.contains("rc3=0"), qPrintable(out));
        QVERIFY2(err.contains("layerbox: warning: ") && err.contains("free in") &&
                     err.contains("cannot keep"),
                 qPrintable(err));
        // Once space is freed, all is well.
        QVERIFY2(out.contains("rc4=0") && out.contains("rc5=0"), qPrintable(out + err));
    }

    void aDamagedInstanceRecord() {
        QProcess p;
        p.setProcessEnvironment(home_->env());
        p.start(layerboxBin(),
                QStringList{"run"} + probeBind() + QStringList{"--", probePath(), "sleep"});
        QVERIFY(p.waitForStarted());
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += p.readAllStandardOutput()).contains("ready"), 20000);
        QTRY_COMPARE(ps().size(), 1);
        QString id = ps()[0].toObject()["id"].toString();
        // The lock file holds nothing (no block on disk to free at the runner's exit, issue
        // 25): the runner of a damaged record is found as the lock's holder.
        QCOMPARE(QFileInfo(home_->runtimeDir() + "/layerbox/instances/" + id + ".lock").size(), 0);
        QVERIFY(writeFile(home_->runtimeDir() + "/layerbox/instances/" + id + ".instance",
                          "\x01\x02garbage\n"));
        auto r = home_->layerbox({"ps"});
        QCOMPARE(r.err.count('\n'), 1);
        QVERIFY2(r.err.contains("record of instance " + id + " is damaged"), qPrintable(r.err));
        QCOMPARE(home_->layerbox({"stop", id}).exitCode, 0);
        QVERIFY(finished(p, 10000));
        expectHealthy();
    }

    void aDamagedProfile() {
        home_->writeProfile("default", "{\"version\": 1, \"network\": {\"mode\": \n");
        auto r = home_->layerbox({"run", "--", "true"});
        QCOMPARE(r.exitCode, 125);
        QCOMPARE(r.err.count('\n'), 1);
        QVERIFY2(r.err.startsWith("layerbox: error: default.json:2:1: syntax error"),
                 qPrintable(r.err));
        QVERIFY(QFile::remove(home_->profileDir() + "/default.json"));
        expectHealthy();
    }
};

QTEST_GUILESS_MAIN(TstFaults)
#include "tst_faults.moc"
