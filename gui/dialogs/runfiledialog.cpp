#include "dialogs/runfiledialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QVBoxLayout>

#include "common/textformat.h"
#include "main/profilelistmodel.h"

RunFileDialog::RunFileDialog(const QString& file, const QStringList& profiles,
                             const QString& current, const ProfileListModel* model, QWidget* parent)
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
    for (const QString& n : profiles) {
        const ProfileEntry* e = model_->entry(n);
        profile_->addItem(e ? e->icon : QIcon(), e ? tr("%1 (%2)").arg(e->title, n) : n, n);
    }
    profile_->setCurrentIndex(qMax(0, profile_->findData(current)));
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
