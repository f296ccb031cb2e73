#include "dialogs/newprofilewizard.h"

#include <QButtonGroup>
#include <QDir>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QVBoxLayout>
#include <QWizardPage>

#include "backend/desktopentries.h"
#include "backend/profilejson.h"
#include "backend/profiles.h"
#include "common/textformat.h"
#include "dialogs/dialogasker.h"

namespace {

constexpr int kEntryRole = Qt::UserRole;
constexpr int kCommandRole = Qt::UserRole + 1;
constexpr int kIconRole = Qt::UserRole + 2;
constexpr int kNameRole = Qt::UserRole + 3;

QJsonArray array(const QStringList& l) {
    QJsonArray a;
    for (const QString& s : l)
        a.append(s);
    return a;
}

}  // namespace

// Step 1: what to run, and the profile's name.
class WizardApplicationPage : public QWizardPage {
    Q_OBJECT

public:
    explicit WizardApplicationPage(NewProfileWizard* w) : w_(w) {
        setObjectName("applicationPage");
        setTitle(NewProfileWizard::tr("What do you want to run?"));
        setSubTitle(
            NewProfileWizard::tr("An application installed on this computer, or a "
                                 "program file such as something you downloaded."));
    }
    bool isComplete() const override {
        if (!w_->nameProblem().isEmpty()) return false;
        if (w_->fromApp_->isChecked()) return w_->apps_->currentItem() != nullptr;
        return !w_->program_->text().trimmed().isEmpty();
    }
    void emitComplete() { emit completeChanged(); }

private:
    NewProfileWizard* w_;
};

// Step 2: how much to trust it.
class WizardTrustPage : public QWizardPage {
    Q_OBJECT

public:
    explicit WizardTrustPage(NewProfileWizard* w) : w_(w) {
        setObjectName("trustPage");
        setTitle(NewProfileWizard::tr("How much do you trust it?"));
        setSubTitle(
            NewProfileWizard::tr("You can change every detail later in the profile "
                                 "editor."));
    }

private:
    NewProfileWizard* w_;
};

// Step 3: the profile as it will be saved.
class WizardSummaryPage : public QWizardPage {
    Q_OBJECT

public:
    explicit WizardSummaryPage(NewProfileWizard* w) : w_(w) {
        setObjectName("summaryPage");
        setTitle(NewProfileWizard::tr("Ready"));
        setFinalPage(true);
    }
    void initializePage() override { w_->updateSummary(); }
    bool validatePage() override { return w_->createProfile(); }

private:
    NewProfileWizard* w_;
};

