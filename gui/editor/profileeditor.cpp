#include "editor/profileeditor.h"

#include <QCloseEvent>
#include <QFile>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QStackedWidget>
#include <QStyle>
#include <QTimer>
#include <QVBoxLayout>

#include "backend/activitylog.h"
#include "backend/desktopentries.h"
#include "backend/hostcapabilities.h"
#include "backend/layerboxclient.h"
#include "backend/profilejson.h"
#include "backend/profiles.h"
#include "common/textformat.h"
#include "dialogs/dialogasker.h"
#include "editor/desktoppage.h"
#include "editor/environmentpage.h"
#include "editor/filespage.h"
#include "editor/generalpage.h"
#include "editor/jsonpage.h"
#include "editor/networkpage.h"
#include "editor/resourcespage.h"
#include "editor/securitypage.h"

ProfileEditor::ProfileEditor(LayerboxClient* client, const QString& profileName, QWidget* parent)
    : QWidget(parent, Qt::Window)
    , client_(client)
    , name_(profileName)
    , headerIcon_(new QLabel(this))
    , headerTitle_(new QLabel(this))
    , headerInfo_(new QLabel(this))
    , pageList_(new QListWidget(this))
    , stack_(new QStackedWidget(this))
    , status_(new QLabel(this))
    , revert_(new QPushButton(QIcon::fromTheme("document-revert"), tr("&Revert"), this))
    , save_(new QPushButton(QIcon::fromTheme("document-save"), tr("&Save"), this))
    , close_(new QPushButton(QIcon::fromTheme("window-close"), tr("&Close"), this))
    , validateTimer_(new QTimer(this))
    , watcher_(new QFileSystemWatcher(this)) {
    setObjectName("profileEditor");
    setAccessibleName(tr("Profile editor"));

    // Header: icon, title, what this profile is.
    headerIcon_->setFixedSize(40, 40);
    QFont big = headerTitle_->font();
    big.setPointSizeF(big.pointSizeF() * 1.35);
    big.setWeight(QFont::DemiBold);
    headerTitle_->setFont(big);
    headerTitle_->setObjectName("editorTitle");
    headerInfo_->setObjectName("editorInfo");
    headerInfo_->setForegroundRole(QPalette::PlaceholderText);
    headerInfo_->setWordWrap(true);
    auto* header = new QHBoxLayout;
    header->setSpacing(12);
    header->addWidget(headerIcon_);
    auto* titles = new QVBoxLayout;
    titles->setSpacing(0);
    titles->addWidget(headerTitle_);
    titles->addWidget(headerInfo_);
    header->addLayout(titles, 1);

    // Pages.
    general_ = new GeneralPage(this);
    files_ = new FilesPage(this);
    json_ = new JsonPage(this);
    pages_ = {general_,
              files_,
              new NetworkPage(this),
              new ResourcesPage(this),
              new SecurityPage(this),
              new DesktopPage(this),
              new EnvironmentPage(this),
              json_};
    pageList_->setObjectName("pageList");
    pageList_->setAccessibleName(tr("Sections"));
    pageList_->setIconSize(QSize(22, 22));
    pageList_->setSpacing(1);
    pageList_->setFrameShape(QFrame::NoFrame);
    pageList_->setBackgroundRole(QPalette::Base);
    const HostCapabilities host;  // until `layerbox doctor` has answered (below)
    int widest = 0;
    for (EditorPage* p : pages_) {
        auto* item = new QListWidgetItem(p->icon(), p->title(), pageList_);
        item->setData(Qt::UserRole, p->objectName());
        item->setSizeHint(QSize(0, 34));
        widest = qMax(widest, pageList_->fontMetrics().horizontalAdvance(p->title()));
        auto* scroll = new QScrollArea(stack_);
        scroll->setWidgetResizable(true);
        scroll->setFrameShape(QFrame::NoFrame);
        scroll->setWidget(p);
        stack_->addWidget(scroll);
        p->setHost(host);
        connect(p, &EditorPage::changed, this, &ProfileEditor::scheduleValidation);
    }
    loadHost();
    pageList_->setFixedWidth(widest + 22 + 48);
    connect(pageList_, &QListWidget::currentRowChanged, stack_, &QStackedWidget::setCurrentIndex);

    auto* body = new QHBoxLayout;
    body->setSpacing(0);
    body->addWidget(pageList_);
    auto* line = new QFrame(this);
    line->setFrameShape(QFrame::VLine);
    line->setFrameShadow(QFrame::Sunken);
    body->addWidget(line);
    body->addWidget(stack_, 1);

    // Status and buttons.
    status_->setObjectName("editorStatus");
    status_->setWordWrap(true);
    status_->setTextFormat(Qt::PlainText);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    save_->setObjectName("saveButton");
    save_->setAccessibleName(tr("Save the profile"));
    save_->setDefault(true);
    save_->setShortcut(QKeySequence::Save);
    revert_->setObjectName("revertButton");
    revert_->setAccessibleName(tr("Revert to the saved profile"));
    close_->setObjectName("closeButton");
    close_->setAccessibleName(tr("Close the editor"));
    connect(save_, &QPushButton::clicked, this, &ProfileEditor::save);
    connect(revert_, &QPushButton::clicked, this, &ProfileEditor::revert);
    connect(close_, &QPushButton::clicked, this, &QWidget::close);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(status_, 1);
    buttons->addWidget(revert_);
    buttons->addWidget(close_);
    buttons->addWidget(save_);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(header);
    auto* top = new QFrame(this);
    top->setFrameShape(QFrame::HLine);
    top->setFrameShadow(QFrame::Sunken);
    layout->addWidget(top);
    layout->addLayout(body, 1);
    auto* bottom = new QFrame(this);
    bottom->setFrameShape(QFrame::HLine);
    bottom->setFrameShadow(QFrame::Sunken);
    layout->addWidget(bottom);
    layout->addLayout(buttons);

    validateTimer_->setSingleShot(true);
    validateTimer_->setInterval(120);
    connect(validateTimer_, &QTimer::timeout, this, &ProfileEditor::validateNow);
    connect(watcher_, &QFileSystemWatcher::fileChanged, this, &ProfileEditor::checkDisk);
    connect(watcher_, &QFileSystemWatcher::directoryChanged, this, &ProfileEditor::checkDisk);

    pageList_->setCurrentRow(0);
    // Its usual size, but never beyond the screen (a 1024x600 laptop): the pages scroll.
    QSize size(900, 680);
    if (const QScreen* sc = screen()) size = size.boundedTo(sc->availableGeometry().size() * 0.95);
    resize(size);
    load();
    loadLayers();
}

