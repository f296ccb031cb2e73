#include "main/mainwindow.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDesktopServices>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileInfo>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMap>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QTreeView>
#include <QUrl>
#include <QVBoxLayout>
#include <algorithm>

#include "backend/layerboxclient.h"
#include "backend/profiles.h"
#include "backend/sandboxlaunch.h"
#include "common/focusstyle.h"
#include "common/textformat.h"
#include "dialogs/dialogasker.h"
#include "dialogs/doctordialog.h"
#include "dialogs/newprofilewizard.h"
#include "dialogs/recoverdialog.h"
#include "dialogs/runfiledialog.h"
#include "editor/profileeditor.h"
#include "main/activityview.h"
#include "main/changesview.h"
#include "main/instancemodel.h"
#include "main/logpanel.h"
#include "main/notifier.h"
#include "main/profiledelegate.h"
#include "main/profilelistmodel.h"
#include "main/profilesummary.h"
#include "main/runningview.h"

namespace {

// Actions by name into a menu or tool bar; nullptr is a separator.
template <class Target>
void fill(Target* target, const MainWindow* w, std::initializer_list<const char*> names) {
    for (const char* n : names) {
        if (n)
            target->addAction(w->action(QString::fromLatin1(n)));
        else
            target->addSeparator();
    }
}

}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , client_(new LayerboxClient(this))
    , model_(new ProfileListModel(this))
    , filter_(new ProfileFilterModel(this))
    , search_(new QLineEdit(this))
    , list_(new QTreeView(this))
    , summary_(new ProfileSummary(this))
    , tabs_(new QTabWidget(this))
    , running_(new RunningView(client_, this))
    , changes_(new ChangesView(client_, this))
    , activity_(new ActivityView(client_, running_->model(), this))
    , log_(new LogPanel(this))
    , logDock_(new QDockWidget(tr("Log"), this))
    , notifier_(new Notifier(this)) {
    setObjectName("mainWindow");
    // Here rather than in main(): every window of the GUI, and the tests, get the focus ring.
    FocusRingStyle::install();
    setWindowTitle(tr("Layerbox"));
    setWindowIcon(
        QIcon::fromTheme("io.github.layerbox.Layerbox", QIcon::fromTheme("security-high")));
    setAcceptDrops(true);

    // Left: search and the profile list.
    search_->setObjectName("profileSearch");
    search_->setAccessibleName(tr("Search profiles"));
    search_->setPlaceholderText(tr("Search profiles (Ctrl+F)"));
    search_->setClearButtonEnabled(true);
    filter_->setSourceModel(model_);
    list_->setObjectName("profileList");
    list_->setAccessibleName(tr("Profiles"));
    list_->setModel(filter_);
    list_->setHeaderHidden(true);
    list_->setRootIsDecorated(false);
    list_->setItemsExpandable(false);
    list_->setIndentation(0);
    list_->setItemDelegate(new ProfileDelegate(list_));
    list_->setSelectionMode(QAbstractItemView::SingleSelection);
    list_->setContextMenuPolicy(Qt::CustomContextMenu);
    list_->setIconSize(QSize(32, 32));
    list_->setFrameShape(QFrame::NoFrame);
    list_->expandAll();
    auto* left = new QWidget(this);
    auto* ll = new QVBoxLayout(left);
    ll->setContentsMargins(6, 6, 0, 6);
    ll->addWidget(search_);
    ll->addWidget(list_, 1);

    // Right: summary, then Running and Changes.
    tabs_->setObjectName("mainTabs");
    tabs_->setDocumentMode(true);
    // Mnemonics are unique across the window (menus, tabs, buttons): tst_gui_profiles checks.
    tabs_->addTab(running_, QIcon::fromTheme("system-run"), tr("R&unning"));
    tabs_->addTab(changes_, QIcon::fromTheme("document-open-recent"), tr("&Changes"));
    tabs_->addTab(activity_, QIcon::fromTheme("dialog-warning"), tr("Activit&y"));
    auto* right = new QWidget(this);
    auto* rl = new QVBoxLayout(right);
    rl->setContentsMargins(6, 6, 6, 6);
    rl->addWidget(summary_);
    rl->addWidget(tabs_, 1);

    splitter_ = new QSplitter(Qt::Horizontal, this);
    splitter_->setObjectName("mainSplitter");
    splitter_->addWidget(left);
    splitter_->addWidget(right);
    splitter_->setStretchFactor(0, 0);
    splitter_->setStretchFactor(1, 1);
    splitter_->setChildrenCollapsible(false);
    left->setMinimumWidth(280);
    splitter_->setSizes({360, 840});
    setCentralWidget(splitter_);

    logDock_->setObjectName("logDock");
    logDock_->setWidget(log_);
    logDock_->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable);
    addDockWidget(Qt::BottomDockWidgetArea, logDock_);

    createActions();
    createMenus();
    createToolBar();
    statusBar()->showMessage(tr("Using %1").arg(client_->binary()), 8000);
    log_->info(QString(), tr("Layerbox %1; sandboxes are run by %2")
                              .arg(QStringLiteral(LAYERBOX_VERSION), client_->binary()));

    // A reload (also when the profile folder changes on disk) keeps the selection.
    connect(model_, &ProfileListModel::modelAboutToBeReset, this,
            [this]() { keepSelection_ = selectedProfile(); });
    connect(model_, &ProfileListModel::modelReset, this, [this]() {
        list_->expandAll();
        selectProfile(keepSelection_);
        onSelectionChanged();
    });
    connect(filter_, &QSortFilterProxyModel::layoutChanged, list_, &QTreeView::expandAll);
    connect(filter_, &QSortFilterProxyModel::rowsInserted, list_, &QTreeView::expandAll);
    connect(search_, &QLineEdit::textChanged, this, [this](const QString& t) {
        filter_->setSearch(t);
        list_->expandAll();
        // One match: it is the one (Enter in the search field then launches it).
        const QStringList shown = visibleProfiles();
        if (shown.size() == 1) selectProfile(shown.first());
    });
    connect(search_, &QLineEdit::returnPressed, this, [this]() {
        if (visibleProfiles().size() == 1) launchProfile();
    });
    // Keys of the list: Enter launches, arrows go from profile to profile (over the group
    // headers, which cannot be selected), Down in the search field goes to the list.
    list_->installEventFilter(this);
    summary_->installEventFilter(this);
    search_->installEventFilter(this);
    connect(list_->selectionModel(), &QItemSelectionModel::currentChanged, this,
            &MainWindow::onSelectionChanged);
    connect(list_, &QTreeView::doubleClicked, this, [this](const QModelIndex& i) {
        if (!i.data(ProfileListModel::IsGroupRole).toBool()) editProfile();
    });
    connect(list_, &QTreeView::customContextMenuRequested, this, &MainWindow::showProfileMenu);
    connect(summary_, &ProfileSummary::launchRequested, this, [this]() { launchProfile(); });
    connect(summary_, &ProfileSummary::editRequested, this, [this]() { editProfile(); });
    connect(summary_, &ProfileSummary::revokeRequested, this, &MainWindow::revokeGrant);

    connect(client_, &LayerboxClient::commandFailed, this,
            [this](const QString& cmd, const QString& error) { log_->error(cmd, error); });
    connect(client_, &LayerboxClient::launchCreated, this, &MainWindow::trackLaunch);
    connect(
        running_, &RunningView::log, this,
        [this](LogPanel::Level l, const QString& s, const QString& t) { log_->append(l, s, t); });
    connect(
        changes_, &ChangesView::log, this,
        [this](LogPanel::Level l, const QString& s, const QString& t) { log_->append(l, s, t); });
    connect(running_, &RunningView::filesGiven, this, [this](const QString& profile) {
        if (selectedProfile() == profile) refreshGrants();
    });
    connect(running_, &RunningView::instancesChanged, this, [this]() {
        model_->setRunning(running_->model()->countByProfile(),
                           running_->model()->pausedByProfile());
        const QString shown = changes_->profile();
        changes_->setRunning(!shown.isEmpty() &&
                             running_->model()->countByProfile().value(shown) > 0);
        const int n = running_->model()->rowCount();
        tabs_->setTabText(0, n > 0 ? tr("R&unning (%1)").arg(n) : tr("R&unning"));
        updateActions();
    });
    connect(changes_, &ChangesView::changesCounted, model_, &ProfileListModel::setChanges);
    connect(
        activity_, &ActivityView::log, this,
        [this](LogPanel::Level l, const QString& s, const QString& t) { log_->append(l, s, t); });
    // "Allow this": the editor at the field, the change shown; saved only if the user agrees.
    connect(activity_, &ActivityView::allowRequested, this,
            [this](const QString& profile, const Allowance& change) {
                ProfileEditor* editor = editProfile(profile);
                if (editor && editor->offerChange(change))
                    log_->info(profile, tr("allowed %1 (%2)").arg(change.what, change.fieldName()));
            });
    connect(changes_, &ChangesView::profileChanged, this, [this]() { model_->reload(); });

    restoreSettings();
    const QModelIndex first = filter_->mapFromSource(model_->indexOf(
        model_->userNames().isEmpty() ? QStringLiteral("default") : model_->userNames().first()));
    if (first.isValid()) list_->setCurrentIndex(first);
    onSelectionChanged();
    QTimer::singleShot(0, this, &MainWindow::refreshChangeCounts);
}

