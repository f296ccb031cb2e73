// desktop.open_uri "ask", the pure parts: which links the gate asks about (and which it refuses
// without asking), the question's text, the rate limit, the D-Bus messages it reads and writes
// (checked against a marshaller written here independently), and the plan that puts the gate
// between the sandbox and its proxy.
#include <QtTest>

#include <algorithm>
#include <cstring>

#include "base/dbus_wire.h"
#include "desktop/dbusproxy.h"
#include "desktop/desktop.h"
#include "desktop/open_uri.h"
#include "profile/profile.h"
#include "wirebytes.h"

using namespace lb;

namespace {

// The test's messages, marshalled independently of dbus_wire.cpp.
using Out = lbtest::WireBytes;

// OpenURI(parent, uri, {handle_token: <token>, ask: <true>}) to the portal.
std::string openUriCall(uint32_t serial, const std::string& uri, const std::string& token,
                        const std::string& iface = "org.freedesktop.portal.OpenURI") {
    Out body;
    body.str("x11:1");
    body.str(uri);
    Out dict;  // the array's content, aligned as in the body (which starts 8-aligned)
    size_t arrayStart = (body.b.size() + 4 + 7) / 8 * 8;
    dict.b.assign(arrayStart, '\0');
    if (!token.empty()) {
        dict.pad(8);
        dict.str("handle_token");
        dict.sig("s");
        dict.str(token);
    }
    dict.pad(8);
    dict.str("ask");
    dict.sig("b");
    dict.u32(1);
    body.u32(uint32_t(dict.b.size() - arrayStart));
    body.pad(8);
    body.b += dict.b.substr(arrayStart);
    Out m;
    m.b = "l";
    m.b.push_back(1);
    m.b.push_back(0);
    m.b.push_back(1);
    m.u32(uint32_t(body.b.size()));
    m.u32(serial);
    m.u32(0);
    auto field = [&](char code, const char* type, const std::string& v) {
        m.pad(8);
        m.b.push_back(code);
        m.sig(type);
        if (std::string(type) == "g")
            m.sig(v);
        else
            m.str(v);
    };
    field(1, "o", "/org/freedesktop/portal/desktop");
    field(2, "s", iface);
    field(3, "s", "OpenURI");
    field(6, "s", "org.freedesktop.portal.Desktop");
    field(8, "g", "ssa{sv}");
    uint32_t len = uint32_t(m.b.size() - 16);
    std::memcpy(&m.b[12], &len, 4);
    m.pad(8);
    return m.b + body.b;
}

}  // namespace

class TstOpenUriPlans : public QObject {
    Q_OBJECT

private slots:
    void linksChecked_data() {
        QTest::addColumn<QString>("uri");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("host");
        QTest::newRow("https") << "https://example.test/a?b=c#d" << true << "example.test";
        QTest::newRow("http with port") << "http://example.test:8080/" << true << "example.test";
        QTest::newRow("upper-case scheme") << "HTTPS://example.test/" << true << "example.test";
        QTest::newRow("ipv6") << "https://[2001:db8::1]/x" << true << "[2001:db8::1]";
        QTest::newRow("mailto") << "mailto:a@example.test?subject=Hi&body=x" << true << "";
        QTest::newRow("mailto attach") << "mailto:a@example.test?attach=/etc/passwd" << false << "";
        QTest::newRow("mailto attach encoded")
            << "mailto:a@example.test?%61ttach=~/.ssh/id_rsa" << false << "";
        QTest::newRow("file") << "file:///home/alice/.ssh/id_rsa" << false << "";
        QTest::newRow("data") << "data:text/html,<script>x</script>" << false << "";
        QTest::newRow("javascript") << "javascript:alert(1)" << false << "";
        QTest::newRow("a program's scheme") << "steam://run/1" << false << "";
        QTest::newRow("no host") << "https:/example.test" << false << "";
        QTest::newRow("empty host") << "https:///x" << false << "";
        QTest::newRow("user name") << "https://bank.example@evil.example/" << false << "";
        QTest::newRow("space") << "https://example.test/a b" << false << "";
        QTest::newRow("newline") << "https://example.test/\nrm" << false << "";
        QTest::newRow("escape") << "https://example.test/\x1b[2J" << false << "";
        QTest::newRow("backquote") << "https://example.test/`id`" << false << "";
        QTest::newRow("dollar") << "https://example.test/$(id)" << false << "";
        QTest::newRow("quote") << "https://example.test/\"x" << false << "";
        QTest::newRow("escaped quote") << "https://example.test/%22x%60" << true << "example.test";
        QTest::newRow("not ascii")
            << QString::fromUtf8("https://ex\xc3\xa4mple.test/") << false << "";
        QTest::newRow("no scheme") << "example.test" << false << "";
        QTest::newRow("option-like") << "-e" << false << "";
        QTest::newRow("too long") << "https://example.test/" + QString(2048, 'a') << false << "";
        QTest::newRow("empty") << "" << false << "";
    }
    void linksChecked() {
        QFETCH(QString, uri);
        QFETCH(bool, ok);
        QFETCH(QString, host);
        auto c = checkOpenUri(uri.toStdString());
        QVERIFY2(c.ok == ok, c.why.c_str());
        if (ok) QCOMPARE(QString::fromStdString(c.host), host);
        if (!ok) QVERIFY(!c.why.empty() && c.why.find('\n') == std::string::npos);
    }

