#include "main/changesview.h"

#include <QComboBox>
#include <QFile>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QImageReader>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMimeDatabase>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QTimer>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

#include "backend/layerboxclient.h"
#include "backend/profiles.h"
#include "common/textformat.h"
#include "dialogs/dialogasker.h"
#include "main/changesmodel.h"

namespace {
constexpr qint64 kTextPreviewBytes = 256 * 1024;
constexpr qint64 kImagePreviewBytes = 32 * 1024 * 1024;
}  // namespace

ChangesView::ChangesView(LayerboxClient* client, QWidget* parent)
    : QWidget(parent)
    , client_(client)
    , model_(new ChangesModel(this))
    , filter_(new ChangesFilterModel(this))
    , heading_(new QLabel(this))
    , kind_(new QComboBox(this))
    , search_(new QLineEdit(this))
    , refresh_(new QToolButton(this))
    , body_(new QStackedWidget(this))
    , status_(new QLabel(this))
    , view_(new QTreeView(this))
    , preview_(new QStackedWidget(this))
    , previewMessage_(new QLabel(this))
    , previewText_(new QPlainTextEdit(this))
    , previewImage_(new QLabel(this))
    , recover_(new QPushButton(QIcon::fromTheme("document-save"), tr("Rec&over"), this))
    , discard_(new QPushButton(QIcon::fromTheme("edit-delete"), tr("&Discard"), this))
    , reset_(new QPushButton(QIcon::fromTheme("edit-clear"), tr("Reset sand&box..."), this))
    , commit_(new QPushButton(QIcon::fromTheme("document-save-as"), tr("Commit as &New Layer..."),
                              this))
    , progress_(new QProgressBar(this))
    , summary_(new QLabel(this))
    , commitTip_(tr("Turn these changes into a read-only layer other profiles can stack, your "
                    "home left out (layerbox commit)")) {
    setObjectName("changesView");
    watch_ = new QTimer(this);
    watch_->setInterval(2000);
    connect(watch_, &QTimer::timeout, this, &ChangesView::refreshQuietly);
    filter_->setSourceModel(model_);

    heading_->setObjectName("changesHeading");
    heading_->setTextFormat(Qt::RichText);
    // Long profile names and counts wrap rather than widen the window past a small screen
    // (1024x600).
    heading_->setWordWrap(true);
    kind_->setObjectName("changesKindFilter");
    kind_->setAccessibleName(tr("Show changes of kind"));
    kind_->setToolTip(tr("Show only one kind of change"));
    kind_->addItem(tr("All changes"), QString());
    for (const char* k : {"added", "modified", "deleted", "replaced"})
        kind_->addItem(ChangesModel::kindLabel(QString::fromLatin1(k)), QString::fromLatin1(k));
    search_->setObjectName("changesSearch");
    search_->setAccessibleName(tr("Filter changes by name"));
    search_->setPlaceholderText(tr("Filter by name"));
    search_->setClearButtonEnabled(true);
    refresh_->setObjectName("changesRefresh");
    refresh_->setIcon(QIcon::fromTheme("view-refresh"));
    refresh_->setText(tr("Refresh"));
    refresh_->setToolTip(tr("List the changes again (layerbox diff)"));
    refresh_->setAccessibleName(tr("Refresh the changes"));
    refresh_->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    refresh_->setAutoRaise(true);

    auto* top = new QHBoxLayout;
    top->addWidget(heading_, 1);
    top->addWidget(kind_);
    top->addWidget(search_);
    top->addWidget(refresh_);

    view_->setObjectName("changesTree");
    view_->setAccessibleName(tr("Changes"));
    view_->setModel(filter_);
    view_->setSortingEnabled(true);
    view_->sortByColumn(ChangesModel::NameColumn, Qt::AscendingOrder);
    view_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setUniformRowHeights(true);
    view_->setAlternatingRowColors(true);
    view_->header()->setSectionResizeMode(ChangesModel::NameColumn, QHeaderView::Stretch);
    view_->header()->setStretchLastSection(false);
    for (int c = ChangesModel::KindColumn; c < ChangesModel::ColumnCount; ++c)
        view_->header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);

    previewMessage_->setObjectName("previewMessage");
    previewMessage_->setAlignment(Qt::AlignCenter);
    previewMessage_->setWordWrap(true);
    previewMessage_->setEnabled(false);
    previewText_->setObjectName("previewText");
    previewText_->setReadOnly(true);
    previewText_->setAccessibleName(tr("Preview of the selected file"));
    previewText_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    previewImage_->setObjectName("previewImage");
    previewImage_->setAlignment(Qt::AlignCenter);
    previewImage_->setAccessibleName(tr("Preview of the selected image"));
    preview_->setObjectName("changesPreview");
    preview_->addWidget(previewMessage_);
    preview_->addWidget(previewText_);
    preview_->addWidget(previewImage_);
    preview_->setMinimumWidth(200);

    auto* split = new QSplitter(Qt::Horizontal, this);
    split->setObjectName("changesSplitter");
    split->addWidget(view_);
    split->addWidget(preview_);
    split->setStretchFactor(0, 5);
    split->setStretchFactor(1, 2);
    split->setChildrenCollapsible(false);

    status_->setObjectName("changesStatus");
    status_->setAlignment(Qt::AlignCenter);
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    body_->addWidget(status_);
    body_->addWidget(split);

    recover_->setObjectName("recoverButton");
    recover_->setAccessibleName(tr("Recover the selected files"));
    recover_->setToolTip(tr("Copy the selected files out of the sandbox (layerbox recover)"));
    auto* recoverMenu = new QMenu(recover_);
    recoverMenu->setObjectName("recoverMenu");
    QAction* toOriginal = recoverMenu->addAction(tr("To their original place"));
    toOriginal->setObjectName("recoverToOriginal");
    QAction* toFolder = recoverMenu->addAction(tr("To a folder..."));
    toFolder->setObjectName("recoverToFolder");
    recover_->setMenu(recoverMenu);
    connect(toOriginal, &QAction::triggered, this, [this]() { recoverSelected(); });
    connect(toFolder, &QAction::triggered, this, [this]() {
        PathQuestion q;
        q.id = questions::kRecoverFolder;
        q.kind = PathQuestion::Directory;
        q.title = tr("Recover to folder");
        const QString dir = DialogAsker::instance().askPath(this, q);
        if (!dir.isEmpty()) recoverSelected(dir);
    });
    discard_->setObjectName("discardButton");
    discard_->setAccessibleName(tr("Discard the selected changes"));
    discard_->setToolTip(tr("Throw the selected changes away (layerbox discard)"));
    reset_->setObjectName("resetButton");
    reset_->setAccessibleName(tr("Reset the sandbox"));
    reset_->setToolTip(tr("Throw every change of this profile away (layerbox reset)"));
    commit_->setObjectName("commitButton");
    commit_->setAccessibleName(tr("Commit the changes as a layer"));
    commit_->setToolTip(commitTip_);
    progress_->setObjectName("operationProgress");
    progress_->setAccessibleName(tr("Progress"));
    progress_->setVisible(false);
    progress_->setMaximumWidth(200);
    busyLabel_ = new QLabel(this);
    busyLabel_->setObjectName("operationLabel");
    busyLabel_->setVisible(false);
    summary_->setObjectName("changesSummary");
    summary_->setWordWrap(true);
    connect(discard_, &QPushButton::clicked, this, &ChangesView::discardSelected);
    connect(reset_, &QPushButton::clicked, this, &ChangesView::resetAll);
    connect(commit_, &QPushButton::clicked, this, &ChangesView::commitAsLayer);

    auto* bottom = new QHBoxLayout;
    bottom->addWidget(recover_);
    bottom->addWidget(discard_);
    bottom->addWidget(reset_);
    bottom->addWidget(commit_);
    bottom->addWidget(progress_);
    bottom->addWidget(busyLabel_);
    bottom->addStretch();
    bottom->addWidget(summary_);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(body_, 1);
    layout->addLayout(bottom);

    connect(kind_, &QComboBox::currentIndexChanged, this, [this]() {
        filter_->setKind(kind_->currentData().toString());
        view_->expandAll();
    });
    connect(search_, &QLineEdit::textChanged, this, [this](const QString& t) {
        filter_->setName(t);
        view_->expandAll();
    });
    connect(refresh_, &QToolButton::clicked, this, &ChangesView::reload);
    connect(view_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this]() {
        showPreview();
        updateActions();
    });
    setProfile(QString());
}

