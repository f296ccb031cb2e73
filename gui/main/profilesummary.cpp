#include "main/profilesummary.h"

#include <QDir>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QResizeEvent>
#include <QVBoxLayout>

#include "common/textformat.h"
#include "main/profilelistmodel.h"

ProfileSummary::ProfileSummary(QWidget* parent)
    : QWidget(parent)
    , icon_(new QLabel(this))
    , title_(new QLabel(this))
    , subtitle_(new QLabel(this))
    , description_(new QLabel(this))
    , launch_(new QPushButton(QIcon::fromTheme("media-playback-start"), tr("&Launch"), this))
    , edit_(new QPushButton(QIcon::fromTheme("document-properties"), tr("&Edit..."), this))
    , grantsName_(new QLabel(tr("Files given"), this))
    , grants_(new QListWidget(this))
    , revoke_(new QPushButton(QIcon::fromTheme("edit-delete"), tr("Revo&ke"), this)) {
    setObjectName("profileSummary");
    icon_->setFixedSize(48, 48);
    QFont big = title_->font();
    big.setPointSizeF(big.pointSizeF() * 1.5);
    big.setWeight(QFont::DemiBold);
    title_->setFont(big);
    title_->setObjectName("summaryTitle");
    subtitle_->setObjectName("summarySubtitle");
    subtitle_->setForegroundRole(QPalette::PlaceholderText);
    description_->setObjectName("summaryDescription");
    description_->setWordWrap(true);
    launch_->setObjectName("summaryLaunch");
    launch_->setAccessibleName(tr("Launch this profile"));
    launch_->setDefault(true);
    edit_->setObjectName("summaryEdit");
    edit_->setAccessibleName(tr("Edit this profile"));
    connect(launch_, &QPushButton::clicked, this, &ProfileSummary::launchRequested);
    connect(edit_, &QPushButton::clicked, this, &ProfileSummary::editRequested);

    auto* head = new QHBoxLayout;
    head->setSpacing(12);
    head->addWidget(icon_, 0, Qt::AlignTop);
    auto* titles = new QVBoxLayout;
    titles->setSpacing(2);
    titles->addWidget(title_);
    titles->addWidget(subtitle_);
    titles->addWidget(description_);
    head->addLayout(titles, 1);
    auto* buttons = new QVBoxLayout;
    buttons->addWidget(launch_);
    buttons->addWidget(edit_);
    buttons->addStretch();
    head->addLayout(buttons);

    auto* grid = new QGridLayout;
    grid->setHorizontalSpacing(12);
    grid->setVerticalSpacing(2);
    const char* names[6] = {QT_TR_NOOP("Network"), QT_TR_NOOP("Display and sound"),
                            QT_TR_NOOP("Home"),    QT_TR_NOOP("Your files"),
                            QT_TR_NOOP("Limits"),  QT_TR_NOOP("Command")};
    for (int i = 0; i < 6; ++i) {
        factNames_[i] = new QLabel(tr(names[i]), this);
        factNames_[i]->setForegroundRole(QPalette::PlaceholderText);
        facts_[i] = new QLabel(this);
        facts_[i]->setObjectName(QStringLiteral("summaryFact%1").arg(i));
        facts_[i]->setTextInteractionFlags(Qt::TextSelectableByMouse);
        facts_[i]->setWordWrap(true);
        const int row = i / 2, col = (i % 2) * 2;
        grid->addWidget(factNames_[i], row, col, Qt::AlignTop);
        grid->addWidget(facts_[i], row, col + 1, Qt::AlignTop);
    }
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(3, 1);

    // The files given to the sandbox one at a time (layerbox grants): taken back with Revoke, at
    // once in a running sandbox too.
    grantsName_->setForegroundRole(QPalette::PlaceholderText);
    grants_->setObjectName("grantsList");
    grants_->setAccessibleName(tr("Files given to this profile's sandbox"));
    // Up to three rows; on a short screen it gives up height down to one row and scrolls (its
    // default minimum, a scroll area's 70-odd pixels, made the window taller than 600 px).
    const int row = grants_->fontMetrics().height() + 4;
    grants_->setMaximumHeight(3 * row + 2 * grants_->frameWidth());
    grants_->setMinimumHeight(row + 2 * grants_->frameWidth());
    revoke_->setObjectName("revokeGrant");
    revoke_->setAccessibleName(tr("Take the selected file back"));
    revoke_->setEnabled(false);
    connect(grants_, &QListWidget::currentRowChanged, this,
            [this](int row) { revoke_->setEnabled(row >= 0); });
    connect(revoke_, &QPushButton::clicked, this, [this]() {
        if (auto* item = grants_->currentItem())
            emit revokeRequested(item->data(Qt::UserRole).toString());
    });
    // A row of the facts' grid, named like them, across both columns (a heading above the list
    // cost the height a 600 px screen does not have).
    auto* grantsRow = new QHBoxLayout;
    grantsRow->addWidget(grants_, 1);
    grantsRow->addWidget(revoke_, 0, Qt::AlignTop);
    grid->addWidget(grantsName_, 3, 0, Qt::AlignTop);
    grid->addLayout(grantsRow, 3, 1, 1, 3);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(head);
    layout->addSpacing(2);
    layout->addLayout(grid);
    setProfile(nullptr);
    setGrants({});
}

