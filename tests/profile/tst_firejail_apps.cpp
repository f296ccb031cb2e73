// Firejail's profiles on the real programs (issue 24): for each installed GUI program that has a
// profile in /etc/firejail, `layerbox profile import-firejail NAME --as fj-NAME`, then
// `layerbox run --profile fj-NAME -- PROGRAM` under Xvfb as the unprivileged test user. Its window
// must appear (screenshot: build/artifacts/screenshots/firejail-NAME.png); a host file the
// Firejail profile blacklists, and the home's ~/.ssh (blacklisted by disable-common.inc), must be
// invisible inside; `layerbox stop` must end it with nothing of the sandbox left running.
// A program that does not start is reported with its output; at least 8 must pass. The
// x-terminal-emulator profile blacklists nothing: only ~/.ssh is checked for it.
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRandomGenerator>
#include <QtTest>

#include <unistd.h>

#include "testsupport.h"

using namespace lbtest;

namespace {

struct App {
    QString firejail;  // the Firejail profile's name
    QString as;        // the Layerbox profile's name
    QStringList command;
    QString windowClass;  // a regular expression xdotool matches against WM_CLASS
};

// Installed here and in CI (scripts/deps.sh); all have a profile in firejail-profiles 0.9.72.
const QList<App>& apps() {
    static const QList<App> list = {
        {"xcalc", "fj-xcalc", {"xcalc"}, "XCalc"},
        {"x-terminal-emulator", "fj-x-terminal-emulator", {"x-terminal-emulator"}, "XTerm"},
        {"display-im6.q16", "fj-display", {"display-im6.q16", "logo:"}, "Display"},
        {"vlc", "fj-vlc", {"vlc"}, "vlc"},
        {"gimp", "fj-gimp", {"gimp"}, "Gimp"},
        {"lowriter", "fj-lowriter", {"lowriter", "--norestore"}, "libreoffice-writer"},
        {"libreoffice", "fj-libreoffice", {"libreoffice", "--norestore"}, "libreoffice"},
        {"firefox-esr", "fj-firefox-esr", {"firefox-esr", "about:blank"}, "firefox"},
        {"chromium",
         "fj-chromium",
         {"chromium", "--no-first-run", "--password-store=basic", "about:blank"},
         "chromium"},
    };
    return list;
}

constexpr int kRequired = 8;

using Out = lbtest::ProcOut;

// Processes of this user that belong to a sandbox: in a PID namespace of their own (NSpid has
// two numbers or more) or one of Layerbox's helpers.
QSet<qint64> sandboxProcesses() {
    QSet<qint64> out;
    const QString me = QString::number(::getuid());
    for (const QString& d : QDir("/proc").entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool ok = false;
        qint64 pid = d.toLongLong(&ok);
        if (!ok) continue;
        QString status = QString::fromUtf8(readFile("/proc/" + d + "/status"));
        QString uid, nspid, name;
        for (const QString& line : status.split('\n')) {
            if (line.startsWith("Uid:")) uid = line.section('\t', 1, 1);
            if (line.startsWith("NSpid:")) nspid = line.mid(6).trimmed();
            if (line.startsWith("Name:")) name = line.mid(5).trimmed();
        }
        if (uid != me) continue;
        if (nspid.split('\t', Qt::SkipEmptyParts).size() > 1 ||
            QStringList{"layerbox", "xdg-dbus-proxy", "slirp4netns", "Xephyr", "fuse-overlayfs"}
                .contains(name))
            out << pid;
    }
    return out;
}

}  // namespace

