#include "dialogs/recoverdialog.h"

#include <QDialogButtonBox>
#include <QFileInfo>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

#include "common/textformat.h"
#include "dialogs/dialogasker.h"

RecoverDialog::RecoverDialog(const QString& profile, const QJsonArray& files, QWidget* parent)
    : QDialog(parent), profile_(profile), list_(new QListWidget(this)) {
    setObjectName("recoverDialog");
    setWindowTitle(tr("New files from %1").arg(profile));
    auto* intro = new QLabel(
        tr("The program in \u201c%1\u201d created these files in the folders it may hand "
           "back. They are still inside its sandbox; tick the ones you want to keep.")
            .arg(profile),
        this);
    intro->setWordWrap(true);
    list_->setObjectName("recoverList");
    list_->setAccessibleName(tr("New files"));
    for (const QJsonValue& v : files) {
        const QJsonObject o = v.toObject();
        const QString path = o.value("path").toString();
        auto* item = new QListWidgetItem(
            QIcon::fromTheme("text-x-generic"),
            tr("%1 (%2)").arg(path, textformat::bytes(o.value("size").toInteger())), list_);
        item->setData(Qt::UserRole, path);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Checked);
    }
    auto* buttons = new QDialogButtonBox(this);
    recover_ = buttons->addButton(tr("&Recover"), QDialogButtonBox::AcceptRole);
    recover_->setObjectName("recoverCheckedButton");
    QPushButton* toFolder = buttons->addButton(tr("Recover &to..."), QDialogButtonBox::ActionRole);
    toFolder->setObjectName("recoverCheckedToButton");
    QPushButton* later = buttons->addButton(tr("&Later"), QDialogButtonBox::RejectRole);
    later->setObjectName("recoverLaterButton");
    later->setToolTip(tr("Keep them in the sandbox; the Changes tab lists them"));
    connect(recover_, &QPushButton::clicked, this, [this]() {
        emit recoverRequested(profile_, checkedPaths(), QString());
        accept();
    });
    connect(toFolder, &QPushButton::clicked, this, [this]() {
        PathQuestion q;
        q.id = questions::kRecoverFolder;
        q.kind = PathQuestion::Directory;
        q.title = tr("Recover to folder");
        const QString dir = DialogAsker::instance().askPath(this, q);
        if (dir.isEmpty()) return;
        emit recoverRequested(profile_, checkedPaths(), dir);
        accept();
    });
    connect(later, &QPushButton::clicked, this, &QDialog::reject);
    connect(list_, &QListWidget::itemChanged, this,
            [this]() { recover_->setEnabled(!checkedPaths().isEmpty()); });

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(list_, 1);
    layout->addWidget(buttons);
    resize(520, 320);
}

QStringList RecoverDialog::checkedPaths() const {
    QStringList out;
    for (int i = 0; i < list_->count(); ++i)
        if (list_->item(i)->checkState() == Qt::Checked)
            out << list_->item(i)->data(Qt::UserRole).toString();
    return out;
}
