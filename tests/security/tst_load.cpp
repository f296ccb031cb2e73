// Load: 200 launches in a row and 20 at once, of the same and of different profiles. No launch
// may fail, and nothing may be left behind: processes, scopes, instance files, runtime and
// temporary files, host mounts, descriptors of the caller.
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QtTest>

#include <unistd.h>

#include <memory>
#include <vector>

#include "testsupport.h"

using namespace lbtest;

namespace {

int countLines(const QByteArray& text) {
    return static_cast<int>(text.count('\n'));
}

int ownFds() {
    return static_cast<int>(
        QDir("/proc/self/fd").entryList(QDir::NoDotAndDotDot | QDir::System | QDir::Files).size());
}

}  // namespace

class TstLoad : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;

    struct Snapshot {
        int processes = 0;
        int scopes = 0;
        int runtimeFiles = 0;
        int tmpEntries = 0;
        int hostMounts = 0;
        int fds = 0;
        int sandboxes = 0;
    };

    int activeScopes() {
        QProcess sc;
        sc.setProcessEnvironment(home_->env());
        sc.start("systemctl", {"--user", "list-units", "--no-legend", "--plain", "--state=active",
                               "app-layerbox-*"});
        sc.waitForFinished(20000);
        return countLines(sc.readAllStandardOutput());
    }

    Snapshot snapshot() {
        // A sandbox that has just ended may still be unmounted by its exiting setup process
        // ("layerbox-end": the runner does not wait for that, issue 25), in its scope, which
        // the user manager collects once it is empty. That is not left behind: wait for it,
        // and for the scope count to settle.
        QElapsedTimer waited;
        waited.start();
        while (!processesNamed("layerbox-end").isEmpty() && waited.elapsed() < 10000)
            QTest::qWait(20);
        int scopes = activeScopes();
        for (int settled = 0; settled < 3 && waited.elapsed() < 15000;) {
            QTest::qWait(100);
            int now = activeScopes();
            settled = now == scopes ? settled + 1 : 0;
            scopes = now;
        }
        Snapshot s;
        for (const char* name :
             {"layerbox-setup", "layerbox-init", "fuse-overlayfs", "slirp4netns", "layerbox"})
            s.processes += static_cast<int>(processesNamed(name).size());
        s.scopes = scopes;
        for (const char* d : {"/layerbox", "/layerbox/instances"})
            s.runtimeFiles +=
                QDir(home_->runtimeDir() + d).entryList(QDir::Files | QDir::System).size();
        // Only ours: other users' programs come and go in /tmp while the test runs.
        for (const auto& e : QDir(QDir::tempPath())
                                 .entryInfoList(QDir::AllEntries | QDir::NoDotAndDotDot |
                                                QDir::Hidden | QDir::System))
            if (e.ownerId() == ::getuid()) ++s.tmpEntries;
        s.hostMounts = countLines(readFile("/proc/self/mountinfo"));
        s.fds = ownFds();
        s.sandboxes = QDir(home_->dataHome() + "/layerbox/sandboxes")
                          .entryList(QDir::Dirs | QDir::NoDotAndDotDot)
                          .size();
        return s;
    }

    void compare(const Snapshot& before, const Snapshot& after, int newSandboxes) {
        QCOMPARE(after.processes, before.processes);
        QCOMPARE(after.scopes, before.scopes);
        QCOMPARE(after.runtimeFiles, before.runtimeFiles);
        QCOMPARE(after.tmpEntries, before.tmpEntries);
        QCOMPARE(after.hostMounts, before.hostMounts);
        QCOMPARE(after.fds, before.fds);
        QCOMPARE(after.sandboxes, before.sandboxes + newSandboxes);
    }

private slots:
    void initTestCase() { QVERIFY2(::getuid() != 0, "must run as an unprivileged user"); }
    void init() {
        home_ = std::make_unique<TestHome>();
        home_->writeProfile("net", R"({"version": 1, "network": {"mode": "nat"}})");
        home_->writeProfile("fusebox", R"({"version": 1, "filesystem": {"driver": "fuse"}})");
        for (int i = 0; i < 5; ++i)
            home_->writeProfile(QString("p%1").arg(i), R"({"version": 1})");
        // warm up: create the sandboxes' directories once
        for (const char* p : {"default", "net", "fusebox"})
            QCOMPARE(home_->layerbox({"run", "--profile", p, "--", "true"}).exitCode, 0);
    }
    void cleanup() { home_.reset(); }

    void twoHundredInARow() {
        auto before = snapshot();
        int failures = 0;
        for (int i = 0; i < 200; ++i) {
            QStringList args{"run"};
            if (i % 10 == 3)
                args << "--profile"
                     << "net";
            else if (i % 10 == 7)
                args << "--profile"
                     << "fusebox";
            else if (i % 2)
                args << "--ephemeral";
            args << "--"
                 << "sh"
                 << "-c" << QString("echo %1 > /tmp/x && test \"$(cat /tmp/x)\" = %1").arg(i);
            auto r = home_->layerbox(args, 60000);
            if (r.exitCode != 0) {
                ++failures;
                qWarning().noquote() << "launch" << i << "failed:" << r.exitCode << r.err;
            }
        }
        QCOMPARE(failures, 0);
        QTRY_VERIFY_WITH_TIMEOUT(snapshot().processes == before.processes, 10000);
        compare(before, snapshot(), 0);
    }

    void twentyAtOnce() {
        auto before = snapshot();
        std::vector<std::unique_ptr<QProcess>> procs;
        for (int i = 0; i < 20; ++i) {
            QStringList args{"run"};
            if (i < 8)
                args << "--ephemeral";  // 8 separate throw-away sandboxes
            else if (i < 13)
                args << "--profile" << QString("p%1").arg(i - 8);  // 5 different profiles
            else
                args << "--profile"
                     << "default";  // 7 of the same: one runs, the rest join
            args << "--"
                 << "sh"
                 << "-c"
                 << "sleep 0.5; echo ok";
            auto p = std::make_unique<QProcess>();
            p->setProcessEnvironment(home_->env());
            p->start(layerboxBin(), args);
            procs.push_back(std::move(p));
        }
        int failures = 0;
        for (auto& p : procs) {
            QVERIFY(finished(*p, 120000));
            if (p->exitCode() != 0 || p->readAllStandardOutput() != "ok\n") {
                ++failures;
                qWarning().noquote() << "failed:" << p->exitCode() << p->readAllStandardError();
            }
        }
        QCOMPARE(failures, 0);
        procs.clear();
        QTRY_VERIFY_WITH_TIMEOUT(snapshot().processes == before.processes, 10000);
        compare(before, snapshot(), 5);
    }
};

QTEST_GUILESS_MAIN(TstLoad)
#include "tst_load.moc"