void ProfileSummary::setProfile(const ProfileEntry* e) {
    showProfile(e);
    fitHeight();
}

void ProfileSummary::showProfile(const ProfileEntry* e) {
    launch_->setEnabled(e && e->valid);
    edit_->setEnabled(e);
    for (int i = 0; i < 6; ++i) {
        factNames_[i]->setVisible(e);
        facts_[i]->setVisible(e);
    }
    if (!e) {
        icon_->setPixmap(QIcon::fromTheme("security-high").pixmap(48, 48));
        title_->setText(tr("No profile selected"));
        subtitle_->setText(QString());
        description_->setText(tr("Pick a profile on the left, or create one with New."));
        return;
    }
    icon_->setPixmap(e->icon.pixmap(48, 48));
    title_->setText(e->title);
    QString sub = e->builtin ? tr("%1 \u00b7 built-in profile").arg(e->name)
                  : e->overridesBuiltin
                      ? tr("%1 \u00b7 your profile, replacing the built-in one").arg(e->name)
                      : tr("%1 \u00b7 your profile").arg(e->name);
    if (!e->extends.isEmpty() && e->extends != e->name)
        sub += QStringLiteral(" \u00b7 ") + tr("based on %1").arg(e->extends);
    subtitle_->setText(sub);
    if (!e->valid) {
        description_->setText(tr("\u26a0 This profile does not load: %1").arg(e->error));
        for (int i = 0; i < 6; ++i) {
            factNames_[i]->setVisible(false);
            facts_[i]->setVisible(false);
        }
        return;
    }
    description_->setText(e->description);

    QString net;
    if (!e->nat)
        net = tr("None");
    else if (e->firewall == QLatin1String("internet-only"))
        net = tr("Internet only (no LAN, no host)");
    else if (e->firewall == QLatin1String("host-only"))
        net = tr("This computer only");
    else
        net = tr("Open");
    if (e->ports > 0)
        net += e->ports == 1 ? tr(", 1 port forwarded") : tr(", %1 ports forwarded").arg(e->ports);
    // The allow-list is what the program can reach at all: said, not hidden behind "Internet".
    if (e->nat && !e->allowDomains.isEmpty())
        net += tr("; only %1").arg(e->allowDomains.join(QStringLiteral(", ")));
    if (e->nat && !e->denyDomains.isEmpty())
        net += tr("; never %1").arg(e->denyDomains.join(QStringLiteral(", ")));
    facts_[0]->setText(net);

    QStringList desk;
    // A Wayland client reaches what the compositor offers every client (doctor lists it).
    if (e->wayland) desk << tr("Wayland (what your compositor allows any program: see Doctor)");
    // Never claim isolation that is not in force: "host" is named for what it gives away.
    if (e->x11 == QLatin1String("isolated")) {
        desk << tr("X11 (a display of its own)");
        if (e->clipboard == QLatin1String("in"))
            desk << tr("clipboard: pastes in (it reads what you copy)");
        else if (e->clipboard == QLatin1String("out"))
            desk << tr("clipboard: copies out");
        else if (e->clipboard == QLatin1String("both"))
            desk << tr("clipboard: both ways (it reads what you copy)");
        else
            desk << tr("clipboard: its own");
    } else if (e->x11 == QLatin1String("host"))
        desk << tr("X11 (your desktop's: it can read every keystroke)");
    if (e->audio != QLatin1String("none")) desk << tr("sound");
    // The isolated display has no OpenGL (no GLX in the nested server): say so rather than
    // promise acceleration a program drawing through X11 will not get.
    if (e->gpu)
        desk << (e->x11 == QLatin1String("isolated") && !e->wayland
                     ? tr("GPU (not for its X11 windows: their display has no OpenGL)")
                     : tr("GPU"));
    // The portals' file chooser gives only what you pick; opening links runs your own programs
    // outside the sandbox, so which one is in force is said (layerbox profile show's words).
    if (e->portals)
        desk << (e->openUri == QLatin1String("allow")
                     ? tr("portals (opens links with your programs)")
                 : e->openUri == QLatin1String("ask")
                     ? tr("portals (asks you before opening a link)")
                     : tr("portals (opening links denied)"));
    else if (e->openUri == QLatin1String("ask"))
        desk << tr("asks you before opening a link");
    facts_[1]->setText(desk.isEmpty() ? tr("None") : desk.join(QStringLiteral(", ")));

    facts_[2]->setText(homeText(*e, QDir::homePath()));
    QStringList binds;
    for (const auto& b : e->binds) {
        QString h = b.host;
        const QString home = QDir::homePath();
        if (h == home || h.startsWith(home + QLatin1Char('/'))) h.replace(0, home.size(), "~");
        binds << (b.rw ? tr("%1 (read-write)").arg(h) : tr("%1 (read-only)").arg(h));
    }
    facts_[3]->setText(binds.isEmpty() ? tr("None shared") : binds.join(QStringLiteral(", ")));

    QStringList limits;
    if (e->memoryMax) limits << tr("%1 memory").arg(textformat::bytes(*e->memoryMax));
    if (e->tasksMax) limits << tr("%1 tasks").arg(*e->tasksMax);
    if (e->cpuPercent) limits << tr("%1% CPU").arg(*e->cpuPercent);
    facts_[4]->setText(
        (limits.isEmpty() ? tr("None") : limits.join(QStringLiteral(", "))) + QStringLiteral("; ") +
        (e->lifetime == QLatin1String("main") ? tr("ends with the program's first process")
                                              : tr("ends when its last process does")));

    facts_[5]->setText(e->command.isEmpty() ? tr("None: give one at launch")
                                            : textformat::command(e->command));
}

