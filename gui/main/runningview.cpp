#include "main/runningview.h"

#include <QDropEvent>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QMenu>
#include <QMimeData>
#include <QPushButton>
#include <QStackedWidget>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

#include "backend/layerboxclient.h"
#include "backend/sandboxlaunch.h"
#include "dialogs/dialogasker.h"
#include "main/instancemodel.h"

namespace {
// After this many failed `ps` in a row (the command missing, say), poll every 5 s only.
constexpr int kFailuresBeforeBackoff = 3;
constexpr int kBackoffTicks = 5;
}  // namespace

RunningView::RunningView(LayerboxClient* client, QWidget* parent)
    : QWidget(parent)
    , client_(client)
    , model_(new InstanceModel(this))
    , view_(new QTreeView(this))
    , stack_(new QStackedWidget(this))
    , placeholder_(new QLabel(this))
    , pause_(new QPushButton(QIcon::fromTheme("media-playback-pause"), tr("P&ause"), this))
    , resume_(new QPushButton(QIcon::fromTheme("media-playback-start"), tr("Resu&me"), this))
    , stop_(new QPushButton(QIcon::fromTheme("process-stop"), tr("&Stop"), this))
    , kill_(new QPushButton(QIcon::fromTheme("edit-delete"), tr("K&ill"), this))
    , timer_(new QTimer(this)) {
    setObjectName("runningView");
    view_->setObjectName("instanceView");
    view_->setAccessibleName(tr("Running sandboxes"));
    view_->setModel(model_);
    view_->setRootIsDecorated(false);
    view_->setUniformRowHeights(true);
    view_->setAlternatingRowColors(true);
    view_->setSelectionMode(QAbstractItemView::SingleSelection);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setContextMenuPolicy(Qt::CustomContextMenu);
    view_->header()->setStretchLastSection(false);
    view_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view_->header()->setSectionResizeMode(InstanceModel::CommandColumn, QHeaderView::Stretch);
    view_->header()->setMinimumSectionSize(60);
    // Files dropped on a row are given to that running sandbox (eventFilter).
    view_->viewport()->setAcceptDrops(true);
    view_->viewport()->installEventFilter(this);

    placeholder_->setObjectName("runningPlaceholder");
    placeholder_->setAlignment(Qt::AlignCenter);
    placeholder_->setWordWrap(true);
    placeholder_->setEnabled(false);
    placeholder_->setText(
        tr("No sandbox is running.\nLaunch a profile, or drop a program onto "
           "this window to run it sandboxed. Files dropped on a running sandbox are "
           "given to it."));
    stack_->addWidget(placeholder_);
    stack_->addWidget(view_);

    const struct {
        QPushButton* b;
        const char* name;
        const char* accessible;
        const char* tip;
    } buttons[] = {
        {pause_, "pauseButton", QT_TR_NOOP("Pause the selected sandbox"),
         QT_TR_NOOP("Freeze every process of the sandbox (layerbox pause)")},
        {resume_, "resumeButton", QT_TR_NOOP("Resume the selected sandbox"),
         QT_TR_NOOP("Let a paused sandbox run again (layerbox resume)")},
        {stop_, "stopButton", QT_TR_NOOP("Stop the selected sandbox"),
         QT_TR_NOOP("Ask the program to end (layerbox stop)")},
        {kill_, "killButton", QT_TR_NOOP("Kill the selected sandbox"),
         QT_TR_NOOP("End every process of the sandbox at once (layerbox kill)")},
    };
    auto* buttonRow = new QHBoxLayout;
    for (const auto& b : buttons) {
        b.b->setObjectName(b.name);
        b.b->setAccessibleName(tr(b.accessible));
        b.b->setToolTip(tr(b.tip));
        buttonRow->addWidget(b.b);
    }
    buttonRow->addStretch();
    connect(pause_, &QPushButton::clicked, this, [this]() { pauseInstance(selectedId()); });
    connect(resume_, &QPushButton::clicked, this, [this]() { resumeInstance(selectedId()); });
    connect(stop_, &QPushButton::clicked, this, [this]() { stopInstance(selectedId()); });
    connect(kill_, &QPushButton::clicked, this, [this]() { killInstance(selectedId()); });

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);  // inside a tab: its frame is the margin
    layout->addLayout(buttonRow);
    layout->addWidget(stack_, 1);

    connect(view_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &RunningView::updateActions);
    connect(view_, &QTreeView::customContextMenuRequested, this, &RunningView::showContextMenu);
    connect(model_, &InstanceModel::instancesChanged, this, [this]() {
        stack_->setCurrentWidget(model_->rowCount() > 0 ? static_cast<QWidget*>(view_)
                                                        : placeholder_);
        updateActions();
        emit instancesChanged();
    });
    connect(model_, &InstanceModel::dataChanged, this, &RunningView::updateActions);
    connect(client_, &LayerboxClient::launchCreated, this, &RunningView::track);

    clock_.start();
    timer_->setInterval(1000);
    connect(timer_, &QTimer::timeout, this, &RunningView::onTimer);
    timer_->start();
    updateActions();
    QTimer::singleShot(0, this, &RunningView::refresh);
}

