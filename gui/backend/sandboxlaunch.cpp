#include "backend/sandboxlaunch.h"

#include <QDir>
#include <QJsonDocument>
#include <QSocketNotifier>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "backend/layerboxclient.h"

namespace {
constexpr int kStatusFd = 3;
}

SandboxLaunch::SandboxLaunch(const QString& binary, LaunchRequest request, QObject* parent)
    : QObject(parent), binary_(binary), request_(std::move(request)) {}

SandboxLaunch::~SandboxLaunch() {
    closeStatus();
    if (process_ && process_->state() != QProcess::NotRunning) {
        // The GUI is going away with the sandbox still running: end it (the runner's death
        // takes the whole sandbox with it).
        process_->disconnect(this);
        process_->kill();
        process_->waitForFinished(5000);
    }
}

QStringList SandboxLaunch::arguments(const LaunchRequest& r) {
    QStringList a{"run", "--status-fd", QString::number(kStatusFd)};
    if (!r.profile.isEmpty()) a << "--profile" << r.profile;
    a << r.options;
    if (!r.command.isEmpty()) a << "--" << r.command;
    return a;
}

bool SandboxLaunch::start() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        QJsonObject e{{"event", "exited"},
                      {"status", 125},
                      {"error", tr("pipe: %1").arg(QString::fromLocal8Bit(strerror(errno)))}};
        emitFinished(e);
        return false;
    }
    statusRead_ = fds[0];
    const int writeEnd = fds[1];
    ::fcntl(statusRead_, F_SETFL, ::fcntl(statusRead_, F_GETFL) | O_NONBLOCK);

    process_ = new QProcess(this);
    process_->setProgram(binary_);
    process_->setArguments(arguments(request_));
    process_->setWorkingDirectory(QDir::homePath());
    process_->setStandardInputFile(QProcess::nullDevice());
    // In the child, between fork and exec: the write end becomes fd 3, without close-on-exec.
    // dup2 onto itself would keep the flag, so clear it by hand in that case.
    process_->setChildProcessModifier([writeEnd]() {
        if (writeEnd == kStatusFd)
            ::fcntl(kStatusFd, F_SETFD, 0);
        else
            ::dup2(writeEnd, kStatusFd);
    });
    connect(process_, &QProcess::readyReadStandardOutput, this,
            [this]() { readOutput(QProcess::StandardOutput); });
    connect(process_, &QProcess::readyReadStandardError, this,
            [this]() { readOutput(QProcess::StandardError); });
    connect(process_, &QProcess::finished, this, &SandboxLaunch::onProcessFinished);
    connect(process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e != QProcess::FailedToStart) return;
        closeStatus();
        emitFinished(
            QJsonObject{{"event", "exited"},
                        {"status", 125},
                        {"error", tr("cannot run %1: %2").arg(binary_, process_->errorString())}});
    });

    notifier_ = new QSocketNotifier(statusRead_, QSocketNotifier::Read, this);
    connect(notifier_, &QSocketNotifier::activated, this, &SandboxLaunch::readStatus);

    process_->start();
    // Only the child keeps the write end: the pipe reports end-of-file once the runner (and
    // anything it passed the descriptor to) has gone.
    ::close(writeEnd);
    return !finishedEmitted_;
}

qint64 SandboxLaunch::runnerPid() const {
    return process_ ? process_->processId() : 0;
}

bool SandboxLaunch::isRunning() const {
    return process_ && process_->state() != QProcess::NotRunning;
}

void SandboxLaunch::terminate() {
    if (isRunning()) ::kill(static_cast<pid_t>(process_->processId()), SIGTERM);
}

void SandboxLaunch::kill() {
    if (isRunning()) ::kill(static_cast<pid_t>(process_->processId()), SIGKILL);
}