MainWindow::~MainWindow() {
    // Open editors are children: deleted here, while editors_ (which their destroyed() updates)
    // still exists, not by ~QWidget after it is gone (a window closed with an editor open
    // crashed).
    const auto open = editors_;
    for (const QPointer<ProfileEditor>& e : open)
        delete e.data();
}

void MainWindow::createActions() {
    struct Def {
        const char* name;
        const char* text;
        const char* icon;
        QKeySequence key;
        const char* tip;
        void (MainWindow::*slot)();
    };
    const Def defs[] = {
        {"actionNew", QT_TR_NOOP("&New Profile..."), "document-new", QKeySequence::New,
         QT_TR_NOOP("Create a profile for an application or a program"), &MainWindow::newProfile},
        {"actionEdit", QT_TR_NOOP("&Edit..."), "document-properties", QKeySequence(tr("Ctrl+E")),
         QT_TR_NOOP("Edit the selected profile"), nullptr},
        {"actionDuplicate", QT_TR_NOOP("&Duplicate..."), "edit-copy", QKeySequence(tr("Ctrl+D")),
         QT_TR_NOOP("Copy the selected profile under a new name"), &MainWindow::duplicateProfile},
        {"actionRename", QT_TR_NOOP("Re&name..."), "edit-rename", QKeySequence(Qt::Key_F2),
         QT_TR_NOOP("Rename the selected profile"), &MainWindow::renameProfile},
        {"actionDelete", QT_TR_NOOP("De&lete..."), "edit-delete", QKeySequence::Delete,
         QT_TR_NOOP("Delete the selected profile"), &MainWindow::deleteProfile},
        {"actionImport", QT_TR_NOOP("&Import..."), "document-open", QKeySequence(tr("Ctrl+I")),
         QT_TR_NOOP("Add a profile file to your profiles"), &MainWindow::importProfile},
        {"actionImportFirejail",
         QT_TR_NOOP("Import from &Firejail..."),
         "document-open",
         {},
         QT_TR_NOOP("Make a profile from an installed Firejail profile"),
         &MainWindow::importFirejail},
        {"actionExport", QT_TR_NOOP("E&xport..."), "document-save-as",
         QKeySequence(tr("Ctrl+Shift+E")),
         QT_TR_NOOP("Save a self-contained copy of the selected profile"),
         &MainWindow::exportProfile},
        {"actionLaunch", QT_TR_NOOP("&Launch"), "media-playback-start", QKeySequence(tr("Ctrl+R")),
         QT_TR_NOOP("Run the selected profile's program"), nullptr},
        {"actionLaunchWith", QT_TR_NOOP("Launch &With Command..."), "system-run",
         QKeySequence(tr("Ctrl+Shift+R")),
         QT_TR_NOOP("Run another command in the selected profile"), &MainWindow::launchWithCommand},
        {"actionTerminal", QT_TR_NOOP("Open &Terminal Inside"), "utilities-terminal",
         QKeySequence(tr("Ctrl+T")), QT_TR_NOOP("Open a terminal with a shell in the sandbox"),
         &MainWindow::openTerminal},
        {"actionRunFile", QT_TR_NOOP("&Run Sandboxed..."), "system-run",
         QKeySequence(QKeySequence::Open),
         QT_TR_NOOP("Run a program, or open a document, in a profile"), nullptr},
        {"actionAddToMenu", QT_TR_NOOP("&Add to Applications Menu"), "list-add", QKeySequence(),
         QT_TR_NOOP("Add a menu entry that starts this profile sandboxed"), &MainWindow::addToMenu},
        {"actionRemoveFromMenu", QT_TR_NOOP("Remove from Applications &Menu"), "list-remove",
         QKeySequence(), QT_TR_NOOP("Remove this profile's menu entry"),
         &MainWindow::removeFromMenu},
        {"actionDoctor", QT_TR_NOOP("&Check This System..."), "dialog-information", QKeySequence(),
         QT_TR_NOOP("What works on this host (layerbox doctor)"), &MainWindow::showDoctor},
        {"actionRefresh", QT_TR_NOOP("Re&fresh"), "view-refresh", QKeySequence::Refresh,
         QT_TR_NOOP("Read the profiles and changes again"), &MainWindow::refreshProfiles},
        {"actionFind", QT_TR_NOOP("&Find Profile"), "edit-find", QKeySequence::Find,
         QT_TR_NOOP("Search the profiles"), nullptr},
        {"actionQuit", QT_TR_NOOP("&Quit"), "application-exit", QKeySequence::Quit,
         QT_TR_NOOP("Close Layerbox"), nullptr},
        {"actionAbout", QT_TR_NOOP("&About Layerbox"), "help-about", QKeySequence(),
         QT_TR_NOOP("About Layerbox"), nullptr},
        {"actionDocs", QT_TR_NOOP("&Documentation"), "help-contents", QKeySequence::HelpContents,
         QT_TR_NOOP("Open the Layerbox documentation (README and docs/)"), &MainWindow::openDocs},
        {"actionShortcuts", QT_TR_NOOP("&Keyboard Shortcuts"), "input-keyboard", QKeySequence(),
         QT_TR_NOOP("Every keyboard shortcut of this window"), &MainWindow::showShortcuts},
    };
    for (const Def& d : defs) {
        auto* a = new QAction(QIcon::fromTheme(QString::fromLatin1(d.icon)), tr(d.text), this);
        a->setObjectName(QString::fromLatin1(d.name));
        a->setShortcut(d.key);
        a->setStatusTip(tr(d.tip));
        a->setToolTip(tr(d.tip));
        if (d.slot) connect(a, &QAction::triggered, this, d.slot);
        actions_.insert(a->objectName(), a);
    }
    connect(action("actionEdit"), &QAction::triggered, this, [this]() { editProfile(); });
    connect(action("actionLaunch"), &QAction::triggered, this, [this]() { launchProfile(); });
    connect(action("actionRunFile"), &QAction::triggered, this, [this]() { runSandboxed(); });
    connect(action("actionFind"), &QAction::triggered, this, [this]() {
        search_->setFocus();
        search_->selectAll();
    });
    connect(action("actionQuit"), &QAction::triggered, this, &QWidget::close);
    connect(action("actionAbout"), &QAction::triggered, this, [this]() {
        QMessageBox::about(this, tr("About Layerbox"),
                           tr("<h3>Layerbox %1</h3><p>Run programs you do not fully trust in a "
                              "rootless sandbox, then see what they changed and keep only what "
                              "you want.</p><p>Runner: <code>%2</code></p>")
                               .arg(QStringLiteral(LAYERBOX_VERSION), client_->binary()));
    });
    // The profile list's Delete must not fire while typing in the search field.
    action("actionDelete")->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    list_->addAction(action("actionDelete"));
}

