// The pure plan of the systemd scope: unit name, slice and limits, and which limits this host
// enforces. And the connection to the user manager against a peer that stops reading.
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "profile/profile.h"
#include "resources/manager_bus.h"
#include "resources/scope.h"

using namespace lb;

class TstScopePlans : public QObject {
    Q_OBJECT

private slots:
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
        int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        QVERIFY(listener >= 0);
        struct sockaddr_un addr = {};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
        QVERIFY(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        QVERIFY(::listen(listener, 1) == 0);
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
};

QTEST_GUILESS_MAIN(TstScopePlans)
#include "tst_scope_plans.moc"
