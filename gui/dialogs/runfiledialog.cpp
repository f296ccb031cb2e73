#include "dialogs/runfiledialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QVBoxLayout>
#include <algorithm>

#include "common/textformat.h"
#include "main/profilelistmodel.h"

namespace {

bool homeOf(const QString& host) {
    return host == QLatin1String("~") || host.startsWith(QLatin1String("~/")) ||
           host == QDir::homePath() || host.startsWith(QDir::homePath() + QLatin1Char('/'));
}

}  // namespace

// Ranked by what the program could reach: your files written, the network, the host's X
// server (keystrokes of every window), then reading files, display, sound.
int RunFileDialog::exposure(const profiles::ProfileInfo& p) {
    int n = 0;
    for (const auto& b : p.binds)
        n = qMax(n, b.rw ? (homeOf(b.host) ? 40 : 30) : 10);
    if (p.nat) n += p.firewall == QLatin1String("internet-only") ? 8 : 12;
    if (p.ports > 0) n += 4;
    if (p.x11 == QLatin1String("host")) n += 16;
    if (p.x11 == QLatin1String("isolated") || p.wayland) n += 2;
    if (p.audio != QLatin1String("none") && !p.audio.isEmpty()) n += 2;
    if (p.gpu) n += 1;
    return n;
}

QString RunFileDialog::reach(const profiles::ProfileInfo& p) {
    QStringList out;
    bool rw = false, ro = false;
    for (const auto& b : p.binds)
        (b.rw ? rw : ro) = true;
    if (rw) out << tr("files of yours read-write");
    if (ro && !rw) out << tr("files of yours read-only");
    if (p.nat)
        out << (p.firewall == QLatin1String("internet-only") ? tr("internet") : tr("network"));
    if (p.x11 == QLatin1String("host"))
        out << tr("your X display");
    else if (p.x11 == QLatin1String("isolated") || p.wayland)
        out << tr("a window");
    if (p.audio != QLatin1String("none") && !p.audio.isEmpty()) out << tr("sound");
    if (out.isEmpty()) return tr("safest: nothing of yours, no network, no display");
    return out.join(QStringLiteral(", "));
}

RunFileDialog::RunFileDialog(const QString& file, const QStringList& profiles,
                             const ProfileListModel* model, QWidget* parent)
    : QDialog(parent)
    , file_(QFileInfo(file).absoluteFilePath())
    , model_(model)
    , profile_(new QComboBox(this))
    , asProgram_(new QRadioButton(tr("Run it: it is a &program"), this))
    , asDocument_(new QRadioButton(tr("&Open it with the profile's program"), this))
    , command_(new QLineEdit(this))
    , ephemeral_(new QCheckBox(tr("&Throw away everything it changes when it exits"), this))
    , note_(new QLabel(this)) {
    setObjectName("runFileDialog");
    setWindowTitle(tr("Run Sandboxed"));
    auto* fileLabel = new QLabel(QStringLiteral("<b>%1</b><br>%2")
                                     .arg(QFileInfo(file_).fileName().toHtmlEscaped(),
                                          QFileInfo(file_).absolutePath().toHtmlEscaped()),
                                 this);
    fileLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    profile_->setObjectName("runProfile");
    profile_->setAccessibleName(tr("Profile to run it in"));
    // Least exposure first; the first is pre-selected, whatever the main window shows.
    QList<const ProfileEntry*> entries;
    for (const QString& n : profiles)
        if (const ProfileEntry* e = model_->entry(n)) entries << e;
    std::stable_sort(entries.begin(), entries.end(),
                     [](const ProfileEntry* a, const ProfileEntry* b) {
                         // On a tie the built-in default, made to be the safest.
                         return std::pair(exposure(*a), a->name != QLatin1String("default")) <
                                std::pair(exposure(*b), b->name != QLatin1String("default"));
                     });
    for (const ProfileEntry* e : entries) {
        profile_->addItem(e->icon, tr("%1 (%2) \u2014 %3").arg(e->title, e->name, reach(*e)),
                          e->name);
        profile_->setItemData(profile_->count() - 1, reach(*e), Qt::ToolTipRole);
    }
    profile_->setCurrentIndex(0);
    asProgram_->setObjectName("runAsProgram");
    asDocument_->setObjectName("runAsDocument");
    const bool executable = QFileInfo(file_).isExecutable() && QFileInfo(file_).isFile();
    (executable ? asProgram_ : asDocument_)->setChecked(true);
    command_->setObjectName("runCommand");
    command_->setAccessibleName(tr("Command"));
    ephemeral_->setObjectName("runEphemeral");
    ephemeral_->setToolTip(tr("layerbox run --ephemeral: a throw-away layer"));
    note_->setWordWrap(true);
    note_->setForegroundRole(QPalette::PlaceholderText);
    note_->setText(
        tr("Only this file is made visible inside, read-only: nothing else of its "
           "folder. The profile keeps it until you revoke it (Files given)."));

    auto* form = new QFormLayout;
    form->addRow(tr("File:"), fileLabel);
    form->addRow(tr("&Profile:"), profile_);
    form->addRow(QString(), asProgram_);
    form->addRow(QString(), asDocument_);
    form->addRow(tr("&Command:"), command_);
    form->addRow(QString(), ephemeral_);
    form->addRow(QString(), note_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    QPushButton* run = buttons->addButton(tr("&Run"), QDialogButtonBox::AcceptRole);
    run->setObjectName("runButton");
    run->setIcon(QIcon::fromTheme("media-playback-start"));
    run->setDefault(true);
    connect(buttons, &QDialogButtonBox::accepted, this, [this]() {
        emit runRequested(request());
        accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);

    connect(profile_, &QComboBox::currentIndexChanged, this, &RunFileDialog::update);
    connect(asProgram_, &QRadioButton::toggled, this, &RunFileDialog::update);
    update();
    resize(560, sizeHint().height());
}

void RunFileDialog::update() {
    QStringList argv;
    if (asProgram_->isChecked()) {
        argv << file_;
    } else if (const ProfileEntry* e = model_->entry(profile_->currentData().toString())) {
        argv = e->command;
        argv << file_;
    }
    command_->setText(textformat::command(argv));
}

LaunchRequest RunFileDialog::request() const {
    LaunchRequest r;
    r.profile = profile_->currentData().toString();
    r.command = textformat::splitCommand(command_->text());
    // Exactly this file, at its own path, read-only (layerbox run --file): not its folder.
    r.options << "--file" << file_;
    if (ephemeral_->isChecked()) r.options << "--ephemeral";
    return r;
}