QAction* MainWindow::action(const QString& name) const {
    return actions_.value(name, nullptr);
}

void MainWindow::createMenus() {
    QMenu* profile = menuBar()->addMenu(tr("&Profile"));
    profile->setObjectName("menuProfile");
    fill(profile, this,
         {"actionNew", "actionEdit", "actionDuplicate", "actionRename", "actionDelete", nullptr,
          "actionImport", "actionImportFirejail", "actionExport", nullptr, "actionQuit"});
    QMenu* run = menuBar()->addMenu(tr("&Run"));
    run->setObjectName("menuRun");
    fill(run, this,
         {"actionLaunch", "actionLaunchWith", "actionTerminal", "actionRunFile", nullptr,
          "actionAddToMenu", "actionRemoveFromMenu"});
    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->setObjectName("menuView");
    view->addAction(action("actionFind"));
    view->addAction(action("actionRefresh"));
    view->addSeparator();
    QAction* showLog = logDock_->toggleViewAction();
    showLog->setObjectName("actionShowLog");
    showLog->setText(tr("Show &Log"));
    showLog->setShortcut(QKeySequence(tr("Ctrl+L")));
    actions_.insert(showLog->objectName(), showLog);
    view->addAction(showLog);
    QMenu* tools = menuBar()->addMenu(tr("&Tools"));
    tools->setObjectName("menuTools");
    tools->addAction(action("actionDoctor"));
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->setObjectName("menuHelp");
    fill(help, this, {"actionDocs", "actionShortcuts", "actionDoctor", nullptr, "actionAbout"});
}

void MainWindow::createToolBar() {
    QToolBar* bar = addToolBar(tr("Main"));
    bar->setObjectName("mainToolBar");
    bar->setMovable(false);
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->setIconSize(QSize(22, 22));
    fill(bar, this,
         {"actionNew", "actionEdit", nullptr, "actionLaunch", "actionTerminal", "actionRunFile",
          nullptr, "actionImport", "actionExport", nullptr, "actionDoctor"});
}

QString MainWindow::selectedProfile() const {
    const QModelIndex i = list_->currentIndex();
    if (!i.isValid() || i.data(ProfileListModel::IsGroupRole).toBool()) return {};
    return i.data(ProfileListModel::NameRole).toString();
}

void MainWindow::selectProfile(const QString& name) {
    const QModelIndex i = filter_->mapFromSource(model_->indexOf(name));
    if (i.isValid()) list_->setCurrentIndex(i);
}

ProfileEditor* MainWindow::editorFor(const QString& name) const {
    return editors_.value(name);
}

void MainWindow::onSelectionChanged() {
    const QString name = selectedProfile();
    summary_->setProfile(model_->entry(name));
    QTimer::singleShot(0, this, &MainWindow::fitLogDock);
    refreshGrants();
    changes_->setProfile(name);
    changes_->setRunning(!name.isEmpty() && running_->model()->countByProfile().value(name) > 0);
    activity_->setProfile(name);
    updateActions();
}

void MainWindow::updateActions() {
    const ProfileEntry* e = model_->entry(selectedProfile());
    const bool have = e;
    const bool user = e && !e->builtin;
    action("actionEdit")->setEnabled(have);
    action("actionDuplicate")->setEnabled(have && e->valid);
    action("actionRename")->setEnabled(user && e->running == 0);
    action("actionDelete")->setEnabled(user && e->running == 0);
    action("actionExport")->setEnabled(have && e->valid);
    action("actionLaunch")->setEnabled(have && e->valid);
    action("actionLaunchWith")->setEnabled(have && e->valid);
    action("actionTerminal")->setEnabled(have && e->valid);
    action("actionAddToMenu")->setEnabled(have && e->valid);
    action("actionRemoveFromMenu")->setEnabled(have);
}