class TstFirejailApps : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;
    QProcess xvfb_;
    QString display_;

    QProcessEnvironment env() const {
        auto e = home_->env();
        for (const char* v : {"XAUTHORITY", "WAYLAND_DISPLAY", "PULSE_SERVER", "PULSE_COOKIE",
                              "DBUS_SYSTEM_BUS_ADDRESS"})
            e.remove(v);
        e.insert("DISPLAY", display_);
        return e;
    }
    Out exec(const QString& program, const QStringList& args, int timeoutMs = 60000) const {
        return runProgram(env(), home_->home(), program, args, timeoutMs);
    }
    // Window ids of visible windows whose class matches.
    QString windowsOf(const QString& cls) const {
        return exec("xdotool", {"search", "--onlyvisible", "--class", cls}, 10000).text().trimmed();
    }
    QString artifactsDir() const {
        QString d = QDir(testBinDir() + "/../artifacts/screenshots").absolutePath();
        QDir().mkpath(d);
        return d;
    }
    // A host file the imported profile hides, that this user can read and that is not empty:
    // the check that the blacklist holds inside is then not vacuous.
    static QString hiddenHostFile(const QJsonObject& profile) {
        for (const auto& v : profile["filesystem"].toObject()["hide"].toArray()) {
            QString p = v.toString();
            if (p.startsWith("~") || p.contains('*')) continue;
            QFileInfo fi(p);
            if (fi.isFile() && fi.isReadable() && fi.size() > 0 && !p.startsWith("/proc") &&
                !p.startsWith("/sys"))
                return p;
        }
        return {};
    }

    // One program; returns an empty string on success, else why it failed.
    QString tryApp(const App& app) {
        QElapsedTimer t;
        t.start();
        // 1. Import.
        auto imp = home_->layerbox(
            {"profile", "import-firejail", app.firejail, "--as", app.as, "--force", "--json"});
        if (imp.exitCode != 0) return "import failed: " + imp.err;
        QFile f(home_->profileDir() + "/" + app.as + ".json");
        if (!f.open(QIODevice::ReadOnly)) return "no profile file " + f.fileName();
        QJsonObject profile = QJsonDocument::fromJson(f.readAll()).object();
        // x-terminal-emulator's profile blacklists nothing (the terminal runs other programs):
        // only ~/.ssh is checked there (hidden by Layerbox's private home).
        QString hidden = hiddenHostFile(profile);
        if (hidden.isEmpty()) qInfo().noquote() << app.as << "hides no readable host file";
        QSet<qint64> before = sandboxProcesses();

        // 2. Run it; wait for its window.
        QProcess p;
        p.setProcessEnvironment(env());
        p.setWorkingDirectory(home_->home());
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(layerboxBin(),
                QStringList{"run", "--profile", app.as, "--no-pty", "--"} + app.command);
        if (!p.waitForStarted(10000)) return "layerbox run did not start";
        auto stopIt = [&] {
            if (p.state() == QProcess::NotRunning) return;
            home_->layerbox({"stop", app.as}, 60000);
            if (!finished(p, 30000)) {
                p.kill();
                p.waitForFinished(5000);
            }
        };
        QString window;
        QElapsedTimer w;
        w.start();
        while (w.elapsed() < 120000 && p.state() == QProcess::Running) {
            window = windowsOf(app.windowClass);
            if (!window.isEmpty()) break;
            QTest::qWait(500);
        }
        if (window.isEmpty()) {
            bool ran = p.state() == QProcess::Running;
            stopIt();
            return QString(ran ? "no window in 120 s" : "the sandbox ended") +
                   "; output: " + QString::fromUtf8(p.readAll()).right(1500);
        }
        qInfo().noquote() << app.as << "window" << window.section('\n', 0, 0) << "after"
                          << w.elapsed() << "ms";
        QTest::qWait(3000);  // let it paint
        QString shot = artifactsDir() + "/firejail-" + app.firejail + ".png";
        QFile::remove(shot);
        auto imported = exec("import", {"-window", "root", shot}, 60000);
        // Not a blank screen: the window drew something (xterm's PNG is under 1 kB).
        auto colours = exec("convert", {shot, "-format", "%k", "info:"}, 60000);
        if (imported.code != 0 || colours.text().trimmed().toInt() < 2) {
            stopIt();
            return "no screenshot (" + colours.text().trimmed() + " colours): " + imported.errors();
        }

        // 3. What the profile blacklists is invisible inside, though the host shows it.
        QString problem;
        auto ssh = home_->layerbox(
            {"exec", "--no-pty", app.as, "--", "ls", "-A", home_->home() + "/.ssh"});
        if (ssh.exitCode == 0 || ssh.out.contains("id_test"))
            problem = "~/.ssh is visible inside: " + ssh.out;
        RunResult file;
        if (!hidden.isEmpty())
            file = home_->layerbox({"exec", "--no-pty", app.as, "--", "cat", hidden});
        if (!file.out.isEmpty())
            problem += "hidden " + hidden + " is readable inside (" +
                       QString::number(file.out.size()) + " bytes)";
        qInfo().noquote() << app.as << "hides" << hidden << "(host:" << QFileInfo(hidden).size()
                          << "bytes; inside:" << file.out.size() << "bytes," << file.err.trimmed()
                          << ") and ~/.ssh (" << ssh.err.trimmed() << ")";
        if (!ssh.err.contains("No such file") && problem.isEmpty())
            problem = "~/.ssh check did not run: " + ssh.err;

        // 4. layerbox stop ends it, its window goes, nothing of the sandbox stays.
        auto stop = home_->layerbox({"stop", app.as}, 60000);
        if (stop.exitCode != 0) problem += " layerbox stop failed: " + stop.err;
        if (!finished(p, 30000)) {
            p.kill();
            p.waitForFinished(5000);
            problem += " the sandbox did not end after layerbox stop";
        }
        QSet<qint64> left;
        for (int i = 0; i < 20; ++i) {
            left = sandboxProcesses() - before;
            if (left.isEmpty()) break;
            QTest::qWait(500);
        }
        if (!left.isEmpty()) {
            QStringList names;
            for (qint64 pid : left)
                names << QString("%1 %2").arg(pid).arg(
                    QString::fromUtf8(readFile(QString("/proc/%1/comm").arg(pid)).trimmed()));
            problem += " left running: " + names.join(", ");
        }
        if (!windowsOf(app.windowClass).isEmpty()) problem += " its window stayed";
        auto ps = home_->layerbox({"ps"});
        if (ps.out.contains(app.as)) problem += " layerbox ps still lists it";
        qInfo().noquote() << app.as << "took" << t.elapsed() << "ms";
        return problem.trimmed();
    }

