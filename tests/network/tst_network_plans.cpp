// The pure plans of the network concerns: the firewall, the generated /etc files and the
// slirp4netns command line, for a given profile.
#include <QtTest>

#include <algorithm>
#include <cstring>

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "network/dns_filter.h"
#include "network/dns_message.h"
#include "network/host_networks.h"
#include "network/network.h"
#include "network/slirp.h"
#include "profile/profile.h"

using namespace lb;

class TstNetworkPlans : public QObject {
    Q_OBJECT

private slots:
    void domainLists();
    void firewallWithDomainLists();
    void dnsSetUpdate();
    void dnsQueries();
    void dnsAnswers();
    void dnsTcpFrames();
    void dnsSetElements();
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
        // With the activity log every refusal, and only a refusal, is copied to NFLOG first.
        auto count = [](const std::string& t, const std::string& what) {
            int n = 0;
            for (size_t at = t.find(what); at != std::string::npos; at = t.find(what, at + 1))
                ++n;
            return n;
        };
        const std::string logged = planFirewall(net, true);
        QVERIFY(count(logged, "reject") >= 3);
        QCOMPARE(count(logged, "log group 23 reject"), count(logged, "reject"));
        QCOMPARE(count(logged, "log group"), count(logged, "reject"));
        QCOMPARE(count(s, "log group"), 0);
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
        // The host's addresses read before the launch are the sets' first elements: one
        // transaction loads the rules and what they refuse (no empty element list).
        net.firewall = "internet-only";
        HostNetworks host;
        host.v4 = {"192.0.2.0/24", "203.0.113.9/32"};
        s = planFirewall(net, false, host);
        QVERIFY(s.find("set host_v4 { type ipv4_addr; flags interval; elements = { 192.0.2.0/24, "
                       "203.0.113.9/32 }; }") != std::string::npos);
        QVERIFY(s.find("set host_v6 { type ipv6_addr; flags interval; }") != std::string::npos);
        QVERIFY(planFirewall(net, false, host).find("elements") < s.find("chain output"));
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

    // The route announcement that lets the program start before slirp4netns' ready byte: only
    // an IPv4 default route of the main table counts, wherever it is in a read.
    void defaultRouteAnnouncement() {
        auto route = [](uint16_t type, uint8_t family, uint8_t dstLen, uint8_t table) {
            std::string m(NLMSG_LENGTH(sizeof(rtmsg)) + RTA_LENGTH(4), '\0');
            nlmsghdr h = {};
            h.nlmsg_len = static_cast<uint32_t>(m.size());
            h.nlmsg_type = type;
            rtmsg r = {};
            r.rtm_family = family;
            r.rtm_dst_len = dstLen;
            r.rtm_table = table;
            std::memcpy(m.data(), &h, sizeof h);
            std::memcpy(m.data() + NLMSG_HDRLEN, &r, sizeof r);
            return m;
        };
        const std::string def = route(RTM_NEWROUTE, AF_INET, 0, RT_TABLE_MAIN);
        QVERIFY(announcesDefaultRoute(def));
        // Bringing lo and tap0 up, their addresses: local and subnet routes, not the default.
        const std::string local = route(RTM_NEWROUTE, AF_INET, 32, RT_TABLE_LOCAL);
        const std::string subnet = route(RTM_NEWROUTE, AF_INET, 24, RT_TABLE_MAIN);
        QVERIFY(!announcesDefaultRoute(local + subnet));
        QVERIFY(announcesDefaultRoute(local + subnet + def));  // the last of several
        QVERIFY(!announcesDefaultRoute(route(RTM_DELROUTE, AF_INET, 0, RT_TABLE_MAIN)));
        QVERIFY(!announcesDefaultRoute(route(RTM_NEWROUTE, AF_INET6, 0, RT_TABLE_MAIN)));
        QVERIFY(!announcesDefaultRoute(route(RTM_NEWROUTE, AF_INET, 0, RT_TABLE_LOCAL)));
        // Damaged or cut reads say no, never read past their end.
        QVERIFY(!announcesDefaultRoute(def.substr(0, def.size() - 1)));
        QVERIFY(!announcesDefaultRoute(def.substr(0, NLMSG_HDRLEN)));
        QVERIFY(!announcesDefaultRoute({}));
        std::string zeroLen = def;
        zeroLen[0] = zeroLen[1] = zeroLen[2] = zeroLen[3] = 0;
        QVERIFY(!announcesDefaultRoute(zeroLen + def));
    }
};