NewProfileWizard::NewProfileWizard(QWidget* parent)
    : QWizard(parent)
    , fromApp_(new QRadioButton(tr("An installed &application"), this))
    , fromProgram_(new QRadioButton(tr("A &program file"), this))
    , appSearch_(new QLineEdit(this))
    , apps_(new QListWidget(this))
    , program_(new QLineEdit(this))
    , name_(new QLineEdit(this))
    , title_(new QLineEdit(this))
    , nameMessage_(new QLabel(this))
    , trust_(new QButtonGroup(this))
    , preview_(new QPlainTextEdit(this))
    , summary_(new QLabel(this))
    , saveMessage_(new QLabel(this)) {
    setObjectName("newProfileWizard");
    setWindowTitle(tr("New Profile"));
    setWizardStyle(QWizard::ModernStyle);
    setOption(QWizard::NoBackButtonOnStartPage);
    setOption(QWizard::HaveHelpButton, false);

    // Page 1 ------------------------------------------------------------------------------
    auto* appPage = new WizardApplicationPage(this);
    fromApp_->setObjectName("fromApplication");
    fromProgram_->setObjectName("fromProgram");
    fromApp_->setAccessibleName(tr("Run an installed application"));
    fromProgram_->setAccessibleName(tr("Run a program file"));
    appSearch_->setObjectName("applicationSearch");
    appSearch_->setPlaceholderText(tr("Search applications"));
    appSearch_->setAccessibleName(tr("Search applications"));
    appSearch_->setClearButtonEnabled(true);
    apps_->setObjectName("applicationList");
    apps_->setAccessibleName(tr("Installed applications"));
    apps_->setIconSize(QSize(24, 24));
    apps_->setUniformItemSizes(true);
    for (const DesktopEntry& e : desktopentries::applications()) {
        auto* item = new QListWidgetItem(
            desktopentries::icon(e.icon, QIcon::fromTheme("application-x-executable")),
            e.comment.isEmpty() ? e.name : tr("%1 \u2014 %2").arg(e.name, e.comment), apps_);
        item->setData(kEntryRole, e.id);
        item->setData(kCommandRole, e.command());
        item->setData(kIconRole, e.icon);
        item->setData(kNameRole, e.name);
        item->setToolTip(e.exec);
    }
    program_->setObjectName("programPath");
    program_->setAccessibleName(tr("Program file"));
    program_->setPlaceholderText(tr("/path/to/program"));
    auto* browse = new QPushButton(tr("&Browse..."), this);
    browse->setObjectName("browseProgram");
    connect(browse, &QPushButton::clicked, this, [this]() {
        PathQuestion pq;
        pq.id = questions::kProgramFile;
        pq.kind = PathQuestion::OpenFile;
        pq.title = tr("Choose a program");
        pq.initial = QDir::homePath();
        const QString f = DialogAsker::instance().askPath(this, pq);
        if (!f.isEmpty()) {
            fromProgram_->setChecked(true);
            program_->setText(f);
        }
    });
    name_->setObjectName("profileName");
    name_->setAccessibleName(tr("Profile name"));
    name_->setPlaceholderText(tr("a-z, 0-9, - and _"));
    name_->setToolTip(profilejson::toolTip(QStringLiteral("/name")));
    title_->setObjectName("profileTitle");
    title_->setAccessibleName(tr("Profile title"));
    title_->setToolTip(profilejson::toolTip(QStringLiteral("/title")));
    nameMessage_->setObjectName("nameMessage");
    nameMessage_->setWordWrap(true);
    nameMessage_->setVisible(false);

    auto* programRow = new QHBoxLayout;
    programRow->addWidget(program_, 1);
    programRow->addWidget(browse);
    auto* form = new QFormLayout;
    form->addRow(tr("Profile &name:"), name_);
    form->addRow(QString(), nameMessage_);
    form->addRow(tr("&Title:"), title_);
    auto* l1 = new QVBoxLayout(appPage);
    l1->addWidget(fromApp_);
    l1->addWidget(appSearch_);
    l1->addWidget(apps_, 1);
    l1->addWidget(fromProgram_);
    l1->addLayout(programRow);
    l1->addSpacing(8);
    l1->addLayout(form);
    fromApp_->setChecked(apps_->count() > 0);
    fromProgram_->setChecked(apps_->count() == 0);
    fromApp_->setEnabled(apps_->count() > 0);

    auto refresh = [this, appPage]() {
        suggestNames();
        appPage->emitComplete();
    };
    connect(fromApp_, &QRadioButton::toggled, this, refresh);
    connect(apps_, &QListWidget::currentRowChanged, this, [this, refresh]() {
        if (apps_->currentItem()) fromApp_->setChecked(true);
        refresh();
    });
    connect(program_, &QLineEdit::textChanged, this, [this, refresh]() {
        if (!program_->text().isEmpty()) fromProgram_->setChecked(true);
        refresh();
    });
    connect(name_, &QLineEdit::textEdited, this, [this]() { nameEdited_ = true; });
    connect(name_, &QLineEdit::textChanged, this, [this, appPage]() {
        const QString problem = nameProblem();
        nameMessage_->setText(problem.isEmpty() ? QString() : QStringLiteral("\u26a0 ") + problem);
        nameMessage_->setVisible(!problem.isEmpty());
        appPage->emitComplete();
    });
    connect(appSearch_, &QLineEdit::textChanged, this, [this](const QString& t) {
        for (int i = 0; i < apps_->count(); ++i)
            apps_->item(i)->setHidden(!apps_->item(i)->text().contains(t, Qt::CaseInsensitive));
    });
    setPage(ApplicationPageId, appPage);

    // Page 2 ------------------------------------------------------------------------------
    auto* trustPage = new WizardTrustPage(this);
    auto* l2 = new QVBoxLayout(trustPage);
    const struct {
        Trust trust;
        const char* name;
        const char* label;
        const char* text;
    } levels[] = {
        {Offline, "trustOffline", QT_TR_NOOP("&Offline"),
         QT_TR_NOOP("No network at all. It gets a window (Wayland, or an X11 display of its "
                    "own) and a private home of its own; none of your files. For documents, games "
                    "and anything you "
                    "are unsure of.")},
        {InternetOnly, "trustInternet", QT_TR_NOOP("&Internet only"),
         QT_TR_NOOP("It can reach the internet but not your local network or services on "
                    "this computer. A window and sound; a private home; files it saves in its "
                    "Downloads are offered to you when it exits.")},
        {FullDesktop, "trustDesktop", QT_TR_NOOP("&Full desktop"),
         QT_TR_NOOP("Open network, sound, GPU, notifications and portals. It sees your home "
                    "read-only (except ~/.ssh and ~/.gnupg); what it changes is kept apart for "
                    "you to review.")},
    };
    for (const auto& lv : levels) {
        auto* b = new QRadioButton(tr(lv.label), trustPage);
        b->setObjectName(QString::fromLatin1(lv.name));
        QFont f = b->font();
        f.setBold(true);
        b->setFont(f);
        b->setAccessibleName(tr(lv.label).remove(QLatin1Char('&')));
        b->setAccessibleDescription(tr(lv.text));
        auto* text = new QLabel(tr(lv.text), trustPage);
        text->setWordWrap(true);
        text->setIndent(24);
        text->setForegroundRole(QPalette::PlaceholderText);
        text->setBuddy(b);
        trust_->addButton(b, lv.trust);
        trustButtons_[lv.trust] = b;
        l2->addWidget(b);
        l2->addWidget(text);
        l2->addSpacing(10);
    }
    l2->addStretch();
    trustButtons_[Offline]->setChecked(true);
    setPage(TrustPageId, trustPage);

    // Page 3 ------------------------------------------------------------------------------
    auto* summaryPage = new WizardSummaryPage(this);
    summary_->setObjectName("wizardSummary");
    summary_->setWordWrap(true);
    preview_->setObjectName("profilePreview");
    preview_->setAccessibleName(tr("The new profile"));
    preview_->setReadOnly(true);
    preview_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    saveMessage_->setObjectName("saveMessage");
    saveMessage_->setWordWrap(true);
    auto* l3 = new QVBoxLayout(summaryPage);
    l3->addWidget(summary_);
    l3->addWidget(preview_, 1);
    l3->addWidget(saveMessage_);
    setPage(SummaryPageId, summaryPage);

    setButtonText(QWizard::FinishButton, tr("&Create"));
    resize(680, 600);
    suggestNames();
}

