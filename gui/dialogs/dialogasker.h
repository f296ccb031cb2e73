// The one seam for every question the GUI puts to the user: "save changes?", "delete?",
// "overwrite?", a name, a file. Screens never open a QMessageBox, QInputDialog or QFileDialog
// themselves; they call DialogAsker::instance(). Tests install their own asker that answers
// from a script, so a modal dialog never blocks an offscreen test.
#pragma once

#include <QList>
#include <QMessageBox>
#include <QString>
#include <optional>

class QWidget;

// Stable ids of the questions (tests answer by id).
namespace questions {
inline const QString kSaveChanges = QStringLiteral("save-changes");  // save|discard|cancel
inline const QString kFileChanged = QStringLiteral("file-changed");  // reload|keep
inline const QString kOverwriteProfile = QStringLiteral("overwrite-profile");  // overwrite|cancel
inline const QString kDeleteProfile = QStringLiteral("delete-profile");    // delete|cancel (+box)
inline const QString kReplaceProfile = QStringLiteral("replace-profile");  // replace|cancel
inline const QString kOverwriteFiles =
    QStringLiteral("overwrite-files");  // keep-both|overwrite|skip
inline const QString kDiscardChanges = QStringLiteral("discard-changes");  // discard|cancel
inline const QString kResetChanges = QStringLiteral("reset-changes");      // reset|cancel
inline const QString kKillSandbox = QStringLiteral("kill-sandbox");        // kill|cancel
// Files dropped on a running sandbox: read-only (the default) | read-write | cancel.
inline const QString kGiveFiles = QStringLiteral("give-files");
inline const QString kQuitRunning = QStringLiteral("quit-running");  // quit|cancel
// A failure, shown where the action was taken (and in the log).
inline const QString kActionFailed = QStringLiteral("action-failed");    // ok
inline const QString kShortcuts = QStringLiteral("keyboard-shortcuts");  // ok
// What an imported profile lets the program reach, before it is saved.
inline const QString kImportReview = QStringLiteral("import-review");  // import|cancel
// "Allow this" on an activity log entry: the change to the profile, before it is saved.
inline const QString kAllowChange = QStringLiteral("allow-change");  // save|cancel
// Text questions.
inline const QString kDuplicateName = QStringLiteral("duplicate-name");
inline const QString kRenameName = QStringLiteral("rename-name");
inline const QString kImportName = QStringLiteral("import-name");
inline const QString kLaunchCommand = QStringLiteral("launch-command");
inline const QString kLayerName = QStringLiteral("layer-name");
// Path questions.
inline const QString kImportFile = QStringLiteral("import-file");
inline const QString kImportFirejailFile = QStringLiteral("import-firejail-file");
inline const QString kExportFile = QStringLiteral("export-file");
inline const QString kRecoverFolder = QStringLiteral("recover-folder");
inline const QString kRunFile = QStringLiteral("run-file");
inline const QString kProgramFile = QStringLiteral("program-file");
inline const QString kBindFolder = QStringLiteral("bind-folder");
inline const QString kBindFile = QStringLiteral("bind-file");
}  // namespace questions

struct Choice {
    QString id;
    QString label;
    QMessageBox::ButtonRole role = QMessageBox::AcceptRole;
};

struct Question {
    QString id;
    QString title;
    QString text;
    QString informativeText;
    QString details;  // behind "Show Details..." (a long report)
    QMessageBox::Icon icon = QMessageBox::Question;
    QList<Choice> choices;  // the last one is taken when the dialog is dismissed
    QString defaultChoice;  // the button Enter presses; empty: the first choice
    QString checkBox;       // optional check box under the text
    bool checkBoxChecked = false;
};

struct Answer {
    QString choice;  // the id of the chosen Choice; the last (cancel-like) one when dismissed
    bool checked = false;
};

struct TextQuestion {
    QString id;
    QString title;
    QString label;
    QString initial;
};

struct PathQuestion {
    enum Kind { OpenFile, SaveFile, Directory };
    QString id;
    Kind kind = OpenFile;
    QString title;
    QString initial;  // directory or suggested file
    QString filter;   // "Profiles (*.json)"
};

class DialogAsker {
public:
    virtual ~DialogAsker() = default;

    virtual Answer ask(QWidget* parent, const Question& question) = 0;
    // std::nullopt when cancelled.
    virtual std::optional<QString> askText(QWidget* parent, const TextQuestion& question) = 0;
    // Empty when cancelled.
    virtual QString askPath(QWidget* parent, const PathQuestion& question) = 0;

    // The asker in use: the one installed with setInstance, else a QMessageBox-based one.
    static DialogAsker& instance();
    // Not owned; nullptr restores the default.
    static void setInstance(DialogAsker* asker);
};

// A failure told where the action was taken (the log dock may be hidden): "Cannot import
// profile", and the core's one-line reason.
void tellFailure(QWidget* parent, const QString& title, const QString& error);

// The real dialogs.
class MessageBoxAsker : public DialogAsker {
public:
    Answer ask(QWidget* parent, const Question& question) override;
    std::optional<QString> askText(QWidget* parent, const TextQuestion& question) override;
    QString askPath(QWidget* parent, const PathQuestion& question) override;
};