namespace {

// An answer as a server sends it: the question, then records (owner as a pointer to the
// question's name at offset 12, or a name of its own).
std::string answer(uint16_t id, const std::string& name, uint16_t type,
                   const std::vector<std::string>& records, uint16_t flags = 0x8180) {
    std::string q = buildDnsQuery(id, name, type);
    q[2] = static_cast<char>(flags >> 8);
    q[3] = static_cast<char>(flags & 0xFF);
    q[7] = static_cast<char>(records.size());
    for (const auto& r : records)
        q += r;
    return q;
}
std::string u16(uint16_t v) {
    return {static_cast<char>(v >> 8), static_cast<char>(v & 0xFF)};
}
std::string rr(const std::string& owner, uint16_t type, uint32_t ttl, const std::string& data) {
    return owner + u16(type) + u16(1) + u16(static_cast<uint16_t>(ttl >> 16)) +
           u16(static_cast<uint16_t>(ttl)) + u16(static_cast<uint16_t>(data.size())) + data;
}
const std::string kPtrToQuestion("\xC0\x0C", 2);
std::string wireName(const std::string& dotted) {
    return buildDnsQuery(0, dotted, 1).substr(12, dotted.size() + 2);
}

}  // namespace

void TstNetworkPlans::domainLists() {
    QVERIFY(domainMatches("a.test", "a.test"));
    QVERIFY(!domainMatches("a.test", "x.a.test"));
    QVERIFY(domainMatches("*.example.org", "cdn.example.org"));
    QVERIFY(domainMatches("*.example.org", "a.b.example.org"));
    QVERIFY(!domainMatches("*.example.org", "example.org"));
    QVERIFY(!domainMatches("*.example.org", "badexample.org"));
    QVERIFY(domainMatches("*", "anything"));
    NetworkConfig net;
    QVERIFY(nameAllowed(net, "x.org"));
    net.allowDomains = {"*.example.org", "example.org"};
    net.denyDomains = {"ads.example.org"};
    QVERIFY(nameAllowed(net, "example.org"));
    QVERIFY(nameAllowed(net, "www.example.org"));
    QVERIFY(!nameAllowed(net, "ads.example.org"));
    QVERIFY(!nameAllowed(net, "example.com"));
    net.allowDomains.clear();  // deny only: everything else resolves
    QVERIFY(nameAllowed(net, "example.com"));
    QVERIFY(!nameAllowed(net, "ads.example.org"));
}

