// The pure plan of the systemd scope: unit name, slice and limits, and which limits this host
// enforces; where its cgroup will be, to be made ahead. And the connection to the user manager
// against a peer that stops reading.
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QtTest>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "profile/profile.h"
#include "resources/manager_bus.h"
#include "resources/scope.h"
#include "resources/scope_cgroup.h"

using namespace lb;

namespace {

// A stream socket listening at `path` (a test user manager's), or -1.
int listenAt(const std::string& path) {
    int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) return -1;
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener, 1) != 0) {
        ::close(listener);
        return -1;
    }
    return listener;
}

}  // namespace

class TstScopePlans : public QObject {
    Q_OBJECT

private slots:
    // The directory the user manager will give the scope, from the runner's own cgroup.
    void scopeCgroupLiesUnderTheUserManager() {
        const std::string unit = "app-layerbox-web-1234abcd.scope";
        // A terminal of the desktop, under the user manager: its cgroup, slices nested.
        QCOMPARE(planScopeCgroup("/user.slice/user-1000.slice/user@1000.service/app.slice/"
                                 "app-org.gnome.Terminal.slice/vte-spawn-1.scope",
                                 1000, "app-layerbox.slice", unit)
                     .value_or("none"),
                 std::string("/user.slice/user-1000.slice/user@1000.service/app.slice/"
                             "app-layerbox.slice/") +
                     unit);
        // The manager's own cgroup, and a deeper slice.
        QCOMPARE(planScopeCgroup("/user.slice/user-7.slice/user@7.service/init.scope", 7,
                                 "a-b-c.slice", unit)
                     .value_or("none"),
                 "/user.slice/user-7.slice/user@7.service/a.slice/a-b.slice/a-b-c.slice/" + unit);
        // A login session's scope is not under the manager: nothing made ahead there.
        QVERIFY(!planScopeCgroup("/user.slice/user-1000.slice/session-3.scope", 1000,
                                 "app-layerbox.slice", unit));
        // Another user's manager, or a name that only starts like ours.
        QVERIFY(!planScopeCgroup("/user.slice/user-1001.slice/user@1001.service/app.slice", 1000,
                                 "app-layerbox.slice", unit));
        QVERIFY(!planScopeCgroup("/user.slice/user-10001.slice/user@10001.service/app.slice", 1000,
                                 "app-layerbox.slice", unit));
        QVERIFY(
            !planScopeCgroup("/x/user@1000.servicey/app.slice", 1000, "app-layerbox.slice", unit));
        // Names that would leave the manager's subtree, or are not a slice and a unit.
        const std::string self = "/user.slice/user-1000.slice/user@1000.service/app.slice";
        QVERIFY(!planScopeCgroup(self, 1000, "app-layerbox", unit));
        QVERIFY(!planScopeCgroup(self, 1000, ".slice", unit));
        QVERIFY(!planScopeCgroup(self, 1000, "../x.slice", unit));
        QVERIFY(!planScopeCgroup(self, 1000, "app-layerbox.slice", "../evil.scope"));
        QVERIFY(!planScopeCgroup(self, 1000, "app-layerbox.slice", ".."));
        QVERIFY(!planScopeCgroup(self, 1000, "app-layerbox.slice", ""));
    }

    void scope() {
        ResourceConfig r;
        r.memoryMax = 2ull << 30;
        r.cpuPercent = 150;
        r.tasksMax = 100;
        r.ioWeight = 20;
        auto p = planScope("my-app", "abcd1234", r);
        QCOMPARE(p.unit, std::string("app-layerbox-my\\x2dapp-abcd1234.scope"));
        QCOMPARE(p.slice, std::string("app-layerbox.slice"));
        auto get = [&](const char* n) {
            for (const auto& l : p.limits)
                if (l.name == n) return l.value;
            return uint64_t(0);
        };
        QCOMPARE(get("MemoryMax"), 2ull << 30);
        QCOMPARE(get("CPUQuotaPerSecUSec"), uint64_t(1500000));
        QCOMPARE(get("TasksMax"), uint64_t(100));
        r = {};
        r.cpuPercent = 1;  // rounds up to systemd's 10 ms granularity, never to zero
        QCOMPARE(planScope("a", "b", r).limits[0].value, uint64_t(10000));
        auto rep = planLimitsReport(p, {"memory", "pids"});
        QCOMPARE(rep.enforced, (std::vector<std::string>{"memory_max", "tasks_max"}));
        QCOMPARE(rep.recorded, (std::vector<std::string>{"cpu_percent", "io_weight"}));
    }

