// The pure plan of the systemd scope: unit name, slice and limits, and which limits this host
// enforces.
#include <QtTest>

#include "profile/profile.h"
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
};

QTEST_GUILESS_MAIN(TstScopePlans)
#include "tst_scope_plans.moc"
