// "Internet only" refuses the host through every address it has, not only through the private
// ranges: the sandbox runs in a network namespace the test makes (its "host"), with addresses
// from the documentation ranges on an interface of its own and a TCP echo server on 0.0.0.0
// and [::] there. The same requests succeed from a profile that allows the host, so a missing
// protection fails the test. An address added while the sandbox runs is refused as well.
#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QtTest>

#include <unistd.h>

#include "testsupport.h"

using namespace lbtest;

namespace {

constexpr int kPort = 8765;

// The fake host: `unshare --user --net` maps the test's user to itself and keeps the
// capabilities of the new user namespace, so its shell can run `ip` there; nothing on the real
// host changes. Commands go to the shell on stdin, one per line, answered "ok" or "fail".
class FakeHost {
public:
    FakeHost() {
        // A dummy interface where the kernel has the driver, else a veth pair.
        const QString script = R"(
ip link set lo up &&
{ ip link add lbhost0 type dummy 2>/dev/null || ip link add lbhost0 type veth peer name lbhost1; } &&
{ ! ip link show lbhost1 >/dev/null 2>&1 || ip link set lbhost1 up; } &&
ip link set lbhost0 up &&
ip addr add 192.0.2.1/24 dev lbhost0 &&
ip addr add 2001:db8::1/64 dev lbhost0 nodad &&
echo ready || echo fail
while read -r line; do if ip $line; then echo ok; else echo fail; fi; done
)";
        shell_.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        shell_.start("unshare",
                     {"--user", "--net", "--map-current-user", "--keep-caps", "sh", "-c", script});
        if (!shell_.waitForStarted() || readLine() != "ready") return;
        server_.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        server_.start("nsenter",
                      enter() + QStringList{probePath(), "serve", QString::number(kPort), "any"});
        if (server_.waitForStarted() && server_.waitForReadyRead(10000) &&
            server_.readLine().startsWith("listening"))
            ready_ = true;
    }
    ~FakeHost() {
        for (QProcess* p : {&server_, &shell_}) {
            p->kill();
            p->waitForFinished(5000);
        }
    }
    bool ready() const { return ready_; }
    // `nsenter ...` that runs a program in this namespace as the test's own user, with no
    // capability (they are lost at execve, as for any unprivileged program).
    QStringList enter() const {
        return {"--preserve-credentials",
                "--user",
                "--net",
                "--target",
                QString::number(shell_.processId()),
                "--"};
    }
    bool ip(const QString& args) {
        shell_.write((args + "\n").toUtf8());
        return readLine() == "ok";
    }

private:
    QString readLine() {
        while (!shell_.canReadLine())
            if (!shell_.waitForReadyRead(10000)) return {};
        return QString::fromUtf8(shell_.readLine()).trimmed();
    }
    QProcess shell_, server_;
    bool ready_ = false;
};

}  // namespace

class TstNetworkHost : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;
    std::unique_ptr<FakeHost> host_;

    void profile(const QString& name, const QString& network) {
        home_->writeProfile(name,
                            QString(R"({"version": 1, "network": %1})").arg(network).toUtf8());
    }
    // `layerbox run` on the fake host.
    void startSandbox(QProcess& p, const QStringList& args) {
        p.setProcessEnvironment(home_->env());
        p.start("nsenter", host_->enter() + QStringList{layerboxBin(), "run", "--no-scope"} + args);
    }
    QJsonObject attempt(const QString& profile, const QString& target) {
        // slirp4netns gives IPv6 through a router advertisement, a few seconds after the start:
        // an IPv6 attempt waits for the default route first.
        QString wait = target.startsWith('[')
                           ? "for i in $(seq 300); do ip -6 route show default | grep -q . && "
                             "break; sleep 0.1; done; "
                           : "";
        QProcess p;
        startSandbox(p, QStringList{"--profile", profile} + probeBind() +
                            QStringList{"--", "sh", "-c",
                                        wait + probePath() + " try tcp-echo '" + target + "'"});
        p.waitForFinished(60000);
        QString out = QString::fromUtf8(p.readAllStandardOutput());
        if (p.exitCode() != 0)
            qWarning().noquote() << "run failed" << p.exitCode() << p.readAllStandardError();
        return lastJson(out);
    }

