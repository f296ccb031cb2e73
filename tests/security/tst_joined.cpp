// A command joined to a running sandbox (`layerbox exec`, `run` on a running profile) is out of
// reach of what already runs there (issue 17, item 1): it never receives the caller's terminal
// or any other descriptor of the caller's (only pipes or a pty made inside), and no other
// program of the sandbox can take its descriptors (pidfd_getfd), read its memory (/proc/PID/mem,
// process_vm_readv) or compare its files (kcmp). With `devel` (which allows ptrace) the seccomp
// rules are off, and the Landlock domain of each program still keeps them apart.
#include <QProcess>
#include <QtTest>

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <unistd.h>

#include "testsupport.h"

using namespace lbtest;

namespace {

// A pseudo-terminal in the test, standing in for the user's terminal.
struct Pty {
    int master = -1, slave = -1;
    Pty() { ::openpty(&master, &slave, nullptr, nullptr, nullptr); }
    ~Pty() {
        if (master >= 0) ::close(master);
        if (slave >= 0) ::close(slave);
    }
    // Everything the terminal shows within `ms`.
    QByteArray read(int ms) const {
        QByteArray out;
        QElapsedTimer t;
        t.start();
        int fl = ::fcntl(master, F_GETFL);
        ::fcntl(master, F_SETFL, fl | O_NONBLOCK);
        while (t.elapsed() < ms) {
            char buf[4096];
            ssize_t n = ::read(master, buf, sizeof buf);
            if (n > 0) {
                out.append(buf, static_cast<int>(n));
                if (out.contains("}\r\n") || out.contains("}\n")) break;
            } else {
                QTest::qWait(20);
            }
        }
        return out;
    }
};

}  // namespace

class TstJoined : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;

    // `layerbox ARGS` with the pty as stdin, stdout and stderr (as from a terminal).
    void startOnTerminal(QProcess& p, const QStringList& args, const Pty& pty) {
        p.setProcessEnvironment(home_->env());
        p.setWorkingDirectory(home_->home());
        int slave = pty.slave;
        p.setChildProcessModifier([slave] {
            for (int fd = 0; fd < 3; ++fd)
                ::dup2(slave, fd);
        });
        p.start(layerboxBin(), args);
        QVERIFY(p.waitForStarted(10000));
    }

    bool waitRunning(const QString& profile) {
        for (int i = 0; i < 200; ++i) {
            auto r = home_->layerbox({"ps", "--json"});
            if (r.out.contains("\"profile\":\"" + profile + "\"")) return true;
            QTest::qWait(50);
        }
        return false;
    }

