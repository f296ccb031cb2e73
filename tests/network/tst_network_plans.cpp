// The pure plans of the network concerns: the firewall, the generated /etc files and the
// slirp4netns command line, for a given profile.
#include <QtTest>

#include <algorithm>

#include "network/network.h"
#include "network/slirp.h"
#include "profile/profile.h"

using namespace lb;

class TstNetworkPlans : public QObject {
    Q_OBJECT

private slots:
    void firewall() {
        NetworkConfig net;
        QCOMPARE(planFirewall(net), std::string());  // none: nothing to filter
        net.mode = NetMode::Nat;
        net.firewall = "internet-only";
        auto s = planFirewall(net);
        for (const char* range : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
                                  "100.64.0.0/10", "fc00::/7", "fe80::/10"})
            QVERIFY2(s.find(range) != std::string::npos, range);
        QVERIFY(s.find("ip daddr 10.0.2.3 meta l4proto { tcp, udp } th dport 53 accept") !=
                std::string::npos);
        QVERIFY(s.find("oifname \"lo\" accept") != std::string::npos);
        // Rules come before the preset, in order; port forwards' replies pass.
        net.rules = {{"deny", "10.0.2.2/32", 8000, 8100, "tcp"},
                     {"allow", "192.168.1.10/32", 631, 631, "any"}};
        net.ports = {{8080, 80, "tcp", "127.0.0.1"}};
        s = planFirewall(net);
        auto deny = s.find("ip daddr 10.0.2.2/32 tcp dport 8000-8100 reject");
        auto allow =
            s.find("ip daddr 192.168.1.10/32 meta l4proto { tcp, udp } th dport 631 accept");
        auto preset = s.find("192.168.0.0/16");
        QVERIFY(deny != std::string::npos && allow != std::string::npos);
        QVERIFY(deny < allow && allow < preset);
        QVERIFY(s.find("ip daddr 10.0.2.2 tcp sport 80 accept") != std::string::npos);
        net.firewall = "host-only";
        net.rules.clear();
        s = planFirewall(net);
        QVERIFY(s.find("dport 53") == std::string::npos);
        QVERIFY(s.rfind("reject with icmpx type admin-prohibited\n  }") != std::string::npos);
        net.firewall = "open";
        s = planFirewall(net);
        QVERIFY(s.find("reject") == std::string::npos);
    }

    void networkFiles() {
        NetworkConfig net;
        net.hostname = "box";
        auto files = planNetworkFiles(net);
        QCOMPARE(files.size(), size_t(2));  // no resolv.conf without network
        QCOMPARE(files[0].second, std::string("box\n"));
        QVERIFY(files[1].second.find("127.0.1.1\tbox\n") != std::string::npos);
        net.mode = NetMode::Nat;
        net.ipv6 = true;
        files = planNetworkFiles(net);
        QCOMPARE(files[2].first, std::string("/etc/resolv.conf"));
        QVERIFY(files[2].second.find("nameserver 10.0.2.3\nnameserver fd00::3\n") !=
                std::string::npos);
        net.dns = {"9.9.9.9"};
        QVERIFY(planNetworkFiles(net)[2].second.find("nameserver 9.9.9.9\n") != std::string::npos);
    }

    void slirpArgs() {
        NetworkConfig net;
        net.mode = NetMode::Nat;
        net.mtu = 1500;
        SlirpFeatures f;
        f.path = "/usr/bin/slirp4netns";
        f.sandbox = f.seccomp = f.disableHostLoopback = f.apiSocket = f.ipv6 = f.mtu = f.readyFd =
            f.exitFd = true;
        auto a = planSlirpArgs(net, f, 4242, 5, 6, "/run/x.sock");
        std::vector<std::string> want = {"/usr/bin/slirp4netns",
                                         "--configure",
                                         "--mtu=1500",
                                         "--disable-host-loopback",
                                         "--enable-sandbox",
                                         "--enable-seccomp",
                                         "--ready-fd=5",
                                         "--exit-fd=6",
                                         "--api-socket=/run/x.sock",
                                         "4242",
                                         "tap0"};
        QCOMPARE(a, want);
        net.hostLoopback = true;
        net.ipv6 = true;
        a = planSlirpArgs(net, f, 1, 5, 6, "/s");
        QVERIFY(std::find(a.begin(), a.end(), "--disable-host-loopback") == a.end());
        QVERIFY(std::find(a.begin(), a.end(), "--enable-ipv6") != a.end());
        f.sandbox = false;  // an older slirp4netns without the flag
        a = planSlirpArgs(net, f, 1, 5, 6, "/s");
        QVERIFY(std::find(a.begin(), a.end(), "--enable-sandbox") == a.end());
    }
};

QTEST_GUILESS_MAIN(TstNetworkPlans)
#include "tst_network_plans.moc"