void TstNetworkPlans::firewallWithDomainLists() {
    NetworkConfig net;
    net.mode = NetMode::Nat;
    net.firewall = "internet-only";
    net.dns = {"9.9.9.9"};
    net.allowDomains = {"a.test"};
    net.rules = {{"allow", "192.0.2.7/32", 22, 22, "tcp"}};
    auto s = planFirewall(net);
    // The resolver's upstream is asked from the host: the sandbox may not reach it.
    QVERIFY(s.find("9.9.9.9") == std::string::npos);
    QVERIFY(s.find("set dns_v4 { type ipv4_addr; flags timeout; }") != std::string::npos);
    auto rule = s.find("ip daddr 192.0.2.7/32 tcp dport 22 accept");
    auto preset = s.find("ip daddr @host_v4");
    auto dns = s.find("th dport { 53, 853 } reject");
    auto set = s.find("ip daddr @dns_v4 accept");
    auto last = s.rfind("    reject with icmpx type admin-prohibited\n");
    QVERIFY(rule != std::string::npos && preset != std::string::npos && dns != std::string::npos &&
            set != std::string::npos && last != std::string::npos);
    QVERIFY(rule < preset && preset < dns && dns < set && set < last);
    auto files = planNetworkFiles(net);
    auto resolv = std::find_if(files.begin(), files.end(),
                               [](const auto& f) { return f.first == "/etc/resolv.conf"; });
    QVERIFY(resolv != files.end());
    QCOMPARE(resolv->second, std::string("# written by Layerbox for this sandbox\n"
                                         "nameserver 127.0.0.53\n"));
    // Upstreams: the profile's servers, else the host's.
    QCOMPARE(planDnsUpstreams(net, "nameserver 1.1.1.1\n"), std::vector<std::string>{"9.9.9.9"});
    net.dns.clear();
    QCOMPARE(planDnsUpstreams(net,
                              "# x\nnameserver 10.0.0.1\nsearch lan\nnameserver ::1\n"
                              "nameserver fe80::1%eth0\n"),
             (std::vector<std::string>{"10.0.0.1", "::1"}));
}

void TstNetworkPlans::dnsSetUpdate() {
    QCOMPARE(planDnsSetUpdate({}), std::string());
    DnsAddress a, b, c;
    a.family = AF_INET;
    ::inet_pton(AF_INET, "192.0.2.1", a.bytes);
    a.ttl = 0;  // still lets the connect that follows through (1 s, and the grace)
    b = a;
    b.ttl = 300;  // the same address twice in one answer: once
    c.family = AF_INET6;
    ::inet_pton(AF_INET6, "2001:db8::1", c.bytes);
    c.ttl = 1000000;  // at most a day
    QCOMPARE(planDnsSetUpdate({a, b, c}),
             std::string("add table inet layerbox\n"
                         "add set inet layerbox dns_v4 { type ipv4_addr; flags timeout; }\n"
                         "add set inet layerbox dns_v6 { type ipv6_addr; flags timeout; }\n"
                         "add element inet layerbox dns_v4 { 192.0.2.1 timeout 2s }\n"
                         "delete element inet layerbox dns_v4 { 192.0.2.1 }\n"
                         "add element inet layerbox dns_v4 { 192.0.2.1 timeout 2s }\n"
                         "add element inet layerbox dns_v6 { 2001:db8::1 timeout 86401s }\n"
                         "delete element inet layerbox dns_v6 { 2001:db8::1 }\n"
                         "add element inet layerbox dns_v6 { 2001:db8::1 timeout 86401s }\n"));
}

