// The launch's firewall as Layerbox's own netlink batch (network/nft_batch.h) against the same
// firewall as nftables loads its script: for many plans, each is loaded into a fresh user and
// network namespace of its own and listed back with libnftables (`list ruleset`); the two
// listings must be the same text. Then the batch's errors: a message the kernel refuses is
// named, with its errno.
#include <QtTest>

#include <linux/netlink.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include "network/network.h"
#include "network/nft_batch.h"
#include "profile/profile.h"
#include "testsupport.h"

using namespace lb;

namespace {

// `load` in a fresh user and network namespace (a forked child), then `list ruleset` there:
// the listing, or "ERROR: ..." when either failed.
std::string listedAfter(const std::function<Status()>& load) {
    int fds[2];
    if (::pipe(fds) != 0) return "ERROR: pipe";
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        std::string out;
        if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) {
            out = "ERROR: " + Error::fromErrno("unshare(CLONE_NEWUSER | CLONE_NEWNET)").message();
        } else if (auto st = load(); !st) {
            out = "ERROR: " + st.error().message();
        } else if (auto listed = listFirewall(); !listed) {
            out = "ERROR: " + listed.error().message();
        } else {
            out = *listed;
        }
        (void)!::write(fds[1], out.data(), out.size());
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
        out.append(buf, size_t(n));
    ::close(fds[0]);
    ::waitpid(pid, nullptr, 0);
    return out;
}

struct Case {
    NetworkConfig net;
    bool logDrops = false;
    HostNetworks host;
};

// Profile rules of every kind the schema allows: addresses and networks (v4, v6, host bits
// set, /0, a byte boundary and not), tcp/udp/any with a port or a range, icmp, allow and deny.
std::vector<FirewallRule> everyKindOfRule() {
    return {
        {"deny", "10.0.2.2/32", 8000, 8100, "tcp"},
        {"allow", "192.168.1.10/32", 631, 631, "any"},
        {"allow", "203.0.113.0/24", 0, 0, "udp"},
        {"deny", "2001:db8::/32", 0, 0, "any"},
        {"allow", "fd00::3", 53, 53, "udp"},
        {"deny", "", 0, 0, "icmp"},
        {"allow", "10.1.2.3/8", 0, 0, "tcp"},
        {"allow", "0.0.0.0/0", 443, 443, "tcp"},
        {"deny", "100.64.0.0/10", 1000, 2000, "any"},
        {"allow", "::/0", 0, 0, "icmp"},
        {"allow", "198.51.100.7", 22, 22, "tcp"},
        {"deny", "fe80::1/127", 5353, 5353, "udp"},
        {"deny", "172.16.5.4/30", 0, 0, "any"},
        {"allow", "2001:db8:1::/48", 1, 65535, "tcp"},
        {"deny", "", 25, 25, "tcp"},
        {"allow", "", 0, 0, "any"},
    };
}

}  // namespace

class TstNetworkNftBatch : public QObject {
    Q_OBJECT

private slots:
    void sameRulesetAsNft_data() {
        QTest::addColumn<int>("index");
        cases_.clear();
        HostNetworks host;
        // Sorted, none inside another, as planHostNetworks makes them; two adjacent.
        host.v4 = {"10.9.0.1/32", "192.0.2.0/24", "203.0.113.4/32", "203.0.113.5/32"};
        host.v6 = {"2001:db8::1/128", "fe80::/64"};
        for (const char* preset : {"open", "internet-only", "host-only"})
            for (bool ipv6 : {false, true})
                for (bool logDrops : {false, true})
                    for (int variant = 0; variant < 5; ++variant) {
                        Case c;
                        c.net.mode = NetMode::Nat;
                        c.net.firewall = preset;
                        c.net.ipv6 = ipv6;
                        c.logDrops = logDrops;
                        if (variant >= 1) c.net.rules = everyKindOfRule();
                        if (variant == 2) {
                            c.net.ports = {{8080, 80, "tcp", "127.0.0.1"},
                                           {5353, 53, "udp", "127.0.0.1"}};
                            c.net.dns = {"9.9.9.9", "2620:fe::fe"};
                        }
                        if (variant == 3) c.net.allowDomains = {"example.org"};
                        if (variant == 4) c.net.denyDomains = {"*.example.com"};
                        if (variant != 0) c.host = host;  // variant 0: empty host sets
                        QTest::addRow("%s ipv6=%d log=%d variant=%d", preset, ipv6, logDrops,
                                      variant)
                            << int(cases_.size());
                        cases_.push_back(c);
                    }
    }

