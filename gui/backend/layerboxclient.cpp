#include "backend/layerboxclient.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QProcess>
#include <QStandardPaths>
#include <QTimer>
#include <memory>

QString CommandResult::commandLine() const {
    return QStringLiteral("layerbox ") + args.join(QLatin1Char(' '));
}

QString CommandResult::errorLine() const {
    if (!started)
        return startError.isEmpty()
                   ? QCoreApplication::translate("LayerboxClient", "could not run layerbox")
                   : startError;
    const QStringList lines = err.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (auto it = lines.crbegin(); it != lines.crend(); ++it) {
        QString line = it->trimmed();
        if (line.isEmpty()) continue;
        if (line.startsWith(QLatin1String("layerbox: "))) line.remove(0, 10);
        if (line.startsWith(QLatin1String("error: "))) line.remove(0, 7);
        return line;
    }
    if (timedOut) return QCoreApplication::translate("LayerboxClient", "timed out; it was stopped");
    if (crashed) return QCoreApplication::translate("LayerboxClient", "crashed");
    if (exitCode != 0)
        return QCoreApplication::translate("LayerboxClient", "exited with status %1").arg(exitCode);
    return {};
}

QJsonValue CommandResult::json(QString* error) const {
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(out, &pe);
    if (doc.isNull()) {
        if (error)
            *error = QCoreApplication::translate("LayerboxClient", "unreadable output: %1")
                         .arg(pe.errorString());
        return QJsonValue(QJsonValue::Undefined);
    }
    if (doc.isArray()) return doc.array();
    return doc.object();
}

LayerboxClient::LayerboxClient(QObject* parent) : QObject(parent), binary_(locateBinary()) {}

LayerboxClient::~LayerboxClient() {
    // Commands still running are of no use to anyone now; sandboxes end with their launches.
    for (QProcess* p : findChildren<QProcess*>(Qt::FindDirectChildrenOnly)) {
        p->disconnect(this);
        p->kill();
        p->waitForFinished(2000);
    }
}

QString LayerboxClient::locateBinary() {
    const QString fromEnv = qEnvironmentVariable("LAYERBOX_BIN");
    if (!fromEnv.isEmpty()) return fromEnv;
    const QString beside = QCoreApplication::applicationDirPath() + QStringLiteral("/layerbox");
    if (QFileInfo(beside).isExecutable()) return beside;
    const QString onPath = QStandardPaths::findExecutable(QStringLiteral("layerbox"));
    return onPath.isEmpty() ? QStringLiteral("layerbox") : onPath;
}

QStringList LayerboxClient::recoverArgs(const QString& profile, const QStringList& paths,
                                        const QString& toDir, bool force) {
    QStringList a{"recover", profile};
    a << paths << "--json";
    if (!toDir.isEmpty()) a << "--to" << toDir;
    if (force) a << "--force";
    return a;
}

QStringList LayerboxClient::discardArgs(const QString& profile, const QStringList& paths) {
    QStringList a{"discard", profile};
    a << paths;
    return a;
}

void LayerboxClient::run(const QStringList& args, QObject* context, Callback done) {
    run(args, context, std::move(done), Options{});
}

void LayerboxClient::run(const QStringList& args, QObject* context, Callback done,
                         const Options& options) {
    struct State {
        CommandResult result;
        bool finished = false;
        QByteArray partial;
    };
    auto state = std::make_shared<State>();
    state->result.args = args;
    QPointer<QObject> ctx(context);
    auto* proc = new QProcess(this);
    proc->setProgram(binary_);
    proc->setArguments(args);
    proc->setWorkingDirectory(QDir::homePath());
    proc->setStandardInputFile(QProcess::nullDevice());
    ++inFlight_;

    auto finish = [this, state, proc, ctx, done, options]() {
        if (state->finished) return;
        state->finished = true;
        --inFlight_;
        state->result.out += proc->readAllStandardOutput();
        state->result.err += QString::fromUtf8(proc->readAllStandardError());
        if (options.onLine && !state->partial.isEmpty())
            options.onLine(QString::fromUtf8(state->partial));
        if (!state->result.ok() && options.reportFailure)
            emit commandFailed(state->result.commandLine(), state->result.errorLine());
        if (ctx && done) done(state->result);
        proc->deleteLater();
    };

    if (options.onLine) {
        connect(proc, &QProcess::readyReadStandardOutput, this, [state, proc, options]() {
            const QByteArray chunk = proc->readAllStandardOutput();
            state->result.out += chunk;
            state->partial += chunk;
            int nl;
            while ((nl = state->partial.indexOf('\n')) >= 0) {
                const QByteArray line = state->partial.left(nl);
                state->partial.remove(0, nl + 1);
                options.onLine(QString::fromUtf8(line));
            }
        });
    }
    connect(proc, &QProcess::finished, this,
            [state, finish](int code, QProcess::ExitStatus status) {
                state->result.started = true;
                state->result.exitCode = code;
                state->result.crashed = status == QProcess::CrashExit && !state->result.timedOut;
                finish();
            });
    connect(proc, &QProcess::errorOccurred, this, [state, proc, finish](QProcess::ProcessError e) {
        if (e != QProcess::FailedToStart) return;  // the others end in finished()
        state->result.started = false;
        state->result.startError =
            tr("cannot run %1: %2").arg(proc->program(), proc->errorString());
        finish();
    });
    if (options.timeoutMs > 0) {
        QTimer::singleShot(options.timeoutMs, proc, [state, proc]() {
            if (proc->state() == QProcess::NotRunning) return;
            state->result.timedOut = true;
            proc->kill();
        });
    }
    proc->start();
}

SandboxLaunch* LayerboxClient::launch(const LaunchRequest& request) {
    auto* l = new SandboxLaunch(binary_, request, this);
    launches_.append(l);
    connect(l, &SandboxLaunch::finished, this, [this, l]() {
        launches_.removeOne(l);
        l->deleteLater();
    });
    emit launchCreated(l);
    l->start();
    return l;
}

QList<SandboxLaunch*> LayerboxClient::launches() const {
    return launches_;
}

SandboxLaunch* LayerboxClient::launchFor(const QString& instanceId) const {
    for (SandboxLaunch* l : launches_)
        if (!instanceId.isEmpty() && l->instanceId() == instanceId) return l;
    return nullptr;
}