void MainWindow::showProfileMenu(const QPoint& pos) {
    const QModelIndex at = list_->indexAt(pos);
    if (!at.isValid() || at.data(ProfileListModel::IsGroupRole).toBool()) return;
    list_->setCurrentIndex(at);
    QMenu menu(this);
    menu.setObjectName("profileContextMenu");
    fill(&menu, this,
         {"actionLaunch", "actionLaunchWith", "actionTerminal", nullptr, "actionEdit",
          "actionDuplicate", "actionRename", "actionDelete", nullptr, "actionExport",
          "actionAddToMenu", "actionRemoveFromMenu"});
    menu.exec(list_->viewport()->mapToGlobal(pos));
}

void MainWindow::refreshProfiles() {
    const QString keep = selectedProfile();
    model_->reload();
    selectProfile(keep);
    changes_->reload();
    refreshChangeCounts();
}

void MainWindow::refreshChangeCounts() {
    // Only profiles that have a sandbox folder can have changes; one `diff` at a time.
    for (const QString& n : model_->names())
        if (!changeQueue_.contains(n) && QFileInfo::exists(profiles::sandboxDir(n)))
            changeQueue_ << n;
    if (!countingChanges_) countNextChanges();
}

void MainWindow::countNextChanges() {
    if (changeQueue_.isEmpty()) {
        countingChanges_ = false;
        return;
    }
    countingChanges_ = true;
    const QString name = changeQueue_.takeFirst();
    LayerboxClient::Options opts;
    opts.reportFailure = false;
    opts.timeoutMs = 30000;
    client_->run(
        LayerboxClient::diffArgs(name), this,
        [this, name](const CommandResult& r) {
            const QJsonValue v = r.ok() ? r.json() : QJsonValue();
            if (v.isArray()) {
                model_->setChanges(name, int(v.toArray().size()));
                lastCountError_.clear();
            } else {
                // Said once: the command may simply not exist in this layerbox yet.
                const QString e = r.ok() ? tr("unreadable answer") : r.errorLine();
                if (e != lastCountError_)
                    log_->warning(r.commandLine(), tr("cannot count changes: %1").arg(e));
                lastCountError_ = e;
                if (!r.ok() && r.exitCode == 2) changeQueue_.clear();
            }
            countNextChanges();
        },
        opts);
}

void MainWindow::newProfile() {
    auto* wizard = new NewProfileWizard(this);
    wizard->setAttribute(Qt::WA_DeleteOnClose);
    connect(wizard, &NewProfileWizard::profileCreated, this, [this](const QString& name) {
        model_->reload();
        selectProfile(name);
        log_->info(name, tr("profile created"));
    });
    wizard->open();
}

ProfileEditor* MainWindow::editProfile(const QString& nameArg) {
    const QString name = nameArg.isEmpty() ? selectedProfile() : nameArg;
    if (name.isEmpty()) return nullptr;
    if (ProfileEditor* open = editors_.value(name)) {
        open->show();
        open->raise();
        open->activateWindow();
        return open;
    }
    auto* editor = new ProfileEditor(client_, name, this);
    editor->setAttribute(Qt::WA_DeleteOnClose);
    editors_.insert(name, editor);
    editor->restoreGeometry(QSettings(QStringLiteral("Layerbox"), QStringLiteral("layerbox-gui"))
                                .value("editor/geometry")
                                .toByteArray());
    connect(editor, &ProfileEditor::saved, this, [this](const QString& saved) {
        model_->reload();
        selectProfile(saved);
        activity_->profileSaved(saved);
        log_->info(saved, tr("profile saved"));
    });
    connect(editor, &QObject::destroyed, this, [this, name]() { editors_.remove(name); });
    editor->show();
    return editor;
}

bool MainWindow::ensureEditorsClosed(const QString& name) {
    ProfileEditor* e = editors_.value(name);
    return !e || e->close();
}

void MainWindow::duplicateProfile() {
    const ProfileEntry* e = model_->entry(selectedProfile());
    if (!e) return;
    const QString from = e->name;
    TextQuestion tq;
    tq.id = questions::kDuplicateName;
    tq.title = tr("Duplicate profile");
    tq.label = tr("Name of the copy (a-z, 0-9, - and _):");
    tq.initial = from + QStringLiteral("-copy");
    const auto name = DialogAsker::instance().askText(this, tq);
    if (!name) return;
    LayerboxClient::Options opts;
    opts.reportFailure = false;
    client_->run(
        LayerboxClient::duplicateArgs(from, *name), this,
        [this, from](const CommandResult& r) {
            if (!r.ok()) {
                log_->error(from, r.errorLine());
                tellFailure(this, tr("Cannot duplicate \u201c%1\u201d").arg(from), r.errorLine());
                return;
            }
            const QString copy = r.json().toObject().value("name").toString();
            model_->reload();
            selectProfile(copy);
            log_->info(copy, tr("copied from %1").arg(from));
        },
        opts);
}

void MainWindow::renameProfile() {
    const ProfileEntry* e = model_->entry(selectedProfile());
    if (!e || e->builtin) return;
    const QString from = e->name;
    if (e->running > 0) {
        log_->error(from, tr("cannot rename a running profile"));
        return;
    }
    TextQuestion tq;
    tq.id = questions::kRenameName;
    tq.title = tr("Rename profile");
    tq.label = tr("New name (a-z, 0-9, - and _):");
    tq.initial = from;
    const auto name = DialogAsker::instance().askText(this, tq);
    if (!name || *name == from) return;
    if (!ensureEditorsClosed(from)) return;
    // The core moves the sandbox's data with it, under the sandbox's lock.
    LayerboxClient::Options opts;
    opts.reportFailure = false;
    client_->run(
        LayerboxClient::renameArgs(from, *name), this,
        [this, from](const CommandResult& r) {
            if (!r.ok()) {
                log_->error(from, r.errorLine());
                tellFailure(this, tr("Cannot rename \u201c%1\u201d").arg(from), r.errorLine());
                return;
            }
            const QString to = r.json().toObject().value("name").toString();
            model_->reload();
            selectProfile(to);
            log_->info(to, tr("renamed from %1").arg(from));
        },
        opts);
}