    void sameRulesetAsNft() {
        QFETCH(int, index);
        const Case& c = cases_[size_t(index)];
        const NftTable table = planFirewallTable(c.net, c.logDrops, c.host);
        const std::string script = planFirewall(c.net, c.logDrops, c.host);
        QCOMPARE(script, formatNftTable(table));
        auto batch = planNftBatch(table);
        QVERIFY2(batch.ok(), batch.ok() ? "" : batch.error().message().c_str());
        const std::string byNft = listedAfter([&] { return applyFirewall(script); });
        const std::string byBatch = listedAfter([&] { return applyNftBatch(*batch); });
        QVERIFY2(byNft.starts_with("table inet layerbox {"), byNft.c_str());
        QCOMPARE(QString::fromStdString(byBatch), QString::fromStdString(byNft));
    }

    // Beyond what a listing shows (the end element at 0 of an interval set, set sizes, set and
    // element user data): the very bytes nftables 1.0.6 sent for the same plan.
    void sameBytesAsNft() {
        QFile f(lbtest::sourceDir() + "/tests/network/data/nft-1.0.6-internet-only.hex");
        QVERIFY(f.open(QIODevice::ReadOnly));
        QByteArray hex;
        for (const QByteArray& line : f.readAll().split('\n'))
            if (!line.startsWith('#')) hex += line.trimmed();
        const QByteArray byNft = QByteArray::fromHex(hex);
        QVERIFY(byNft.size() > 1000);
        Case c;  // "internet-only ipv6=1 log=1 variant=1" of sameRulesetAsNft
        c.net.mode = NetMode::Nat;
        c.net.firewall = "internet-only";
        c.net.ipv6 = true;
        c.net.rules = everyKindOfRule();
        c.host.v4 = {"10.9.0.1/32", "192.0.2.0/24", "203.0.113.4/32", "203.0.113.5/32"};
        c.host.v6 = {"2001:db8::1/128", "fe80::/64"};
        auto batch = planNftBatch(planFirewallTable(c.net, true, c.host));
        QVERIFY(batch.ok());
        QByteArray ours(reinterpret_cast<const char*>(batch->bytes.data()),
                        qsizetype(batch->bytes.size()));
        QCOMPARE(ours.size(), byNft.size());
        // Clear NLM_F_ACK in each message's flags (nlmsghdr: length u32, type u16, flags u16).
        for (qsizetype at = 0; at + 16 <= ours.size();) {
            uint32_t len;
            uint16_t flags;
            std::memcpy(&len, ours.constData() + at, 4);
            std::memcpy(&flags, ours.constData() + at + 6, 2);
            flags &= uint16_t(~NLM_F_ACK);
            std::memcpy(ours.data() + at + 6, &flags, 2);
            QVERIFY(len >= 16);
            at += qsizetype((len + 3) & ~3u);
        }
        QCOMPARE(ours.toHex(), byNft.toHex());
    }

    void noNetworkNoFirewall() {
        NetworkConfig net;  // none: loopback only
        QVERIFY(planFirewallTable(net).empty());
        QCOMPARE(planFirewall(net), std::string());
    }

    // The batch: one message per table, chain, set, set's elements and rule, each named.
    void batchMessagesAreNamed() {
        NetworkConfig net;
        net.mode = NetMode::Nat;
        net.firewall = "internet-only";
        HostNetworks host;
        host.v4 = {"192.0.2.0/24"};
        auto table = planFirewallTable(net, true, host);
        auto batch = planNftBatch(table);
        QVERIFY(batch.ok());
        // table, chain, host_v4 + its elements, host_v6, then per rule: lo; dns 10.0.2.3
        // (set + elements + rule); two range sets (set + elements + rule each); two lookups.
        QCOMPARE(batch->what.front(), std::string("table inet layerbox"));
        QCOMPARE(batch->what[1], std::string("chain output"));
        QCOMPARE(batch->what[2], std::string("set host_v4"));
        QCOMPARE(batch->what[3], std::string("the elements of set host_v4"));
        QCOMPARE(batch->what.back(),
                 std::string("rule 6 (ip6 daddr @host_v6 log group 23 reject with icmpx type "
                             "admin-prohibited)"));
        QCOMPARE(batch->what.size(), size_t(4 + 1 + 1 + 3 + 3 + 3 + 1 + 1));
        // Without the drop log: the same rules without `log`.
        auto plain = planNftBatch(withoutLogging(table));
        QVERIFY(plain.ok());
        QVERIFY(plain->bytes.size() < batch->bytes.size());
        QVERIFY(formatNftTable(withoutLogging(table)).find("log group") == std::string::npos);
    }

