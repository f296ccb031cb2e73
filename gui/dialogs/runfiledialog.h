// "Run sandboxed": a dropped or chosen file, run in a profile. A program is run itself; a
// document is opened with the profile's program. Its folder is made visible read-only.
#pragma once

#include <QDialog>

#include "backend/sandboxlaunch.h"

class ProfileListModel;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QRadioButton;

class RunFileDialog : public QDialog {
    Q_OBJECT

public:
    RunFileDialog(const QString& file, const QStringList& profiles, const QString& current,
                  const ProfileListModel* model, QWidget* parent = nullptr);

    LaunchRequest request() const;
    QComboBox* profileCombo() const { return profile_; }

signals:
    void runRequested(const LaunchRequest& request);

private:
    void update();

    QString file_;
    const ProfileListModel* model_;
    QComboBox* profile_;
    QRadioButton* asProgram_;
    QRadioButton* asDocument_;
    QLineEdit* command_;
    QCheckBox* ephemeral_;
    QLabel* note_;
};