void TstNetworkPlans::dnsQueries() {
    auto q = parseDnsQuery(buildDnsQuery(0x1234, "WWW.Example.org", kDnsTypeAaaa));
    QVERIFY(q);
    QCOMPARE(q->id, 0x1234);
    QCOMPARE(q->name, std::string("www.example.org"));
    QCOMPARE(q->type, kDnsTypeAaaa);
    // With EDNS0's OPT record.
    std::string edns = buildDnsQuery(1, "a.test", 1);
    edns[11] = 1;
    edns += std::string("\0\0\x29\x04\xD0\0\0\0\0\0\0", 11);
    QVERIFY(parseDnsQuery(edns));
    // Refused: an answer, two questions, trailing bytes, a label running past the end, a
    // forward or looping compression pointer, a dot inside a label, too long a name.
    std::string bad = buildDnsQuery(1, "a.test", 1);
    bad[2] = static_cast<char>(0x81);
    QVERIFY(!parseDnsQuery(bad));
    bad = buildDnsQuery(1, "a.test", 1);
    bad[5] = 2;
    QVERIFY(!parseDnsQuery(bad));
    QVERIFY(!parseDnsQuery(buildDnsQuery(1, "a.test", 1) + "x"));
    QVERIFY(!parseDnsQuery(buildDnsQuery(1, "a.test", 1).substr(0, 15)));
    std::string ptr = buildDnsQuery(1, "a", 1).substr(0, 12) + std::string("\xC0\x0C\0\1\0\1", 6);
    QVERIFY(!parseDnsQuery(ptr));  // points at itself
    // Into the header (found by fuzz_dns): the id bytes 01 34 read as the label "4", so the
    // name would change when the id is renumbered upstream and when the reply sets QR.
    std::string intoHeader("\x01\x34\x00\x12\0\1\0\0\0\0\0\0\xC0\x00\0\1\0\0", 18);
    QVERIFY(!parseDnsQuery(intoHeader));
    // An answer's question pointing at the last byte of the header (a zero: the root).
    QVERIFY(!parseDnsAnswer(dnsErrorReply(buildDnsQuery(7, "a.test", 1), 3).substr(0, 12) +
                            std::string("\xC0\x0B\0\1\0\1", 6)));
    std::string dotted = buildDnsQuery(1, "ab.test", 1);
    dotted[14] = '.';
    QVERIFY(!parseDnsQuery(dotted));
    QVERIFY(!parseDnsQuery(buildDnsQuery(1, std::string(64, 'a') + ".test", 1)));
    std::string longName;
    for (int i = 0; i < 5; ++i)
        longName += std::string(60, 'a') + ".";
    QVERIFY(!parseDnsQuery(buildDnsQuery(1, longName + "test", 1)));
    // The refusal echoes the question with NXDOMAIN.
    auto reply = dnsErrorReply(buildDnsQuery(0x4242, "b.test", 1), kDnsNxDomain);
    QCOMPARE(reply.substr(0, 4), std::string("\x42\x42\x81\x83", 4));
    QCOMPARE(reply.substr(12), buildDnsQuery(0, "b.test", 1).substr(12));
}

void TstNetworkPlans::dnsAnswers() {
    const std::string a4("\xC6\x33\x64\x0A", 4);  // 198.51.100.10
    auto a = parseDnsAnswer(answer(7, "a.test", 1,
                                   {rr(kPtrToQuestion, kDnsTypeCname, 60, wireName("cdn.other")),
                                    rr(wireName("cdn.other"), kDnsTypeA, 30, a4),
                                    // an address of a name that was not asked: ignored
                                    rr(wireName("evil.example"), kDnsTypeA, 30, a4)}));
    QVERIFY(a);
    QCOMPARE(a->id, 7);
    QCOMPARE(a->rcode, kDnsNoError);
    QCOMPARE(a->addresses.size(), size_t(1));
    QCOMPARE(a->addresses[0].toString(), std::string("198.51.100.10"));
    QCOMPARE(a->addresses[0].ttl, 30u);
    // An A record of the wrong size, a record running past the end: malformed.
    QVERIFY(!parseDnsAnswer(answer(7, "a.test", 1, {rr(kPtrToQuestion, kDnsTypeA, 30, "abc")})));
    std::string cut = answer(7, "a.test", 1, {rr(kPtrToQuestion, kDnsTypeA, 30, a4)});
    QVERIFY(!parseDnsAnswer(cut.substr(0, cut.size() - 1)));
    // A query is no answer.
    QVERIFY(!parseDnsAnswer(buildDnsQuery(7, "a.test", 1)));
    DnsQueryEvent e;
    e.unixSeconds = 0;
    e.instance = "i1";
    e.name = "a.test";
    e.type = "A";
    e.verdict = "allowed";
    e.addresses = {"198.51.100.10"};
    e.ttl = 30;
    QCOMPARE(formatDnsEvent(e),
             std::string(R"({"time":"1970-01-01T00:00:00Z","event":"dns-query","instance":"i1",)"
                         R"("name":"a.test","type":"A","verdict":"allowed","rcode":0,)"
                         R"("addresses":["198.51.100.10"],"ttl":30})"));
}

