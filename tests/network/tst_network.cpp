// Networking for real: slirp4netns NAT, port forwards, the firewall inside the sandbox's own
// network namespace, and what happens when slirp4netns dies. Servers run only on the host's
// 127.0.0.1, started by the test (reached from inside through slirp4netns' 10.0.2.2).
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "testsupport.h"

using namespace lbtest;

namespace {

// TCP and UDP echo on 127.0.0.1, same port number, in a thread of its own.
class EchoServer {
public:
    EchoServer() {
        tcp_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        udp_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        for (int attempt = 0; attempt < 50 && port_ == 0; ++attempt) {
            a.sin_port = 0;
            if (::bind(tcp_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) continue;
            socklen_t len = sizeof a;
            ::getsockname(tcp_, reinterpret_cast<sockaddr*>(&a), &len);
            if (::bind(udp_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0)
                port_ = ntohs(a.sin_port);
        }
        ::listen(tcp_, 8);
        thread_ = std::thread([this] { loop(); });
    }
    ~EchoServer() {
        stop_ = true;
        thread_.join();
        ::close(tcp_);
        ::close(udp_);
    }
    int port() const { return port_; }

private:
    void loop() {
        while (!stop_) {
            struct pollfd p[2] = {{tcp_, POLLIN, 0}, {udp_, POLLIN, 0}};
            if (::poll(p, 2, 100) <= 0) continue;
            char buf[256];
            if (p[0].revents & POLLIN) {
                int c = ::accept(tcp_, nullptr, nullptr);
                if (c >= 0) {
                    struct timeval tv = {2, 0};
                    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
                    ssize_t n = ::read(c, buf, sizeof buf);
                    if (n > 0) (void)!::write(c, buf, static_cast<size_t>(n));
                    ::close(c);
                }
            }
            if (p[1].revents & POLLIN) {
                struct sockaddr_in from;
                socklen_t len = sizeof from;
                ssize_t n =
                    ::recvfrom(udp_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
                if (n > 0)
                    ::sendto(udp_, buf, static_cast<size_t>(n), 0,
                             reinterpret_cast<sockaddr*>(&from), len);
            }
        }
    }
    int tcp_ = -1, udp_ = -1, port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

int freePort() {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(s);
    return ntohs(a.sin_port);
}

// Connect to 127.0.0.1:port from the host, send "ping", read the answer.
QByteArray hostEcho(int port) {
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {3, 0};
    ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    QByteArray out;
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::write(s, "ping", 4) == 4) {
        char buf[16];
        ssize_t n = ::read(s, buf, sizeof buf);
        if (n > 0) out = QByteArray(buf, static_cast<int>(n));
    }
    ::close(s);
    return out;
}

}  // namespace

class TstNetwork : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;

    QJsonObject attempt(const QString& profile, const QString& what, const QString& arg) {
        auto r = home_->layerbox(QStringList{"run", "--profile", profile} + probeBind() +
                                 QStringList{"--", probePath(), "try", what, arg});
        if (r.exitCode != 0) qWarning().noquote() << "run failed" << r.exitCode << r.err;
        return lastJson(r.out);
    }
    // The real slirp4netns, for a wrapper to run.
    static QByteArray slirpPath() { return QStandardPaths::findExecutable("slirp4netns").toUtf8(); }
    // A `slirp4netns` in `dir` (put first in PATH) running `script` with bash.
    static void writeSlirpWrapper(const QString& dir, const QByteArray& script) {
        QFile w(dir + "/slirp4netns");
        QVERIFY(w.open(QIODevice::WriteOnly));
        w.write("#!/bin/bash\n" + script);
        w.close();
        QVERIFY(QFile::setPermissions(w.fileName(), QFile::ReadOwner | QFile::ExeOwner));
    }
    void profile(const QString& name, const QString& network) {
        home_->writeProfile(name,
                            QString(R"({"version": 1, "network": %1})").arg(network).toUtf8());
    }

private slots:
    void initTestCase() {
        QVERIFY2(::getuid() != 0, "must run as an unprivileged user");
        QVERIFY2(QFileInfo("/dev/net/tun").isWritable(),
                 "/dev/net/tun must be usable (scripts/test-host-setup)");
    }
    void init() { home_ = std::make_unique<TestHome>(); }
    void cleanup() {
        home_.reset();
        QTRY_COMPARE_WITH_TIMEOUT(processesNamed("slirp4netns").size(), 0, 5000);
    }

    void noneHasOnlyLoopback() {
        EchoServer echo;
        auto r = home_->layerbox(QStringList{"run"} + probeBind() +
                                 QStringList{"--", probePath(), "report"});
        QCOMPARE(lastJson(r.out)["net"].toArray(), QJsonArray{"lo"});
        auto t = attempt("default", "tcp-connect", QString("10.0.2.2:%1").arg(echo.port()));
        QCOMPARE(t["succeeded"].toBool(), false);
        QCOMPARE(t["errno"].toInt(), ENETUNREACH);
    }

    void natConfiguresTheSandbox() {
        profile("natty", R"({"mode": "nat", "hostname": "box-one", "dns": ["192.0.2.53"]})");
        QByteArray hostResolv = readFile("/etc/resolv.conf");
        auto r = home_->layerbox(QStringList{"run", "--profile", "natty"} + probeBind() +
                                 QStringList{"--", "sh", "-c",
                                             "cat /etc/resolv.conf /etc/hostname /etc/hosts; " +
                                                 probePath() + " report"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("nameserver 192.0.2.53\n"));
        QVERIFY(!r.out.contains("nameserver 10.0.2.3"));
        QVERIFY(r.out.contains("box-one\n127.0.0.1\tlocalhost\n127.0.1.1\tbox-one\n"));
        auto j = lastJson(r.out);
        QCOMPARE(j["hostname"].toString(), QString("box-one"));
        auto nets = j["net"].toVariant().toStringList();
        nets.sort();
        QCOMPARE(nets, (QStringList{"lo", "tap0"}));
        QCOMPARE(readFile("/etc/resolv.conf"), hostResolv);  // the host's file is untouched
        // Default DNS is slirp4netns' forwarder.
        profile("nat2", R"({"mode": "nat"})");
        auto d = home_->layerbox({"run", "--profile", "nat2", "--", "cat", "/etc/resolv.conf"});
        QVERIFY(d.out.contains("nameserver 10.0.2.3\n"));
        // Nothing of the network is left in the sandbox's layer.
        auto diff = QDir(home_->dataHome() + "/layerbox/sandboxes/nat2/upper/etc")
                        .entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::System);
        QCOMPARE(diff, QStringList());
    }

    void hostServices_data() {
        QTest::addColumn<QString>("network");
        QTest::addColumn<bool>("reachable");
        QTest::addColumn<int>("blockedErrno");
        QTest::newRow("open, host loopback allowed")
            << R"({"mode": "nat", "host_loopback": true, "firewall": {"preset": "open"}})" << true
            << 0;
        QTest::newRow("open, host loopback not allowed")
            << R"({"mode": "nat", "firewall": {"preset": "open"}})" << false
            << int(ENETUNREACH);  // slirp4netns refuses it
        QTest::newRow("internet-only (the default)")
            << R"({"mode": "nat", "host_loopback": true})" << false << int(EHOSTUNREACH);
        QTest::newRow("host-only without a rule")
            << R"({"mode": "nat", "host_loopback": true, "firewall": {"preset": "host-only"}})"
            << false << int(EHOSTUNREACH);
        QTest::newRow("host-only with a rule")
            << R"({"mode": "nat", "host_loopback": true, "firewall": {"preset": "host-only", "rules": [{"action": "allow", "to": "10.0.2.2/32"}]}})"
            << true << 0;
    }
    void hostServices() {
        QFETCH(QString, network);
        QFETCH(bool, reachable);
        QFETCH(int, blockedErrno);
        EchoServer echo;
        profile("p", network);
        auto tcp = attempt("p", "tcp-echo", QString("10.0.2.2:%1").arg(echo.port()));
        QCOMPARE(tcp["succeeded"].toBool(), reachable);
        if (reachable)
            QCOMPARE(tcp["detail"].toString(), QString("ping"));
        else
            QCOMPARE(tcp["errno"].toInt(), blockedErrno);
        auto udp = attempt("p", "udp-echo", QString("10.0.2.2:%1").arg(echo.port()));
        QCOMPARE(udp["succeeded"].toBool(), reachable);
    }

    void aDenyRuleBlocksWhatAnAllowRuleWouldOpen() {
        EchoServer a, b;
        profile(
            "rules",
            QString(R"({"mode": "nat", "host_loopback": true, "firewall": {"preset": "host-only",
            "rules": [{"action": "deny", "to": "10.0.2.2/32", "ports": %1, "proto": "tcp"},
                      {"action": "allow", "to": "10.0.2.2/32"}]}})")
                .arg(a.port()));
        auto blocked = attempt("rules", "tcp-echo", QString("10.0.2.2:%1").arg(a.port()));
        QCOMPARE(blocked["succeeded"].toBool(), false);
        QCOMPARE(blocked["errno"].toInt(), EHOSTUNREACH);
        auto open = attempt("rules", "tcp-echo", QString("10.0.2.2:%1").arg(b.port()));
        QCOMPARE(open["succeeded"].toBool(), true);
    }

