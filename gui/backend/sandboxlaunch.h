// One `layerbox run --status-fd 3 ...` started by the GUI. The runner writes one JSON event
// per line on file descriptor 3 (docs/cli-json.md): a pipe made here, handed to the child as
// fd 3 and read with a QSocketNotifier, so the GUI learns the instance id, the program's pid
// and how it ended without polling. The program's own output arrives on stdout/stderr.
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QProcess>
#include <QStringList>

class QSocketNotifier;

struct LaunchRequest {
    QString profile;      // name or path of the profile
    QStringList command;  // empty: the profile's command
    QStringList options;  // extra `layerbox run` options: --ephemeral, --ro-bind DIR, ...
};

class SandboxLaunch : public QObject {
    Q_OBJECT

public:
    SandboxLaunch(const QString& binary, LaunchRequest request, QObject* parent = nullptr);
    ~SandboxLaunch() override;

    // Starts the runner; false when that failed (finished() has then been emitted).
    bool start();

    const LaunchRequest& request() const { return request_; }
    QString profile() const { return request_.profile; }
    QString instanceId() const { return instanceId_; }
    qint64 programPid() const { return programPid_; }
    qint64 runnerPid() const;
    bool isRunning() const;
    bool hasStarted() const { return !startedEvent_.isEmpty(); }
    bool hasFinished() const { return finishedEmitted_; }
    QJsonObject startedEvent() const { return startedEvent_; }
    QJsonObject exitedEvent() const { return exitedEvent_; }
    // Set by stop/kill requests so an ending by signal is not reported as a failure.
    void setStopRequested() { stopRequested_ = true; }
    bool stopRequested() const { return stopRequested_; }

    // Signals to the runner, which forwards them to the program (SIGKILL ends the whole
    // sandbox through its death chain).
    void terminate();
    void kill();

    static QStringList arguments(const LaunchRequest& request);

signals:
    void started(const QJsonObject& event);
    // Every status event, `started` and `exited` included.
    void event(const QJsonObject& event);
    // A line the runner or the program printed.
    void output(const QString& line, bool fromStderr);
    // Exactly once: the `exited` event, or one made up from the exit status when the runner
    // ended without writing it.
    void finished(const QJsonObject& exited);

private:
    void readStatus();
    void closeStatus();
    void takeStatusLines(bool flush);
    void readOutput(QProcess::ProcessChannel channel);
    void onProcessFinished(int exitCode, QProcess::ExitStatus status);
    void emitFinished(QJsonObject exited);

    QString binary_;
    LaunchRequest request_;
    QProcess* process_ = nullptr;
    int statusRead_ = -1;
    QSocketNotifier* notifier_ = nullptr;
    QByteArray statusBuffer_;
    QByteArray outBuffer_[2];
    QString lastErrorLine_;
    QString instanceId_;
    qint64 programPid_ = 0;
    QJsonObject startedEvent_;
    QJsonObject exitedEvent_;
    bool finishedEmitted_ = false;
    bool stopRequested_ = false;
};
