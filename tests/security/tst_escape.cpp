// The escape battery: each row is one attempt made from inside a sandbox (by the probe, or a
// shell) and the exact way it must fail. Run with the `default` profile and with
// `untrusted-gui`. bench/escape runs the same attempts under bubblewrap and Firejail for
// comparison.
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QProcess>
#include <QtTest>

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "testsupport.h"

using namespace lbtest;

namespace {

// A listening abstract unix socket on the host, for the network-namespace check.
class AbstractListener {
public:
    explicit AbstractListener(const QByteArray& name) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un a = {};
        a.sun_family = AF_UNIX;
        std::memcpy(a.sun_path + 1, name.constData(), static_cast<size_t>(name.size()));
        socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
        ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) == 0 && ::listen(fd_, 1) == 0;
    }
    ~AbstractListener() { ::close(fd_); }
    bool ok() const { return ok_; }

private:
    int fd_ = -1;
    bool ok_ = false;
};

}  // namespace

class TstEscape : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;

    QJsonObject attempt(const QString& profile, const QStringList& extra, const QString& what,
                        const QString& arg = {}) {
        QStringList args{"run", "--profile", profile, "--no-pty"};
        args << probeBind() << extra << "--" << probePath() << "try" << what;
        if (!arg.isEmpty()) args << arg;
        auto r = home_->layerbox(args);
        auto j = lastJson(r.out);
        if (j.isEmpty()) qWarning().noquote() << "no result:" << r.exitCode << r.out << r.err;
        return j;
    }

