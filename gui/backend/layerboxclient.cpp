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

#include "common/textformat.h"

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
        const QString line = runnerMessage(*it);
        if (!line.isEmpty()) return line;
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

QString runnerMessage(const QString& text, bool errorsOnly) {
    static const QLatin1String prefix("layerbox: "), error("error: ");
    QString line = text.trimmed();
    const bool ours = line.startsWith(prefix);
    if (ours) line.remove(0, prefix.size());
    const bool anError = ours && line.startsWith(error);
    if (line.startsWith(error)) line.remove(0, error.size());
    return errorsOnly && !anError ? QString() : line;
}

QList<FileGrantItem> FileGrantItem::listFrom(const CommandResult& r) {
    QList<FileGrantItem> out;
    if (!r.ok()) return out;
    for (const auto& v : r.json().toArray()) {
        const QJsonObject o = v.toObject();
        if (!o.value("path").isString()) continue;
        out.append({o.value("path").toString(), o.value("mode").toString() == QLatin1String("rw"),
                    o.value("exists").toBool(true)});
    }
    return out;
}

std::optional<NameRefusal> NameRefusal::from(const CommandResult& r) {
    if (r.ok() || !r.started) return std::nullopt;
    const QJsonObject o = r.json().toObject();
    if (!o.contains("exists") || !o.value("error").isString()) return std::nullopt;
    return NameRefusal{o.value("name").toString(), o.value("exists").toBool(),
                       o.value("error").toString()};
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
                                        const QString& toDir, const QString& onExisting) {
    QStringList a{"recover", profile};
    a << paths << "--json";
    if (!toDir.isEmpty()) a << "--to" << toDir;
    if (!onExisting.isEmpty()) a << "--" + onExisting;
    return a;
}

QStringList LayerboxClient::importArgs(const QString& file, const QString& as, bool replace) {
    QStringList a{"profile", "import", file, "--json"};
    if (!as.isEmpty()) a << "--as" << as;
    if (replace) a << "--force";
    return a;
}

QStringList LayerboxClient::importFirejailArgs(const QString& file, const QString& as, bool replace,
                                               bool dryRun) {
    QStringList a{"profile", "import-firejail", file, "--json"};
    if (!as.isEmpty()) a << "--as" << as;
    if (replace) a << "--force";
    if (dryRun) a << "--dry-run";
    return a;
}

QStringList LayerboxClient::removeArgs(const QString& profile, bool withData) {
    QStringList a{"profile", "rm", profile, "--json"};
    if (withData) a << "--data";
    return a;
}

QString LayerboxClient::openTerminal(const QString& profile, QString* error) {
    QString terminal;
    for (const char* t :
         {"x-terminal-emulator", "gnome-terminal", "konsole", "xfce4-terminal", "xterm"}) {
        terminal = QStandardPaths::findExecutable(QString::fromLatin1(t));
        if (!terminal.isEmpty()) break;
    }
    if (terminal.isEmpty()) {
        *error = tr("no terminal emulator found (install xterm or set up x-terminal-emulator)");
        return {};
    }
    // The terminal runs on the host; the shell in it runs in the sandbox, with a terminal of
    // its own (layerbox gives it a private pty).
    const QStringList inner{
        binary_, "run",     "--profile", profile,
        "--",    "/bin/sh", "-c",        "command -v bash >/dev/null && exec bash -l; exec sh -l"};
    QStringList args;
    if (terminal.endsWith(QLatin1String("gnome-terminal")))
        args << "--" << inner;
    else
        args << "-e" << inner;
    if (!QProcess::startDetached(terminal, args, QDir::homePath())) {
        *error = tr("could not start %1").arg(terminal);
        return {};
    }
    return textformat::command(inner);
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