ProfileEditor::~ProfileEditor() = default;

QString ProfileEditor::builtinPath() const {
    return profiles::builtinPath(name_);
}

void ProfileEditor::load() {
    userPath_ = profiles::userPath(name_);
    tag_ = profiles::tagOf(userPath_);
    askedTag_.reset();
    diskChanged_ = false;
    loaded_ = false;
    QString error;
    auto ref = profiles::find(name_, &error);
    if (ref) {
        builtin_ = ref->builtin;
        filePath_ = ref->path;
        QFile f(filePath_);
        if (!f.open(QIODevice::ReadOnly)) {
            error = tr("cannot read %1: %2").arg(filePath_, f.errorString());
        } else {
            const QByteArray text = f.readAll();
            fileObject_ = builtin_ ? QJsonObject() : profilejson::parseObject(text, &error);
            // A built-in profile is saved as the user's copy that extends it by its own name.
            extends_ = builtin_ ? name_ : fileObject_.value("extends").toString();
            parentShown_ = builtin_            ? profiles::extendsOf(QString::fromUtf8(text))
                           : extends_ == name_ ? tr("the built-in %1").arg(name_)
                                               : extends_;
            if (error.isEmpty()) {
                const QString merged = profiles::mergedJson(filePath_, true, &error);
                if (error.isEmpty()) effective_ = profilejson::parseObject(merged.toUtf8(), &error);
            }
        }
    }
    if (!error.isEmpty()) {
        effective_ = QJsonObject();
        status_->setText(tr("\u26a0 This profile cannot be edited here: %1. Fix the file in a "
                            "text editor, then reopen it.")
                             .arg(error));
        headerTitle_->setText(name_);
        headerInfo_->setText(userPath_);
        for (EditorPage* p : pages_)
            p->setEnabled(false);
        save_->setEnabled(false);
        revert_->setEnabled(false);
        setWindowTitle(tr("%1 \u2014 Layerbox").arg(name_));
        watch();
        return;
    }
    effective_.remove("extends");
    effective_.insert("version", profiles::formatVersion());
    effective_.insert("name", name_);
    for (EditorPage* p : pages_) {
        p->setEnabled(true);
        p->load(effective_);
    }
    general_->setIdentity(name_, parentShown_, builtin_);
    setupInheritance();
    loaded_ = true;
    baseline_ = collect();

    const QString title = effective_.value("title").toString(name_);
    headerTitle_->setText(title);
    QIcon icon = desktopentries::icon(effective_.value("icon").toString());
    if (auto de = desktopentries::find(effective_.value("desktop_entry").toString());
        de && !de->icon.isEmpty())
        icon = desktopentries::icon(de->icon, icon);
    if (icon.isNull()) icon = QIcon::fromTheme("application-x-executable");
    headerIcon_->setPixmap(icon.pixmap(40, 40));
    QString info = builtin_ ? tr("Built-in profile %1. Saving creates your own copy in %2, which "
                                 "then overrides it.")
                                  .arg(name_, userPath_)
                            : tr("%1 \u2014 %2").arg(name_, userPath_);
    if (!builtin_ && !extends_.isEmpty())
        info += QLatin1Char('\n') + (extends_ == name_
                                         ? tr("Your copy of the built-in profile: only what "
                                              "differs from it is stored.")
                                         : tr("Based on %1: only what differs from it is "
                                              "stored.")
                                               .arg(extends_));
    headerInfo_->setText(info);
    setWindowTitle(tr("%1[*] \u2014 Layerbox").arg(title));
    watch();
    validateNow();
}