// DNS over TCP: the stream the program writes is cut into messages by their length prefix;
// half a message waits, a length no message can have ends the connection.
void TstNetworkPlans::dnsTcpFrames() {
    std::string q = buildDnsQuery(7, "a.test", kDnsTypeA);
    std::string framed = dnsTcpFrame(q);
    QCOMPARE(framed.size(), q.size() + 2);
    QCOMPARE(static_cast<uint8_t>(framed[0]), 0);
    QCOMPARE(static_cast<size_t>(static_cast<uint8_t>(framed[1])), q.size());
    std::string stream = framed + dnsTcpFrame(buildDnsQuery(8, "b.test", kDnsTypeA));
    std::string_view msg;
    size_t used = 0;
    QCOMPARE(nextDnsFrame(stream, msg, used), DnsFrame::Complete);
    QCOMPARE(used, framed.size());
    QCOMPARE(parseDnsQuery(msg)->name, std::string("a.test"));
    QCOMPARE(nextDnsFrame(std::string_view(stream).substr(used), msg, used), DnsFrame::Complete);
    QCOMPARE(parseDnsQuery(msg)->name, std::string("b.test"));
    for (size_t cut = 0; cut < framed.size(); ++cut)
        QCOMPARE(nextDnsFrame(framed.substr(0, cut), msg, used), DnsFrame::Partial);
    QCOMPARE(nextDnsFrame(std::string("\0\0", 2), msg, used), DnsFrame::Invalid);
    QCOMPARE(nextDnsFrame(std::string("\0\x0bxxxxxxxxxxx", 13), msg, used), DnsFrame::Invalid);
    // The largest message fits; one byte more cannot be framed.
    std::string big(kDnsMaxTcpMessage, 'x');
    QCOMPARE(nextDnsFrame(dnsTcpFrame(big), msg, used), DnsFrame::Complete);
    QCOMPARE(msg.size(), kDnsMaxTcpMessage);
    QCOMPARE(dnsTcpFrame(big + "x"), std::string());
}

// An answer needs a set update only when its addresses' elements would go before its TTL ends.
void TstNetworkPlans::dnsSetElements() {
    DnsAddress a, b;
    a.family = b.family = AF_INET;
    ::inet_pton(AF_INET, "192.0.2.1", a.bytes);
    ::inet_pton(AF_INET, "192.0.2.2", b.bytes);
    a.ttl = b.ttl = 60;
    DnsSetElements sets;
    const int64_t t0 = 1000000;
    QCOMPARE(sets.due({a, a, b}, t0).size(), size_t(2));  // new, each once
    sets.written({a, b}, t0);
    // The same TTL again within the grace: nothing to write; after it: written again.
    QVERIFY(sets.due({a, b}, t0 + 900).empty());
    QCOMPARE(sets.due({a, b}, t0 + 1100).size(), size_t(2));
    // A cache upstream counting the TTL down: never.
    a.ttl = 30;
    QVERIFY(sets.due({a}, t0 + 30000).empty());
    // A longer TTL than the element's: written.
    a.ttl = 3600;
    QCOMPARE(sets.due({a}, t0 + 10).size(), size_t(1));
    // Bounded: the expired entries go when there are too many.
    for (uint32_t i = 0; i <= DnsSetElements::kMaxEntries; ++i) {
        DnsAddress x;
        x.family = AF_INET6;
        std::memcpy(x.bytes, &i, sizeof i);
        x.ttl = 1;
        sets.written({x}, t0);
    }
    QVERIFY(sets.size() <= DnsSetElements::kMaxEntries);
    sets.written({a}, t0 + 5000);
    QVERIFY(sets.size() <= DnsSetElements::kMaxEntries);
}

QTEST_GUILESS_MAIN(TstNetworkPlans)
#include "tst_network_plans.moc"