    void questionNamesTheSandboxAndTheLink() {
        const std::string uri = "https://example.test/a?x=1&y=2";
        auto q = planUriQuestion("firefox", checkOpenUri(uri), uri);
        QVERIFY(q.summary.find("firefox") != std::string::npos);
        // The exact link, escaped for the notification's markup ('<' and '>' never pass the
        // check); and where it leads.
        QVERIFY2(q.body.find("https://example.test/a?x=1&amp;y=2") != std::string::npos,
                 q.body.c_str());
        QVERIFY(q.body.find("site: example.test") != std::string::npos);
        QVERIFY(q.body.find("firefox") != std::string::npos);
    }

    void requestPathAsTheCallerComputesIt() {
        QCOMPARE(portalRequestPath(":1.42", "gio123"),
                 std::string("/org/freedesktop/portal/desktop/request/1_42/gio123"));
    }

    void limiterBoundsQuestions() {
        UriAskLimiter l;
        int asked = 0;
        for (int i = 0; i < 100; ++i)
            asked += l.admit(1000);
        QCOMPARE(asked, UriAskLimiter::kMaxOpen);  // a flood: only as many as may be open
        // Answered: more may come, up to the burst; then one per refill period.
        for (int i = 0; i < 3; ++i)
            l.closed();
        asked = 0;
        for (int i = 0; i < 100; ++i)
            if (l.admit(1000)) ++asked, l.closed();
        QCOMPARE(asked, UriAskLimiter::kBurst - UriAskLimiter::kMaxOpen);
        QVERIFY(!l.admit(1000 + UriAskLimiter::kRefillMs - 1));
        QVERIFY(l.admit(1000 + 2 * UriAskLimiter::kRefillMs));
    }

