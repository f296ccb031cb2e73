// Running sandboxes with a real systemd user manager: scopes and limits, ps, stop, pause and
// resume, stats, joining, and cleanup after a killed runner. Runs as the unprivileged test
// user inside its user manager (scripts/test does this), as a desktop terminal would.
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QScopeGuard>
#include <QtTest>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include <set>
#include <thread>

#include "resources/cgroup.h"
#include "resources/scope_cgroup.h"
#include "testsupport.h"

using namespace lbtest;

namespace {

// The children of every thread of `pid` (/proc/PID/task/TID/children).
QList<qint64> childrenOf(qint64 pid) {
    QList<qint64> out;
    const QString tasks = QString("/proc/%1/task").arg(pid);
    for (const QString& t : QDir(tasks).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
        for (const QByteArray& c : readFile(tasks + "/" + t + "/children").split(' '))
            if (bool ok = false; c.trimmed().toLongLong(&ok), ok) out << c.trimmed().toLongLong();
    return out;
}

QJsonObject statusEvent(const QByteArray& out, const char* name) {
    for (const auto& line : out.split('\n')) {
        auto o = QJsonDocument::fromJson(line).object();
        if (o["event"].toString() == name) return o;
    }
    return {};
}

QString systemctlShow(const TestHome& home, const QString& unit, const QString& prop) {
    QProcess p;
    p.setProcessEnvironment(home.env());
    p.start("systemctl", {"--user", "show", unit, "-p", prop, "--value"});
    p.waitForFinished(10000);
    return QString::fromUtf8(p.readAllStandardOutput()).trimmed();
}

}  // namespace

class TstInstances : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;

    // Start `cmd` in the background with its status events on stdout (status fd 1 is the
    // program's stdout too, which is fine for these programs), and wait for "started".
    QJsonObject startBackground(QProcess& p, const QStringList& runArgs, const QStringList& cmd,
                                const QProcessEnvironment& env = {}) {
        p.setProcessEnvironment(env.isEmpty() ? home_->env() : env);
        p.start(layerboxBin(), QStringList{"run", "--status-fd", "1"} + probeBind() + runArgs +
                                   QStringList{"--"} + cmd);
        if (!p.waitForStarted()) return {};
        QByteArray out;
        QJsonObject started;
        for (int i = 0; i < 200 && started.isEmpty(); ++i) {
            p.waitForReadyRead(100);
            out += p.readAllStandardOutput();
            started = statusEvent(out, "started");
            if (p.state() == QProcess::NotRunning) break;
        }
        if (started.isEmpty())
            qWarning().noquote() << "no started event:" << out << p.readAllStandardError();
        return started;
    }

    QJsonArray ps() {
        auto r = home_->layerbox({"ps", "--json"});
        return QJsonDocument::fromJson(r.out.toUtf8()).array();
    }

private slots:
    void initTestCase() {
        QVERIFY2(::getuid() != 0, "must run as an unprivileged user");
        TestHome h;
        QProcess p;
        p.setProcessEnvironment(h.env());
        p.start("systemctl", {"--user", "show-environment"});
        QVERIFY(finished(p, 10000));
        QVERIFY2(p.exitCode() == 0,
                 "a systemd user manager must be running (scripts/test starts one)");
        QVERIFY2(!lb::cgroup2Root().empty(), "cgroup v2 must be mounted");
        auto delegated = lb::delegatedControllers();
        QStringList names;
        for (const auto& c : delegated)
            names << QString::fromStdString(c);
        qInfo().noquote() << "cgroup controllers delegated to this user:"
                          << (names.isEmpty() ? "none" : names.join(' '));
        if (!delegated.count("memory") || !delegated.count("pids"))
            qInfo()
                << "memory and tasks limits are recorded in the scope but NOT enforced on this "
                   "host:"
                   " enforcement could not be observed here (pure cgroup v2 desktops enforce them)";
    }
    void init() { home_ = std::make_unique<TestHome>(); }
    void cleanup() { home_.reset(); }

