#include "editor/jsonpage.h"

#include <QFontDatabase>
#include <QLabel>
#include <QPlainTextEdit>
#include <QVBoxLayout>

JsonPage::JsonPage(QWidget* parent)
    : EditorPage(tr("JSON"), QStringLiteral("text-x-generic"), parent)
    , text_(new QPlainTextEdit(this))
    , path_(new QLabel(this)) {
    setObjectName("jsonPage");
    path_->setObjectName("jsonPath");
    path_->setWordWrap(true);
    path_->setForegroundRole(QPalette::PlaceholderText);
    path_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    text_->setObjectName("jsonPreview");
    text_->setAccessibleName(tr("The profile file as it will be saved"));
    text_->setReadOnly(true);
    text_->setLineWrapMode(QPlainTextEdit::NoWrap);
    text_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    auto* l = qobject_cast<QVBoxLayout*>(layout());
    l->addWidget(path_);
    l->addWidget(text_, 1);
}

void JsonPage::setText(const QString& text, const QString& path, bool invalid) {
    if (text_->toPlainText() != text) text_->setPlainText(text);
    path_->setText(invalid ? tr("Save would write this to %1 once the problems are fixed").arg(path)
                           : tr("Save writes this to %1").arg(path));
}