QJsonObject ProfileEditor::collect() const {
    QJsonObject o = effective_;
    for (EditorPage* p : pages_)
        p->save(o);
    return o;
}

bool ProfileEditor::isModified() const {
    return loaded_ && (diskChanged_ || collect() != baseline_);
}

EditorPage* ProfileEditor::page(const QString& objectName) const {
    for (EditorPage* p : pages_)
        if (p->objectName() == objectName) return p;
    return nullptr;
}

void ProfileEditor::showPage(const QString& objectName) {
    for (int i = 0; i < pages_.size(); ++i)
        if (pages_[i]->objectName() == objectName) pageList_->setCurrentRow(i);
}

void ProfileEditor::scheduleValidation() {
    validateTimer_->start();
    updateState();
}

void ProfileEditor::validateNow() {
    validateTimer_->stop();
    problems_.clear();
    for (EditorPage* p : pages_)
        p->clearDiagnostics();
    if (!loaded_) {
        updateState();
        return;
    }
    const QString text = profilejson::toText(collect());
    const auto diags = profiles::validate(text, name_ + QStringLiteral(".json"), name_);
    QStringList unplaced;
    for (const profiles::Diagnostic& d : diags) {
        const QString& pointer = d.pointer;
        const QString& message = d.message;
        problems_ << (pointer.isEmpty() ? message : pointer + QStringLiteral(": ") + message);
        bool placed = false;
        for (EditorPage* p : pages_)
            if (p->showDiagnostic(pointer, message)) {
                placed = true;
                break;
            }
        if (!placed) unplaced << problems_.last();
    }
    for (int i = 0; i < pages_.size(); ++i) {
        QListWidgetItem* item = pageList_->item(i);
        const int n = pages_[i]->diagnosticCount();
        item->setIcon(n > 0 ? style()->standardIcon(QStyle::SP_MessageBoxWarning)
                            : pages_[i]->icon());
        item->setText(n > 0 ? tr("%1 (%2)").arg(pages_[i]->title()).arg(n) : pages_[i]->title());
    }
    // What Save would write, also while a field is invalid (then Save is disabled): the file
    // with the changed fields, never the expanded profile the checks read.
    QString error;
    QString pending = pendingText(&error);
    // Inherited: what Save would not write (the core's overridesAgainst in pendingText).
    if (error.isEmpty() && !extends_.isEmpty()) {
        const QJsonObject overrides = profilejson::parseObject(pending.toUtf8());
        for (EditorPage* p : pages_)
            p->showInherited(overrides);
    }
    if (!error.isEmpty() && !problems_.isEmpty()) {
        // The core cannot compute overrides of an invalid profile: the file with the fields
        // as they are now.
        QJsonObject file = fileObject_;
        profilejson::applyChanges(file, baseline_, collect());
        if (!extends_.isEmpty()) file.insert("extends", extends_);
        pending = profilejson::toText(file);
        error.clear();
    }
    json_->setText(error.isEmpty() ? pending : error, userPath_, !problems_.isEmpty());
    status_->setProperty("unplaced", unplaced.join(QLatin1Char('\n')));
    updateState();
}

