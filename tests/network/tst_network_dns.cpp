// Domain allow-lists (network.allow_domains): a fake internet the test builds in a network
// namespace of its own (as tst_network_host does for the host), with TCP echo servers on two
// documentation-range addresses and dnsmasq answering a.test (198.51.100.10) and b.test
// (203.0.113.10) with a TTL of 3 s. `layerbox run` runs in that namespace, so slirp4netns and
// Layerbox's resolver reach only this fake internet. With allow_domains ["a.test"]: a.test
// resolves and connects, b.test does not resolve, b.test's number and a query to another DNS
// server are refused, and after the TTL a.test's number is refused too; the same profile
// without the list reaches everything, so a missing protection fails the test.
#include <QDir>
#include <QProcess>
#include <QtTest>

#include <unistd.h>

#include "testsupport.h"

using namespace lbtest;

namespace {

constexpr int kPort = 8765;
const QString kA = "198.51.100.10", kB = "203.0.113.10", kDns = "192.0.2.53";

// big.test has 40 addresses: 656 bytes of answer, more than a UDP answer without EDNS0 may
// carry (512), so dnsmasq answers it truncated over UDP and whole over TCP.
QString bigRecords() {
    QStringList r;
    for (int i = 1; i <= 40; ++i)
        r << QString("--host-record=big.test,198.51.100.%1").arg(100 + i);
    return r.join(' ');
}

// `unshare --user --net` maps the test's user to itself and keeps the capabilities of the new
// user namespace: its shell sets up the interface and starts dnsmasq there (port 53 needs
// them); nothing on the real host changes.
class FakeInternet {
public:
    FakeInternet() {
        const QString script = QString(R"(
ip link set lo up &&
{ ip link add lbnet0 type dummy 2>/dev/null || ip link add lbnet0 type veth peer name lbnet1; } &&
{ ! ip link show lbnet1 >/dev/null 2>&1 || ip link set lbnet1 up; } &&
ip link set lbnet0 up &&
ip addr add %1/24 dev lbnet0 && ip addr add %2/32 dev lbnet0 && ip addr add %3/32 dev lbnet0 &&
exec /usr/sbin/dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
  --listen-address=%1 --host-record=a.test,%2 --host-record=b.test,%3 --local-ttl=3 %4 \
  --pid-file= --log-facility=- --log-queries
)")
                                   .arg(kDns, kA, kB, bigRecords());
        dns_.setProcessChannelMode(QProcess::MergedChannels);
        dns_.start("unshare",
                   {"--user", "--net", "--map-current-user", "--keep-caps", "sh", "-c", script});
        if (!dns_.waitForStarted()) return;
        // dnsmasq says "started" once it listens.
        for (int i = 0; i < 100 && !log_.contains("started, version"); ++i) {
            dns_.waitForReadyRead(100);
            log_ += QString::fromUtf8(dns_.readAll());
        }
        if (!log_.contains("started, version")) {
            qWarning().noquote() << "dnsmasq:" << log_;
            return;
        }
        server_.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        server_.start("nsenter",
                      enter() + QStringList{probePath(), "serve", QString::number(kPort), "any"});
        if (server_.waitForStarted() && server_.waitForReadyRead(10000) &&
            server_.readLine().startsWith("listening"))
            ready_ = true;
    }
    ~FakeInternet() {
        for (QProcess* p : {&server_, &dns_}) {
            p->kill();
            p->waitForFinished(5000);
        }
    }
    bool ready() const { return ready_; }
    QStringList enter() const {
        return {"--preserve-credentials",          "--user", "--net", "--target",
                QString::number(dns_.processId()), "--"};
    }

private:
    QProcess dns_, server_;
    QString log_;
    bool ready_ = false;
};

}  // namespace