void ChangesView::setRunning(bool running) {
    if (running == running_) return;
    running_ = running;
    if (running_)
        watch_->start();
    else
        watch_->stop();
    updateActions();
}

void ChangesView::refreshQuietly() {
    if (profile_.isEmpty() || loading_ || quietInFlight_ || busy_ > 0) return;
    quietInFlight_ = true;
    const int gen = generation_;
    const QString profile = profile_;
    LayerboxClient::Options opts;
    opts.reportFailure = false;
    client_->run(
        LayerboxClient::diffArgs(profile), this,
        [this, gen, profile](const CommandResult& r) {
            quietInFlight_ = false;
            if (gen != generation_ || loading_ || !r.ok() || r.out == lastDiff_) return;
            const QJsonValue v = r.json();
            if (!v.isArray()) return;
            lastDiff_ = r.out;
            const QStringList selected = selectedPaths();
            model_->setEntries(v.toArray());
            view_->expandAll();
            if (model_->entryCount() == 0) {
                status_->setText(
                    tr("No changes: the sandbox of %1 is as the system.").arg(profile));
                body_->setCurrentWidget(status_);
            } else {
                body_->setCurrentIndex(1);
            }
            if (!selected.isEmpty()) selectPaths(selected);
            emit changesCounted(profile, model_->entryCount());
            updateSummary();
            updateActions();
        },
        opts);
}