void SandboxLaunch::readStatus() {
    if (statusRead_ < 0) return;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(statusRead_, buf, sizeof buf);
        if (n > 0) {
            statusBuffer_.append(buf, static_cast<int>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) {  // end of file: every writer has gone
            takeStatusLines(true);
            closeStatus();
            return;
        }
        break;  // EAGAIN: all read for now
    }
    takeStatusLines(false);
}

void SandboxLaunch::closeStatus() {
    if (notifier_) {
        notifier_->setEnabled(false);
        notifier_->deleteLater();
        notifier_ = nullptr;
    }
    if (statusRead_ >= 0) {
        ::close(statusRead_);
        statusRead_ = -1;
    }
}

void SandboxLaunch::takeStatusLines(bool flush) {
    if (flush && !statusBuffer_.isEmpty() && !statusBuffer_.endsWith('\n'))
        statusBuffer_.append('\n');
    int nl;
    while ((nl = statusBuffer_.indexOf('\n')) >= 0) {
        const QByteArray line = statusBuffer_.left(nl).trimmed();
        statusBuffer_.remove(0, nl + 1);
        if (line.isEmpty()) continue;
        const QJsonDocument doc = QJsonDocument::fromJson(line);
        if (!doc.isObject()) {
            emit output(tr("unreadable status line: %1").arg(QString::fromUtf8(line)), true);
            continue;
        }
        const QJsonObject ev = doc.object();
        const QString kind = ev.value("event").toString();
        if (kind == QLatin1String("started")) {
            startedEvent_ = ev;
            instanceId_ = ev.value("instance").toString();
            programPid_ = ev.value("pid").toInteger();
        } else if (kind == QLatin1String("exited")) {
            exitedEvent_ = ev;
            if (instanceId_.isEmpty()) instanceId_ = ev.value("instance").toString();
        }
        emit event(ev);
        if (kind == QLatin1String("started")) emit started(ev);
    }
}

void SandboxLaunch::readOutput(QProcess::ProcessChannel channel) {
    const bool err = channel == QProcess::StandardError;
    QByteArray& buf = outBuffer_[err ? 1 : 0];
    buf += err ? process_->readAllStandardError() : process_->readAllStandardOutput();
    int nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
        const QString line = QString::fromUtf8(buf.left(nl)).trimmed();
        buf.remove(0, nl + 1);
        if (line.isEmpty()) continue;
        if (err) lastErrorLine_ = line;
        emit output(line, err);
    }
}

void SandboxLaunch::onProcessFinished(int exitCode, QProcess::ExitStatus status) {
    readOutput(QProcess::StandardOutput);
    readOutput(QProcess::StandardError);
    for (int i = 0; i < 2; ++i) {
        const QString rest = QString::fromUtf8(outBuffer_[i]).trimmed();
        outBuffer_[i].clear();
        if (rest.isEmpty()) continue;
        if (i == 1) lastErrorLine_ = rest;
        emit output(rest, i == 1);
    }
    // The runner wrote `exited` before it ended: it is in the pipe now.
    readStatus();
    takeStatusLines(true);
    if (!exitedEvent_.isEmpty()) {
        emitFinished(exitedEvent_);
        return;
    }
    QJsonObject e{{"event", "exited"}};
    if (!instanceId_.isEmpty()) e.insert("instance", instanceId_);
    if (status == QProcess::CrashExit) {
        e.insert("status", 128 + SIGKILL);
        e.insert("error", tr("layerbox ended abnormally"));
    } else {
        e.insert("status", exitCode);
        if (exitCode != 0) {
            const QString why = runnerMessage(lastErrorLine_);
            e.insert("error",
                     why.isEmpty() ? tr("layerbox exited with status %1").arg(exitCode) : why);
        }
    }
    exitedEvent_ = e;
    emit event(e);
    emitFinished(e);
}

void SandboxLaunch::emitFinished(QJsonObject exited) {
    if (finishedEmitted_) return;
    finishedEmitted_ = true;
    closeStatus();
    emit finished(exited);
}
