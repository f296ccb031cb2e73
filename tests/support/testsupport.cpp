#include "testsupport.h"

#include <QDebug>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <signal.h>
#include <unistd.h>
#include <QProcess>

namespace lbtest {

QString layerboxBin() {
    return qEnvironmentVariable("LAYERBOX_BIN");
}
QString testBinDir() {
    return qEnvironmentVariable("LAYERBOX_TEST_BIN_DIR");
}
QString sourceDir() {
    return qEnvironmentVariable("LAYERBOX_SOURCE_DIR");
}

TestHome::TestHome() : dir_(std::make_unique<QTemporaryDir>(QDir::tempPath() + "/lbtest-XXXXXX")) {
    QString rt = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (rt.isEmpty() || !QFileInfo(rt).isWritable()) rt = dir_->path();
    runtime_ = std::make_unique<QTemporaryDir>(rt + "/lbt-XXXXXX");
    QDir().mkpath(home());
    QDir().mkpath(configHome());
    QDir().mkpath(dataHome());
    QDir().mkpath(profileDir());
}

TestHome::~TestHome() {
    // Sandboxes leave overlayfs work dirs with mode 000; make everything removable.
    QProcess::execute("chmod", {"-R", "u+rwx", dir_->path()});
}

bool TestHome::isValid() const {
    return dir_->isValid() && runtime_->isValid();
}
QString TestHome::home() const {
    return dir_->path() + "/home";
}
QString TestHome::configHome() const {
    return home() + "/.config";
}
QString TestHome::dataHome() const {
    return home() + "/.local/share";
}
QString TestHome::runtimeDir() const {
    return runtime_->path();
}
QString TestHome::profileDir() const {
    return configHome() + "/layerbox/profiles";
}

void TestHome::writeProfile(const QString& name, const QByteArray& json) const {
    writeFile(profileDir() + "/" + name + ".json", json);
}

QProcessEnvironment TestHome::env() const {
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    e.insert("HOME", home());
    e.insert("XDG_CONFIG_HOME", configHome());
    e.insert("XDG_DATA_HOME", dataHome());
    e.insert("XDG_CACHE_HOME", home() + "/.cache");
    e.insert("XDG_RUNTIME_DIR", runtimeDir());
    // The private runtime dir has no bus socket: point at the session's real one.
    QString realRuntime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (!e.contains("DBUS_SESSION_BUS_ADDRESS") && QFileInfo::exists(realRuntime + "/bus"))
        e.insert("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + realRuntime + "/bus");
    return e;
}

void TestHome::apply() const {
    qputenv("HOME", home().toUtf8());
    qputenv("XDG_CONFIG_HOME", configHome().toUtf8());
    qputenv("XDG_DATA_HOME", dataHome().toUtf8());
    qputenv("XDG_CACHE_HOME", (home() + "/.cache").toUtf8());
    qputenv("XDG_RUNTIME_DIR", runtimeDir().toUtf8());
}

RunResult TestHome::layerbox(const QStringList& args, int timeoutMs,
                             const QByteArray& stdinData) const {
    return run(env(), home(), args, timeoutMs, stdinData);
}

RunResult TestHome::layerboxIn(const QString& cwd, const QStringList& args, int timeoutMs,
                               const QProcessEnvironment& environment) const {
    return run(environment.isEmpty() ? env() : environment, cwd, args, timeoutMs, {});
}

RunResult TestHome::run(const QProcessEnvironment& e, const QString& cwd, const QStringList& args,
                        int timeoutMs, const QByteArray& stdinData) const {
    QProcess p;
    p.setProcessEnvironment(e);
    p.setWorkingDirectory(cwd);
    p.start(layerboxBin(), args);
    RunResult r;
    if (!p.waitForStarted(10000)) {
        r.err = "could not start " + layerboxBin();
        return r;
    }
    if (!stdinData.isEmpty()) p.write(stdinData);
    p.closeWriteChannel();
    if (!p.waitForFinished(timeoutMs)) {
        r.timedOut = true;
        p.kill();
        p.waitForFinished(5000);
    }
    r.crashed = p.exitStatus() == QProcess::CrashExit;
    r.exitCode = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

ProcOut runProgram(const QProcessEnvironment& env, const QString& cwd, const QString& program,
                   const QStringList& args, int timeoutMs) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.setWorkingDirectory(cwd);
    p.start(program, args);
    ProcOut o;
    if (!p.waitForStarted(10000)) {
        o.err = "cannot start " + program.toUtf8();
        return o;
    }
    p.closeWriteChannel();
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(5000);
        o.err = "timed out: ";
    }
    o.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    o.out = p.readAllStandardOutput();
    o.err += p.readAllStandardError();
    return o;
}

QString firefoxProfileScript(const QString& dir, const QStringList& extraPrefs) {
    QStringList prefs = extraPrefs;
    prefs << R"(user_pref("browser.shell.checkDefaultBrowser", false);)"
          << R"(user_pref("browser.startup.homepage_override.mstone", "ignore");)"
          << R"(user_pref("datareporting.policy.dataSubmissionEnabled", false);)"
          << R"(user_pref("datareporting.policy.firstRunURL", "");)"
          << R"(user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);)"
          << R"(user_pref("browser.aboutwelcome.enabled", false);)"
          << R"(user_pref("app.update.auto", false);)";
    QStringList quoted;
    for (const auto& pref : prefs)
        quoted << "'" + pref + "'";
    return "mkdir -p " + dir + " && printf '%s\\n' " + quoted.join(' ') + " > " + dir +
           "/user.js && ";
}

QString probePath() {
    return testBinDir() + "/lbprobe";
}
QStringList probeBind() {
    return {"--ro-bind", testBinDir()};
}

QJsonObject lastJson(const QString& out) {
    const auto lines = out.split('\n', Qt::SkipEmptyParts);
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        if (!it->startsWith('{')) continue;
        auto doc = QJsonDocument::fromJson(it->toUtf8());
        if (doc.isObject()) return doc.object();
    }
    return {};
}