    // A user manager that accepts the connection and then reads nothing more: a call larger
    // than the socket's buffer fails when its time is up, it does not wait for ever.
    void aManagerThatStopsReadingTimesOut() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.path().toStdString() + "/private";
        int listener = listenAt(path);
        QVERIFY(listener >= 0);
        std::atomic<bool> done{false};
        std::thread peer([&] {
            int c = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) return;
            std::string line;
            char ch;
            while (line.find("\r\n") == std::string::npos && ::read(c, &ch, 1) == 1)
                line += ch;
            const char ok[] = "OK 0123456789abcdef0123456789abcdef\r\n";
            (void)!::write(c, ok, sizeof ok - 1);
            while (!done)  // reads nothing more
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            ::close(c);
        });
        // Whatever fails below: the peer ends (shutdown wakes its accept) and is joined.
        auto end = qScopeGuard([&] {
            done = true;
            ::shutdown(listener, SHUT_RDWR);
            peer.join();
            ::close(listener);
        });
        auto conn = ManagerConnection::connect(path, 5000);
        QVERIFY2(conn, conn ? "" : conn.error().message().c_str());
        auto r = conn->call("StartTransientUnit", "s", std::string(16 << 20, 'x'), 500);
        QVERIFY(!r);
        QCOMPARE(r.error().code(), ETIMEDOUT);
    }

    // Issue 25: a launch opens its connection to the user manager while it plans. open() sends
    // the authentication and BEGIN at once, before any answer (as sd-bus does), so the manager
    // has authenticated it by the time the scope is asked for; its OK may then come in one
    // piece with the answers that follow it. A refusal fails the first call.
    void theAuthenticationIsSentAheadOfItsAnswer_data() {
        QTest::addColumn<bool>("accept");
        QTest::newRow("accepted") << true;
        QTest::newRow("refused") << false;
    }
    void theAuthenticationIsSentAheadOfItsAnswer() {
        QFETCH(bool, accept);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.path().toStdString() + "/private";
        int listener = listenAt(path);
        QVERIFY(listener >= 0);
        std::string before;  // what the peer had read when it first answered
        std::thread peer([&] {
            int c = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) return;
            // Nothing is answered until BEGIN and a whole method call have come (5 s at most).
            std::string in;
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
            auto callEnd = [&]() -> size_t {
                size_t b = in.find("BEGIN\r\n");
                if (b == std::string::npos) return 0;
                auto size = dbusMessageSize(std::string_view(in).substr(b + 7));
                return size && *size > 0 && in.size() >= b + 7 + *size ? b + 7 + *size : 0;
            };
            while (!callEnd() && std::chrono::steady_clock::now() < deadline) {
                struct pollfd p = {c, POLLIN, 0};
                if (::poll(&p, 1, 100) <= 0) continue;
                char buf[4096];
                ssize_t n = ::read(c, buf, sizeof buf);
                if (n <= 0) break;
                in.append(buf, static_cast<size_t>(n));
            }
            before = in.substr(0, in.find("BEGIN\r\n") + 7);
            std::string out =
                accept ? "OK 0123456789abcdef0123456789abcdef\r\n" +
                             dbusReturnObjectPath(1, 1, "", "", "/org/freedesktop/systemd1/job/7")
                       : std::string("REJECTED EXTERNAL\r\n");
            (void)!::write(c, out.data(), out.size());  // the OK and the reply in one piece
            ::close(c);
        });
        auto end = qScopeGuard([&] {
            ::shutdown(listener, SHUT_RDWR);
            peer.join();
            ::close(listener);
        });
        auto conn = ManagerConnection::open(path);
        QVERIFY2(conn, conn ? "" : conn.error().message().c_str());
        DbusWriter body;
        body.str("app-layerbox-x-1.scope");
        auto r = conn->call("StartTransientUnit", "s", body.bytes(), 5000);
        std::string hex;
        for (char c : std::to_string(::getuid()))
            hex += QByteArray(1, c).toHex().toStdString();
        end.dismiss();
        ::shutdown(listener, SHUT_RDWR);
        peer.join();
        ::close(listener);
        QCOMPARE(QByteArray::fromStdString(before),
                 QByteArray::fromStdString(std::string(1, '\0') + "AUTH EXTERNAL " + hex +
                                           "\r\nBEGIN\r\n"));
        if (!accept) {
            QVERIFY(!r);
            QCOMPARE(r.error().code(), EACCES);
            return;
        }
        QVERIFY2(r, r ? "" : r.error().message().c_str());
        QVERIFY(r->ok);
        QCOMPARE(r->value, std::string("/org/freedesktop/systemd1/job/7"));
    }
};

QTEST_GUILESS_MAIN(TstScopePlans)
#include "tst_scope_plans.moc"