void ChangesView::setProfile(const QString& name) {
    if (name == profile_ && !name.isEmpty()) return;
    profile_ = name;
    model_->setEntries({});
    reload();
}

void ChangesView::reload() {
    const int gen = ++generation_;
    model_->setEntries({});
    showPreview();
    if (profile_.isEmpty()) {
        heading_->setText(tr("<b>Changes</b>"));
        status_->setText(tr("Select a profile to see what its sandbox changed."));
        body_->setCurrentWidget(status_);
        loading_ = false;
        updateActions();
        return;
    }
    heading_->setText(tr("Changes in <b>%1</b>").arg(profile_.toHtmlEscaped()));
    status_->setText(tr("Looking for changes..."));
    body_->setCurrentWidget(status_);
    loading_ = true;
    updateActions();
    LayerboxClient::Options opts;
    opts.reportFailure = false;
    const QString profile = profile_;
    client_->run(
        LayerboxClient::diffArgs(profile), this,
        [this, gen, profile](const CommandResult& r) {
            if (gen != generation_) return;  // the profile changed meanwhile
            loading_ = false;
            QString parseError;
            const QJsonValue v = r.ok() ? r.json(&parseError) : QJsonValue();
            if (!r.ok() || !v.isArray()) {
                const QString why = r.ok() ? parseError : r.errorLine();
                status_->setText(tr("Could not list the changes of %1:\n%2").arg(profile, why));
                // Said once, not at every click on a profile.
                if (why != lastError_) emit log(LogPanel::Level::Error, r.commandLine(), why);
                lastError_ = why;
                updateActions();
                return;
            }
            lastError_.clear();
            lastDiff_ = r.out;
            model_->setEntries(v.toArray());
            view_->expandAll();
            if (model_->entryCount() == 0) {
                status_->setText(
                    tr("No changes: the sandbox of %1 is as the system.").arg(profile));
                body_->setCurrentWidget(status_);
            } else {
                body_->setCurrentIndex(1);
            }
            emit changesCounted(profile, model_->entryCount());
            updateSummary();
            updateActions();
        },
        opts);
}