void MainWindow::deleteProfile() {
    const ProfileEntry* e = model_->entry(selectedProfile());
    if (!e || e->builtin) return;
    const QString name = e->name;
    const bool shadows = e->overridesBuiltin;
    const bool hasData = QFileInfo::exists(profiles::sandboxDir(name));
    Question qn;
    qn.id = questions::kDeleteProfile;
    qn.title = tr("Delete profile");
    qn.text = tr("Delete the profile \u201c%1\u201d?").arg(e->title);
    qn.informativeText = shadows ? tr("The built-in profile of the same name takes its place "
                                      "again.")
                                 : tr("Its file %1 is removed.").arg(e->path);
    qn.icon = QMessageBox::Warning;
    qn.choices = {{"delete", tr("Delete"), QMessageBox::DestructiveRole},
                  {"cancel", tr("Cancel"), QMessageBox::RejectRole}};
    qn.defaultChoice = QStringLiteral("cancel");  // Enter must not delete
    if (hasData) qn.checkBox = tr("Also delete its sandbox: its home and every change it made");
    const Answer a = DialogAsker::instance().ask(this, qn);
    if (a.choice != QLatin1String("delete")) return;
    if (!ensureEditorsClosed(name)) return;
    // The sandbox's files are the core's to delete (it knows their layout and their lock); the
    // profile is kept when they cannot be.
    LayerboxClient::Options opts;
    opts.reportFailure = false;
    client_->run(
        LayerboxClient::removeArgs(name, a.checked && hasData), this,
        [this, name](const CommandResult& r) {
            if (!r.ok()) {
                log_->error(name, r.errorLine());
                tellFailure(this, tr("Cannot delete \u201c%1\u201d").arg(name), r.errorLine());
                return;
            }
            model_->reload();
            log_->info(name, r.json().toObject().value("data_removed").toBool()
                                 ? tr("profile and sandbox deleted")
                                 : tr("profile deleted"));
        },
        opts);
}

void MainWindow::importProfile() {
    PathQuestion pq;
    pq.id = questions::kImportFile;
    pq.kind = PathQuestion::OpenFile;
    pq.title = tr("Import profile");
    pq.initial = QDir::homePath();
    pq.filter = tr("Layerbox profiles (*.json);;All files (*)");
    const QString file = DialogAsker::instance().askPath(this, pq);
    if (file.isEmpty()) return;
    QFile f(file);
    // Unreadable, or a profile that does not load: the import itself says why.
    if (f.open(QIODevice::ReadOnly)) {
        const QString text = QString::fromUtf8(f.read(4 << 20));
        const QString name = profiles::importName(file, text);
        QString error;
        const QStringList granted = profiles::permissionsBeyondDefault(
            text, name.isEmpty() ? QStringLiteral("imported") : name, &error);
        if (error.isEmpty() &&
            !reviewImport(name, QFileInfo(file).fileName(), granted, QString(), QString()))
            return;
    }
    importFile(file, {}, false);
}

bool MainWindow::reviewImport(const QString& name, const QString& from, const QStringList& granted,
                              const QString& report, const QString& details) {
    Question qn;
    qn.id = questions::kImportReview;
    qn.title = tr("Review the import");
    qn.text = name.isEmpty() ? tr("Import the profile from %1?").arg(from)
                             : tr("Import \u201c%1\u201d from %2?").arg(name, from);
    QString info =
        granted.isEmpty()
            ? tr("Compared with the built-in default profile, it lets the program reach "
                 "nothing more.")
            : tr("Compared with the built-in default profile, it lets the program reach:") +
                  QStringLiteral("\n\u2022 ") + granted.join(QStringLiteral("\n\u2022 "));
    if (!report.isEmpty()) info += QStringLiteral("\n\n") + report;
    qn.informativeText = info;
    qn.details = details;
    qn.icon = granted.isEmpty() ? QMessageBox::Question : QMessageBox::Warning;
    qn.choices = {{"import", tr("Import"), QMessageBox::AcceptRole},
                  {"cancel", tr("Cancel"), QMessageBox::RejectRole}};
    // Enter does not grant what the user may not have read.
    qn.defaultChoice = granted.isEmpty() ? QStringLiteral("import") : QStringLiteral("cancel");
    return DialogAsker::instance().ask(this, qn).choice == QLatin1String("import");
}

void MainWindow::importFirejail() {
    PathQuestion pq;
    pq.id = questions::kImportFirejailFile;
    pq.kind = PathQuestion::OpenFile;
    pq.title = tr("Import from Firejail");
    pq.initial = QFileInfo::exists(QStringLiteral("/etc/firejail"))
                     ? QStringLiteral("/etc/firejail")
                     : QDir::homePath();
    pq.filter = tr("Firejail profiles (*.profile);;All files (*)");
    const QString file = DialogAsker::instance().askPath(this, pq);
    if (file.isEmpty()) return;
    // A dry run first: the converted profile and the report, nothing saved until agreed.
    LayerboxClient::Options opts;
    opts.reportFailure = false;
    client_->run(
        LayerboxClient::importFirejailArgs(file, {}, false, true), this,
        [this, file](const CommandResult& r) {
            const QJsonObject o = r.ok() ? r.json().toObject() : QJsonObject();
            if (o.isEmpty()) {
                const QString why = r.ok() ? tr("unreadable answer") : r.errorLine();
                log_->error(tr("import"), why);
                tellFailure(this, tr("Cannot import %1").arg(QFileInfo(file).fileName()), why);
                return;
            }
            const QString name = o.value("name").toString();
            QMap<QString, int> counts;
            QStringList lines;
            for (const QJsonValue& v : o.value("report").toArray()) {
                const QJsonObject it = v.toObject();
                const QString outcome = it.value("outcome").toString();
                ++counts[outcome];
                const QString what = it.value("text").toString();
                QString line = outcome + QStringLiteral(": ") +
                               (what.isEmpty() ? it.value("directive").toString() : what);
                if (!it.value("why").toString().isEmpty())
                    line += QStringLiteral(" \u2014 ") + it.value("why").toString();
                lines << line;
            }
            const QString report =
                tr("Firejail's directives: %1 mapped, %2 mapped stricter, %3 not mapped (Show "
                   "Details lists each).")
                    .arg(counts.value("mapped"))
                    .arg(counts.value("stricter"))
                    .arg(counts.value("not-mapped"));
            QString error;
            const QString text = QString::fromUtf8(
                QJsonDocument(o.value("profile").toObject()).toJson(QJsonDocument::Indented));
            QStringList granted = profiles::permissionsBeyondDefault(text, name, &error);
            if (!error.isEmpty()) granted = {tr("(cannot be told: %1)").arg(error)};
            if (!reviewImport(name, QFileInfo(file).fileName(), granted, report,
                              lines.join(QLatin1Char('\n'))))
                return;
            importFile(file, {}, false, true);
        },
        opts);
}

