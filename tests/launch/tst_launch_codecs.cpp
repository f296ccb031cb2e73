// What the launch writes and reads back: instance records and exec requests.
#include <QtTest>

#include "base/units.h"
#include "launch/instances.h"
#include "launch/join.h"

using namespace lb;

class TstLaunchCodecs : public QObject {
    Q_OBJECT

private slots:
    void instanceRecordsRoundTrip() {
        InstanceRecord r;
        r.id = "abcd1234";
        r.profile = "p";
        r.runnerPid = 10;
        r.pid = 12;
        r.command = {"sh", "-c", "echo 'a\nb' %"};
        r.startedUnix = 1795800000;
        r.scope = "app-layerbox-p-abcd1234.scope";
        r.limitsEnforced = {"memory_max"};
        auto back = decodeRecord(encodeRecord(r));
        QVERIFY(back);
        QCOMPARE(back->command, r.command);
        QCOMPARE(back->scope, r.scope);
        QCOMPARE(back->limitsEnforced, r.limitsEnforced);
        QVERIFY(back->limitsRecorded.empty());
        QVERIFY(!decodeRecord("garbage"));
        QVERIFY(!decodeRecord("id=x\nrunner_pid=notanumber\nprofile=p\n"));
        QCOMPARE(isoTime(0), std::string("1970-01-01T00:00:00Z"));
    }

    void execRequestsRoundTrip() {
        ExecRequest r{"/home/a", {"sh", "-c", "x y"}, {"A=1", "B=2"}, true};
        auto back = decodeExecRequest(encodeExecRequest(r));
        QVERIFY(back);
        QCOMPARE(back->argv, r.argv);
        QCOMPARE(back->env, r.env);
        QCOMPARE(back->cwd, r.cwd);
        QVERIFY(back->pty);
        QVERIFY(!decodeExecRequest("nope"));
    }
};

QTEST_GUILESS_MAIN(TstLaunchCodecs)
#include "tst_launch_codecs.moc"