    // Forms Layerbox does not write are errors of the plan, not different rules.
    void unsupportedFormsAreRefused() {
        NftTable t;
        t.output.push_back({{{NftField::TcpDport, {"80", "443"}}}, -1, true});
        auto b = planNftBatch(t);
        QVERIFY(!b.ok());
        QVERIFY2(b.error().message().starts_with("rule 1 (tcp dport { 80, 443 } accept)"),
                 b.error().message().c_str());
        t.output = {{{{NftField::IpDaddr, {"fd00::1"}}}, -1, true}};
        QVERIFY(!planNftBatch(t).ok());
        t.output = {{{{NftField::IpDaddr, {"@nosuchset"}}}, -1, true}};
        QVERIFY(!planNftBatch(t).ok());
    }

    // The kernel refuses a message: the error names it and carries the kernel's errno, and the
    // transaction left nothing behind.
    void refusedMessageIsNamed() {
        NftTable t;
        t.sets.push_back({std::string(300, 's'), false, true, false, {"192.0.2.1"}});
        t.output.push_back({{{NftField::OifName, {"lo"}}}, -1, true});
        auto batch = planNftBatch(t);
        QVERIFY(batch.ok());
        const std::string out = listedAfter([&] {
            auto st = applyNftBatch(*batch);
            if (st) return Status(Error("the kernel took it", 0));
            return Status(Error("REFUSED " + st.error().message() +
                                " errno=" + std::to_string(st.error().code())));
        });
        QVERIFY2(out.starts_with("ERROR: REFUSED loading the firewall (nftables netlink batch): "
                                 "set sss"),
                 out.c_str());
        QVERIFY2(out.find("errno=" + std::to_string(ERANGE)) != std::string::npos, out.c_str());
        // The refused transaction left nothing behind.
        const std::string after = listedAfter([&] {
            (void)applyNftBatch(*batch);
            return Status(Ok());
        });
        QVERIFY2(after.find("table") == std::string::npos, after.c_str());
        // And a batch that loads leaves exactly its table.
        t.sets.clear();
        auto ok = planNftBatch(t);
        QVERIFY(ok.ok());
        const std::string listed = listedAfter([&] { return applyNftBatch(*ok); });
        QVERIFY2(listed.find("oifname \"lo\" accept") != std::string::npos, listed.c_str());
    }

    // A host with thousands of addresses and a profile with hundreds of rules: a set's element
    // list is longer than one netlink attribute may be (64 KiB: cut short, the kernel would
    // have taken the elements before the cut), and there are more messages than the
    // socket's receive buffer holds acknowledgements for. All of it loads, the same as by nft.
    void manyAddressesAndRulesLoadWhole() {
        Case c;
        c.net.mode = NetMode::Nat;
        c.net.firewall = "internet-only";
        c.net.ipv6 = true;
        for (int i = 0; i < 3000; ++i)
            c.host.v4.push_back("10." + std::to_string(20 + i / 250) + "." +
                                std::to_string(i % 250) + ".1/32");
        for (int i = 0; i < 1500; ++i) {
            char a[64];
            std::snprintf(a, sizeof a, "2001:db8:%x::1/128", i + 1);
            c.host.v6.push_back(a);
        }
        for (int i = 0; i < 300; ++i)
            c.net.rules.push_back({"deny", "", 1000 + i, 1000 + i, "any"});
        const NftTable table = planFirewallTable(c.net, false, c.host);
        auto batch = planNftBatch(table);
        QVERIFY2(batch.ok(), batch.ok() ? "" : batch.error().message().c_str());
        const QString listed =
            QString::fromStdString(listedAfter([&] { return applyNftBatch(*batch); }));
        QVERIFY2(listed.startsWith("table inet layerbox {"), qPrintable(listed.left(300)));
        // Every address and every rule is there (nft itself refuses a script this long here:
        // "Message too long", so the listing is counted rather than compared with nft's).
        auto count = [&](const char* re) { return listed.count(QRegularExpression(re)); };
        QCOMPARE(count("\\b10\\.\\d+\\.\\d+\\.1\\b"), 3000);
        QCOMPARE(count("\\b2001:db8:[0-9a-f]+::1\\b"), 1500);
        QCOMPARE(count("th dport 1[0-2]\\d\\d\\b"), 300);
    }

private:
    std::vector<Case> cases_;
};

QTEST_GUILESS_MAIN(TstNetworkNftBatch)
#include "tst_network_nft_batch.moc"
