// Everything the GUI asks of Layerbox goes through the `layerbox` command, started as a child
// process (QProcess) and read as JSON (docs/cli-json.md): the GUI never forks a sandbox inside
// its own multithreaded process. This class is the only place that knows the command lines.
#pragma once

#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QStringList>
#include <functional>
#include <optional>

#include "backend/sandboxlaunch.h"

struct CommandResult {
    QStringList args;
    bool started = false;
    bool timedOut = false;
    bool crashed = false;
    int exitCode = -1;
    QByteArray out;
    QString err;
    QString startError;  // why the binary could not be run

    bool ok() const { return started && !timedOut && !crashed && exitCode == 0; }
    // "layerbox ps --json"
    QString commandLine() const;
    // One line saying what went wrong: the last line layerbox printed on stderr, without its
    // "layerbox: " and "error: " prefixes.
    QString errorLine() const;
    // stdout parsed as JSON (an undefined value when it is not JSON; `error` says why).
    QJsonValue json(QString* error = nullptr) const;
};

// What `layerbox profile import|duplicate|rename ... --json` said when it refused a name.
struct NameRefusal {
    QString name;         // the name it would have used (empty when none could be told)
    bool exists = false;  // taken; otherwise not usable
    QString error;
    // std::nullopt when the command failed for another reason (or did not fail).
    static std::optional<NameRefusal> from(const CommandResult& result);
};

// One file given to a profile's sandbox, as `layerbox grants PROFILE --json` lists it.
struct FileGrantItem {
    QString path;
    bool rw = false;
    bool exists = true;
    // The list from that command's output (empty when it is not the documented array).
    static QList<FileGrantItem> listFrom(const CommandResult& result);
};

// A line `layerbox` printed on stderr without its "layerbox: " and "error: " prefixes; empty
// for a line that is not one of its errors when `errorsOnly`.
QString runnerMessage(const QString& line, bool errorsOnly = false);

class LayerboxClient : public QObject {
    Q_OBJECT

public:
    using Callback = std::function<void(const CommandResult&)>;
    struct Options {
        int timeoutMs = 60000;  // 0: no limit (commit)
        bool reportFailure = true;
        // Called for each line on stdout as it arrives (progress of long commands).
        std::function<void(const QString&)> onLine;
    };

    explicit LayerboxClient(QObject* parent = nullptr);
    ~LayerboxClient() override;

    // $LAYERBOX_BIN, else the `layerbox` next to this executable, else the one on PATH.
    static QString locateBinary();
    QString binary() const { return binary_; }
    void setBinary(const QString& path) { binary_ = path; }

    // Start `layerbox ARGS` without blocking. `done` runs once, in the GUI thread, when it has
    // finished (or failed to start, or timed out), unless `context` is gone by then.
    void run(const QStringList& args, QObject* context, Callback done);
    void run(const QStringList& args, QObject* context, Callback done, const Options& options);
    int commandsInFlight() const { return inFlight_; }

    // `layerbox run --status-fd 3 --profile NAME [OPTIONS] [-- CMD]`; the launch is owned by
    // the client and deletes itself after it has finished.
    SandboxLaunch* launch(const LaunchRequest& request);
    QList<SandboxLaunch*> launches() const;
    SandboxLaunch* launchFor(const QString& instanceId) const;

    // The command lines of the contract, in one place.
    static QStringList psArgs() { return {"ps", "--json"}; }
    // The activity log of a running sandbox (backend/activitylog.h reads it).
    static QStringList logArgs(const QString& id) { return {"log", id, "--json"}; }
    static QStringList diffArgs(const QString& profile) { return {"diff", profile, "--json"}; }
    static QStringList doctorArgs() { return {"doctor", "--json"}; }
    static QStringList layerListArgs() { return {"layer", "list", "--json"}; }
    static QStringList controlArgs(const QString& verb, const QString& id) { return {verb, id}; }
    // onExisting: "" (skip what is in the way), "force" (replace) or "keep-both".
    static QStringList recoverArgs(const QString& profile, const QStringList& paths,
                                   const QString& toDir, const QString& onExisting = {});
    static QStringList discardArgs(const QString& profile, const QStringList& paths);
    static QStringList resetArgs(const QString& profile) { return {"reset", profile}; }
    static QStringList grantsArgs(const QString& profile) { return {"grants", profile, "--json"}; }
    static QStringList revokeArgs(const QString& profile, const QString& path) {
        return {"grants", "rm", profile, path};
    }
    static QStringList commitArgs(const QString& profile, const QString& layer) {
        return {"commit", profile, "--as", layer, "--json"};
    }
    static QStringList desktopArgs(bool install, const QString& profile) {
        return {"desktop", install ? "install" : "remove", profile};
    }
    // Profiles: the core names, checks and moves them (with the sandbox's data, under its
    // lock); `--json` answers say when a name cannot be used (ProfileAnswer).
    static QStringList importArgs(const QString& file, const QString& as, bool replace);
    // `layerbox profile import-firejail FILE --json` (--dry-run: the report, nothing saved).
    static QStringList importFirejailArgs(const QString& file, const QString& as, bool replace,
                                          bool dryRun);
    static QStringList duplicateArgs(const QString& from, const QString& to) {
        return {"profile", "duplicate", from, to, "--json"};
    }
    static QStringList renameArgs(const QString& from, const QString& to) {
        return {"profile", "rename", from, to, "--json"};
    }
    static QStringList removeArgs(const QString& profile, bool withData);
    static QStringList exportArgs(const QString& profile, const QString& file) {
        return {"profile", "export", profile, file};
    }

    // Start a terminal emulator on the host whose shell runs in `profile`'s sandbox. Returns
    // the command line it ran, or an empty string with `error` set.
    QString openTerminal(const QString& profile, QString* error);

signals:
    // A command failed; the main window shows this in the log panel.
    void commandFailed(const QString& commandLine, const QString& error);
    void launchCreated(SandboxLaunch* launch);

private:
    QString binary_;
    int inFlight_ = 0;
    QList<SandboxLaunch*> launches_;
};
