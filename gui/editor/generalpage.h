// General: title, description, icon, desktop entry, parent and command.
#pragma once

#include "editor/editorpage.h"

class QLabel;
class QLineEdit;

class GeneralPage : public EditorPage {
    Q_OBJECT

public:
    explicit GeneralPage(QWidget* parent = nullptr);
    void load(const QJsonObject& profile) override;
    // What the profile's file says (the editor knows; the merged profile has no "extends").
    void setIdentity(const QString& name, const QString& extends, bool builtin);

private:
    QLabel* name_;
    QLabel* extends_;
    QLabel* iconPreview_;
    QLineEdit* icon_;
};