class TstNetworkDns : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;
    std::unique_ptr<FakeInternet> net_;

    QString stateHome() const { return home_->home() + "/.local/state"; }
    void profile(const QString& name, const QString& extra) {
        home_->writeProfile(name, QString(R"({"version": 1, "network": {"mode": "nat",
            "firewall": {"preset": "open"}, "dns": ["%1"]%2}})")
                                      .arg(kDns, extra)
                                      .toUtf8());
    }
    // Run `script` (sh) in a sandbox of `profile` on the fake internet; its output lines.
    QStringList run(const QString& profile, const QString& script) {
        QProcess p;
        auto env = home_->env();
        env.insert("XDG_STATE_HOME", stateHome());
        p.setProcessEnvironment(env);
        p.start("nsenter",
                net_->enter() +
                    QStringList{layerboxBin(), "run", "--no-scope", "--profile", profile} +
                    probeBind() + QStringList{"--", "sh", "-c", script});
        p.waitForFinished(120000);
        QString out = QString::fromUtf8(p.readAllStandardOutput());
        if (p.exitCode() != 0)
            qWarning().noquote() << "run failed" << p.exitCode() << p.readAllStandardError();
        return out.trimmed().split('\n');
    }
    // One probe attempt per line of the sandbox's output, in order.
    QString probe(const QString& what, const QString& arg) const {
        return probePath() + " try " + what + " '" + arg + "'; ";
    }