QRadioButton* NewProfileWizard::trustButton(Trust trust) const {
    return trustButtons_[trust];
}

QString NewProfileWizard::trustLabel(Trust t) {
    switch (t) {
        case Offline:
            return tr("offline");
        case InternetOnly:
            return tr("internet only");
        case FullDesktop:
            return tr("full desktop");
    }
    return {};
}

void NewProfileWizard::suggestNames() {
    if (nameEdited_) return;
    QString name, title;
    if (fromApp_->isChecked() && apps_->currentItem()) {
        const QString id = apps_->currentItem()->data(kEntryRole).toString();
        DesktopEntry e;
        e.id = id;
        name = e.suggestedProfileName();
        title = apps_->currentItem()->data(kNameRole).toString();
    } else if (!program_->text().trimmed().isEmpty()) {
        const QString base = QFileInfo(program_->text().trimmed()).completeBaseName();
        name = profiles::nameFrom(base);
        title = QFileInfo(program_->text().trimmed()).fileName();
    }
    // Do not suggest a name that is taken.
    QString candidate = name;
    for (int n = 2; !candidate.isEmpty() && profiles::find(candidate); ++n)
        candidate = QStringLiteral("%1-%2").arg(name).arg(n);
    name_->setText(candidate);
    if (title_->text().isEmpty() || !title_->isModified()) title_->setText(title);
}

QString NewProfileWizard::nameProblem() const {
    const QString n = name_->text().trimmed();
    if (n.isEmpty()) return tr("Give the profile a name.");
    if (!profiles::isValidName(n))
        return tr("Use lower-case letters, digits, - and _ (starting with a letter or digit).");
    auto ref = profiles::find(n);
    if (ref && !ref->builtin) return tr("You already have a profile named %1.").arg(n);
    if (ref && ref->builtin)
        return tr("%1 is a built-in profile; choose another name (or edit the built-in one to "
                  "make your own copy).")
            .arg(n);
    return {};
}

NewProfileWizard::Choice NewProfileWizard::choice() const {
    Choice c;
    c.name = name_->text().trimmed();
    c.title = title_->text().trimmed();
    c.trust = static_cast<Trust>(qMax(0, trust_->checkedId()));
    if (fromApp_->isChecked() && apps_->currentItem()) {
        c.desktopEntry = apps_->currentItem()->data(kEntryRole).toString();
        c.command = apps_->currentItem()->data(kCommandRole).toStringList();
        c.icon = apps_->currentItem()->data(kIconRole).toString();
    } else {
        const QString path = program_->text().trimmed();
        c.command = {path};
        c.programFile = path;
    }
    return c;
}