void ProfileEditor::updateState() {
    const bool modified = isModified();
    save_->setEnabled(loaded_ && modified && problems_.isEmpty());
    revert_->setEnabled(loaded_ && modified);
    setWindowModified(modified);
    if (!loaded_) return;
    QString text;
    if (!problems_.isEmpty()) {
        text = problems_.size() == 1
                   ? tr("\u26a0 One problem: Save is disabled until it is fixed.")
                   : tr("\u26a0 %1 problems: Save is disabled until they are fixed.")
                         .arg(problems_.size());
        const QString unplaced = status_->property("unplaced").toString();
        if (!unplaced.isEmpty()) text += QLatin1Char('\n') + unplaced;
    } else if (diskChanged_) {
        text =
            tr("The file changed on disk; you kept your version. Saving asks before "
               "replacing it.");
    } else if (modified) {
        text = tr("Unsaved changes.");
    } else if (builtin_) {
        text = tr("Built-in profile: change anything and save to make your own copy.");
    } else {
        text = tr("No unsaved changes.");
    }
    status_->setText(text);
}

QString ProfileEditor::parentRef() const {
    return extends_.isEmpty() ? QString() : extends_ == name_ ? builtinPath() : extends_;
}

void ProfileEditor::setupInheritance() {
    QString label;
    QJsonObject values;
    if (!extends_.isEmpty()) {
        // The parent as the core resolves it (its own parents merged, defaults filled in):
        // what a field holds when this profile stores no value for it.
        QString error;
        const QString merged = profiles::mergedJson(parentRef(), true, &error);
        if (error.isEmpty()) {
            values = profilejson::parseObject(merged.toUtf8());
            label = extends_ == name_ ? tr("the built-in %1").arg(name_) : extends_;
        }
    }
    for (EditorPage* p : pages_)
        p->setInheritance(label, values);
}

QString ProfileEditor::pendingText(QString* error) const {
    const QJsonObject current = collect();
    if (!extends_.isEmpty()) {
        const QString parent = parentRef();
        QString why;
        const QString r = profiles::overridesAgainst(parent, profilejson::toText(current), &why);
        if (!why.isEmpty()) {
            if (error) *error = why;
            return {};
        }
        QJsonObject out = profilejson::parseObject(r.toUtf8());
        out.insert("extends", extends_);
        for (const char* keep : {"$schema", "$comment"})
            if (fileObject_.contains(keep)) out.insert(keep, fileObject_.value(keep));
        return profilejson::toText(out);
    }
    QJsonObject file = fileObject_;
    profilejson::applyChanges(file, baseline_, current);
    file.insert("version", profiles::formatVersion());
    file.insert("name", name_);
    return profilejson::toText(file);
}

bool ProfileEditor::save() {
    validateNow();
    if (!loaded_ || !problems_.isEmpty()) return false;
    QString error;
    const QString text = pendingText(&error);
    if (!error.isEmpty()) {
        status_->setText(tr("\u26a0 Cannot save: %1").arg(error));
        return false;
    }
    profiles::SaveResult s = profiles::save(name_, text, tag_);
    if (!s.ok && s.stale) {
        Question qn;
        qn.id = questions::kOverwriteProfile;
        qn.title = tr("Profile changed on disk");
        qn.text = tr("\u201c%1\u201d was changed on disk since you opened it.").arg(name_);
        qn.informativeText =
            tr("Replace that version with yours, or reload it and lose your "
               "changes?");
        qn.icon = QMessageBox::Warning;
        qn.choices = {{"overwrite", tr("Replace"), QMessageBox::DestructiveRole},
                      {"reload", tr("Reload"), QMessageBox::ResetRole},
                      {"cancel", tr("Cancel"), QMessageBox::RejectRole}};
        asking_ = true;
        const QString choice = DialogAsker::instance().ask(this, qn).choice;
        asking_ = false;
        if (choice == QLatin1String("reload")) {
            load();
            return false;
        }
        if (choice != QLatin1String("overwrite")) return false;
        s = profiles::save(name_, text, profiles::tagOf(userPath_));
    }
    if (!s.ok) {
        status_->setText(tr("\u26a0 Not saved: %1").arg(s.error));
        return false;
    }
    tag_ = profiles::tagOf(userPath_);
    askedTag_.reset();
    diskChanged_ = false;
    if (builtin_) parentShown_ = tr("the built-in %1").arg(name_);
    builtin_ = false;
    filePath_ = userPath_;
    fileObject_ = profilejson::parseObject(text.toUtf8());
    extends_ = fileObject_.value("extends").toString();
    baseline_ = collect();
    general_->setIdentity(name_, parentShown_, false);
    setupInheritance();
    watch();
    validateNow();
    status_->setText(tr("Saved to %1.").arg(userPath_));
    emit saved(name_);
    return true;
}