    void theLanIsUnreachableUnderInternetOnly_data() {
        QTest::addColumn<QString>("target");
        QTest::newRow("192.168/16") << "192.168.1.1:80";
        QTest::newRow("10/8") << "10.20.30.40:443";
        QTest::newRow("172.16/12") << "172.20.0.1:22";
        QTest::newRow("link-local") << "169.254.169.254:80";
        QTest::newRow("CGNAT") << "100.64.0.1:80";
        QTest::newRow("the host") << "10.0.2.2:22";
    }
    void theLanIsUnreachableUnderInternetOnly() {
        QFETCH(QString, target);
        profile("web", R"({"mode": "nat", "host_loopback": true})");
        auto t = attempt("web", "tcp-connect", target);
        QCOMPARE(t["succeeded"].toBool(), false);
        QCOMPARE(t["errno"].toInt(), EHOSTUNREACH);  // rejected by the firewall, at once
    }

    void theProgramCannotChangeTheFirewall() {
        EchoServer echo;
        profile("web", R"({"mode": "nat", "host_loopback": true})");
        auto r =
            home_->layerbox(QStringList{"run", "--profile", "web"} + probeBind() +
                            QStringList{"--", "sh", "-c",
                                        "nft flush ruleset; echo nft=$?; " + probePath() +
                                            QString(" try tcp-echo 10.0.2.2:%1").arg(echo.port())});
        QVERIFY2(r.out.contains("nft=1"), qPrintable(r.out + r.err));
        QVERIFY2(r.err.contains("Operation not permitted"), qPrintable(r.err));
        auto t = lastJson(r.out);
        QCOMPARE(t["succeeded"].toBool(), false);
        QCOMPARE(t["errno"].toInt(), EHOSTUNREACH);
    }