QString NewProfileWizard::profileText(const Choice& c) {
    QJsonObject p{{"version", profiles::formatVersion()}, {"name", c.name}};
    if (!c.title.isEmpty()) p.insert("title", c.title);
    // No description: one naming the trust level chosen here would stay when the network or
    // the home is changed later, and reach the menu entry's Comment. What is in force is shown
    // from the resolved profile (the summary, the list).
    if (!c.icon.isEmpty()) p.insert("icon", c.icon);
    if (!c.desktopEntry.isEmpty()) p.insert("desktop_entry", c.desktopEntry);
    if (!c.command.isEmpty()) p.insert("command", array(c.command));

    QJsonObject fs{{"hide", array({"~/.ssh", "~/.gnupg"})}};
    fs.insert("home", c.trust == FullDesktop ? "overlay" : "private");
    // A program outside the system folders is not in the sandbox unless its folder is.
    if (!c.programFile.isEmpty()) {
        const QString dir = QFileInfo(c.programFile).absolutePath();
        static const QStringList system{"/usr", "/bin", "/sbin", "/lib", "/opt", "/etc"};
        bool inSystem = false;
        for (const QString& s : system)
            inSystem = inSystem || dir == s || dir.startsWith(s + QLatin1Char('/'));
        if (!inSystem && QDir::isAbsolutePath(dir))
            fs.insert("binds", QJsonArray{QJsonObject{{"host", dir}, {"mode", "ro"}}});
    }
    if (c.trust != Offline) fs.insert("recover_watch", array({"~/Downloads"}));
    p.insert("filesystem", fs);

    QJsonObject net{{"mode", c.trust == Offline ? "none" : "nat"}};
    if (c.trust != Offline)
        net.insert("firewall",
                   QJsonObject{{"preset", c.trust == InternetOnly ? "internet-only" : "open"}});
    p.insert("network", net);

    // An X11 program on the desktop's own server can read every keystroke: only "full desktop"
    // gets that; the others get a display of their own.
    QJsonObject desk{{"x11", c.trust == FullDesktop ? "host" : "isolated"}, {"wayland", true}};
    desk.insert("audio", c.trust == Offline        ? "none"
                         : c.trust == InternetOnly ? "pulseaudio"
                                                   : "both");
    desk.insert("gpu", c.trust == FullDesktop);
    if (c.trust == FullDesktop)
        desk.insert("dbus",
                    QJsonObject{{"talk", array({"org.freedesktop.Notifications",
                                                "org.freedesktop.portal.*", "org.a11y.Bus"})}});
    p.insert("desktop", desk);
    if (c.trust != FullDesktop) p.insert("resources", QJsonObject{{"memory_max", "4G"}});
    // The activity log (layerbox log, the Activity view): a profile made here is one whose
    // program may misbehave in ways its maker wants to see.
    p.insert("security", QJsonObject{{"seccomp", "default"}, {"activity_log", true}});
    return profilejson::toText(p);
}

void NewProfileWizard::updateSummary() {
    const Choice c = choice();
    summary_->setText(tr("A profile <b>%1</b> (%2) that runs <code>%3</code>, trusted: <b>%4</b>. "
                         "It is saved in your profile folder; the editor can change "
                         "everything in it.")
                          .arg(c.name.toHtmlEscaped(), c.title.toHtmlEscaped(),
                               textformat::command(c.command).toHtmlEscaped(),
                               trustLabel(c.trust)));
    const QString text = profileText(c);
    preview_->setPlainText(text);
    const auto diags = profiles::validate(text, c.name + QStringLiteral(".json"), c.name);
    saveMessage_->setText(diags.isEmpty() ? QString()
                                          : QStringLiteral("\u26a0 ") + diags.front().text);
}

bool NewProfileWizard::createProfile() {
    const Choice c = choice();
    const QString problem = nameProblem();
    if (!problem.isEmpty()) {
        saveMessage_->setText(QStringLiteral("\u26a0 ") + problem);
        return false;
    }
    const profiles::SaveResult s = profiles::save(c.name, profileText(c), QString());
    if (!s.ok) {
        saveMessage_->setText(QStringLiteral("\u26a0 ") + s.error);
        return false;
    }
    created_ = c.name;
    emit profileCreated(c.name);
    return true;
}

#include "newprofilewizard.moc"