bool ProfileEditor::offerChange(const Allowance& change) {
    if (!change.possible()) return false;
    const QString title = tr("Allow this in \u201c%1\u201d").arg(name_);
    if (!loaded_) {
        tellFailure(this, title, status_->text());
        return false;
    }
    if (isModified()) {
        tellFailure(this, title,
                    tr("The editor holds changes you have not saved: save or revert them "
                       "first, so that only this change is saved."));
        return false;
    }
    // Each edit on the page of its field; the first one's field is shown.
    struct Made {
        EditorPage* page;
        QString pointer;
        QJsonValue old;
    };
    QList<Made> made;
    int first = -1;
    for (const Allowance::Edit& e : change.edits) {
        int at = -1;
        for (int i = 0; i < pages_.size() && at < 0; ++i)
            if (pages_[i]->pointers().contains(e.pointer)) at = i;
        if (at < 0) {
            tellFailure(this, title, tr("No field of the editor sets %1.").arg(e.pointer));
            return false;
        }
        if (first < 0) first = at;
        made.append({pages_[at], e.pointer, QJsonValue()});
    }
    const QString before = pendingText();
    for (int i = 0; i < made.size(); ++i) {
        made[i].old = made[i].page->currentValue(made[i].pointer);
        made[i].page->setValue(made[i].pointer, change.edits[i].apply(made[i].old));
    }
    validateNow();
    // The field, with the change in it, in view and focused while the user decides.
    pageList_->setCurrentRow(first);
    if (QWidget* control = made.first().page->controlFor(made.first().pointer)) {
        if (auto* scroll = qobject_cast<QScrollArea*>(stack_->widget(first)))
            scroll->ensureWidgetVisible(control);
        control->setFocus(Qt::OtherFocusReason);
    }
    QString error;
    const QString after = pendingText(&error);
    const QString diff = error.isEmpty() ? textformat::lineChanges(before, after) : error;

    Question qn;
    qn.id = questions::kAllowChange;
    qn.title = title;
    qn.text = tr("Allow %1?").arg(change.what);
    const QString field = change.fieldName();
    if (problems_.isEmpty()) {
        qn.informativeText =
            tr("Saving changes %1 in %2, and nothing else:\n\n%3\n\nA running sandbox "
               "keeps its profile: start it again for the change to apply.")
                .arg(field, userPath_, diff);
        qn.icon = QMessageBox::Warning;
        qn.choices = {{"save", tr("Save"), QMessageBox::AcceptRole},
                      {"cancel", tr("Cancel"), QMessageBox::RejectRole}};
        // Enter does not grant what the user may not have read.
        qn.defaultChoice = QStringLiteral("cancel");
    } else {
        qn.informativeText = tr("The change to %1 cannot be saved:\n%2\n\n%3")
                                 .arg(field, problems_.join(QLatin1Char('\n')), diff);
        qn.icon = QMessageBox::Critical;
        qn.choices = {{"cancel", tr("Close"), QMessageBox::RejectRole}};
    }
    qn.details = after;
    const bool agreed = DialogAsker::instance().ask(this, qn).choice == QLatin1String("save");
    if (agreed && save()) return true;
    // Not agreed (or not saved: the status says why): the field as it was, nothing changed.
    const QString why = status_->text();
    for (auto it = made.crbegin(); it != made.crend(); ++it)
        it->page->setValue(it->pointer, it->old);
    validateNow();
    status_->setText(agreed ? why : tr("Not changed: %1 was not allowed.").arg(change.what));
    return false;
}

void ProfileEditor::revert() {
    load();
}

