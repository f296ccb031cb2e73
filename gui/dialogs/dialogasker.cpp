#include "dialogs/dialogasker.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QInputDialog>
#include <QPushButton>

namespace {
DialogAsker* g_asker = nullptr;
}

DialogAsker& DialogAsker::instance() {
    static MessageBoxAsker fallback;
    return g_asker ? *g_asker : fallback;
}

void DialogAsker::setInstance(DialogAsker* asker) {
    g_asker = asker;
}

void tellFailure(QWidget* parent, const QString& title, const QString& error) {
    Question q;
    q.id = questions::kActionFailed;
    q.title = title;
    q.text = title;
    q.informativeText = error;
    q.icon = QMessageBox::Critical;
    q.choices = {{"ok", QObject::tr("OK"), QMessageBox::AcceptRole}};
    DialogAsker::instance().ask(parent, q);
}

Answer MessageBoxAsker::ask(QWidget* parent, const Question& q) {
    QMessageBox box(parent);
    box.setObjectName(q.id);
    box.setIcon(q.icon);
    box.setWindowTitle(q.title);
    box.setText(q.text);
    box.setInformativeText(q.informativeText);
    if (!q.details.isEmpty()) box.setDetailedText(q.details);
    QList<QPair<QAbstractButton*, QString>> buttons;
    for (const Choice& c : q.choices) {
        QPushButton* b = box.addButton(c.label, c.role);
        b->setObjectName(c.id);
        buttons.append({b, c.id});
        if (q.defaultChoice.isEmpty() ? buttons.size() == 1 : c.id == q.defaultChoice)
            box.setDefaultButton(b);
    }
    QCheckBox* check = nullptr;
    if (!q.checkBox.isEmpty()) {
        check = new QCheckBox(q.checkBox, &box);
        check->setChecked(q.checkBoxChecked);
        box.setCheckBox(check);
    }
    box.exec();
    Answer a;
    a.choice = q.choices.isEmpty() ? QString() : q.choices.last().id;
    for (const auto& [button, id] : buttons)
        if (box.clickedButton() == button) a.choice = id;
    a.checked = check && check->isChecked();
    return a;
}

std::optional<QString> MessageBoxAsker::askText(QWidget* parent, const TextQuestion& q) {
    bool ok = false;
    QString text =
        QInputDialog::getText(parent, q.title, q.label, QLineEdit::Normal, q.initial, &ok);
    if (!ok) return std::nullopt;
    return text;
}

QString MessageBoxAsker::askPath(QWidget* parent, const PathQuestion& q) {
    switch (q.kind) {
        case PathQuestion::OpenFile:
            return QFileDialog::getOpenFileName(parent, q.title, q.initial, q.filter);
        case PathQuestion::SaveFile:
            return QFileDialog::getSaveFileName(parent, q.title, q.initial, q.filter);
        case PathQuestion::Directory:
            return QFileDialog::getExistingDirectory(parent, q.title, q.initial);
    }
    return {};
}