    void wireReadsTheCall() {
        const std::string msg = openUriCall(7, "https://example.test/x", "gio42");
        QCOMPARE(dbusMessageSize(msg).value_or(1), msg.size());
        QCOMPARE(dbusMessageSize(msg.substr(0, 15)).value_or(1), size_t(0));
        // A stream: the size of the first of two messages.
        QCOMPARE(dbusMessageSize(msg + msg).value_or(1), msg.size());
        auto h = parseDbusHeader(msg);
        QVERIFY(h);
        QCOMPARE(h->serial, 7u);
        QCOMPARE(h->member, std::string("OpenURI"));
        QCOMPARE(h->interface, std::string("org.freedesktop.portal.OpenURI"));
        QCOMPARE(h->destination, std::string("org.freedesktop.portal.Desktop"));
        QCOMPARE(h->signature, std::string("ssa{sv}"));
        auto args = dbusLeadingStrings(msg, *h, 2);
        QVERIFY(args);
        QCOMPARE(args->at(1), std::string("https://example.test/x"));
        QCOMPARE(dbusOptionString(msg, *h, 2, "handle_token"), std::string("gio42"));
        QCOMPARE(dbusOptionString(msg, *h, 2, "ask"), std::string());
        QVERIFY(!dbusUint32After(msg, *h, 1));  // the second argument is a string
        auto noToken = openUriCall(8, "https://example.test/x", "");
        QCOMPARE(dbusOptionString(noToken, *parseDbusHeader(noToken), 2, "handle_token"),
                 std::string());
        // Damaged: a bad endianness mark, a cut message, a length past the limit.
        std::string bad = msg;
        bad[0] = 'x';
        QVERIFY(!dbusMessageSize(bad));
        QVERIFY(!parseDbusHeader(msg.substr(0, msg.size() - 1)));
        std::string huge = msg;
        const uint32_t big = 0x7fffffff;
        std::memcpy(&huge[4], &big, 4);
        QVERIFY(!dbusMessageSize(huge));
        // Every cut of the message is "need more" or "not a message", never a wrong size.
        for (size_t n = 0; n < msg.size(); ++n) {
            auto s = dbusMessageSize(msg.substr(0, n));
            QVERIFY(!s || *s == 0 || *s == msg.size());
            QVERIFY(!parseDbusHeader(msg.substr(0, n)));
        }
    }

    void wireWritesReplies() {
        auto ret = dbusReturnObjectPath(5, 7, ":1.3", ":1.9", "/a/b");
        auto h = parseDbusHeader(ret);
        QVERIFY(h);
        QVERIFY(h->type == DbusType::Return);
        QCOMPARE(h->replySerial, 7u);
        QCOMPARE(h->sender, std::string(":1.3"));
        QCOMPARE(h->destination, std::string(":1.9"));
        QCOMPARE(dbusLeadingStrings(ret, *h, 1)->at(0), std::string("/a/b"));
        auto err =
            dbusErrorReply(6, 7, "", ":1.9", "org.freedesktop.portal.Error.NotAllowed", "no");
        h = parseDbusHeader(err);
        QVERIFY(h && h->type == DbusType::Error);
        QCOMPARE(h->errorName, std::string("org.freedesktop.portal.Error.NotAllowed"));
        QVERIFY(h->sender.empty());
        // The text may quote what a program sent: a D-Bus string must be valid UTF-8 without
        // NUL, or the receiving library drops the whole connection.
        err = dbusErrorReply(6, 7, "", ":1.9", "org.freedesktop.DBus.Error.InvalidArgs",
                             std::string("not (s\xff\xfe") + '\0' + "x\xc3)");
        h = parseDbusHeader(err);
        QVERIFY(h && h->type == DbusType::Error);
        auto text = dbusLeadingStrings(err, *h, 1);
        QVERIFY(text);
        QVERIFY2(QString::fromUtf8(text->at(0)).toUtf8() == QByteArray::fromStdString(text->at(0)),
                 text->at(0).c_str());
        QVERIFY(text->at(0).find('\0') == std::string::npos);
        QCOMPARE(text->at(0), std::string("not (s\\xff\\xfe\\x00x\\xc3)"));
        auto sig = dbusRequestResponse(9, ":1.3", ":1.9", "/org/x/request/1_9/t", 1);
        h = parseDbusHeader(sig);
        QVERIFY(h && h->type == DbusType::Signal);
        QCOMPARE(h->member, std::string("Response"));
        QCOMPARE(h->interface, std::string("org.freedesktop.portal.Request"));
        QCOMPARE(h->path, std::string("/org/x/request/1_9/t"));
        QCOMPARE(h->signature, std::string("ua{sv}"));
        QCOMPARE(h->bodyLength, size_t(8));
        QCOMPARE(uint8_t(sig[h->bodyOffset]), uint8_t(1));
    }