private slots:
    void initTestCase() {
        QVERIFY2(::getuid() != 0, "must run as an unprivileged user");
        // untrusted-gui asks for a display; without one the sandbox still starts (and says so).
        qInfo()
            << "file capabilities cannot be given to a binary without privileges, so that attack is"
               " covered by the empty bounding set and no_new_privs asserted in tst_engine";
    }
    void init() {
        home_ = std::make_unique<TestHome>();
        // A user profile for the battery: the built-in untrusted-gui, plus a hidden folder of
        // the real home shown through an overlay (to try the masks).
        home_->writeProfile(
            "overlay-hidden",
            R"({"version": 1, "extends": "default", "filesystem": {"home": "overlay", "hide": ["~/.ssh", "~/.gnupg"]}})");
        writeFile(home_->home() + "/.ssh/id_ed25519", "PRIVATE KEY\n");
    }
    void cleanup() { home_.reset(); }

    void syscallAttempts_data() {
        QTest::addColumn<QString>("profile");
        QTest::addColumn<QString>("what");
        QTest::addColumn<QString>("arg");
        QTest::addColumn<int>("err");
        const QString host = QString::number(::getpid());  // a host process, invisible inside
        struct Row {
            const char* what;
            QString arg;
            int err;
        };
        const Row rows[] = {
            // processes
            {"kill-pid", host, ESRCH},
            {"ptrace-pid", host, EPERM},
            {"ptrace-pid", "1", EPERM},
            {"read-file", "/proc/1/environ", EACCES},
            {"list-dir", "/proc/1/root/", EACCES},
            {"read-file", "/proc/1/root/etc/hostname", EACCES},
            // privileges
            {"setuid-root", {}, EINVAL},
            {"setgroups", {}, EPERM},
            {"unshare-user", {}, EPERM},
            {"unshare-mount", {}, EPERM},
            {"clone-newuser", {}, EPERM},
            {"clone3", {}, ENOSYS},
            {"setns", {}, EPERM},
            {"mount-tmpfs", {}, EPERM},
            {"umount-proc", {}, EPERM},
            {"pivot-root", {}, EPERM},
            {"chroot", {}, EPERM},
            {"open-tree", {}, ENOSYS},
            {"fsopen", {}, ENOSYS},
            {"keyctl", {}, EPERM},
            {"add-key", {}, EPERM},
            {"bpf", {}, EPERM},
            {"perf-event-open", {}, EPERM},
            {"userfaultfd", {}, EPERM},
            {"io-uring", {}, ENOSYS},
            {"personality", {}, EPERM},
            {"socket-packet", {}, EAFNOSUPPORT},
            {"socket-vsock", {}, EAFNOSUPPORT},
            {"socket-alg", {}, EAFNOSUPPORT},
            // terminal (no terminal of its own here: stdin is a pipe, and no controlling tty)
            {"tiocsti", {}, EPERM},
            {"tiocsti-highbits", {}, EPERM},
            {"tioclinux", {}, EPERM},
            {"open-tty", {}, ENXIO},
            // files and devices
            // A block device: refused first by the program's Landlock domain (EACCES), which
            // handles exactly this right (isolation/landlock.h); without Landlock, EPERM.
            {"mknod", {}, EACCES},
            {"read-file", "/dev/mem", ENOENT},
            {"read-file", "/dev/sda", ENOENT},
            {"write-file", "/proc/sys/vm/drop_caches", EROFS},
            {"write-file", "/proc/sys/kernel/hostname", EROFS},
            {"write-file", "/sys/kernel/mm/transparent_hugepage/enabled", EROFS},
            {"write-file", "/lbtest-top-level", EROFS},
            {"list-dir", "/root", ENOENT},
            {"list-dir", "/media", ENOENT},
            // network and host sockets
            {"tcp-connect", "10.0.2.2:22", ENETUNREACH},
            {"tcp-connect", "192.168.1.1:80", ENETUNREACH},
            {"unix-connect", qEnvironmentVariable("XDG_RUNTIME_DIR") + "/bus", ENOENT},
            {"unix-connect", qEnvironmentVariable("XDG_RUNTIME_DIR") + "/systemd/private", ENOENT},
        };
        for (const char* profile : {"default", "untrusted-gui"})
            for (const auto& r : rows)
                QTest::newRow(qPrintable(QString("%1: %2 %3").arg(profile, r.what, r.arg)))
                    << QString(profile) << QString(r.what) << r.arg << r.err;
    }
    void syscallAttempts() {
        QFETCH(QString, profile);
        QFETCH(QString, what);
        QFETCH(QString, arg);
        QFETCH(int, err);
        auto j = attempt(profile, {}, what, arg);
        QVERIFY2(!j.isEmpty(), "the probe reported nothing");
        QCOMPARE(j["succeeded"].toBool(), false);
        QCOMPARE(j["error"].toString(), QString::fromUtf8(strerror(err)));
    }

    // security.socket_families and memory_deny_write_execute: what the profile narrows is
    // refused, what it keeps works; `default` (the control) allows both, so a filter that
    // ignored the fields fails here.
    void profileNarrowsSocketsAndMemory_data() {
        QTest::addColumn<QString>("what");
        QTest::addColumn<int>("narrowed");  // errno in the narrowed profile, 0: allowed
        QTest::newRow("unix") << "socket-unix" << 0;
        QTest::newRow("inet") << "socket-inet" << EAFNOSUPPORT;
        QTest::newRow("inet6") << "socket-inet6" << EAFNOSUPPORT;
        QTest::newRow("netlink") << "socket-netlink" << EAFNOSUPPORT;
        QTest::newRow("mmap w+x") << "mmap-wx" << EPERM;
        QTest::newRow("mprotect exec") << "mprotect-exec" << EPERM;
    }
    void profileNarrowsSocketsAndMemory() {
        QFETCH(QString, what);
        QFETCH(int, narrowed);
        home_->writeProfile(
            "narrow",
            R"({"version": 1, "extends": "default", "security": {"socket_families": ["unix"], "memory_deny_write_execute": true}})");
        auto control = attempt("default", {}, what);
        QVERIFY2(!control.isEmpty(), "the probe reported nothing");
        QVERIFY2(control["succeeded"].toBool(), qPrintable(control["error"].toString()));
        auto j = attempt("narrow", {}, what);
        QVERIFY2(!j.isEmpty(), "the probe reported nothing");
        if (narrowed == 0) {
            QVERIFY2(j["succeeded"].toBool(), qPrintable(j["error"].toString()));
        } else {
            QCOMPARE(j["succeeded"].toBool(), false);
            QCOMPARE(j["error"].toString(), QString::fromUtf8(strerror(narrowed)));
        }
    }

    // filesystem.private_etc: /etc inside holds the listed entries (read-only) and Layerbox's
    // own files, nothing else of the host's; a new file there is not kept. The default profile
    // is the control: it shows os-release.
    void privateEtcShowsOnlyTheListed() {
        home_->writeProfile(
            "etc-narrow",
            R"({"version": 1, "extends": "default", "filesystem": {"private_etc": ["passwd", "fonts"]}})");
        const QString script =
            "ls -A /etc | tr '\\n' ' '; echo; "
            "echo x >> /etc/passwd 2>/dev/null && echo passwd-written; "
            "echo y > /etc/lbtest-new && echo new-written";
        auto control = home_->layerbox({"run", "--no-pty", "--", "sh", "-c", "ls -A /etc"});
        QVERIFY2(control.out.contains("os-release"), qPrintable(control.out + control.err));
        auto r = home_->layerbox(
            {"run", "--profile", "etc-narrow", "--no-pty", "--", "sh", "-c", script});
        QCOMPARE(r.exitCode, 0);
        QStringList names = r.out.section('\n', 0, 0).split(' ', Qt::SkipEmptyParts);
        names.sort();
        QCOMPARE(names, QStringList({"fonts", "hostname", "hosts", "passwd"}));
        QVERIFY2(!r.out.contains("passwd-written"), qPrintable(r.out));
        QVERIFY2(r.out.contains("new-written"), qPrintable(r.out));
        auto again = home_->layerbox({"run", "--profile", "etc-narrow", "--no-pty", "--", "sh",
                                      "-c", "ls /etc/lbtest-new 2>&1"});
        QVERIFY2(again.out.contains("No such file"), qPrintable(again.out));
    }

    void pid1CannotBeKilledFromInside() {
        auto j = attempt("default", {}, "kill-init");
        QCOMPARE(j["succeeded"].toBool(), false);
    }

    void setuidBinariesGainNothing() {
        // Positive control: on the host, chage (setgid shadow) reads the user's password aging.
        QProcess host;
        host.start("sh", {"-c", "chage -l $(id -un)"});
        QVERIFY(finished(host, 10000));
        QCOMPARE(host.exitCode(), 0);
        auto r = home_->layerbox({"run", "--", "sh", "-c", "chage -l $(id -un); echo rc=$?"});
        QVERIFY2(r.out.contains("rc=1"), qPrintable(r.out + r.err));
        QVERIFY2(r.err.contains("cannot open /etc/shadow") || r.err.contains("Permission denied"),
                 qPrintable(r.err));
        // su cannot become root either.
        auto su =
            home_->layerbox({"run", "--", "sh", "-c", "su -c id root </dev/null; echo rc=$?"});
        QVERIFY2(!su.out.contains("uid=0"), qPrintable(su.out));
        QVERIFY(!su.out.contains("rc=0"));
    }

    void writesOutsideTheLayerNeverReachTheHost() {
        auto r = home_->layerbox({"run", "--", "sh", "-c",
                                  "echo x > /usr/lbtest-escape; echo x > /etc/lbtest-escape; echo "
                                  "x > /var/lbtest-escape"});
        QCOMPARE(r.exitCode, 0);
        for (const char* p : {"/usr/lbtest-escape", "/etc/lbtest-escape", "/var/lbtest-escape"})
            QVERIFY2(!QFileInfo::exists(p), p);
    }

    void hardLinksCannotReachOutside() {
        auto r =
            home_->layerbox({"run", "--", "sh", "-c", "ln /etc/passwd ~/passwd-link; echo rc=$?"});
        QVERIFY2(r.out.contains("rc=1"), qPrintable(r.out));
        QVERIFY2(r.err.contains("Invalid cross-device link"), qPrintable(r.err));
    }

    void hiddenPathsStayHidden() {
        QString key = home_->home() + "/.ssh/id_ed25519";
        for (const QString& p : {key, "/proc/self/root" + key, "/proc/1/root" + key}) {
            auto j = attempt("overlay-hidden", {}, "read-file", p);
            QCOMPARE(j["succeeded"].toBool(), false);
            QVERIFY(!j["detail"].toString().contains("PRIVATE"));
        }
        // Opening the hidden directory itself gives nothing either.
        auto j = attempt("overlay-hidden", {}, "list-dir", home_->home() + "/.ssh");
        QCOMPARE(j["succeeded"].toBool(), false);
    }

    void theHostsAbstractSocketsAreUnreachable() {
        QByteArray name = "layerbox-test-" + QByteArray::number(::getpid());
        AbstractListener l(name);
        QVERIFY(l.ok());
        auto j = attempt("default", {}, "abstract-connect", QString::fromUtf8(name));
        QCOMPARE(j["succeeded"].toBool(), false);
        QCOMPARE(j["errno"].toInt(), ECONNREFUSED);
    }

    void theSandboxDataFolderIsHidden() {
        // With the real home visible, every sandbox's layer would be too: it is masked.
        QCOMPARE(home_->layerbox({"run", "--", "sh", "-c", "echo secret > ~/mine"}).exitCode, 0);
        auto j =
            attempt("overlay-hidden", {}, "list-dir", home_->dataHome() + "/layerbox/sandboxes");
        QCOMPARE(j["succeeded"].toBool(), false);
    }

    void controlSocketsAreOutOfReach() {
        // The runner's control socket and slirp4netns' API socket live in the user's runtime
        // directory, which is not visible inside.
        QString rt = home_->runtimeDir();
        auto j = attempt("default", {}, "list-dir", rt + "/layerbox/instances");
        QCOMPARE(j["succeeded"].toBool(), false);
        QCOMPARE(j["errno"].toInt(), ENOENT);
    }

    void pathsClimbingOutAreRejected() {
        home_->writeProfile(
            "climb",
            R"({"version": 1, "filesystem": {"binds": [{"host": "~/../../etc", "sandbox": "/x"}]}})");
        auto r = home_->layerbox({"run", "--profile", "climb", "--", "true"});
        QCOMPARE(r.exitCode, 125);
        QVERIFY2(r.err.contains("/filesystem/binds/0/host") && r.err.contains("\"..\""),
                 qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TstEscape)
#include "tst_escape.moc"
