// "Run sandboxed": a dropped or chosen file, run in a profile. A program is run itself; a
// document is opened with the profile's program. Only the file is made visible, read-only.
// The profiles are listed from the one that lets the program do least (pre-selected: a
// downloaded file deserves the safest), each with what it lets the program reach.
#pragma once

#include <QDialog>

#include "backend/profiles.h"
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
    RunFileDialog(const QString& file, const QStringList& profiles, const ProfileListModel* model,
                  QWidget* parent = nullptr);

    // What a profile lets the program reach ("network, your files read-write"), and a rank
    // of it: 0 for nothing beyond its own sandbox.
    static QString reach(const profiles::ProfileInfo& p);
    static int exposure(const profiles::ProfileInfo& p);

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