QStringList ChangesView::selectedPaths() const {
    QStringList out;
    for (const QModelIndex& i : view_->selectionModel()->selectedRows(ChangesModel::NameColumn))
        if (i.data(ChangesModel::IsEntryRole).toBool() ||
            !i.data(ChangesModel::PathRole).toString().isEmpty())
            out << i.data(ChangesModel::PathRole).toString();
    out.removeDuplicates();
    return out;
}

void ChangesView::selectPaths(const QStringList& paths) {
    view_->selectionModel()->clearSelection();
    for (const QString& p : paths) {
        QStandardItem* item = model_->itemFor(p);
        if (!item) continue;
        const QModelIndex at = filter_->mapFromSource(item->index());
        if (at.isValid())
            view_->selectionModel()->select(
                at, QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }
}

void ChangesView::recoverSelected(const QString& toDir) {
    QStringList paths;
    for (const QString& p : selectedPaths()) {
        QStandardItem* item = model_->itemFor(p);
        if (item && item->data(ChangesModel::KindRole).toString() == QLatin1String("deleted"))
            continue;  // nothing to copy back
        paths << p;
    }
    if (paths.isEmpty()) return;
    recoverPaths(profile_, paths, toDir);
}

void ChangesView::recoverPaths(const QString& profile, const QStringList& paths,
                               const QString& toDir, const QString& onExisting) {
    LayerboxClient::Options opts;
    opts.reportFailure = false;
    opts.timeoutMs = 0;  // thousands of files take their time; the bar shows it is working
    beginBusy(paths.size() == 1 ? tr("Recovering 1 file\u2026")
                                : tr("Recovering %1 files\u2026").arg(paths.size()));
    client_->run(
        LayerboxClient::recoverArgs(profile, paths, toDir, onExisting), this,
        [this, profile, toDir](const CommandResult& r) {
            endBusy();
            if (!r.ok()) {
                emit log(LogPanel::Level::Error, r.commandLine(), r.errorLine());
                tellFailure(this, tr("Nothing was recovered"), r.errorLine());
                return;
            }
            const QJsonObject o = r.json().toObject();
            QStringList targets;
            for (const QJsonValue& c : o.value("copied").toArray())
                targets << c.toObject().value("to").toString();
            if (!targets.isEmpty())
                emit log(LogPanel::Level::Info, profile,
                         (targets.size() == 1 ? tr("recovered 1 file: %1")
                                              : tr("recovered %1 files: %2").arg(targets.size()))
                             .arg(targets.join(QStringLiteral(", "))));
            QStringList exists, other;
            for (const QJsonValue& s : o.value("skipped").toArray()) {
                const QJsonObject so = s.toObject();
                const QString reason = so.value("reason").toString();
                if (reason.startsWith(QLatin1String("exists")))
                    exists << so.value("path").toString();
                else
                    other << tr("%1 (%2)").arg(so.value("path").toString(), guiReason(reason));
            }
            if (!other.isEmpty()) {
                emit log(LogPanel::Level::Warning, profile,
                         tr("not recovered: %1").arg(other.join(QStringLiteral(", "))));
                tellFailure(this,
                            other.size() == 1 ? tr("1 file was not recovered")
                                              : tr("%1 files were not recovered").arg(other.size()),
                            other.join(QLatin1Char('\n')));
            }
            if (!targets.isEmpty()) emit recovered(targets);
            if (exists.isEmpty()) return;
            Question q;
            q.id = questions::kOverwriteFiles;
            q.title = tr("Overwrite files?");
            q.text = exists.size() == 1
                         ? tr("A file already exists where it would be recovered to.")
                         : tr("%1 files already exist where they would be recovered to.")
                               .arg(exists.size());
            q.informativeText = exists.join(QLatin1Char('\n'));
            q.icon = QMessageBox::Warning;
            q.choices = {{"keep-both", tr("Keep Both"), QMessageBox::AcceptRole},
                         {"overwrite", tr("Overwrite"), QMessageBox::DestructiveRole},
                         {"skip", tr("Skip Them"), QMessageBox::RejectRole}};
            q.defaultChoice = QStringLiteral("keep-both");  // Enter loses nothing
            const QString choice = DialogAsker::instance().ask(this, q).choice;
            // Keep Both: the copy takes a free name beside the file ("f (1).txt").
            if (choice == QLatin1String("overwrite"))
                recoverPaths(profile, exists, toDir, QStringLiteral("force"));
            else if (choice == QLatin1String("keep-both"))
                recoverPaths(profile, exists, toDir, QStringLiteral("keep-both"));
        },
        opts);
}

void ChangesView::discardSelected() {
    const QStringList paths = selectedPaths();
    if (paths.isEmpty()) return;
    Question q;
    q.id = questions::kDiscardChanges;
    q.title = tr("Discard changes");
    q.text = paths.size() == 1
                 ? tr("Throw away this change in the sandbox of \u201c%1\u201d?").arg(profile_)
                 : tr("Throw away %1 changes in the sandbox of \u201c%2\u201d?")
                       .arg(paths.size())
                       .arg(profile_);
    q.informativeText =
        tr("The program will see the system's version again. This cannot be "
           "undone.");
    q.icon = QMessageBox::Warning;
    q.choices = {{"discard", tr("Discard"), QMessageBox::DestructiveRole},
                 {"cancel", tr("Cancel"), QMessageBox::RejectRole}};
    q.defaultChoice = QStringLiteral("cancel");
    if (DialogAsker::instance().ask(this, q).choice != QLatin1String("discard")) return;
    LayerboxClient::Options opts;
    opts.reportFailure = false;
    opts.timeoutMs = 0;
    beginBusy(tr("Discarding\u2026"));
    client_->run(
        LayerboxClient::discardArgs(profile_, paths), this,
        [this](const CommandResult& r) {
            endBusy();
            if (!r.ok()) {
                emit log(LogPanel::Level::Error, r.commandLine(), r.errorLine());
                tellFailure(this, tr("The changes were not discarded"), r.errorLine());
                return;
            }
            reload();
        },
        opts);
}

void ChangesView::resetAll() {
    if (profile_.isEmpty()) return;
    Question q;
    q.id = questions::kResetChanges;
    q.title = tr("Reset sandbox");
    q.text = tr("Throw away every change in the sandbox of \u201c%1\u201d?").arg(profile_);
    q.informativeText =
        tr("Its home and every file it wrote are deleted. This cannot be "
           "undone.");
    q.icon = QMessageBox::Warning;
    q.choices = {{"reset", tr("Reset"), QMessageBox::DestructiveRole},
                 {"cancel", tr("Cancel"), QMessageBox::RejectRole}};
    q.defaultChoice = QStringLiteral("cancel");
    if (DialogAsker::instance().ask(this, q).choice != QLatin1String("reset")) return;
    LayerboxClient::Options opts;
    opts.reportFailure = false;
    opts.timeoutMs = 0;  // a large layer takes its time to delete
    beginBusy(tr("Resetting\u2026"));
    client_->run(
        LayerboxClient::resetArgs(profile_), this,
        [this](const CommandResult& r) {
            endBusy();
            if (!r.ok()) {
                emit log(LogPanel::Level::Error, r.commandLine(), r.errorLine());
                tellFailure(this, tr("The sandbox of \u201c%1\u201d was not reset").arg(profile_),
                            r.errorLine());
                return;
            }
            emit log(LogPanel::Level::Info, profile_, tr("every change was thrown away"));
            reload();
        },
        opts);
}

void ChangesView::commitAsLayer() {
    if (profile_.isEmpty() || committing_) return;
    TextQuestion q;
    q.id = questions::kLayerName;
    q.title = tr("Commit as layer");
    q.label = tr("Name of the new layer (lower-case letters, digits, - and _):");
    q.initial = profile_ + QStringLiteral("-layer");
    const auto name = DialogAsker::instance().askText(this, q);
    if (!name) return;
    if (!profiles::isValidName(*name)) {
        const QString why = tr("\u201c%1\u201d is not a valid layer name").arg(*name);
        emit log(LogPanel::Level::Error, profile_, why);
        tellFailure(this, tr("Nothing was committed"), why);
        return;
    }
    committing_ = true;
    beginBusy(tr("Committing\u2026"));  // busy until the command reports numbers
    LayerboxClient::Options opts;
    opts.timeoutMs = 0;
    opts.reportFailure = false;
    // Progress lines: {"event":"progress","done":N,"total":M}.
    opts.onLine = [this](const QString& line) {
        const QJsonObject o = QJsonDocument::fromJson(line.toUtf8()).object();
        if (!o.value("total").isDouble()) return;
        const qint64 total = o.value("total").toInteger(), done = o.value("done").toInteger();
        if (total <= 0) return;
        progress_->setRange(0, 1000);
        progress_->setValue(int(qBound(qint64(0), done * 1000 / total, qint64(1000))));
    };
    const QString layer = *name;
    client_->run(
        LayerboxClient::commitArgs(profile_, layer), this,
        [this, layer](const CommandResult& r) {
            committing_ = false;
            endBusy();
            if (!r.ok()) {
                emit log(LogPanel::Level::Error, r.commandLine(), r.errorLine());
                tellFailure(this, tr("Nothing was committed"), r.errorLine());
                return;
            }
            const QJsonObject o =
                QJsonDocument::fromJson(r.out.trimmed().split('\n').last()).object();
            emit log(LogPanel::Level::Info, profile_,
                     o.value("attached").toBool()
                         ? tr("committed as layer \u201c%1\u201d, now stacked under the "
                              "profile")
                               .arg(layer)
                         : tr("committed as layer \u201c%1\u201d").arg(layer));
            if (o.value("attached").toBool()) emit profileChanged(profile_);
            reload();
        },
        opts);
}

void ChangesView::showPreview() {
    const QStringList paths = selectedPaths();
    preview_->setCurrentWidget(previewMessage_);
    if (paths.size() != 1 || profile_.isEmpty()) {
        previewMessage_->setText(paths.isEmpty() ? tr("Select a file to preview it.")
                                                 : tr("%1 items selected.").arg(paths.size()));
        return;
    }
    QStandardItem* item = model_->itemFor(paths.first());
    const QString kind = item ? item->data(ChangesModel::KindRole).toString() : QString();
    if (kind == QLatin1String("deleted")) {
        previewMessage_->setText(tr("Deleted in the sandbox: the program no longer sees it."));
        return;
    }
    const QString upper = profiles::sandboxDir(profile_) + QStringLiteral("/upper");
    const QString file = upper + paths.first();
    const QFileInfo fi(file);
    if (fi.isSymLink()) {
        previewMessage_->setText(tr("A symbolic link to %1").arg(fi.symLinkTarget()));
        return;
    }
    // The program shaped this tree: never show a file a planted link leads out of it to.
    const QString root = QFileInfo(upper).canonicalFilePath();
    if (root.isEmpty() || !fi.canonicalFilePath().startsWith(root + QLatin1Char('/'))) {
        previewMessage_->setText(tr("No preview."));
        return;
    }
    if (fi.isDir() || !fi.isFile()) {
        previewMessage_->setText(item && item->data(ChangesModel::TypeRole).toString() ==
                                             QLatin1String("dir")
                                     ? tr("A folder.")
                                     : tr("No preview."));
        return;
    }
    const QMimeType mime = QMimeDatabase().mimeTypeForFile(fi);
    if (mime.name().startsWith(QLatin1String("image/")) && fi.size() <= kImagePreviewBytes) {
        QImageReader reader(file);
        reader.setAutoTransform(true);
        const QImage img = reader.read();
        if (!img.isNull()) {
            const QSize box = preview_->size() - QSize(16, 16);
            previewImage_->setPixmap(QPixmap::fromImage(
                img.size().boundedTo(box) == img.size()
                    ? img
                    : img.scaled(box, Qt::KeepAspectRatio, Qt::SmoothTransformation)));
            preview_->setCurrentWidget(previewImage_);
            return;
        }
    }
    if (mime.inherits(QStringLiteral("text/plain"))) {
        QFile f(file);
        if (f.open(QIODevice::ReadOnly)) {
            QString text = QString::fromUtf8(f.read(kTextPreviewBytes));
            if (fi.size() > kTextPreviewBytes)
                text += tr("\n[... %1 more]").arg(textformat::bytes(fi.size() - kTextPreviewBytes));
            previewText_->setPlainText(text);
            preview_->setCurrentWidget(previewText_);
            return;
        }
    }
    previewMessage_->setText(
        tr("%1, %2: no preview.").arg(mime.comment(), textformat::bytes(fi.size())));
}

void ChangesView::beginBusy(const QString& what) {
    ++busy_;
    progress_->setRange(0, 0);
    progress_->setVisible(true);
    busyLabel_->setText(what);
    busyLabel_->setVisible(true);
    updateActions();
}

void ChangesView::endBusy() {
    if (busy_ > 0 && --busy_ == 0) {
        progress_->setVisible(false);
        busyLabel_->setVisible(false);
    }
    updateActions();
}

void ChangesView::updateActions() {
    const bool have = !profile_.isEmpty() && !loading_;
    const bool idle = busy_ == 0;
    const bool selection = have && idle && !selectedPaths().isEmpty();
    recover_->setEnabled(selection);
    discard_->setEnabled(selection);
    reset_->setEnabled(have && idle && model_->entryCount() > 0 && !running_);
    commit_->setEnabled(have && idle && model_->entryCount() > 0 && !committing_ && !running_);
    // The core refuses both while the sandbox runs: say why instead of asking first.
    const QString whileRunning = tr("The sandbox of %1 is running: stop it first.").arg(profile_);
    reset_->setToolTip(running_ ? whileRunning
                                : tr("Throw every change of this profile away (layerbox reset)"));
    commit_->setToolTip(running_ ? whileRunning : commitTip_);
    refresh_->setEnabled(!profile_.isEmpty());
    kind_->setEnabled(have);
    search_->setEnabled(have);
}

void ChangesView::updateSummary() {
    const auto by = model_->countByKind();
    QStringList parts;
    for (const char* k : {"added", "modified", "deleted", "replaced"})
        if (by.value(QString::fromLatin1(k)) > 0)
            parts << QStringLiteral("%1 %2")
                         .arg(by.value(QString::fromLatin1(k)))
                         .arg(ChangesModel::kindLabel(QString::fromLatin1(k)));
    const int n = model_->entryCount();
    const QString kinds = parts.join(QStringLiteral(", "));
    summary_->setText(n == 0   ? QString()
                      : n == 1 ? tr("1 change: %1").arg(kinds)
                               : tr("%1 changes: %2").arg(n).arg(kinds));
}

// The core's reasons name its command-line flag (--to); here the same step is a menu item.
QString ChangesView::guiReason(const QString& reason) {
    const int open = reason.lastIndexOf(QStringLiteral(" ("));
    if (open < 0 || !reason.mid(open).contains(QLatin1String("--to"))) return reason;
    return reason.left(open) + tr(" (recover it with Recover \u25b8 To a folder... instead)");
}