    void portForwardReachesAServerInside() {
        int port = freePort();
        profile("srv",
                QString(R"({"mode": "nat", "ports": [{"host": %1, "sandbox": 8080}]})").arg(port));
        QProcess p;
        p.setProcessEnvironment(home_->env());
        p.start(layerboxBin(), QStringList{"run", "--profile", "srv"} + probeBind() +
                                   QStringList{"--", probePath(), "serve", "8080"});
        QVERIFY(p.waitForStarted());
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += p.readAllStandardOutput()).contains("listening") ||
                                     p.state() != QProcess::Running,
                                 20000);
        QCOMPARE(hostEcho(port), QByteArray("ping"));
        // Forwards listen on 127.0.0.1 only, unless written otherwise.
        QByteArray tcp = readFile("/proc/net/tcp");
        QVERIFY(tcp.contains(QString(":%1 ").arg(port, 4, 16, QChar('0')).toUpper().toUtf8()));
        QVERIFY(
            tcp.contains(QString("0100007F:%1").arg(port, 4, 16, QChar('0')).toUpper().toUtf8()));
        p.terminate();
        QVERIFY(finished(p, 10000));
    }

    void aTakenPortFailsTheLaunchCleanly() {
        int blocker = ::socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QCOMPARE(::bind(blocker, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        ::listen(blocker, 1);
        socklen_t len = sizeof a;
        ::getsockname(blocker, reinterpret_cast<sockaddr*>(&a), &len);
        int port = ntohs(a.sin_port);
        profile("taken",
                QString(R"({"mode": "nat", "ports": [{"host": %1, "sandbox": 80}]})").arg(port));
        QString marker = home_->home() + "/started";
        auto r = home_->layerbox(
            {"run", "--profile", "taken", "--bind", home_->home(), "--", "touch", marker});
        ::close(blocker);
        QCOMPARE(r.exitCode, 125);
        QCOMPARE(r.err.count('\n'), 1);
        QVERIFY2(r.err.contains(QString("127.0.0.1:%1/tcp").arg(port)), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(marker));  // the program never started
        QCOMPARE(processesNamed("slirp4netns").size(), 0);
        QCOMPARE(
            QDir(home_->runtimeDir() + "/layerbox/instances").entryList(QDir::Files | QDir::System),
            QStringList());
    }

    // The program starts once slirp4netns' child has configured tap0, before slirp4netns has
    // confined itself and said it is ready: what the program sends first must not be lost. A
    // UDP datagram is the test (it is sent once; a TCP connection would be retried). Here
    // slirp4netns starts 0.3 s late (a launch that did not wait for tap0 fails: no route), and
    // its own sandbox, between tap0 and its loop, takes 0.8 s more (strace delays its unshare):
    // the datagram (and the ARP request before it, retried each second) is sent in that window
    // and waits in tap0's queue; the probe waits 3 s for the answer.
    void theProgramsFirstPacketIsNotLost() {
        EchoServer echo;
        QTemporaryDir bin;
        writeSlirpWrapper(bin.path(),
                          "sleep 0.3\n"
                          "exec strace -f -qq -o /dev/null -e trace=unshare "
                          "-e inject=unshare:delay_enter=800000 " +
                              slirpPath() + " \"$@\"\n");
        QProcessEnvironment env = home_->env();
        env.insert("PATH", bin.path() + ":" + env.value("PATH"));
        profile("first",
                R"({"mode": "nat", "host_loopback": true, "firewall": {"preset": "open"}})");
        for (int i = 0; i < 3; ++i) {
            auto r = home_->layerboxIn(home_->home(),
                                       QStringList{"run", "--profile", "first", "--verbose"} +
                                           probeBind() +
                                           QStringList{"--", probePath(), "try", "udp-echo",
                                                       QString("10.0.2.2:%1").arg(echo.port())},
                                       60000, env);
            QCOMPARE(r.exitCode, 0);
            auto j = lastJson(r.out);
            QVERIFY2(j["succeeded"].toBool() && j["detail"].toString() == "ping",
                     qPrintable(r.out + r.err));
            // tap0 configured, the program started, and only then slirp4netns' ready byte.
            const qsizetype configured = r.err.indexOf("] network ready");
            const qsizetype started = r.err.indexOf("] program started");
            const qsizetype ready = r.err.indexOf("] slirp4netns ready");
            QVERIFY2(configured >= 0 && started > configured && ready > started, qPrintable(r.err));
        }
    }

    // A slirp4netns that configures tap0 and then fails is a failed launch, whether the program
    // has started by then or not: the sandbox ends at once, with one line that says why (its
    // own reason, from its log, which is kept), and nothing is left.
    void slirpFailingAfterTap0EndsTheLaunch_data() {
        QTest::addColumn<QByteArray>("script");
        QTest::addColumn<QString>("reason");
        QTest::addColumn<bool>("programStarted");
        // Its API socket cannot be made: right after tap0, before or after "Go".
        QTest::newRow("API socket")
            << QByteArray(
                   "a=()\n"
                   "for x in \"$@\"; do case \"$x\" in\n"
                   "  --api-socket=*) a+=(--api-socket=/nonexistent-layerbox-test/a.sock);;\n"
                   "  *) a+=(\"$x\");;\n"
                   "esac; done\n"
                   "exec " +
                   slirpPath() + " \"${a[@]}\"\n")
            << "api_bindlisten: bind: No such file or directory" << false;
        // Its own sandbox cannot be made, 0.3 s after tap0: the program is running by then.
        QTest::newRow("its sandbox, the program running")
            << QByteArray(
                   "exec strace -f -qq -o /dev/null -e trace=unshare "
                   "-e inject=unshare:error=EPERM:delay_enter=300000 " +
                   slirpPath() + " \"$@\"\n")
            << "cannot unshare new mount namespace" << true;
    }
    void slirpFailingAfterTap0EndsTheLaunch() {
        QFETCH(QByteArray, script);
        QFETCH(QString, reason);
        QFETCH(bool, programStarted);
        QTemporaryDir bin;
        writeSlirpWrapper(bin.path(), script);
        QProcessEnvironment env = home_->env();
        env.insert("PATH", bin.path() + ":" + env.value("PATH"));
        profile("broken", R"({"mode": "nat"})");
        auto r = home_->layerboxIn(home_->home(),
                                   {"run", "--profile", "broken", "--status-fd", "1", "--", "sh",
                                    "-c", "exec sleep 29.75"},
                                   20000, env);
        QCOMPARE(r.exitCode, 125);
        QCOMPARE(r.err.count('\n'), 1);
        QVERIFY2(r.err.contains("setting up the network: slirp4netns did not bring the network "
                                "up: " +
                                reason + " (log: "),
                 qPrintable(r.err));
        const QString log = r.err.section("(log: ", 1).section(")", 0, 0);
        QVERIFY2(QFileInfo::exists(log), qPrintable(log));
        if (programStarted) QVERIFY2(r.out.contains("\"event\":\"started\""), qPrintable(r.out));
        QCOMPARE(processesNamed("slirp4netns").size(), 0);
        for (qint64 pid : processesNamed("sleep"))
            QVERIFY(!readFile(QString("/proc/%1/cmdline").arg(pid)).contains("29.75"));
        QCOMPARE(
            QDir(home_->runtimeDir() + "/layerbox/instances").entryList(QDir::Files | QDir::System),
            QStringList());
    }

    // Each connection of the sandbox is a descriptor of slirp4netns: it runs with the user's
    // hard limit of open files, not the usual soft 1,024 (a burst of connections failed).
    void slirpMayOpenAsManyFilesAsTheUser() {
        struct rlimit mine;
        QCOMPARE(::getrlimit(RLIMIT_NOFILE, &mine), 0);
        QVERIFY2(mine.rlim_max > 1024,
                 "this user's hard limit of open files is 1,024: nothing to raise to");
        // The launch starts from the usual soft limit, whatever this test was given.
        struct rlimit low = mine;
        low.rlim_cur = 1024;
        QCOMPARE(::setrlimit(RLIMIT_NOFILE, &low), 0);
        auto restore = qScopeGuard([&] { ::setrlimit(RLIMIT_NOFILE, &mine); });
        profile("web", R"({"mode": "nat"})");
        QProcess p;
        p.setProcessEnvironment(home_->env());
        p.start(layerboxBin(), {"run", "--profile", "web", "--no-pty", "--", "sleep", "30"});
        QVERIFY(p.waitForStarted());
        // This sandbox's slirp4netns: its API socket is in this test's runtime folder (another
        // test's may still be ending).
        const QByteArray runtime = home_->runtimeDir().toUtf8();
        auto ours = [&runtime]() -> qint64 {
            for (qint64 pid : processesNamed("slirp4netns"))
                if (readFile(QString("/proc/%1/cmdline").arg(pid)).contains(runtime)) return pid;
            return 0;
        };
        QElapsedTimer waited;  // a wait, not a speed check
        waited.start();
        while (ours() == 0 && p.state() == QProcess::Running && waited.elapsed() < 60000)
            QTest::qWait(100);
        QVERIFY2(ours() != 0, qPrintable(QString("no slirp4netns of this sandbox after %1 ms; "
                                                 "slirp4netns running: %2; runner: %3")
                                             .arg(waited.elapsed())
                                             .arg(processesNamed("slirp4netns").size())
                                             .arg(QString::fromUtf8(p.readAll()))));
        const qint64 pid = ours();
        // Max open files SOFT HARD (the runner raises it right after slirp4netns' exec)
        auto limitOf = [](qint64 of) {
            for (const auto& l :
                 QString::fromUtf8(readFile(QString("/proc/%1/limits").arg(of))).split('\n'))
                if (l.startsWith("Max open files")) return l.split(' ', Qt::SkipEmptyParts);
            return QStringList();
        };
        QTRY_VERIFY_WITH_TIMEOUT(limitOf(pid).size() >= 5 && limitOf(pid)[3] == limitOf(pid)[4],
                                 10000);
        const QStringList f = limitOf(pid);
        QCOMPARE(f[3], f[4]);
        QCOMPARE(f[4].toULongLong(), static_cast<qulonglong>(mine.rlim_max));
        // Raised for slirp4netns alone: the runner keeps the user's soft limit, which the
        // sandbox's processes inherit (select() breaks above 1,024 descriptors).
        const QStringList rf = limitOf(p.processId());
        QVERIFY2(rf.size() >= 5, qPrintable(rf.join(' ')));
        QCOMPARE(rf[3].toULongLong(), static_cast<qulonglong>(low.rlim_cur));
        p.kill();
        QVERIFY(finished(p, 20000));
    }

    void slirpDyingLeavesTheSandboxRunningWithoutNetwork() {
        EchoServer echo;
        profile("web", R"({"mode": "nat", "host_loopback": true, "firewall": {"preset": "open"}})");
        QString dir = home_->home() + "/out";
        QDir().mkpath(dir);
        QProcess p;
        p.setProcessEnvironment(home_->env());
        QString loop = QString("while :; do %1 try tcp-echo 10.0.2.2:%2 > %3/last; sleep 0.1; done")
                           .arg(probePath())
                           .arg(echo.port())
                           .arg(dir);
        p.start(layerboxBin(),
                QStringList{"run", "--profile", "web", "--status-fd", "1", "--bind", dir} +
                    probeBind() + QStringList{"--", "sh", "-c", loop});
        QVERIFY(p.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(readFile(dir + "/last").contains("\"succeeded\":true"), 20000);
        auto slirps = processesNamed("slirp4netns");
        QCOMPARE(slirps.size(), 1);
        ::kill(static_cast<pid_t>(slirps[0]), SIGKILL);
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += p.readAllStandardOutput()).contains("\"network-lost\""),
                                 10000);
        QCOMPARE(p.state(), QProcess::Running);  // the sandbox goes on
        QTRY_VERIFY_WITH_TIMEOUT(readFile(dir + "/last").contains("\"succeeded\":false"), 10000);
        QJsonObject lost;
        for (const auto& line : out.split('\n'))
            if (line.contains("network-lost")) lost = QJsonDocument::fromJson(line).object();
        QVERIFY(QFileInfo::exists(lost["log"].toString()));  // kept to show why
        QCOMPARE(out.count("network-lost"), 1);
        p.terminate();
        QVERIFY(finished(p, 10000));
        QString err = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(err.count("slirp4netns killed by signal 9"), 1);
    }
};

QTEST_GUILESS_MAIN(TstNetwork)
#include "tst_network.moc"