void MainWindow::importFile(const QString& file, const QString& as, bool replace, bool firejail) {
    // The core names the profile (its file's name, else its own "name"), checks it and its
    // parent, and says when the name cannot be used: then ask, and try again.
    LayerboxClient::Options opts;
    opts.reportFailure = false;
    client_->run(
        firejail ? LayerboxClient::importFirejailArgs(file, as, replace, false)
                 : LayerboxClient::importArgs(file, as, replace),
        this,
        [this, file, firejail](const CommandResult& r) {
            if (r.ok()) {
                const QString name = r.json().toObject().value("name").toString();
                model_->reload();
                selectProfile(name);
                log_->info(name, tr("imported from %1").arg(file));
                return;
            }
            const auto refused = NameRefusal::from(r);
            if (!refused) {
                log_->error(tr("import"), r.errorLine());
                tellFailure(this, tr("Cannot import %1").arg(QFileInfo(file).fileName()),
                            r.errorLine());
                return;
            }
            if (refused->exists) {
                Question qn;
                qn.id = questions::kReplaceProfile;
                qn.title = tr("Replace profile");
                qn.text = tr("You already have a profile named \u201c%1\u201d.").arg(refused->name);
                qn.informativeText = tr("Replace it with the imported one?");
                qn.icon = QMessageBox::Warning;
                qn.choices = {{"replace", tr("Replace"), QMessageBox::DestructiveRole},
                              {"cancel", tr("Cancel"), QMessageBox::RejectRole}};
                if (DialogAsker::instance().ask(this, qn).choice != QLatin1String("replace"))
                    return;
                if (!ensureEditorsClosed(refused->name)) return;
                importFile(file, refused->name, true, firejail);
                return;
            }
            TextQuestion tq;
            tq.id = questions::kImportName;
            tq.title = tr("Import profile");
            tq.label =
                tr("%1\nName for the imported profile (a-z, 0-9, - and _):").arg(refused->error);
            const auto given = DialogAsker::instance().askText(this, tq);
            if (given) importFile(file, *given, false, firejail);
        },
        opts);
}

void MainWindow::exportProfile() {
    const ProfileEntry* e = model_->entry(selectedProfile());
    if (!e) return;
    const QString name = e->name;
    PathQuestion pq;
    pq.id = questions::kExportFile;
    pq.kind = PathQuestion::SaveFile;
    pq.title = tr("Export profile");
    pq.initial = QDir::homePath() + QLatin1Char('/') + name + QStringLiteral(".json");
    pq.filter = tr("Layerbox profiles (*.json)");
    const QString file = DialogAsker::instance().askPath(this, pq);
    if (file.isEmpty()) return;
    // Self-contained (parents merged), written atomically by the core.
    LayerboxClient::Options opts;
    opts.reportFailure = false;
    client_->run(
        LayerboxClient::exportArgs(name, file), this,
        [this, name, file](const CommandResult& r) {
            if (!r.ok()) {
                log_->error(name, r.errorLine());
                tellFailure(this, tr("Cannot export \u201c%1\u201d").arg(name), r.errorLine());
            } else {
                log_->info(name, tr("exported to %1").arg(file));
            }
        },
        opts);
}

SandboxLaunch* MainWindow::launchProfile(const QString& nameArg, const QStringList& command,
                                         const QStringList& options) {
    const QString name = nameArg.isEmpty() ? selectedProfile() : nameArg;
    const ProfileEntry* e = model_->entry(name);
    if (!e && !name.contains(QLatin1Char('/'))) {
        log_->error(name, tr("no such profile"));
        return nullptr;
    }
    if (e && command.isEmpty() && e->command.isEmpty()) {
        launchWithCommand();
        return nullptr;
    }
    return client_->launch({name, command, options});
}

void MainWindow::launchWithCommand() {
    const ProfileEntry* e = model_->entry(selectedProfile());
    if (!e) return;
    const QString name = e->name;
    TextQuestion tq;
    tq.id = questions::kLaunchCommand;
    tq.title = tr("Launch with command");
    tq.label = tr("Command to run in \u201c%1\u201d:").arg(e->title);
    tq.initial = textformat::command(e->command);
    const auto text = DialogAsker::instance().askText(this, tq);
    if (!text) return;
    const QStringList argv = textformat::splitCommand(*text);
    if (argv.isEmpty()) return;
    client_->launch({name, argv, {}});
}

void MainWindow::openTerminal() {
    const QString name = selectedProfile();
    if (name.isEmpty()) return;
    QString error;
    const QString command = client_->openTerminal(name, &error);
    if (command.isEmpty()) {
        log_->error(name, error);
        tellFailure(this, tr("Cannot open a terminal in \u201c%1\u201d").arg(name), error);
    } else {
        log_->info(name, tr("terminal opened: %1").arg(command));
    }
}

void MainWindow::runSandboxed(const QString& fileArg) {
    QString file = fileArg;
    if (file.isEmpty()) {
        PathQuestion pq;
        pq.id = questions::kRunFile;
        pq.kind = PathQuestion::OpenFile;
        pq.title = tr("Run sandboxed");
        pq.initial = QDir::homePath();
        file = DialogAsker::instance().askPath(this, pq);
        if (file.isEmpty()) return;
    }
    QStringList names;
    for (const QString& n : model_->names())
        if (const ProfileEntry* e = model_->entry(n); e && e->valid) names << n;
    auto* dialog = new RunFileDialog(file, names, model_, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &RunFileDialog::runRequested, this,
            [this](const LaunchRequest& r) { client_->launch(r); });
    dialog->open();
}

void MainWindow::desktopEntry(bool install) {
    const QString name = selectedProfile();
    if (name.isEmpty()) return;
    client_->run(LayerboxClient::desktopArgs(install, name), this,
                 [this, name, install](const CommandResult& r) {
                     if (r.ok())
                         log_->info(name, install ? tr("added to the applications menu")
                                                  : tr("removed from the applications menu"));
                 });
}

void MainWindow::addToMenu() {
    desktopEntry(true);
}

void MainWindow::removeFromMenu() {
    desktopEntry(false);
}