    void planPutsTheGateInFront() {
        DesktopHost host;
        host.home = "/home/alice";
        host.runtimeDir = "/run/user/1000";
        host.env = {{"DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1000/bus"}};
        host.exist = {"/run/user/1000/bus"};
        host.dbusProxy = "/usr/bin/xdg-dbus-proxy";
        host.xdgOpen = "/usr/bin/xdg-open";
        DesktopContext ctx{"/run/user/1000", "firefox", "/run/user/1000/layerbox/instances",
                           "abcd1234"};
        DbusConfig d;
        d.talk = {"org.freedesktop.portal.*"};
        PortalSetup ask;
        ask.appId = "io.github.layerbox.firefox";
        ask.askOpenUri = true;
        ask.sandbox = "firefox";
        auto p = planDbus(d, host, ctx, ask);
        const auto& gate = p.dbusProxy.gate;
        QVERIFY(gate.wanted());
        QCOMPARE(gate.listen, std::string("/run/user/1000/layerbox/instances/abcd1234.bus"));
        QCOMPARE(gate.upstream,
                 std::string("/run/user/1000/layerbox/instances/abcd1234.proxy-bus"));
        QCOMPARE(gate.sandbox, std::string("firefox"));
        QCOMPARE(gate.opener, std::string("/usr/bin/xdg-open"));
        // The proxy listens behind the gate; the sandbox's bus is the gate's socket.
        QCOMPARE(p.dbusProxy.args.at(1), gate.upstream);
        auto bus = std::find_if(p.mounts.begin(), p.mounts.end(),
                                [](const MountOp& m) { return m.target == "/run/user/1000/bus"; });
        QVERIFY(bus != p.mounts.end());
        QCOMPARE(bus->source, gate.listen);
        // The proxy refuses OpenURI itself, as with deny: a message the gate lets through
        // never reaches the portal.
        for (const auto& a : p.dbusProxy.args) {
            QVERIFY2(a.find("OpenURI") == std::string::npos, a.c_str());
            QVERIFY2(a != "--talk=org.freedesktop.portal.*", a.c_str());
        }
        // xdg-open inside asks the portal.
        auto marker = std::find_if(p.mounts.begin(), p.mounts.end(), [](const MountOp& m) {
            return m.target == "/run/user/1000/flatpak-info";
        });
        QVERIFY(marker != p.mounts.end());
        QVERIFY(marker->content.find("name=io.github.layerbox.firefox") != std::string::npos);

        // A profile without any bus name still gets the gate (and a filtered bus).
        auto bare = planDbus(DbusConfig{}, host, ctx, ask);
        QVERIFY(bare.dbusProxy.gate.wanted());
        QVERIFY(bare.dbusProxy.wanted());

        // Deny and allow: no gate, no marker.
        for (bool allow : {false, true}) {
            PortalSetup other;
            other.appId = ask.appId;
            other.allowOpenUri = allow;
            auto o = planDbus(d, host, ctx, other);
            QVERIFY(!o.dbusProxy.gate.wanted());
            QCOMPARE(o.dbusProxy.args.at(1),
                     std::string("/run/user/1000/layerbox/instances/abcd1234.bus"));
            QVERIFY(std::none_of(o.mounts.begin(), o.mounts.end(), [](const MountOp& m) {
                return m.target == "/run/user/1000/flatpak-info";
            }));
        }
        // No xdg-open on the host: no gate (OpenURI refused by the proxy), and it is said.
        host.xdgOpen.clear();
        auto none = planDbus(d, host, ctx, ask);
        QVERIFY(!none.dbusProxy.gate.wanted());
        QVERIFY(!none.warnings.empty());
    }

    void profileValue() {
        // "ask" is a valid value; the built-in browsers use it.
        auto diags =
            validateProfileText(R"({"version": 1, "desktop": {"open_uri": "ask"}})", "t.json", "t");
        QVERIFY(diags.empty());
    }
};

QTEST_GUILESS_MAIN(TstOpenUriPlans)
#include "tst_open_uri_plans.moc"
