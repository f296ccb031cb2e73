// base/dbus_wire: what the scope's talk with the systemd user manager writes and reads
// (resources/manager_bus.h). The bytes expected are written out here by hand, from the D-Bus
// specification, not with the code under test.
#include <QtTest>

#include <cstring>

#include "base/dbus_wire.h"

using namespace lb;

namespace {

std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (int c : b)
        s.push_back(static_cast<char>(c));
    return s;
}

// JobRemoved(u id, o job, s unit, s result) from the manager, as it sends it.
std::string jobRemoved(uint32_t id, const std::string& job, const std::string& unit,
                       const std::string& result) {
    std::string body;
    auto pad = [](std::string& s, size_t a) {
        while (s.size() % a)
            s.push_back('\0');
    };
    auto u32 = [&](std::string& s, uint32_t v) {
        pad(s, 4);
        s.append(reinterpret_cast<const char*>(&v), 4);  // the test runs little-endian
    };
    auto str = [&](std::string& s, const std::string& v) {
        u32(s, static_cast<uint32_t>(v.size()));
        s += v;
        s.push_back('\0');
    };
    u32(body, id);
    str(body, job);
    str(body, unit);
    str(body, result);
    std::string m = "l";
    m += bytes({4, 1, 1});
    u32(m, static_cast<uint32_t>(body.size()));
    u32(m, 7);
    u32(m, 0);
    auto field = [&](int code, const std::string& type, const std::string& v) {
        pad(m, 8);
        m.push_back(static_cast<char>(code));
        m += bytes({1}) + type + bytes({0});
        if (type == "g")
            m += bytes({static_cast<int>(v.size())}) + v + bytes({0});
        else
            str(m, v);
    };
    field(1, "o", "/org/freedesktop/systemd1");
    field(2, "s", "org.freedesktop.systemd1.Manager");
    field(3, "s", "JobRemoved");
    field(8, "g", "uoss");
    uint32_t len = static_cast<uint32_t>(m.size() - 16);
    std::memcpy(&m[12], &len, 4);
    pad(m, 8);
    return m + body;
}

}  // namespace

class TstDbusWire : public QObject {
    Q_OBJECT

private slots:
    void jobRemovedIsRead() {
        const std::string m = jobRemoved(42, "/org/freedesktop/systemd1/job/42",
                                         "app-layerbox-default-1.scope", "done");
        QCOMPARE(dbusMessageSize(m).value_or(0), m.size());
        auto h = parseDbusHeader(m);
        QVERIFY(h);
        QCOMPARE(h->type, DbusType::Signal);
        QCOMPARE(h->member, std::string("JobRemoved"));
        auto args = dbusBasicArguments(m, *h);
        QVERIFY(args);
        QCOMPARE(*args, (std::vector<std::string>{"42", "/org/freedesktop/systemd1/job/42",
                                                  "app-layerbox-default-1.scope", "done"}));
        // Cut short or with a container, it is not read.
        auto bad = *h;
        bad.signature = "uosa{sv}";
        QVERIFY(!dbusBasicArguments(m, bad));
        bad.signature = "uo";
        QVERIFY(!dbusBasicArguments(m, bad));
    }

    // An array's length counts from its first element, after the padding that aligns it; a
    // struct starts 8-aligned; a variant is its signature, then its value.
    void arraysOfStructsOfVariants() {
        DbusWriter w;
        w.str("u");  // 4 + 1 + 1 = 6 bytes
        auto a = w.beginArray(8);
        w.beginStruct();
        w.str("Delegate");
        w.variantBool(true);
        w.beginStruct();
        w.str("MemoryMax");
        w.variantU64(0x100);
        w.endArray(a);
        const std::string expected = bytes({1, 0, 0, 0, 'u', 0}) +
                                     bytes({0, 0}) +         // "u", padding to 4
                                     bytes({56, 0, 0, 0}) +  // the array's length: 16..72
                                     bytes({0, 0, 0, 0}) +   // padding to the first struct (16)
                                     bytes({8, 0, 0, 0}) + "Delegate" + bytes({0}) +  // 16..28
                                     bytes({1, 'b', 0}) +                             // 29..32
                                     bytes({1, 0, 0, 0}) +  // true, 32..36
                                     bytes({0, 0, 0, 0}) +  // to the next struct (40)
                                     bytes({9, 0, 0, 0}) + "MemoryMax" + bytes({0}) +  // 40..54
                                     bytes({1, 't', 0}) +                              // 54..57
                                     bytes({0, 0, 0, 0, 0, 0, 0}) +                    // to 8 (64)
                                     bytes({0, 1, 0, 0, 0, 0, 0, 0});  // 0x100, 64..72
        QCOMPARE(QByteArray::fromStdString(w.bytes()).toHex(' '),
                 QByteArray::fromStdString(expected).toHex(' '));
        DbusWriter pids;
        pids.variantU32Array({7, 8});
        QCOMPARE(
            QByteArray::fromStdString(pids.bytes()).toHex(' '),
            QByteArray::fromStdString(bytes({2, 'a', 'u', 0, 8, 0, 0, 0, 7, 0, 0, 0, 8, 0, 0, 0}))
                .toHex(' '));
    }

    void methodCallHeader() {
        DbusWriter body;
        body.str("app-layerbox-x.scope");
        const std::string m = dbusMethodCall(
            3, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
            "org.freedesktop.systemd1.Manager", "ResetFailedUnit", "s", body.bytes());
        auto h = parseDbusHeader(m);
        QVERIFY(h);
        QCOMPARE(h->type, DbusType::Call);
        QCOMPARE(h->flags, uint8_t(0));  // a reply is expected
        QCOMPARE(h->serial, 3u);
        QCOMPARE(h->path, std::string("/org/freedesktop/systemd1"));
        QCOMPARE(h->interface, std::string("org.freedesktop.systemd1.Manager"));
        QCOMPARE(h->member, std::string("ResetFailedUnit"));
        QCOMPARE(h->destination, std::string("org.freedesktop.systemd1"));
        QCOMPARE(h->signature, std::string("s"));
        QCOMPARE(dbusLeadingStrings(m, *h, 1).value_or(std::vector<std::string>{}),
                 std::vector<std::string>{"app-layerbox-x.scope"});
    }
};

QTEST_APPLESS_MAIN(TstDbusWire)
#include "tst_dbus_wire.moc"