void MainWindow::showDoctor() {
    auto* d = new DoctorDialog(client_, this);
    d->setAttribute(Qt::WA_DeleteOnClose);
    connect(
        d, &DoctorDialog::log, this,
        [this](LogPanel::Level l, const QString& s, const QString& t) { log_->append(l, s, t); });
    d->open();
}

void MainWindow::trackLaunch(SandboxLaunch* launch) {
    const QString profile = launch->profile();
    log_->info(profile, tr("launching: layerbox %1")
                            .arg(textformat::command(SandboxLaunch::arguments(launch->request()))));
    connect(launch, &SandboxLaunch::event, this, [this, profile](const QJsonObject& ev) {
        const QString kind = ev.value("event").toString();
        if (kind == QLatin1String("started")) {
            QStringList argv;
            for (const QJsonValue& a : ev.value("command").toArray())
                argv << a.toString();
            log_->info(profile,
                       tr("started %1 (pid %2, instance %3, %4 storage, network %5)")
                           .arg(textformat::command(argv))
                           .arg(ev.value("pid").toInteger())
                           .arg(ev.value("instance").toString(), ev.value("driver").toString(),
                                ev.value("network").toString()));
        } else if (kind == QLatin1String("warning") || kind == QLatin1String("network-lost")) {
            log_->warning(profile, ev.value("message").toString());
        } else if (kind == QLatin1String("new-file")) {
            // Immediate recovery (issue 23): the runner saw a file finished in a watched folder.
            // The Changes view reads the layer again now rather than at its next poll.
            log_->info(profile,
                       tr("new file %1: recover it with: %2")
                           .arg(ev.value("path").toString(), ev.value("recover").toString()));
            if (changes_->profile() == profile) changes_->refreshNow();
        } else if (kind == QLatin1String("file-recovered")) {
            log_->info(profile,
                       tr("recovered %1 to %2%3")
                           .arg(ev.value("path").toString(), ev.value("to").toString(),
                                ev.value("automatic").toBool() ? tr(" (automatic)") : QString()));
            if (changes_->profile() == profile) changes_->refreshNow();
        } else if (kind == QLatin1String("recoverable")) {
            const QJsonArray files = ev.value("files").toArray();
            if (files.isEmpty()) return;
            if (ev.value("ephemeral").toBool()) {
                // The layer is gone with the sandbox: nothing left to recover, only to say.
                QStringList paths;
                for (const QJsonValue& f : files)
                    paths << f.toObject().value("path").toString();
                log_->warning(profile, tr("new files were thrown away with the throw-away "
                                          "layer: %1")
                                           .arg(paths.join(QStringLiteral(", "))));
                return;
            }
            auto* d = new RecoverDialog(profile, files, this);
            d->setAttribute(Qt::WA_DeleteOnClose);
            connect(d, &RecoverDialog::recoverRequested, changes_,
                    [this](const QString& p, const QStringList& paths, const QString& to) {
                        changes_->recoverPaths(p, paths, to);
                    });
            d->show();
        }
    });
    connect(launch, &SandboxLaunch::output, this, [this, profile](const QString& line, bool) {
        // The runner's own error line comes again, better, in the `exited` event.
        if (!runnerMessage(line, true).isEmpty()) return;
        log_->append(LogPanel::Level::Output, profile, line);
    });
    connect(launch, &SandboxLaunch::finished, this, [this, launch, profile](const QJsonObject& ev) {
        const int status = ev.value("status").toInt();
        const QString error = ev.value("error").toString();
        QString text;
        if (!error.isEmpty())
            text = error;
        else if (ev.contains("signal"))
            text = tr("ended by signal %1").arg(ev.value("signal").toInt());
        else if (status != 0)
            text = tr("exited with status %1").arg(status);
        if (launch->stopRequested()) {
            // Asked for: however the program took the SIGTERM (or SIGKILL), not a failure.
            log_->info(profile, text.isEmpty() ? tr("stopped") : tr("stopped (%1)").arg(text));
        } else if (!error.isEmpty()) {
            log_->error(profile, error);
            // Said where it was started, too: the log dock may be hidden (Ctrl+L).
            tellFailure(this, tr("\u201c%1\u201d failed").arg(profile), error);
        } else if (!text.isEmpty()) {
            log_->warning(profile, text);
        } else {
            log_->info(profile, tr("exited"));
        }
        if (!text.isEmpty() && !launch->stopRequested())
            notifier_->notify(tr("%1 ended with an error").arg(profile), text);
        if (!changeQueue_.contains(profile)) changeQueue_ << profile;
        if (!countingChanges_) countNextChanges();
        if (changes_->profile() == profile) changes_->reload();
    });
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    const QMimeData* m = event->mimeData();
    if (m->hasUrls() && !m->urls().isEmpty() && m->urls().first().isLocalFile())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile()) return;
    event->acceptProposedAction();
    const QString file = urls.first().toLocalFile();
    QTimer::singleShot(0, this, [this, file]() { runSandboxed(file); });
}

void MainWindow::restoreSettings() {
    QSettings s(QStringLiteral("Layerbox"), QStringLiteral("layerbox-gui"));
    if (!restoreGeometry(s.value("mainWindow/geometry").toByteArray())) {
        // The first run: a roomy window, but never larger than the screen (on a 1024x600
        // netbook a 1200x780 window had its right part and bottom off the screen).
        QSize size(1200, 780);
        if (const QScreen* sc = screen())
            size = size.boundedTo(sc->availableGeometry().size() * 0.95);
        resize(size.expandedTo(minimumSizeHint()));
    }
    if (!restoreState(s.value("mainWindow/state").toByteArray()))
        resizeDocks({logDock_}, {150}, Qt::Vertical);
    splitter_->restoreState(s.value("mainWindow/splitter").toByteArray());
}

void MainWindow::saveSettings() {
    QSettings s(QStringLiteral("Layerbox"), QStringLiteral("layerbox-gui"));
    s.setValue("mainWindow/geometry", saveGeometry());
    s.setValue("mainWindow/state", saveState());
    s.setValue("mainWindow/splitter", splitter_->saveState());
}