    void scopeCarriesTheProfilesLimits() {
        home_->writeProfile(
            "limited", R"({"version": 1, "resources": {"memory_max": "512M", "memory_high": "384M",
            "cpu_percent": 50, "cpu_weight": 20, "tasks_max": 64, "io_weight": 30}})");
        QProcess p;
        auto started = startBackground(p, {"--profile", "limited"}, {probePath(), "sleep"});
        QVERIFY(!started.isEmpty());
        QString unit = started["scope"].toString();
        QVERIFY2(unit.startsWith("app-layerbox-limited-") && unit.endsWith(".scope"),
                 qPrintable(unit));
        QVERIFY(unit.contains(started["instance"].toString()));
        // The program itself sits in the scope.
        QByteArray cg = readFile(QString("/proc/%1/cgroup").arg(started["pid"].toInteger()));
        QVERIFY2(cg.contains(unit.toUtf8()), cg.constData());
        QCOMPARE(systemctlShow(*home_, unit, "MemoryMax"), QString::number(512ull << 20));
        QCOMPARE(systemctlShow(*home_, unit, "MemoryHigh"), QString::number(384ull << 20));
        QCOMPARE(systemctlShow(*home_, unit, "TasksMax"), QString("64"));
        QCOMPARE(systemctlShow(*home_, unit, "CPUQuotaPerSecUSec"), QString("500ms"));
        QCOMPARE(systemctlShow(*home_, unit, "CPUWeight"), QString("20"));
        QCOMPARE(systemctlShow(*home_, unit, "IOWeight"), QString("30"));
        QCOMPARE(systemctlShow(*home_, unit, "Delegate"), QString("yes"));
        // What is enforced here is reported, and agrees with the delegated controllers.
        auto limits = started["limits"].toObject();
        auto enforced = limits["enforced"].toVariant().toStringList();
        auto recorded = limits["recorded"].toVariant().toStringList();
        QCOMPARE(enforced.size() + recorded.size(), 6);
        QCOMPARE(enforced.contains("memory_max"), lb::delegatedControllers().count("memory") > 0);
        QCOMPARE(enforced.contains("tasks_max"), lb::delegatedControllers().count("pids") > 0);
        p.terminate();
        QVERIFY(finished(p, 10000));
        // The scope goes away with the sandbox.
        QTRY_VERIFY_WITH_TIMEOUT(systemctlShow(*home_, unit, "ActiveState") != "active", 5000);
    }

    void psListsThenForgets() {
        QProcess p;
        auto started = startBackground(p, {}, {probePath(), "sleep"});
        QVERIFY(!started.isEmpty());
        auto list = ps();
        QCOMPARE(list.size(), 1);
        auto i = list[0].toObject();
        QCOMPARE(i["id"].toString(), started["instance"].toString());
        QCOMPARE(i["profile"].toString(), QString("default"));
        QCOMPARE(i["pid"].toInteger(), started["pid"].toInteger());
        QCOMPARE(i["state"].toString(), QString("running"));
        QCOMPARE(i["network"].toString(), QString("none"));
        QCOMPARE(i["command"].toArray()[1].toString(), QString("sleep"));
        QVERIFY(i["cpu_usec"].toInteger() > 0);
        QVERIFY(i["tasks"].toInteger() >= 2);
        QVERIFY(i["memory_bytes"].toInteger() > 0);
        QVERIFY(!i["scope"].toString().isEmpty());
        auto r = home_->layerbox({"stop", i["id"].toString()});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(finished(p, 10000));
        QCOMPARE(ps().size(), 0);
    }

    void pauseFreezesAndResumeContinues() {
        QString dir = home_->home() + "/ticks";
        QDir().mkpath(dir);
        QProcess p;
        auto started = startBackground(
            p, {"--bind", dir},
            {"sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > " + dir + "/n; sleep 0.02; done"});
        QVERIFY(!started.isEmpty());
        QString id = started["instance"].toString();
        QTRY_VERIFY(readFile(dir + "/n").trimmed().toInt() > 2);
        QCOMPARE(home_->layerbox({"pause", id}).exitCode, 0);
        QCOMPARE(ps()[0].toObject()["state"].toString(), QString("paused"));
        QString cgroup = ps()[0].toObject()["cgroup"].toString();
        QVERIFY(readFile(cgroup + "/cgroup.events").contains("frozen 1"));
        int frozenAt = readFile(dir + "/n").trimmed().toInt();
        QTest::qWait(400);
        QCOMPARE(readFile(dir + "/n").trimmed().toInt(), frozenAt);
        QCOMPARE(home_->layerbox({"resume", id}).exitCode, 0);
        QCOMPARE(ps()[0].toObject()["state"].toString(), QString("running"));
        QTRY_VERIFY(readFile(dir + "/n").trimmed().toInt() > frozenAt + 2);
        auto stats = home_->layerbox({"stats", id, "--json"});
        QCOMPARE(stats.exitCode, 0);
        auto s = lastJson(stats.out);
        QVERIFY2(s["cpu_percent"].toDouble() > 0, qPrintable(stats.out));
        QVERIFY(s["tasks"].toInteger() >= 2);
        QCOMPARE(home_->layerbox({"stop", id}).exitCode, 0);
        QVERIFY(finished(p, 10000));
    }

    // One rule for stop, kill, pause, resume, stats and exec: a profile with one instance is
    // that instance; with several, they are refused, listing the ids (--all acts on all).
    void aProfileWithSeveralInstancesIsRefused() {
        QProcess a, b;
        auto first = startBackground(a, {"--ephemeral"}, {"sleep", "60"});
        auto second = startBackground(b, {"--ephemeral"}, {"sleep", "60"});
        QVERIFY(!first.isEmpty() && !second.isEmpty());
        const QString ida = first["instance"].toString(), idb = second["instance"].toString();
        for (const QStringList& args :
             {QStringList{"stop", "default"}, QStringList{"kill", "default"},
              QStringList{"pause", "default"}, QStringList{"resume", "default"},
              QStringList{"stats", "default"}, QStringList{"exec", "default", "--", "true"}}) {
            auto r = home_->layerbox(args);
            QVERIFY2(r.exitCode != 0, qPrintable(args.join(' ')));
            QVERIFY2(r.err.contains("\"default\" has 2 running instances") && r.err.contains(ida) &&
                         r.err.contains(idb),
                     qPrintable(args.join(' ') + ": " + r.err));
            QCOMPARE(r.err.trimmed().count('\n'), 0);
        }
        QCOMPARE(ps().size(), 2);  // none was touched
        for (const auto& v : ps())
            QCOMPARE(v.toObject()["state"].toString(), QString("running"));
        // By id: that one only.
        QCOMPARE(home_->layerbox({"stop", ida}).exitCode, 0);
        QVERIFY(a.waitForFinished(10000));
        QCOMPARE(ps().size(), 1);
        QVERIFY(startBackground(a, {"--ephemeral"}, {"sleep", "60"}).size() > 0);
        // --all: every one.
        auto r = home_->layerbox({"stop", "default", "--all"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(a.waitForFinished(10000) && b.waitForFinished(10000));
        QCOMPARE(ps().size(), 0);
    }

    void everyProcessOfTheSandboxIsInItsScope() {
        // fuse-overlayfs daemons are started by the setup process while the runner asks systemd
        // for the scope: they must still be born inside it (killed and counted with it).
        auto fuseBefore = processesNamed("fuse-overlayfs");
        QProcess p;
        auto started = startBackground(p, {"--driver", "fuse"}, {probePath(), "sleep"});
        QVERIFY(!started.isEmpty());
        QString unit = started["scope"].toString();
        QVERIFY(!unit.isEmpty());
        int daemons = 0;
        for (qint64 pid : processesNamed("fuse-overlayfs")) {
            if (fuseBefore.contains(pid)) continue;
            QByteArray cg = readFile(QString("/proc/%1/cgroup").arg(pid));
            QVERIFY2(
                cg.contains(unit.toUtf8()),
                qPrintable(
                    QString("fuse-overlayfs %1 is in %2").arg(pid).arg(QString::fromUtf8(cg))));
            ++daemons;
        }
        QVERIFY(daemons >= 1);
        QByteArray cg = readFile(QString("/proc/%1/cgroup").arg(started["pid"].toInteger()));
        QVERIFY2(cg.contains(unit.toUtf8()), cg.constData());
        p.terminate();
        QVERIFY(finished(p, 10000));
    }

    // The program is in the scope before it can fork (the setup process is born in the scope's
    // cgroup, or, where that cannot be, starts PID 1 only once the user manager's job has moved
    // it there; a process moved later would leave behind the children it already had): a child
    // the program starts at once is in the scope too.
    void aChildForkedAtOnceIsInTheScope() {
        QProcess p;
        auto started =
            startBackground(p, {}, {"sh", "-c", "sleep 60 & exec " + probePath() + " sleep"});
        QVERIFY(!started.isEmpty());
        const QString unit = started["scope"].toString();
        QVERIFY(!unit.isEmpty());
        const qint64 pid = started["pid"].toInteger();
        QList<qint64> children;
        QTRY_VERIFY_WITH_TIMEOUT(
            !(children = childrenOf(pid)).isEmpty() &&
                readFile(QString("/proc/%1/comm").arg(children.first())).trimmed() == "sleep",
            10000);
        for (qint64 pr : QList<qint64>{pid, children.first()}) {
            QByteArray cg = readFile(QString("/proc/%1/cgroup").arg(pr));
            QVERIFY2(cg.contains(unit.toUtf8()),
                     qPrintable(QString("%1 is in %2").arg(pr).arg(QString::fromUtf8(cg))));
        }
        ::kill(static_cast<pid_t>(children.first()), SIGKILL);  // else it keeps the sandbox
        p.terminate();
        QVERIFY(finished(p, 10000));
    }

    // Issue 25: the runner makes the scope's cgroup itself and the setup process is born in it,
    // so that no process is moved (a move waits for the kernel: an RCU grace period under the
    // cgroup lock). The user manager takes that very directory as its unit's. Inside, the
    // sandbox's /sys/fs/cgroup is that directory (a bind, not a cgroup2 mount), read-only, with
    // nothing above it: the attacks below fail, and the sandbox still runs afterwards.
    void theScopesCgroupIsMadeAheadAndShownReadOnly() {
        const QString script =
            "exec 3>~/cgroup-view; cat /proc/self/cgroup >&3; echo procs >&3; "
            "cat /sys/fs/cgroup/cgroup.procs >&3; echo attacks >&3; "
            "echo 1 2>&3 > /sys/fs/cgroup/cgroup.kill; echo 1 2>&3 > /sys/fs/cgroup/cgroup.freeze; "
            "mkdir /sys/fs/cgroup/escape 2>&3; echo 1 2>&3 > /sys/fs/cgroup/cgroup.procs; "
            "echo up >&3; ls /sys/fs/cgroup/.. >&3; grep ' /sys/fs/cgroup ' /proc/self/mountinfo "
            ">&3; "
            "echo end >&3; exec " +
            probePath() + " sleep";
        QProcess p;
        auto started = startBackground(p, {"--verbose"}, {"sh", "-c", script});
        QVERIFY(!started.isEmpty());
        const QString unit = started["scope"].toString();
        QVERIFY(!unit.isEmpty());
        const QByteArray verbose = p.readAllStandardError();
        QVERIFY2(verbose.contains("layerbox: the setup process starts in the scope's cgroup: " +
                                  lb::cgroup2Root() + "/") &&
                     verbose.contains("/app-layerbox.slice/" + unit.toUtf8() + "\n"),
                 verbose.constData());
        const QString view = home_->dataHome() + "/layerbox/sandboxes/default/upper" +
                             home_->home() + "/cgroup-view";
        QTRY_VERIFY_WITH_TIMEOUT(readFile(view).contains("end\n"), 10000);
        const QString text = QString::fromUtf8(readFile(view));
        qInfo().noquote() << "inside:\n" << text;

        // The unit's cgroup is the one the sandbox is in, and the manager calls it its own.
        const QString cgroup = ps()[0].toObject()["cgroup"].toString();
        QCOMPARE(cgroup, QString::fromStdString(lb::cgroup2Root()) +
                             systemctlShow(*home_, unit, "ControlGroup"));
        QVERIFY2(cgroup.endsWith("/app-layerbox.slice/" + unit), qPrintable(cgroup));
        QCOMPARE(systemctlShow(*home_, unit, "ActiveState"), QString("active"));
        const qint64 pid = started["pid"].toInteger();
        QVERIFY(readFile(QString("/proc/%1/cgroup").arg(pid)).contains(unit.toUtf8()));

        // Inside: its own cgroup is the root of what it sees, and it lists only its processes:
        // PIDs of its namespace, and 0 for the one outside it (the setup process, born there).
        const QStringList parts = text.split('\n');
        QVERIFY2(parts.contains("0::/"), qPrintable(text));
        const int procsAt = parts.indexOf("procs"), attacksAt = parts.indexOf("attacks");
        QVERIFY(procsAt >= 0 && attacksAt > procsAt + 2);
        QCOMPARE(parts[procsAt + 1], QString("0"));
        for (int i = procsAt + 2; i < attacksAt; ++i)
            QVERIFY2(parts[i].toInt() >= 1 && parts[i].toInt() < 100, qPrintable(parts[i]));
        // The attacks: killing, freezing or moving through it, a child cgroup: read-only.
        const int upAt = parts.indexOf("up");
        QVERIFY(upAt > attacksAt);
        QCOMPARE(upAt - attacksAt - 1, 4);
        for (int i = attacksAt + 1; i < upAt; ++i)
            QVERIFY2(parts[i].contains("Read-only file system"), qPrintable(parts[i]));
        // Above it: sysfs's /sys/fs, not the host's cgroup tree.
        QVERIFY2(!text.contains("user.slice") && !text.contains("app-layerbox") &&
                     !text.contains("init.scope"),
                 qPrintable(text));
        QVERIFY2(text.contains(" /sys/fs/cgroup ro,"), qPrintable(text));
        QVERIFY(readFile(cgroup + "/cgroup.events").contains("frozen 0"));
        QVERIFY(!QFileInfo::exists(cgroup + "/escape"));
        QCOMPARE(p.state(), QProcess::Running);
        p.terminate();
        QVERIFY(finished(p, 10000));
    }

    // The two steps the runner takes, for real: the directory where the user manager will put
    // a scope, and a child born in it (its own /proc/self/cgroup says so from its first
    // instruction); once the child is gone, the directory is removed.
    void aChildIsBornInTheCgroupMadeAhead() {
        const std::string unit = "app-layerbox-test-" + std::to_string(::getpid()) + ".scope";
        auto made = lb::makeScopeCgroup("app-layerbox.slice", unit);
        QVERIFY2(made, made ? "" : made.error().message().c_str());
        QVERIFY(QFileInfo(QString::fromStdString(made->dir)).isDir());
        auto cleanup = qScopeGuard([&] { lb::removeScopeCgroup(made->dir, 2000); });
        // Not from a process with threads (this test's): no atfork handlers run in its child.
        QCOMPARE(lb::forkIntoCgroup(made->fd.get()), -1);
        QCOMPARE(errno, EDEADLK);
        // From a single-threaded one, as the runner is.
        int pipefd[2];
        QVERIFY(::pipe2(pipefd, O_CLOEXEC) == 0);
        const pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            const pid_t born = lb::forkIntoCgroup(made->fd.get());
            if (born == 0) {
                char buf[4096];
                const int fd = ::open("/proc/self/cgroup", O_RDONLY);
                const ssize_t n = fd < 0 ? -1 : ::read(fd, buf, sizeof buf);
                if (n > 0) (void)!::write(pipefd[1], buf, static_cast<size_t>(n));
                ::_exit(0);
            }
            if (born < 0) {
                const std::string why = std::string("forkIntoCgroup: ") + strerror(errno);
                (void)!::write(pipefd[1], why.data(), why.size());
            }
            int st = 0;
            ::_exit(born > 0 && ::waitpid(born, &st, 0) == born ? 0 : 1);
        }
        ::close(pipefd[1]);
        QByteArray seen;
        char buf[4096];
        for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) > 0;)
            seen.append(buf, n);
        ::close(pipefd[0]);
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
        QCOMPARE(status, 0);
        QVERIFY2(seen.contains("0::/") && seen.contains("/app-layerbox.slice/" + unit + "\n"),
                 seen.constData());
        lb::removeScopeCgroup(made->dir);
        QVERIFY(!QFileInfo::exists(QString::fromStdString(made->dir)));
        // Made twice, the same name is refused: it would be someone else's directory.
        auto again = lb::makeScopeCgroup("app-layerbox.slice", unit);
        QVERIFY(again);
        QVERIFY(!lb::makeScopeCgroup("app-layerbox.slice", unit));
    }

    // Sandboxes that end before the user manager's job may have run (/bin/true) leave no unit,
    // failed or not, and no cgroup directory behind. The user manager is held (SIGSTOP) most of
    // the time meanwhile, so that its jobs run late: a job that moves the setup process as it
    // exits succeeds without moving anything, and its scope would stay active, empty, for good
    // (seen in CI; this makes it likelier, it does not force it: the job usually runs right
    // after the reply, in the same waking of the manager).
    void shortSandboxesLeaveNoScopeBehind() {
        const std::string socket = "/run/user/" + std::to_string(::getuid()) + "/systemd/private";
        int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un addr = {};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, socket.c_str(), socket.size() + 1);
        struct ucred cred = {};
        socklen_t len = sizeof cred;
        QVERIFY(s >= 0 && ::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                ::getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 1);
        ::close(s);
        const pid_t manager = cred.pid;
        std::atomic<bool> done{false};
        std::thread holder([&] {
            while (!done) {
                ::kill(manager, SIGSTOP);
                ::usleep(30000);
                ::kill(manager, SIGCONT);
                ::usleep(4000);
            }
            ::kill(manager, SIGCONT);
        });
        auto stopHolding = [&] {
            if (!done.exchange(true)) holder.join();
        };
        auto release = qScopeGuard(stopHolding);
        // A profile of its own: only this test's scopes are looked for (others may run).
        home_->writeProfile("brief", R"({"version": 1, "extends": "default"})");
        for (int i = 0; i < 12; ++i) {
            auto r = home_->layerbox({"run", "--profile", "brief", "--", "true"});
            QCOMPARE(r.exitCode, 0);
            QVERIFY2(!r.err.contains("warning"), qPrintable(r.err));
        }
        stopHolding();
        auto units = [&] {
            QProcess sc;
            sc.setProcessEnvironment(home_->env());
            sc.start("systemctl",
                     {"--user", "list-units", "--all", "--no-legend", "app-layerbox-brief-*"});
            sc.waitForFinished(10000);
            return QString::fromUtf8(sc.readAllStandardOutput()).trimmed();
        };
        QTRY_COMPARE_WITH_TIMEOUT(units(), QString(), 5000);
        // The slice's directory, where the runner makes each scope's (this test runs under
        // the same user manager as the sandboxes).
        QString own;
        for (const QByteArray& line : readFile("/proc/self/cgroup").split('\n'))
            if (line.startsWith("0::")) own = QString::fromUtf8(line.mid(3));
        auto planned =
            lb::planScopeCgroup(own.toStdString(), ::getuid(), "app-layerbox.slice", "x");
        QVERIFY2(planned, qPrintable("not under the user manager: " + own));
        const QString slice = QString::fromStdString(lb::cgroup2Root() + *planned).chopped(2);
        QVERIFY2(QFileInfo(slice).isDir(), qPrintable(slice));
        auto scopes = [&] {
            return QDir(slice).entryList({"app-layerbox-brief-*"}, QDir::Dirs).join(' ');
        };
        QTRY_COMPARE_WITH_TIMEOUT(scopes(), QString(), 5000);
    }

    // Issue 25: the scope is asked for on the user manager's own socket (no bus daemon between),
    // the one next to the session bus's socket: here a folder in the real runtime directory
    // with a link to that socket and no bus, so only the direct way can make the scope; the
    // program must be in it.
    void theScopeComesFromTheManagersOwnSocket() {
        QTemporaryDir dir(QString("/run/user/%1/lbtest-XXXXXX").arg(::getuid()));
        QVERIFY(dir.isValid() && QDir().mkpath(dir.path() + "/systemd"));
        QVERIFY(::link(qPrintable(QString("/run/user/%1/systemd/private").arg(::getuid())),
                       qPrintable(dir.path() + "/systemd/private")) == 0);
        auto env = home_->env();
        env.insert("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + dir.path() + "/bus");
        QProcess p;
        auto started = startBackground(p, {}, {probePath(), "sleep"}, env);
        QVERIFY(!started.isEmpty());
        QString unit = started["scope"].toString();
        QVERIFY2(!unit.isEmpty(), "no scope without the session bus");
        QByteArray cg = readFile(QString("/proc/%1/cgroup").arg(started["pid"].toInteger()));
        QVERIFY2(cg.contains(unit.toUtf8()), cg.constData());
        p.terminate();
        QVERIFY(finished(p, 10000));
    }

    // ... and a socket there that nobody answers on (a user manager gone) falls back to the
    // session bus (a link to the real one).
    void aDeadManagerSocketFallsBackToTheBus() {
        QTemporaryDir dir(QString("/run/user/%1/lbtest-XXXXXX").arg(::getuid()));
        QVERIFY(dir.isValid() && QDir().mkpath(dir.path() + "/systemd"));
        QVERIFY(::link(qPrintable(QString("/run/user/%1/bus").arg(::getuid())),
                       qPrintable(dir.path() + "/bus")) == 0);
        const QByteArray path = (dir.path() + "/systemd/private").toUtf8();
        int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        QVERIFY(fd >= 0);
        struct sockaddr_un addr = {};
        addr.sun_family = AF_UNIX;
        QVERIFY(static_cast<size_t>(path.size()) < sizeof addr.sun_path);
        std::memcpy(addr.sun_path, path.constData(), static_cast<size_t>(path.size()));
        QVERIFY(::bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) == 0);
        ::close(fd);  // the file stays, nobody listens
        auto env = home_->env();
        env.insert("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + dir.path() + "/bus");
        QProcess p;
        auto started = startBackground(p, {}, {probePath(), "sleep"}, env);
        QVERIFY(!started.isEmpty());
        QString unit = started["scope"].toString();
        QVERIFY2(!unit.isEmpty(), "no scope through the session bus");
        QByteArray cg = readFile(QString("/proc/%1/cgroup").arg(started["pid"].toInteger()));
        QVERIFY2(cg.contains(unit.toUtf8()), cg.constData());
        p.terminate();
        QVERIFY(finished(p, 10000));
    }

    void stopEndsDaemonsThatDetached() {
        // A daemon that double-forked, started its own session and ignores SIGTERM.
        QProcess p;
        auto started = startBackground(
            p, {},
            {"sh", "-c",
             "(setsid sh -c 'trap \"\" TERM; while :; do sleep 1; done' &) ; exec " + probePath() +
                 " sleep"});
        QVERIFY(!started.isEmpty());
        auto list = ps();
        QString cgroup = list[0].toObject()["cgroup"].toString();
        QTRY_VERIFY(readFile(cgroup + "/cgroup.procs").split('\n').size() >= 5);
        auto r = home_->layerbox({"stop", started["instance"].toString(), "--timeout", "1"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(finished(p, 10000));
        QTRY_VERIFY_WITH_TIMEOUT(
            !QFileInfo::exists(cgroup) || readFile(cgroup + "/cgroup.procs").trimmed().isEmpty(),
            5000);
    }

    // Issue 21: a program that restarts itself (a browser: its first process starts its
    // successor and exits) keeps its sandbox under lifetime "all", the default; the runner
    // says why the sandbox ended.
    void aProgramThatHandsOverKeepsItsSandbox() {
        QProcess p;
        auto started =
            startBackground(p, {}, {"sh", "-c", "(exec " + probePath() + " sleep &) ; exit 0"});
        QVERIFY(!started.isEmpty());
        const qint64 first = started["pid"].toInteger();
        QTRY_VERIFY_WITH_TIMEOUT(!processAlive(first), 10000);
        // The first process is gone, its successor runs on in the same sandbox.
        QVERIFY2(!finished(p, 1500), p.readAllStandardError().constData());
        auto list = ps();
        QCOMPARE(list.size(), 1);
        QCOMPARE(list[0].toObject()["lifetime"].toObject()["until"].toString(), QString("all"));
        QVERIFY(home_->layerbox({"ps"}).out.contains(" all "));
        auto r = home_->layerbox({"stop", started["instance"].toString()});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(finished(p, 20000));
        QByteArray err = p.readAllStandardError();
        QVERIFY2(err.contains("ended: stopped by layerbox stop (the program exited with status 0)"),
                 err.constData());
        QCOMPARE(p.exitCode(), 0);
    }

    void theLastProcessEndsTheSandbox() {
        QProcess p;
        auto started = startBackground(p, {}, {"sh", "-c", "(sleep 1; exit 4) & exit 3"});
        QVERIFY(!started.isEmpty());
        QVERIFY(finished(p, 20000));
        QByteArray out = p.readAllStandardOutput(), err = p.readAllStandardError();
        QVERIFY2(err.contains("ended: its last process ended (the program's first process exited "
                              "with status 3 earlier; lifetime \"all\")"),
                 err.constData());
        QCOMPARE(p.exitCode(), 3);  // the program's own status
        QVERIFY2(statusEvent(out, "exited")["reason"].toString().contains("its last process"),
                 out.constData());
    }

    void lifetimeMainEndsWithTheFirstProcess() {
        home_->writeProfile("mainonly",
                            R"({"version": 1, "lifetime": {"until": "main", "grace": 1}})");
        QProcess p;
        auto started = startBackground(p, {"--profile", "mainonly"},
                                       {"sh", "-c", "(exec " + probePath() + " sleep &) ; exit 0"});
        QVERIFY(!started.isEmpty());
        QVERIFY(finished(p, 20000));
        QByteArray err = p.readAllStandardError();
        QVERIFY2(err.contains("ended: the program exited with status 0; the 1 process(es) it left "
                              "were ended (lifetime \"main\")"),
                 err.constData());
        QCOMPARE(p.exitCode(), 0);
        QCOMPARE(home_->layerbox({"profile", "show", "mainonly"})
                     .out.contains("until the program's first process ends"),
                 true);
    }

    void killedRunnerLeavesNothingBehind() {
        QProcess p;
        auto started = startBackground(p, {}, {probePath(), "sleep"});
        QVERIFY(!started.isEmpty());
        QString unit = started["scope"].toString();
        qint64 pid = started["pid"].toInteger();
        QString instances = home_->runtimeDir() + "/layerbox/instances";
        QVERIFY(!QDir(instances).entryList(QDir::Files).isEmpty());
        ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
        QVERIFY(finished(p, 5000));
        QTRY_VERIFY_WITH_TIMEOUT(!processAlive(pid), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(systemctlShow(*home_, unit, "ActiveState") != "active", 5000);
        // The record is stale now; the next ps notices and removes it.
        QCOMPARE(ps().size(), 0);
        QCOMPARE(QDir(instances).entryList(QDir::Files), QStringList());
    }

    // Issue 17: a deleted lock file (a cleaner of the runtime directory, a user's rm) must not
    // make a running sandbox unlistable and unstoppable while `run` says it runs; a deleted
    // record too is named with the process to end.
    void aDeletedLockFileLeavesTheSandboxInReach() {
        QProcess p;
        auto started = startBackground(p, {}, {probePath(), "sleep"});
        QVERIFY(!started.isEmpty());
        const QString id = started["instance"].toString();
        const QString instances = home_->runtimeDir() + "/layerbox/instances";
        QVERIFY(QFile::remove(instances + "/" + id + ".lock"));
        auto r = home_->layerbox({"ps", "--json"});
        auto list = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QCOMPARE(list.size(), 1);
        QCOMPARE(list[0].toObject()["id"].toString(), id);
        QCOMPARE(list[0].toObject()["lock_missing"].toBool(), true);
        QVERIFY2(r.err.contains("lock file of instance " + id + " was deleted"), qPrintable(r.err));
        // run joins it as it would any running sandbox; stop ends it.
        r = home_->layerbox({"run", "--", "true"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = home_->layerbox({"stop", "default"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(finished(p, 10000));
        QCOMPARE(ps().size(), 0);

        // Record and lock both gone: run names the runner to end.
        QProcess q;
        started = startBackground(q, {}, {probePath(), "sleep"});
        QVERIFY(!started.isEmpty());
        for (const QString& f : QDir(instances).entryList(QDir::Files | QDir::System))
            QFile::remove(instances + "/" + f);
        QCOMPARE(ps().size(), 0);
        r = home_->layerbox({"run", "--", "true"});
        QCOMPARE(r.exitCode, 125);
        const QString kill = "'kill " + QString::number(q.processId()) + "' ends it";
        QVERIFY2(r.err.contains(kill), qPrintable(r.err));
        ::kill(static_cast<pid_t>(q.processId()), SIGTERM);
        QVERIFY(finished(q, 10000));
        QCOMPARE(home_->layerbox({"run", "--", "true"}).exitCode, 0);
    }

    void joiningSeesFilesAndProcesses() {
        QProcess p;
        auto started = startBackground(
            p, {}, {"sh", "-c", "echo from-first > /tmp/shared; exec " + probePath() + " sleep"});
        QVERIFY(!started.isEmpty());
        QString id = started["instance"].toString();
        auto r =
            home_->layerbox({"exec", id, "--", "sh", "-c",
                             "cat /tmp/shared; cat /proc/2/comm; grep ^0:: /proc/self/cgroup"});
        QCOMPARE(r.exitCode, 0);
        QStringList lines = r.out.split('\n');
        QCOMPARE(lines[0], QString("from-first"));
        QCOMPARE(lines[1], QString("lbprobe"));
        QCOMPARE(lines[2], QString("0::/"));  // same cgroup namespace: its root is the scope
        // Exit statuses come back, and the sandbox outlives a joined program.
        QCOMPARE(home_->layerbox({"exec", id, "--", "sh", "-c", "exit 9"}).exitCode, 9);
        QCOMPARE(home_->layerbox({"run", "--", "sh", "-c", "exit 4"}).exitCode, 4);  // joins too
        QCOMPARE(ps().size(), 1);
        // The main program ending while a joined one runs: the sandbox lives on until it ends.
        QProcess joined;
        joined.setProcessEnvironment(home_->env());
        joined.start(layerboxBin(), {"exec", id, "--", "sh", "-c", "sleep 1; echo late"});
        QVERIFY(joined.waitForStarted());
        QTest::qWait(300);
        QCOMPARE(home_->layerbox({"exec", id, "--", "sh", "-c", "kill -TERM 2"}).exitCode, 0);
        QVERIFY(finished(joined, 10000));
        QCOMPARE(joined.exitCode(), 0);
        QCOMPARE(QString::fromUtf8(joined.readAllStandardOutput()), QString("late\n"));
        QVERIFY(finished(p, 10000));
        QCOMPARE(ps().size(), 0);
    }

    void withoutAUserBusItStillRunsAndWarns() {
        home_->writeProfile(
            "limited", R"({"version": 1, "resources": {"memory_max": "1G", "tasks_max": 100}})");
        QProcess p;
        auto env = home_->env();
        env.remove("DBUS_SESSION_BUS_ADDRESS");  // and the private runtime dir has no bus socket
        p.setProcessEnvironment(env);
        p.start(layerboxBin(), {"run", "--profile", "limited", "--", "echo", "ran"});
        QVERIFY(finished(p, 30000));
        QCOMPARE(p.exitCode(), 0);
        QCOMPARE(QString::fromUtf8(p.readAllStandardOutput()), QString("ran\n"));
        QString err = QString::fromUtf8(p.readAllStandardError());
        // One warning, then the line that says why the sandbox ended.
        QCOMPARE(err.count('\n'), 2);
        QCOMPARE(err.count("layerbox: warning:"), 1);
        QVERIFY2(err.contains("ended: the program exited with status 0\n"), qPrintable(err));
        QVERIFY2(err.startsWith("layerbox: warning: no systemd scope") &&
                     err.contains("memory_max, tasks_max not applied"),
                 qPrintable(err));
        // A profile that requires its limits refuses instead.
        home_->writeProfile(
            "strict",
            R"({"version": 1, "resources": {"memory_max": "1G", "require_limits": true}})");
        p.start(layerboxBin(), {"run", "--profile", "strict", "--", "true"});
        QVERIFY(finished(p, 30000));
        QCOMPARE(p.exitCode(), 125);
        QVERIFY(QString::fromUtf8(p.readAllStandardError()).contains("requires its limits"));
    }

    void requiredLimitsFollowWhatTheHostEnforces() {
        home_->writeProfile(
            "strict",
            R"({"version": 1, "resources": {"memory_max": "1G", "tasks_max": 100, "require_limits": true}})");
        auto r = home_->layerbox({"run", "--profile", "strict", "--", "true"});
        auto delegated = lb::delegatedControllers();
        if (delegated.count("memory") && delegated.count("pids")) {
            QCOMPARE(r.exitCode, 0);
        } else {
            QCOMPARE(r.exitCode, 125);
            QVERIFY2(r.err.contains("does not enforce") && r.err.contains("memory_max"),
                     qPrintable(r.err));
        }
    }

    // Issue 17, item 6: a launch that fails while building the file system must not leave an
    // empty scope behind (the setup process can die before the user manager attached it; the
    // scope then stayed active for good in about two of three tries with the native driver).
    void failedLaunchLeavesNoScope_data() {
        QTest::addColumn<QString>("driver");
        QTest::newRow("native") << "native";
        QTest::newRow("fuse") << "fuse";
    }
    void failedLaunchLeavesNoScope() {
        QFETCH(QString, driver);
        home_->writeProfile(
            "leakcheck",
            R"({"version": 1, "filesystem": {"binds": [{"host": "/nonexistent/lbtest", "sandbox": "/mnt/x"}]}})");
        auto units = [&] {
            QProcess p;
            p.setProcessEnvironment(home_->env());
            p.start("systemctl", {"--user", "list-units", "--all", "--plain", "--no-legend",
                                  "app-layerbox-leakcheck-*"});
            p.waitForFinished(10000);
            return QString::fromUtf8(p.readAllStandardOutput()).trimmed();
        };
        for (int i = 0; i < 10; ++i) {
            auto r = home_->layerbox(
                {"run", "--profile", "leakcheck", "--driver", driver, "--", "true"});
            QCOMPARE(r.exitCode, 125);
            QVERIFY2(r.err.contains("/nonexistent/lbtest"), qPrintable(r.err));
            QString left = units();
            QVERIFY2(left.isEmpty(), qPrintable(QString("try %1 left: %2").arg(i).arg(left)));
        }
    }
};

QTEST_GUILESS_MAIN(TstInstances)
#include "tst_instances.moc"