QString RunningView::selectedId() const {
    const QModelIndexList rows = view_->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(InstanceModel::IdRole).toString();
}

void RunningView::selectInstance(const QString& id) {
    const int r = model_->rowOf(id);
    if (r >= 0)
        view_->selectionModel()->select(
            model_->index(r, 0), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

void RunningView::setRefreshInterval(int ms) {
    timer_->setInterval(ms);
}

int RunningView::refreshInterval() const {
    return timer_->interval();
}

void RunningView::track(SandboxLaunch* launch) {
    connect(launch, &SandboxLaunch::event, this, [this, launch](const QJsonObject& ev) {
        const QString kind = ev.value("event").toString();
        if (kind == QLatin1String("started")) {
            model_->addStarted(ev, launch->runnerPid());
            // A new sandbox: poll at full rate again.
            psFailures_ = 0;
            ticksToNextPs_ = 0;
        } else if (kind == QLatin1String("exited")) {
            const QString id = ev.value("instance").toString(launch->instanceId());
            if (!id.isEmpty()) model_->removeInstance(id);
        }
    });
}

void RunningView::onTimer() {
    model_->sampleProc(clock_.elapsed());
    model_->tick();
    if (ticksToNextPs_ > 0) {
        --ticksToNextPs_;
        return;
    }
    refresh();
}

void RunningView::refresh() {
    if (psInFlight_) return;
    psInFlight_ = true;
    ++psStarted_;
    LayerboxClient::Options opts;
    opts.timeoutMs = 10000;
    opts.reportFailure = false;  // reported here, once, not every second
    client_->run(
        LayerboxClient::psArgs(), this,
        [this](const CommandResult& r) {
            psInFlight_ = false;
            QString parseError;
            const QJsonValue v = r.ok() ? r.json(&parseError) : QJsonValue();
            if (r.ok() && v.isArray()) {
                if (psFailures_ > 0 || !lastPsError_.isEmpty())
                    emit log(LogPanel::Level::Info, r.commandLine(), tr("working again"));
                psFailures_ = 0;
                lastPsError_.clear();
                model_->applyPs(v.toArray(), clock_.elapsed());
                return;
            }
            const QString error =
                r.ok() ? (parseError.isEmpty() ? tr("expected a JSON list") : parseError)
                       : r.errorLine();
            if (error != lastPsError_) emit log(LogPanel::Level::Error, r.commandLine(), error);
            lastPsError_ = error;
            if (++psFailures_ >= kFailuresBeforeBackoff) ticksToNextPs_ = kBackoffTicks - 1;
        },
        opts);
}

void RunningView::pauseInstance(const QString& id) {
    control(QStringLiteral("pause"), id);
}

void RunningView::resumeInstance(const QString& id) {
    control(QStringLiteral("resume"), id);
}

void RunningView::stopInstance(const QString& id) {
    control(QStringLiteral("stop"), id);
}

void RunningView::killInstance(const QString& id) {
    const Instance* i = model_->instance(id);
    if (!i) return;
    Question q;
    q.id = questions::kKillSandbox;
    q.title = tr("Kill sandbox");
    q.text = tr("Kill every process in the sandbox of \u201c%1\u201d now?").arg(i->profile);
    q.informativeText = tr("Unsaved work in it is lost. Stop asks the program to end instead.");
    q.icon = QMessageBox::Warning;
    q.choices = {{"kill", tr("Kill"), QMessageBox::DestructiveRole},
                 {"cancel", tr("Cancel"), QMessageBox::RejectRole}};
    if (DialogAsker::instance().ask(this, q).choice != QLatin1String("kill")) return;
    control(QStringLiteral("kill"), id);
}

void RunningView::control(const QString& verb, const QString& id) {
    const Instance* i = model_->instance(id);
    if (!i) return;
    const QString profile = i->profile;
    if (SandboxLaunch* l = client_->launchFor(id); l && (verb == "stop" || verb == "kill"))
        l->setStopRequested();
    LayerboxClient::Options opts;
    opts.timeoutMs = 30000;
    opts.reportFailure = false;
    client_->run(
        LayerboxClient::controlArgs(verb, id), this,
        [this, verb, id, profile](const CommandResult& r) {
            if (r.ok()) {
                if (verb == QLatin1String("pause")) model_->setState(id, QStringLiteral("paused"));
                if (verb == QLatin1String("resume"))
                    model_->setState(id, QStringLiteral("running"));
                emit log(LogPanel::Level::Info, profile, tr("%1 %2: done").arg(verb, id));
                refresh();
                return;
            }
            emit log(LogPanel::Level::Error, r.commandLine(), r.errorLine());
            // A sandbox this GUI started can still be ended through its runner, which
            // forwards the signal to the program (SIGKILL takes the whole sandbox down).
            SandboxLaunch* l = client_->launchFor(id);
            if (!l || !(verb == QLatin1String("stop") || verb == QLatin1String("kill"))) return;
            emit log(LogPanel::Level::Warning, profile,
                     verb == QLatin1String("stop")
                         ? tr("asking the runner to end the program instead (SIGTERM)")
                         : tr("killing the runner instead (SIGKILL)"));
            if (verb == QLatin1String("stop"))
                l->terminate();
            else
                l->kill();
        },
        opts);
}

QString RunningView::dropTarget(const QPoint& pos, const QMimeData* data) const {
    if (!data || !data->hasUrls()) return {};
    for (const QUrl& u : data->urls())
        if (!u.isLocalFile()) return {};
    const QModelIndex at = view_->indexAt(pos);
    return at.isValid() ? at.data(InstanceModel::IdRole).toString() : QString();
}

bool RunningView::eventFilter(QObject* watched, QEvent* event) {
    if (watched != view_->viewport()) return QWidget::eventFilter(watched, event);
    const auto type = event->type();
    if (type != QEvent::DragEnter && type != QEvent::DragMove && type != QEvent::Drop)
        return QWidget::eventFilter(watched, event);
    auto* e = static_cast<QDropEvent*>(event);
    const QString id = dropTarget(e->position().toPoint(), e->mimeData());
    if (!id.isEmpty()) {
        e->setDropAction(Qt::CopyAction);
        e->accept();
        if (type == QEvent::Drop) {
            QStringList paths;
            for (const QUrl& u : e->mimeData()->urls())
                paths << u.toLocalFile();
            // Asked once the drop is over: a modal dialog inside the drop would keep the drag
            // source waiting.
            QMetaObject::invokeMethod(
                this, [this, id, paths]() { askAndGiveFiles(id, paths); }, Qt::QueuedConnection);
        }
    } else if (type == QEvent::DragEnter && e->mimeData()->hasUrls()) {
        e->acceptProposedAction();  // the moves over the rows follow
    } else {
        // Between the rows: left to the main window, which runs a dropped program.
        e->ignore();
    }
    return true;
}

void RunningView::askAndGiveFiles(const QString& id, const QStringList& paths) {
    const Instance* i = model_->instance(id);
    if (!i || paths.isEmpty()) return;
    Question q;
    q.id = questions::kGiveFiles;
    q.title = tr("Give files");
    q.text = paths.size() == 1 ? tr("Give \u201c%1\u201d to the sandbox of \u201c%2\u201d?")
                                     .arg(QFileInfo(paths[0]).fileName(), i->profile)
                               : tr("Give %1 files to the sandbox of \u201c%2\u201d?")
                                     .arg(paths.size())
                                     .arg(i->profile);
    q.informativeText =
        tr("Read-only: the program can read it and nothing else of its folder. Read-write: it "
           "can also change the real file (still nothing beside it). Take it back with "
           "layerbox grants rm.");
    q.choices = {{"read-only", tr("Give &read-only"), QMessageBox::AcceptRole},
                 {"read-write", tr("Give read-&write"), QMessageBox::AcceptRole},
                 {"cancel", tr("Cancel"), QMessageBox::RejectRole}};
    q.defaultChoice = QStringLiteral("read-only");
    const QString choice = DialogAsker::instance().ask(this, q).choice;
    if (choice == QLatin1String("read-only") || choice == QLatin1String("read-write"))
        giveFiles(id, paths, choice == QLatin1String("read-write"));
}

void RunningView::giveFiles(const QString& id, const QStringList& paths, bool readWrite) {
    const Instance* i = model_->instance(id);
    if (!i || paths.isEmpty()) return;
    const QString profile = i->profile;
    if (i->ephemeral) {
        // `run` joins only a profile's persistent sandbox: it would start another one.
        emit log(LogPanel::Level::Error, profile,
                 tr("files cannot be given to a throw-away (ephemeral) sandbox while it runs"));
        return;
    }
    // The core checks each file (a regular file, no link on the way, not under /proc ...) and
    // shows it in the running sandbox before `true` runs there; nothing else is started.
    QStringList args{"run", "--profile", profile, "--no-pty"};
    for (const QString& p : paths)
        args << (readWrite ? "--file-rw" : "--file") << QFileInfo(p).absoluteFilePath();
    args << "--"
         << "true";
    LayerboxClient::Options opts;
    opts.timeoutMs = 60000;
    opts.reportFailure = false;
    client_->run(
        args, this,
        [this, profile, paths, readWrite](const CommandResult& r) {
            if (r.ok()) {
                for (const QString& p : paths)
                    emit log(LogPanel::Level::Info, profile,
                             (readWrite ? tr("gave %1 (read-write) to the running sandbox")
                                        : tr("gave %1 (read-only) to the running sandbox"))
                                 .arg(p));
            } else {
                emit log(LogPanel::Level::Error, profile, r.errorLine());
            }
            emit filesGiven(profile);
        },
        opts);
}

void RunningView::updateActions() {
    const Instance* i = model_->instance(selectedId());
    pause_->setEnabled(i && i->state != QLatin1String("paused"));
    resume_->setEnabled(i && i->state == QLatin1String("paused"));
    stop_->setEnabled(i);
    kill_->setEnabled(i);
}

void RunningView::showContextMenu(const QPoint& pos) {
    const QModelIndex at = view_->indexAt(pos);
    if (!at.isValid()) return;
    const QString id = at.data(InstanceModel::IdRole).toString();
    selectInstance(id);
    QMenu menu(this);
    for (QPushButton* b : {pause_, resume_, stop_, kill_}) {
        QAction* a = menu.addAction(b->icon(), b->text());
        a->setEnabled(b->isEnabled());
        connect(a, &QAction::triggered, b, &QPushButton::click);
    }
    menu.exec(view_->viewport()->mapToGlobal(pos));
}