void ProfileEditor::watch() {
    if (!watcher_->files().isEmpty()) watcher_->removePaths(watcher_->files());
    if (!watcher_->directories().isEmpty()) watcher_->removePaths(watcher_->directories());
    const QString dir = QFileInfo(userPath_).absolutePath();
    if (QFileInfo::exists(dir)) watcher_->addPath(dir);
    if (QFileInfo::exists(userPath_)) watcher_->addPath(userPath_);
}

void ProfileEditor::checkDisk() {
    if (asking_) return;
    // Atomic saves replace the file: watch the new one.
    if (QFileInfo::exists(userPath_) && !watcher_->files().contains(userPath_))
        watcher_->addPath(userPath_);
    const QString now = profiles::tagOf(userPath_);
    if (now == tag_ || (askedTag_ && now == *askedTag_)) return;
    Question qn;
    qn.id = questions::kFileChanged;
    qn.title = tr("Profile changed on disk");
    qn.text = now.isEmpty() ? tr("\u201c%1\u201d was removed from disk.").arg(name_)
                            : tr("\u201c%1\u201d was changed on disk.").arg(name_);
    qn.informativeText = isModified() ? tr("Reload it and lose your unsaved changes, or keep "
                                           "editing your version?")
                                      : tr("Reload it, or keep the version shown here?");
    qn.icon = QMessageBox::Question;
    qn.choices = {{"reload", tr("Reload"), QMessageBox::AcceptRole},
                  {"keep", tr("Keep my version"), QMessageBox::RejectRole}};
    asking_ = true;
    const QString choice = DialogAsker::instance().ask(this, qn).choice;
    asking_ = false;
    if (choice == QLatin1String("reload")) {
        load();
        return;
    }
    askedTag_ = now;
    diskChanged_ = true;
    updateState();
}

void ProfileEditor::loadLayers() {
    LayerboxClient::Options opts;
    opts.reportFailure = false;
    opts.timeoutMs = 15000;
    client_->run(
        LayerboxClient::layerListArgs(), this,
        [this](const CommandResult& r) {
            const QJsonValue v = r.ok() ? r.json() : QJsonValue();
            if (!v.isArray()) {
                files_->setAvailableLayers({}, r.ok() ? tr("unreadable answer") : r.errorLine());
                return;
            }
            QStringList names;
            for (const QJsonValue& l : v.toArray())
                names << l.toObject().value("name").toString();
            files_->setAvailableLayers(names);
        },
        opts);
}

void ProfileEditor::closeEvent(QCloseEvent* event) {
    QSettings(QStringLiteral("Layerbox"), QStringLiteral("layerbox-gui"))
        .setValue("editor/geometry", saveGeometry());
    if (!isModified()) {
        event->accept();
        return;
    }
    Question qn;
    qn.id = questions::kSaveChanges;
    qn.title = tr("Unsaved changes");
    qn.icon = QMessageBox::Warning;
    if (isValid()) {
        qn.text = tr("Save the changes to \u201c%1\u201d?").arg(name_);
        qn.informativeText = tr("Your changes are lost if you don't save them.");
        qn.choices = {{"save", tr("Save"), QMessageBox::AcceptRole},
                      {"discard", tr("Discard"), QMessageBox::DestructiveRole},
                      {"cancel", tr("Cancel"), QMessageBox::RejectRole}};
    } else {
        // No Save to offer: the question must not ask for one.
        qn.text = tr("The changes to \u201c%1\u201d cannot be saved: the profile has problems.")
                      .arg(name_);
        qn.informativeText = tr("Keep editing to fix them, or discard your changes.");
        qn.choices = {{"discard", tr("Discard Changes"), QMessageBox::DestructiveRole},
                      {"cancel", tr("Keep Editing"), QMessageBox::RejectRole}};
        qn.defaultChoice = QStringLiteral("cancel");
    }
    const QString choice = DialogAsker::instance().ask(this, qn).choice;
    if (choice == QLatin1String("discard") || (choice == QLatin1String("save") && save())) {
        event->accept();
        return;
    }
    event->ignore();
}

void ProfileEditor::loadHost() {
    LayerboxClient::Options opts;
    opts.reportFailure = false;  // the notes say it
    client_->run(
        LayerboxClient::doctorArgs(), this,
        [this](const CommandResult& r) {
            // doctor exits non-zero when a check fails but still prints its report.
            HostCapabilities host = HostCapabilities::fromDoctor(r.json().toObject());
            if (!host.known && !r.ok()) host.error = r.errorLine();
            for (EditorPage* p : pages_)
                p->setHost(host);
        },
        opts);
}
