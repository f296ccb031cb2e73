// New profile from a template, in three steps: the application (an installed one, or a
// program file), how much to trust it (offline / internet only / full desktop), and a look at
// the profile before it is saved. The profile is written through the core's ProfileStore.
#pragma once

#include <QStringList>
#include <QWizard>

class QButtonGroup;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QRadioButton;

class NewProfileWizard : public QWizard {
    Q_OBJECT

public:
    enum Trust { Offline, InternetOnly, FullDesktop };
    enum PageId { ApplicationPageId, TrustPageId, SummaryPageId };

    struct Choice {
        QString name;
        QString title;
        QString icon;
        QString desktopEntry;
        QStringList command;
        QString programFile;  // a program outside the system folders: made visible read-only
        Trust trust = Offline;
    };

    explicit NewProfileWizard(QWidget* parent = nullptr);

    // The profile for a choice (pretty JSON). Pure, for tests and the summary page.
    static QString profileText(const Choice& choice);
    static QString trustLabel(Trust trust);

    Choice choice() const;
    QString createdName() const { return created_; }

    // The controls, for tests and the screenshot script.
    QRadioButton* fromApplication() const { return fromApp_; }
    QRadioButton* fromProgram() const { return fromProgram_; }
    QListWidget* applicationList() const { return apps_; }
    QLineEdit* programPath() const { return program_; }
    QLineEdit* profileName() const { return name_; }
    QLineEdit* profileTitle() const { return title_; }
    QRadioButton* trustButton(Trust trust) const;
    QPlainTextEdit* preview() const { return preview_; }

    // Write the profile; false (with the reason shown on the last page) when that failed.
    bool createProfile();

signals:
    void profileCreated(const QString& name);

private:
    friend class WizardApplicationPage;
    friend class WizardTrustPage;
    friend class WizardSummaryPage;

    void suggestNames();
    QString nameProblem() const;
    void updateSummary();

    QRadioButton* fromApp_;
    QRadioButton* fromProgram_;
    QLineEdit* appSearch_;
    QListWidget* apps_;
    QLineEdit* program_;
    QLineEdit* name_;
    QLineEdit* title_;
    QLabel* nameMessage_;
    bool nameEdited_ = false;
    QButtonGroup* trust_;
    QRadioButton* trustButtons_[3];
    QPlainTextEdit* preview_;
    QLabel* summary_;
    QLabel* saveMessage_;
    QString created_;
};
