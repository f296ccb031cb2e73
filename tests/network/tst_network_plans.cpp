// The pure plans of the network concerns: the firewall, the generated /etc files and the
// slirp4netns command line, for a given profile.
#include <QtTest>

#include <algorithm>

#include "network/host_networks.h"
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

    void internetOnlyRefusesTheHostsSets() {
        NetworkConfig net;
        net.mode = NetMode::Nat;
        net.firewall = "internet-only";
        auto s = planFirewall(net);
        QVERIFY(s.find("set host_v4 { type ipv4_addr; flags interval; }") != std::string::npos);
        QVERIFY(s.find("set host_v6 { type ipv6_addr; flags interval; }") != std::string::npos);
        auto v4 = s.find("ip daddr @host_v4 reject");
        QVERIFY(v4 != std::string::npos);
        QVERIFY(s.find("ip6 daddr @host_v6 reject") != std::string::npos);
        // After the DNS rule (slirp4netns' forwarder stays reachable) and the profile's rules.
        QVERIFY(s.find("dport 53 accept") < v4);
        // IPv6 comes from slirp4netns' router advertisement: discovery passes the presets.
        QVERIFY(s.find("nd-router-solicit") == std::string::npos);
        net.ipv6 = true;
        s = planFirewall(net);
        auto nd = s.find(
            "icmpv6 type { nd-router-solicit, nd-neighbor-solicit, "
            "nd-neighbor-advert } accept");
        QVERIFY(nd != std::string::npos && nd < s.find("fe80::/10"));
        net.firewall = "open";
        QVERIFY(planFirewall(net).find("@host_v4") == std::string::npos);
    }

    void hostNetworks() {
        auto p = [](const char* t) { return IpPrefix::parse(t).value(); };
        QVERIFY(!IpPrefix::parse("192.0.2.1/33"));
        QVERIFY(!IpPrefix::parse("lan"));
        QCOMPARE(p("192.0.2.77/24").network().toString(), std::string("192.0.2.0/24"));
        QCOMPARE(p("2001:db8::1").toString(), std::string("2001:db8::1/128"));
        QVERIFY(p("10.0.0.0/8").contains(p("10.1.2.3/32")));
        QVERIFY(!p("10.1.2.3/32").contains(p("10.0.0.0/8")));
        QVERIFY(!p("10.0.0.0/8").contains(p("::/0")));
        // Addresses are refused alone, on-link routes as networks; loopback, default routes and
        // tunnels to everything are left out; nothing is listed twice or inside another.
        auto nets = planHostNetworks(
            {p("127.0.0.1/8"), p("::1"), p("203.0.113.9/24"), p("192.0.2.1/24"),
             p("2001:db8::1/64"), p("198.51.100.5/32")},
            {p("192.0.2.0/24"), p("192.0.2.0/24"), p("0.0.0.0/1"), p("128.0.0.0/1"), p("2000::/3"),
             p("2001:db8::/64"), p("172.17.0.0/16"), p("10.8.0.0/24")});
        QCOMPARE(nets.v4, (std::vector<std::string>{"10.8.0.0/24", "172.17.0.0/16", "192.0.2.0/24",
                                                    "198.51.100.5/32", "203.0.113.9/32"}));
        QCOMPARE(nets.v6, (std::vector<std::string>{"2001:db8::/64"}));
        auto script = planHostSetsUpdate(nets);
        QVERIFY(script.find("flush set inet layerbox host_v4\n") != std::string::npos);
        QVERIFY(script.find("add element inet layerbox host_v6 { 2001:db8::/64 }") !=
                std::string::npos);
        // No empty element list (nftables refuses it).
        QVERIFY(planHostSetsUpdate({}).find("add element") == std::string::npos);
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