void ProfileSummary::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    if (event->oldSize().width() != event->size().width()) fitHeight();
}

QSize ProfileSummary::sizeHint() const {
    QSize s = QWidget::sizeHint();
    // The height its wrapped text needs at the width it has (not at a guessed one): the
    // window's layout gives it that whenever the window has room.
    if (layout() && width() > 0) s.setHeight(layout()->totalHeightForWidth(width()));
    return s;
}

void ProfileSummary::fitHeight() {
    // Only the width decides the height, so this cannot feed back into itself; a hint, not a
    // minimum, so that the window never grows for it.
    updateGeometry();
}

void ProfileSummary::setGrants(const QList<FileGrantItem>& grants) {
    grants_->clear();
    for (const auto& g : grants) {
        QString text = g.rw ? tr("%1 (read-write)").arg(g.path) : tr("%1 (read-only)").arg(g.path);
        if (!g.exists) text += QStringLiteral(" \u00b7 ") + tr("gone");
        auto* item = new QListWidgetItem(text, grants_);
        item->setData(Qt::UserRole, g.path);
    }
    grantsName_->setVisible(!grants.isEmpty());
    grants_->setVisible(!grants.isEmpty());
    revoke_->setVisible(!grants.isEmpty());
    revoke_->setEnabled(false);
    fitHeight();
}

QString ProfileSummary::homeText(const ProfileEntry& e, const QString& home) {
    // Profiles write "~" for the home; the loaded profile may still say so.
    auto expand = [&home](QString p) {
        if (p == QLatin1String("~") || p.startsWith(QLatin1String("~/"))) p.replace(0, 1, home);
        return p;
    };
    auto within = [&expand](const QString& path, const QString& dir) {
        const QString p = expand(path), d = expand(dir);
        return p == d || d == QLatin1String("/") || p.startsWith(d + QLatin1Char('/'));
    };
    // The last bind wins, as in the mount order.
    for (auto b = e.binds.crbegin(); b != e.binds.crend(); ++b) {
        const QString target = b->sandbox.isEmpty() ? b->host : b->sandbox;
        if (!within(home, target)) continue;
        QString hidden;
        QStringList shown;
        for (const QString& h : e.hide)
            if (within(h, home)) shown << expand(h).replace(0, home.size(), QStringLiteral("~"));
        if (!shown.isEmpty()) hidden = tr(" (hidden: %1)").arg(shown.join(QStringLiteral(", ")));
        if (within(home, b->host) && expand(b->host) == expand(target))
            return (b->rw ? tr("Your real home, read-write: the program changes your files "
                               "directly")
                          : tr("Your real home, read-only")) +
                   hidden;
        return (b->rw ? tr("%1 from this computer, read-write, in place of a home")
                      : tr("%1 from this computer, read-only, in place of a home"))
                   .arg(expand(b->host)) +
               hidden;
    }
    if (e.home == QLatin1String("tmpfs")) return tr("Empty, thrown away at exit");
    if (e.home == QLatin1String("overlay")) return tr("Yours, read-only; changes kept apart");
    return tr("Private, kept between runs");
}
