#include "editor/generalpage.h"

#include <QFormLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>

#include "backend/desktopentries.h"
#include "common/textformat.h"

GeneralPage::GeneralPage(QWidget* parent)
    : EditorPage(tr("General"), QStringLiteral("document-properties"), parent) {
    setObjectName("generalPage");
    QFormLayout* id = addSection(tr("Identity"));
    name_ = addInfo(id, tr("Name:"), QStringLiteral("/name"));
    extends_ = addInfo(id, tr("Based on:"), QStringLiteral("/extends"));
    addText(id, tr("&Title:"), QStringLiteral("/title"), tr("Shown in menus and in this window"));
    addText(id, tr("&Description:"), QStringLiteral("/description"),
            tr("One sentence on what this profile is for"));

    iconPreview_ = new QLabel(this);
    iconPreview_->setFixedSize(24, 24);
    iconPreview_->setAccessibleName(tr("Icon preview"));
    QFormLayout* look = addSection(tr("Application"));
    icon_ = addText(look, tr("&Icon:"), QStringLiteral("/icon"),
                    tr("An icon name (firefox-esr) or an image file"), iconPreview_);
    addText(look, tr("Desktop &entry:"), QStringLiteral("/desktop_entry"),
            tr("The application's own .desktop file, for its name and icon"));

    auto* command = new QLineEdit(this);
    command->setPlaceholderText(tr("Program and arguments, e.g. firefox-esr --new-instance"));
    addCustom(
        look, tr("&Command:"), QStringLiteral("/command"), command,
        [command](const QJsonValue& v) {
            QStringList argv;
            for (const QJsonValue& a : v.toArray())
                argv << a.toString();
            command->setText(textformat::command(argv));
        },
        [command]() -> QJsonValue {
            const QStringList argv = textformat::splitCommand(command->text());
            if (argv.isEmpty()) return QJsonValue(QJsonValue::Undefined);
            QJsonArray a;
            for (const QString& s : argv)
                a.append(s);
            return a;
        });
    connect(command, &QLineEdit::textChanged, this, &GeneralPage::emitChanged);
    addNote(look, tr("Quote arguments with spaces as in a shell: sh -c 'sleep 2'. Leave empty to "
                     "give a command at each launch."));
    finish();

    connect(icon_, &QLineEdit::textChanged, this, [this](const QString& t) {
        iconPreview_->setPixmap(desktopentries::icon(t.trimmed()).pixmap(24, 24));
    });
}

void GeneralPage::load(const QJsonObject& profile) {
    EditorPage::load(profile);
    iconPreview_->setPixmap(desktopentries::icon(icon_->text().trimmed()).pixmap(24, 24));
}

void GeneralPage::setIdentity(const QString& name, const QString& extends, bool builtin) {
    name_->setText(builtin ? tr("%1 (built-in; saving makes your own copy)").arg(name) : name);
    extends_->setText(extends.isEmpty()
                          ? tr("nothing (a complete profile)")
                          : tr("%1 (this profile only stores what differs)").arg(extends));
}