private slots:
    void initTestCase() { QVERIFY2(::getuid() != 0, "must run as an unprivileged user"); }
    void init() {
        home_ = std::make_unique<TestHome>();
        net_ = std::make_unique<FakeInternet>();
        QVERIFY2(net_->ready(), "the fake internet (network namespace, dnsmasq) is not there");
    }
    void cleanup() {
        net_.reset();
        home_.reset();
        QTRY_COMPARE_WITH_TIMEOUT(processesNamed("slirp4netns").size(), 0, 5000);
    }

    // The control: without a list, every name resolves and every server answers.
    void withoutAListEverythingIsReached() {
        profile("open", "");
        const QString ep = ":" + QString::number(kPort);
        auto lines = run("open", probe("resolve", "a.test") + probe("resolve", "b.test") +
                                     probe("tcp-echo", kA + ep) + probe("tcp-echo", kB + ep) +
                                     probe("dns-query", kDns + ":53/b.test"));
        QCOMPARE(lines.size(), 5);
        QCOMPARE(lastJson(lines[0])["detail"].toString(), kA);
        QCOMPARE(lastJson(lines[1])["detail"].toString(), kB);
        for (int i = 2; i < 5; ++i)
            QVERIFY2(lastJson(lines[i])["succeeded"].toBool(), qPrintable(lines[i]));
    }

    void onlyAllowedNamesAndTheirAddresses() {
        profile("updater", R"(, "allow_domains": ["a.test"])");
        const QString ep = ":" + QString::number(kPort);
        // After the last line the script waits for a.test's element to time out (TTL 3 s):
        // a new connection to its number, without asking again, is refused then.
        const QString afterTtl =
            QString(
                "for i in $(seq 60); do out=$(%1 try tcp-echo %2); "
                "case $out in *'\"succeeded\":false'*) break;; esac; sleep 1; done; "
                "echo \"$out\"")
                .arg(probePath(), kA + ep);
        auto lines = run("updater", probe("resolve", "a.test") + probe("tcp-echo", kA + ep) +
                                        probe("resolve", "b.test") + probe("tcp-echo", kB + ep) +
                                        probe("dns-query", kDns + ":53/b.test") +
                                        probe("tcp-connect", kDns + ":853") + afterTtl);
        QCOMPARE(lines.size(), 7);
        auto resolvedA = lastJson(lines[0]);
        QVERIFY2(resolvedA["succeeded"].toBool(), qPrintable(lines[0]));
        QCOMPARE(resolvedA["detail"].toString(), kA);
        QVERIFY2(lastJson(lines[1])["succeeded"].toBool(), qPrintable(lines[1]));
        QCOMPARE(lastJson(lines[1])["detail"].toString(), QString("ping"));
        // b.test does not resolve (NXDOMAIN from Layerbox's resolver).
        QVERIFY2(!lastJson(lines[2])["succeeded"].toBool(), qPrintable(lines[2]));
        // Its number, a query to another DNS server and DNS over TLS are refused by the
        // firewall at once (a UDP datagram refused on the way out: EPERM).
        for (int i = 3; i < 6; ++i) {
            auto j = lastJson(lines[i]);
            QVERIFY2(!j["succeeded"].toBool(), qPrintable(lines[i]));
            QVERIFY2(j["errno"].toInt() == EHOSTUNREACH || j["errno"].toInt() == EPERM,
                     qPrintable(lines[i]));
        }
        // After the TTL the address has left the set.
        auto later = lastJson(lines[6]);
        QVERIFY2(!later["succeeded"].toBool(), qPrintable(lines[6]));
        QCOMPARE(later["errno"].toInt(), EHOSTUNREACH);

        // Every query is in the resolver's log, for the activity log.
        QDir logs(stateHome() + "/layerbox/logs");
        auto files = logs.entryList({"*-dns.log"}, QDir::Files);
        QCOMPARE(files.size(), 1);
        QString log = QString::fromUtf8(readFile(logs.filePath(files[0])));
        QVERIFY2(log.contains(R"("name":"a.test","type":"A","verdict":"allowed")"),
                 qPrintable(log));
        QVERIFY2(log.contains(R"("addresses":["198.51.100.10"])"), qPrintable(log));
        QVERIFY2(log.contains(R"("name":"b.test","type":"A","verdict":"denied")"), qPrintable(log));
    }

    // DNS over TCP to Layerbox's resolver, with the same rules and the same sets: glibc asks
    // again over TCP when a UDP answer comes truncated (big.test), and a program may ask over
    // TCP from the start. A connection that misbehaves does not keep the resolver from
    // answering.
    void overTcp() {
        profile("updater", R"(, "allow_domains": ["a.test", "big.test"])");
        const QString resolver = "127.0.0.53:53/", ep = ":" + QString::number(kPort);
        auto lines = run("updater",
                         probe("dns-tcp", resolver + "a.test") + probe("tcp-echo", kA + ep) +
                             probe("dns-tcp", resolver + "b.test") + probe("resolve", "big.test") +
                             probe("dns-tcp-abuse", resolver + "a.test") +
                             probe("dns-tcp", kDns + ":53/a.test"));
        QCOMPARE(lines.size(), 6);
        // a.test over TCP: answered, and its address went into the set (no UDP query before).
        QCOMPARE(lastJson(lines[0])["detail"].toString(), "rcode 0 " + kA);
        QVERIFY2(lastJson(lines[1])["succeeded"].toBool(), qPrintable(lines[1]));
        // b.test over TCP: NXDOMAIN from the resolver.
        QCOMPARE(lastJson(lines[2])["detail"].toString(), QString("rcode 3"));
        // big.test: truncated over UDP, then whole over TCP.
        auto big = lastJson(lines[3]);
        QVERIFY2(big["succeeded"].toBool(), qPrintable(lines[3]));
        QVERIFY2(big["detail"].toString().startsWith("198.51.100."), qPrintable(lines[3]));
        QVERIFY2(lastJson(lines[4])["succeeded"].toBool(), qPrintable(lines[4]));
        // DNS over TCP to another server: refused by the firewall.
        auto other = lastJson(lines[5]);
        QVERIFY2(!other["succeeded"].toBool(), qPrintable(lines[5]));
        QCOMPARE(other["errno"].toInt(), EHOSTUNREACH);
    }

    void deniedNamesWinOverAllowedOnes() {
        profile("updater", R"(, "allow_domains": ["*.test"], "deny_domains": ["b.test"])");
        auto lines = run("updater", probe("resolve", "a.test") + probe("resolve", "b.test"));
        QCOMPARE(lines.size(), 2);
        QCOMPARE(lastJson(lines[0])["detail"].toString(), kA);
        QVERIFY2(!lastJson(lines[1])["succeeded"].toBool(), qPrintable(lines[1]));
    }
};

QTEST_GUILESS_MAIN(TstNetworkDns)
#include "tst_network_dns.moc"