QString startSleepingSandbox(const TestHome& home, QProcess& p) {
    p.setProcessEnvironment(home.env());
    p.start(layerboxBin(), QStringList{"run", "--status-fd", "1"} + probeBind() +
                               QStringList{"--", probePath(), "sleep"});
    if (!p.waitForStarted()) return {};
    QByteArray out;
    for (int i = 0; i < 200; ++i) {
        p.waitForReadyRead(100);
        out += p.readAllStandardOutput();
        for (const auto& line : out.split('\n')) {
            auto j = QJsonDocument::fromJson(line).object();
            if (j["event"].toString() == "started") return j["instance"].toString();
        }
        if (p.state() == QProcess::NotRunning) break;
    }
    qWarning().noquote() << "no started event:" << out << p.readAllStandardError();
    return {};
}

bool finished(QProcess& p, int ms) {
    return p.state() == QProcess::NotRunning || p.waitForFinished(ms);
}

bool processAlive(qint64 pid) {
    if (pid <= 0) return false;
    if (::kill(static_cast<pid_t>(pid), 0) != 0) return false;
    // A zombie is as good as gone.
    QByteArray st = readFile(QString("/proc/%1/stat").arg(pid));
    int close = st.lastIndexOf(')');
    return close < 0 || st.mid(close + 2, 1) != "Z";
}

QList<qint64> processesNamed(const QString& comm) {
    QList<qint64> out;
    for (const auto& e : QDir("/proc").entryList(QDir::Dirs)) {
        bool ok = false;
        qint64 pid = e.toLongLong(&ok);
        if (!ok) continue;
        if (QFileInfo(QString("/proc/%1").arg(pid)).ownerId() != ::getuid()) continue;
        if (readFile(QString("/proc/%1/comm").arg(pid)).trimmed() == comm.toUtf8()) out << pid;
    }
    return out;
}

bool writeFile(const QString& path, const QByteArray& data) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return false;
    return f.write(data) == data.size();
}

QByteArray readFile(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return f.readAll();
}

bool installRecordingHttpsHandler(const TestHome& home, const QString& marker) {
    const QString handler = home.home() + "/lbtest-handler";
    if (!writeFile(handler, "#!/bin/sh\necho \"$1\" >> '" + marker.toUtf8() + "'\n") ||
        !QFile::setPermissions(handler, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner) ||
        !QDir().mkpath(home.dataHome() + "/applications"))
        return false;
    return writeFile(home.dataHome() + "/applications/lbtest-handler.desktop",
                     "[Desktop Entry]\nType=Application\nName=Layerbox test handler\nExec=" +
                         handler.toUtf8() +
                         " %u\nMimeType=x-scheme-handler/https;\nNoDisplay=true\n") &&
           writeFile(home.configHome() + "/mimeapps.list",
                     "[Default Applications]\nx-scheme-handler/https=lbtest-handler.desktop\n"
                     "[Added Associations]\n"
                     "x-scheme-handler/https=lbtest-handler.desktop;\n");
}

}  // namespace lbtest