void MainWindow::closeEvent(QCloseEvent* event) {
    int running = 0;
    for (SandboxLaunch* l : client_->launches())
        running += l->isRunning();
    if (running > 0) {
        Question qn;
        qn.id = questions::kQuitRunning;
        qn.title = tr("Sandboxes are running");
        qn.text = running == 1 ? tr("A sandbox started here is still running.")
                               : tr("%1 sandboxes started here are still running.").arg(running);
        qn.informativeText = tr("Closing Layerbox ends them.");
        qn.icon = QMessageBox::Warning;
        qn.choices = {{"quit", tr("End them and quit"), QMessageBox::DestructiveRole},
                      {"cancel", tr("Cancel"), QMessageBox::RejectRole}};
        if (DialogAsker::instance().ask(this, qn).choice != QLatin1String("quit")) {
            event->ignore();
            return;
        }
    }
    const auto open = editors_;
    for (const QPointer<ProfileEditor>& e : open)
        if (e && !e->close()) {
            event->ignore();
            return;
        }
    saveSettings();
    event->accept();
}

// "Files given" of the selected profile: `layerbox grants PROFILE --json`.
void MainWindow::refreshGrants() {
    const QString name = selectedProfile();
    summary_->setGrants({});
    if (name.isEmpty()) return;
    LayerboxClient::Options o;
    o.reportFailure = false;
    client_->run(
        LayerboxClient::grantsArgs(name), this,
        [this, name](const CommandResult& r) {
            if (selectedProfile() == name) summary_->setGrants(FileGrantItem::listFrom(r));
        },
        o);
}

// Revoke: `layerbox grants rm PROFILE PATH` takes the file back, from a running sandbox too.
void MainWindow::revokeGrant(const QString& path) {
    const QString name = selectedProfile();
    if (name.isEmpty()) return;
    client_->run(LayerboxClient::revokeArgs(name, path), this,
                 [this, name, path](const CommandResult& r) {
                     if (r.ok()) log_->info(name, tr("took back %1").arg(path));
                     refreshGrants();
                 });
}

// Profiles shown in the list (the search applied), in list order.
QStringList MainWindow::visibleProfiles() const {
    QStringList out;
    for (int g = 0; g < filter_->rowCount(); ++g) {
        const QModelIndex group = filter_->index(g, 0);
        for (int r = 0; r < filter_->rowCount(group); ++r)
            out << filter_->index(r, 0, group).data(ProfileListModel::NameRole).toString();
    }
    return out;
}

void MainWindow::fitLogDock() {
    // A short window (1024x600): the log gives up height, down to its minimum, before the
    // summary's last lines are cut (the running and changes tabs are at their minimum then).
    if (!logDock_->isVisible() || logDock_->isFloating()) return;
    const int deficit = summary_->sizeHint().height() - summary_->height();
    if (deficit <= 0) return;
    const int h = qMax(logDock_->minimumSizeHint().height(), logDock_->height() - deficit);
    if (h < logDock_->height()) resizeDocks({logDock_}, {h}, Qt::Vertical);
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event) {
    if (watched == summary_ && event->type() == QEvent::Resize)
        QTimer::singleShot(0, this, &MainWindow::fitLogDock);
    if (event->type() != QEvent::KeyPress) return QMainWindow::eventFilter(watched, event);
    const auto* key = static_cast<QKeyEvent*>(event);
    if (key->modifiers() & ~Qt::KeypadModifier) return QMainWindow::eventFilter(watched, event);
    const QStringList shown = visibleProfiles();
    if (watched == search_ && key->key() == Qt::Key_Down && !shown.isEmpty()) {
        if (selectedProfile().isEmpty() || !shown.contains(selectedProfile()))
            selectProfile(shown.first());
        list_->setFocus();
        return true;
    }
    if (watched != list_) return QMainWindow::eventFilter(watched, event);
    const int at = shown.indexOf(selectedProfile());
    int to = -1;
    switch (key->key()) {
        case Qt::Key_Return:
        case Qt::Key_Enter:
            if (at >= 0) launchProfile();
            return true;
        case Qt::Key_Up:
            to = at < 0 ? 0 : qMax(0, at - 1);
            break;
        case Qt::Key_Down:
            to = at < 0 ? 0 : qMin(int(shown.size()) - 1, at + 1);
            break;
        case Qt::Key_Home:
        case Qt::Key_PageUp:
            to = 0;
            break;
        case Qt::Key_End:
        case Qt::Key_PageDown:
            to = int(shown.size()) - 1;
            break;
        default:
            return QMainWindow::eventFilter(watched, event);
    }
    // From profile to profile: a group header is never current, so nothing is deselected.
    if (to >= 0 && to < shown.size()) {
        selectProfile(shown.at(to));
        list_->scrollTo(list_->currentIndex());
    }
    return true;
}

QString MainWindow::docsFile() {
    // Installed with the layerbox package (packaging/CMakeLists.txt).
    return QStringLiteral(LB_DOC_DIR "/README.md");
}

void MainWindow::openDocs() {
    const QString file = docsFile();
    if (!QFileInfo::exists(file)) {
        tellFailure(this, tr("The documentation is not installed"),
                    tr("%1 is missing: install the layerbox package, or read README.md and docs/ "
                       "in the source tree.")
                        .arg(file));
        return;
    }
    if (!QDesktopServices::openUrl(QUrl::fromLocalFile(file)))
        tellFailure(this, tr("Cannot open the documentation"),
                    tr("No program opens %1 here.").arg(file));
}

// Every shortcut of the window's actions, and the keys of the profile list.
QString MainWindow::shortcutsText() const {
    QStringList rows;
    QList<QAction*> all = actions_.values();
    std::sort(all.begin(), all.end(),
              [](QAction* a, QAction* b) { return a->objectName() < b->objectName(); });
    for (QAction* a : all) {
        if (a->shortcut().isEmpty()) continue;
        rows << QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>")
                    .arg(a->shortcut().toString(QKeySequence::NativeText).toHtmlEscaped(),
                         a->text().remove(QLatin1Char('&')).remove(QStringLiteral("...")));
    }
    rows << tr("<tr><td><b>Enter</b></td><td>Launch the selected profile</td></tr>")
         << tr("<tr><td><b>Up, Down</b></td><td>Previous, next profile</td></tr>")
         << tr("<tr><td><b>Menu, Shift+F10</b></td><td>The profile's menu</td></tr>")
         << tr("<tr><td><b>Alt+letter</b></td><td>The underlined menu, tab or button</td></tr>");
    return QStringLiteral("<table cellspacing=4>%1</table>").arg(rows.join(QString()));
}

void MainWindow::showShortcuts() {
    Question q;
    q.id = questions::kShortcuts;
    q.title = tr("Keyboard Shortcuts");
    q.text = shortcutsText();
    q.icon = QMessageBox::Information;
    q.choices = {{"ok", tr("Close"), QMessageBox::AcceptRole}};
    DialogAsker::instance().ask(this, q);
}