private slots:
    void initTestCase() { QVERIFY2(::getuid() != 0, "must run as an unprivileged user"); }
    void init() {
        home_ = std::make_unique<TestHome>();
        home_->writeProfile("box", R"({"version": 1, "extends": "default"})");
        home_->writeProfile("devbox",
                            R"({"version": 1, "extends": "default", "security": {"devel": true}})");
    }
    void cleanup() { home_.reset(); }

    void joinedCommandIsOutOfReach_data() {
        QTest::addColumn<QString>("profile");
        QTest::addColumn<int>("getfdErrno");
        QTest::addColumn<int>("memErrno");
        // default: the seccomp filter refuses; devel: Landlock refuses (ptrace_may_access).
        QTest::newRow("default") << "box" << EPERM << EACCES;
        QTest::newRow("devel") << "devbox" << EPERM << EACCES;
    }
    void joinedCommandIsOutOfReach() {
        QFETCH(QString, profile);
        QFETCH(int, getfdErrno);
        QFETCH(int, memErrno);
        // The sandbox's own program waits for the joined command and tries to get into it.
        QProcess thief;
        thief.setProcessEnvironment(home_->env());
        thief.setWorkingDirectory(home_->home());
        thief.start(layerboxBin(), QStringList{"run", "--profile", profile, "--no-pty"} +
                                       probeBind() +
                                       QStringList{"--", probePath(), "steal", "victim-marker"});
        QVERIFY(thief.waitForStarted(10000));
        QVERIFY2(waitRunning(profile), qPrintable(thief.readAllStandardError()));

        // The user joins a command from a terminal, without a pty of its own.
        Pty pty;
        QVERIFY(pty.master >= 0);
        QProcess victim;
        startOnTerminal(
            victim,
            {"exec", profile, "--no-pty", "--", probePath(), "victim", "victim-marker", "4"}, pty);
        QByteArray shown = pty.read(15000);
        auto fds = lastJson(QString::fromUtf8(shown).remove('\r'));
        QVERIFY2(!fds.isEmpty(), shown.constData());
        // Never the terminal itself: pipes relayed by `layerbox exec`.
        for (const char* fd : {"stdin", "stdout", "stderr"})
            QVERIFY2(fds[fd].toString().startsWith("pipe:"), qPrintable(fds[fd].toString()));
        QCOMPARE(fds["isatty0"].toBool(), false);

        QVERIFY(finished(thief, 30000));
        auto got = lastJson(QString::fromUtf8(thief.readAllStandardOutput()));
        QVERIFY2(got["found"].toInt() > 0, qPrintable(thief.readAllStandardError()));
        auto check = [&](const char* what, int err) {
            auto o = got[what].toObject();
            QVERIFY2(!o["succeeded"].toBool(),
                     qPrintable(QString("%1 succeeded: %2").arg(what, o["detail"].toString())));
            QCOMPARE(o["errno"].toInt(), err);
        };
        check("getfd", getfdErrno);
        check("mem", memErrno);
        check("vmread", EPERM);
        check("kcmp", EPERM);
        QVERIFY(finished(victim, 20000));
        QCOMPARE(victim.exitCode(), 0);
    }

    void mainProgramWithoutPtyNeverGetsTheTerminal() {
        Pty pty;
        QVERIFY(pty.master >= 0);
        QProcess p;
        startOnTerminal(p,
                        QStringList{"run", "--profile", "box", "--no-pty"} + probeBind() +
                            QStringList{"--", probePath(), "victim", "m", "0"},
                        pty);
        QByteArray shown = pty.read(15000);
        auto fds = lastJson(QString::fromUtf8(shown).remove('\r'));
        QVERIFY2(!fds.isEmpty(), shown.constData());
        for (const char* fd : {"stdin", "stdout", "stderr"})
            QVERIFY2(fds[fd].toString().startsWith("pipe:"), qPrintable(fds[fd].toString()));
        QVERIFY(finished(p, 20000));
        QCOMPARE(p.exitCode(), 0);
        // A file the caller redirected is handed over as it is (that was asked for).
        auto r = home_->layerbox(QStringList{"run", "--profile", "box", "--no-pty"} + probeBind() +
                                 QStringList{"--", probePath(), "victim", "m", "0"});
        auto plain = lastJson(r.out);
        QVERIFY2(plain["stdout"].toString().startsWith("pipe:"), qPrintable(r.out + r.err));
    }

    void joinedStreamsCarryDataBothWays() {
        QProcess main;
        main.setProcessEnvironment(home_->env());
        main.start(layerboxBin(), QStringList{"run", "--profile", "box", "--no-pty"} + probeBind() +
                                      QStringList{"--", probePath(), "sleep"});
        QVERIFY(main.waitForStarted(10000));
        QVERIFY(waitRunning("box"));
        // stdin reaches the joined command; its stdout and stderr come back apart, and its
        // exit status is the command's.
        auto r = home_->layerbox({"exec", "box", "--no-pty", "--", "sh", "-c",
                                  "read a; echo out:$a; echo err:$a >&2; exit 7"},
                                 30000, "hello\n");
        QCOMPARE(r.exitCode, 7);
        QCOMPARE(r.out, QString("out:hello\n"));
        QVERIFY2(r.err.contains("err:hello"), qPrintable(r.err));
        // A large output arrives whole.
        r = home_->layerbox(
            {"exec", "box", "--no-pty", "--", "sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' x"},
            30000);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out.size(), 3000000);
        QCOMPARE(home_->layerbox({"stop", "box"}).exitCode, 0);
        QVERIFY(finished(main, 20000));
    }
};

QTEST_GUILESS_MAIN(TstJoined)
#include "tst_joined.moc"