private slots:
    void initTestCase() { QVERIFY2(::getuid() != 0, "must run as an unprivileged user"); }
    void init() {
        home_ = std::make_unique<TestHome>();
        host_ = std::make_unique<FakeHost>();
        QVERIFY2(host_->ready(), "the test's network namespace could not be set up");
    }
    void cleanup() {
        host_.reset();
        home_.reset();
        QTRY_COMPARE_WITH_TIMEOUT(processesNamed("slirp4netns").size(), 0, 5000);
    }

    void theHostIsUnreachableThroughEveryAddress_data() {
        QTest::addColumn<QString>("target");
        QTest::newRow("the host's loopback (slirp4netns' 10.0.2.2)")
            << QString("10.0.2.2:%1").arg(kPort);
        QTest::newRow("the host's loopback, IPv6 (fd00::2)") << QString("[fd00::2]:%1").arg(kPort);
        QTest::newRow("an interface's address") << QString("192.0.2.1:%1").arg(kPort);
        QTest::newRow("an interface's IPv6 address") << QString("[2001:db8::1]:%1").arg(kPort);
    }
    void theHostIsUnreachableThroughEveryAddress() {
        QFETCH(QString, target);
        profile("open", R"({"mode": "nat", "host_loopback": true, "ipv6": true,
                            "firewall": {"preset": "open"}})");
        auto reached = attempt("open", target);
        QCOMPARE(reached["succeeded"].toBool(), true);  // the host is there
        QCOMPARE(reached["detail"].toString(), QString("ping"));
        profile("web", R"({"mode": "nat", "host_loopback": true, "ipv6": true,
                           "firewall": {"preset": "internet-only"}})");
        auto t = attempt("web", target);
        QCOMPARE(t["succeeded"].toBool(), false);
        // Refused by the firewall at once (IPv6 reports "administratively prohibited" as EACCES).
        QVERIFY2(t["errno"].toInt() == EHOSTUNREACH || t["errno"].toInt() == EACCES,
                 qPrintable(t["error"].toString()));
    }

    void anAddressAddedWhileRunningIsRefused() {
        profile("web", R"({"mode": "nat", "firewall": {"preset": "internet-only"}})");
        QString dir = home_->home() + "/out";
        QDir().mkpath(dir);
        QString log = dir + "/attempts";
        QString loop =
            QString("while :; do %1 try tcp-echo 198.51.100.7:%2 >> %3; sleep 0.05; done")
                .arg(probePath())
                .arg(kPort)
                .arg(log);
        QProcess p;
        startSandbox(p, QStringList{"--profile", "web", "--bind", dir} + probeBind() +
                            QStringList{"--", "sh", "-c", loop});
        QVERIFY(p.waitForStarted());
        auto lines = [&] { return readFile(log).trimmed().split('\n'); };
        QTRY_VERIFY_WITH_TIMEOUT(readFile(log).count('\n') >= 2, 30000);
        QVERIFY(host_->ip("addr add 198.51.100.7/32 dev lbhost0"));
        QElapsedTimer added;
        added.start();
        // Attempts from the third on after the address exists started after it was added:
        // without the watcher they reach the server.
        const qsizetype before = lines().size();
        QTRY_VERIFY_WITH_TIMEOUT(
            lines().size() >= before + 2 && !lastJson(lines().last())["succeeded"].toBool(), 10000);
        qInfo("seen refused %lld ms after the address was added (an attempt takes up to 1 s)",
              static_cast<long long>(added.elapsed()));
        const qsizetype refusedAt = lines().size();
        QTRY_VERIFY_WITH_TIMEOUT(lines().size() >= refusedAt + 3, 10000);
        for (qsizetype i = refusedAt; i < lines().size(); ++i) {
            auto j = lastJson(lines()[i]);
            QCOMPARE(j["succeeded"].toBool(), false);
            QCOMPARE(j["errno"].toInt(), EHOSTUNREACH);
        }
        p.terminate();
        QVERIFY(p.waitForFinished(10000));
    }
};

QTEST_GUILESS_MAIN(TstNetworkHost)
#include "tst_network_host.moc"
