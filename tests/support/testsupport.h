// Shared test helpers: a throw-away XDG environment, running the built `layerbox` binary and
// reading what it printed.
#pragma once

#include <QJsonObject>
#include <QList>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>
#include <memory>
#include <string>

namespace lbtest {

// The built runner (from $LAYERBOX_BIN), the test binary directory, and the source tree.
QString layerboxBin();
QString testBinDir();
QString sourceDir();

struct RunResult {
    int exitCode = -1;
    QString out;
    QString err;
    bool crashed = false;
    bool timedOut = false;
};

// A program run to its end as a shell would: its status (-1 when it could not start, crashed or
// was killed after the timeout; `err` then starts with what happened), output and errors.
struct ProcOut {
    int code = -1;
    QByteArray out, err;
    QString text() const { return QString::fromUtf8(out); }
    QString errors() const { return QString::fromUtf8(err); }
    QString all() const { return QString::fromUtf8(out + err); }
};
ProcOut runProgram(const QProcessEnvironment& env, const QString& cwd, const QString& program,
                   const QStringList& args, int timeoutMs = 60000);

// A private home with XDG_CONFIG_HOME, XDG_DATA_HOME and XDG_CACHE_HOME under it; the runtime
// dir is the real one (sockets need a short path) with a private subdirectory.
class TestHome {
public:
    TestHome();
    ~TestHome();
    bool isValid() const;
    QString home() const;
    QString configHome() const;
    QString dataHome() const;
    QString runtimeDir() const;
    QString profileDir() const;
    // Write a user profile NAME.json.
    void writeProfile(const QString& name, const QByteArray& json) const;
    // Environment for child processes (and applied to this process by `apply`).
    QProcessEnvironment env() const;
    void apply() const;

    // Run `layerbox ARGS...` with this environment.
    RunResult layerbox(const QStringList& args, int timeoutMs = 60000,
                       const QByteArray& stdinData = {}) const;
    // The same from the folder `cwd` (as a user in a terminal there) and with `environment`.
    RunResult layerboxIn(const QString& cwd, const QStringList& args, int timeoutMs = 60000,
                         const QProcessEnvironment& environment = {}) const;

private:
    RunResult run(const QProcessEnvironment& e, const QString& cwd, const QStringList& args,
                  int timeoutMs, const QByteArray& stdinData) const;
    std::unique_ptr<QTemporaryDir> dir_;
    std::unique_ptr<QTemporaryDir> runtime_;
};

// A shell fragment (ending in "&& ") that makes a Firefox profile folder `dir` ("~/ff") whose
// user.js turns off the first-run pages, telemetry and updates, plus `extraPrefs` (user_pref
// lines).
QString firefoxProfileScript(const QString& dir, const QStringList& extraPrefs = {});

// The in-sandbox probe (tests/probe/lbprobe) and the options that make it visible inside.
QString probePath();
QStringList probeBind();
// Parse the last line of `out` that is a JSON object.
QJsonObject lastJson(const QString& out);
// Start `layerbox run` of `default` in `home` with the probe's sleep in `p`; the instance id from
// its `started` event, or empty (with a warning) when none came.
QString startSleepingSandbox(const TestHome& home, QProcess& p);
// Has `p` ended (waiting up to `ms`)? Unlike QProcess::waitForFinished(), also true for a
// process that ended while the test spun the event loop (QTest::qWait, QTRY_*).
bool finished(QProcess& p, int ms);
// Is `pid` alive?
bool processAlive(qint64 pid);
// Processes of this user whose command name is `comm`.
QList<qint64> processesNamed(const QString& comm);

// Write a file (creating parents); returns false on failure.
bool writeFile(const QString& path, const QByteArray& data);
// A desktop handler of https links in `home` (its .desktop file and mimeapps.list default) that
// appends each link it is given to `marker`, one per line: what the host's xdg-open opened.
bool installRecordingHttpsHandler(const TestHome& home, const QString& marker);
QByteArray readFile(const QString& path);

}  // namespace lbtest