private slots:
    void initTestCase() {
        QVERIFY2(::getuid() != 0, "must run as an unprivileged user");
        QVERIFY2(QFileInfo(layerboxBin()).isExecutable(), qPrintable(layerboxBin()));
        // Every program is in scripts/deps.sh's LB_PKGS_TEST; a missing one is a failure.
        for (const char* tool : {"Xvfb", "xdotool", "import"})
            QVERIFY2(!QStandardPaths::findExecutable(tool).isEmpty(), tool);
        for (const App& a : apps()) {
            QVERIFY2(!QStandardPaths::findExecutable(a.command[0]).isEmpty(),
                     qPrintable(a.command[0]));
            QVERIFY2(QFileInfo::exists("/etc/firejail/" + a.firejail + ".profile"),
                     qPrintable("/etc/firejail/" + a.firejail + ".profile"));
        }
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
        // A blacklisted folder of the home (disable-common.inc: ${HOME}/.ssh).
        QVERIFY(writeFile(home_->home() + "/.ssh/id_test", "secret key\n"));
        // Xvfb without access control (the sandboxes get the host's X server, as Firejail's
        // profiles show it: desktop.x11 host). -noreset: without it the server resets when its
        // last client leaves (a program just stopped), and the next program's connection during
        // that reset is refused ("can't open display").
        for (int attempt = 0; attempt < 20 && display_.isEmpty(); ++attempt) {
            int n = 600 + QRandomGenerator::global()->bounded(300);
            if (QFileInfo::exists(QString("/tmp/.X11-unix/X%1").arg(n)) ||
                QFileInfo::exists(QString("/tmp/.X%1-lock").arg(n)))
                continue;
            xvfb_.setProcessChannelMode(QProcess::MergedChannels);
            xvfb_.start("Xvfb", {":" + QString::number(n), "-nolisten", "tcp", "-noreset",
                                 "-screen", "0", "1280x800x24"});
            xvfb_.waitForStarted(10000);
            QElapsedTimer t;
            t.start();
            while (t.elapsed() < 15000 && xvfb_.state() == QProcess::Running &&
                   !QFileInfo::exists(QString("/tmp/.X11-unix/X%1").arg(n)))
                xvfb_.waitForReadyRead(50);
            if (QFileInfo::exists(QString("/tmp/.X11-unix/X%1").arg(n)))
                display_ = ":" + QString::number(n);
            else {
                qInfo().noquote() << "Xvfb :" << n << "did not start:" << xvfb_.readAll();
                xvfb_.kill();
                xvfb_.waitForFinished(5000);
            }
        }
        QVERIFY2(!display_.isEmpty(), "Xvfb did not start");
    }
    void cleanupTestCase() {
        home_.reset();
        QByteArray log = xvfb_.readAll();
        if (!log.isEmpty()) qInfo().noquote() << "Xvfb said:" << log.right(3000);
        if (xvfb_.state() != QProcess::NotRunning) {
            xvfb_.terminate();
            if (!xvfb_.waitForFinished(5000)) xvfb_.kill(), xvfb_.waitForFinished(5000);
        }
    }

    void importedProfilesRunTheirPrograms() {
        QStringList passed, failed;
        for (const App& a : apps()) {
            QString why = tryApp(a);
            if (!why.isEmpty()) {
                // Seen in 2 of 5 runs, on a program started right after another's `layerbox
                // stop` (VLC, xterm): "can't open display", on a display the others used
                // fine. Not understood yet; one more try, said aloud.
                qWarning().noquote() << "RETRY" << a.firejail + ":" << why;
                why = tryApp(a);
            }
            if (why.isEmpty()) {
                passed << a.firejail;
                qInfo().noquote() << "PASS" << a.firejail;
            } else {
                failed << a.firejail + ": " + why;
                qWarning().noquote() << "FAIL" << a.firejail + ":" << why;
            }
        }
        qInfo().noquote() << passed.size() << "of" << apps().size()
                          << "programs ran in their imported profile:" << passed.join(", ");
        QVERIFY2(passed.size() >= kRequired, qPrintable(failed.join("\n")));
    }
};

QTEST_GUILESS_MAIN(TstFirejailApps)
#include "tst_firejail_apps.moc"
