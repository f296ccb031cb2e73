// The profile editor: one page per section of the profile, every control validated by the
// core (profiles::validate) with the message beside it, Save disabled while anything is
// invalid. Saves are atomic and stale-checked (profiles::save with the tag of the file as it
// was read); a profile with a parent is saved as its differences from it
// (profiles::overridesAgainst). Unsaved changes are never dropped silently, and a change of
// the file on disk is noticed and offered for reload.
#pragma once

#include <QJsonObject>
#include <QList>
#include <QPointer>
#include <QWidget>
#include <optional>

struct Allowance;
class EditorPage;
class FilesPage;
class GeneralPage;
class JsonPage;
class LayerboxClient;
class QFileSystemWatcher;
class QLabel;
class QListWidget;
class QPushButton;
class QStackedWidget;
class QTimer;

class ProfileEditor : public QWidget {
    Q_OBJECT

public:
    ProfileEditor(LayerboxClient* client, const QString& profileName, QWidget* parent = nullptr);
    ~ProfileEditor() override;

    QString profileName() const { return name_; }
    // The file Save writes (the user's profile directory).
    QString savePath() const { return userPath_; }
    bool isModified() const;
    bool isValid() const { return loaded_ && problems_.isEmpty(); }
    bool isReadOnly() const { return !loaded_; }
    // "pointer: message" for each problem the validator reports.
    QStringList problems() const { return problems_; }

    QList<EditorPage*> pages() const { return pages_; }
    EditorPage* page(const QString& objectName) const;
    void showPage(const QString& objectName);
    QPushButton* saveButton() const { return save_; }
    QLabel* statusLabel() const { return status_; }

    // What Save would write now.
    QString pendingText(QString* error = nullptr) const;

    // "Allow this" of the activity log: show the field that allows it with the change made,
    // ask with exactly what would change in the file, save only when the user agrees (else
    // put the field back). Refused while the editor holds unsaved changes of the user's,
    // which a save would carry along unseen. True when saved.
    bool offerChange(const Allowance& change);

public slots:
    bool save();
    void revert();
    // Validate now instead of after the short delay that coalesces keystrokes.
    void validateNow();
    // Ask `layerbox doctor --json` again what this host enforces (the notes beside the
    // settings that depend on it).
    void loadHost();

signals:
    void saved(const QString& name);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void load();
    QJsonObject collect() const;
    void scheduleValidation();
    void updateState();
    void watch();
    void checkDisk();
    void loadLayers();
    QString builtinPath() const;
    // The profile this one extends (a name, or the built-in file of its own name); empty
    // when it extends nothing.
    QString parentRef() const;
    // Tell the pages the parent's resolved values, for the inherited marks and Reset.
    void setupInheritance();

    LayerboxClient* client_;
    QString name_;
    QString userPath_;
    QString filePath_;     // what was loaded: the user's file or the built-in one
    QString tag_;          // tag of the user's file when it was read ("" when there was none)
    QString extends_;      // parent saved in the file
    QString parentShown_;  // what the General page says the profile is based on
    bool builtin_ = false;
    bool loaded_ = false;
    bool diskChanged_ = false;  // kept our version of a file changed on disk
    bool asking_ = false;
    std::optional<QString> askedTag_;  // the on-disk version the user chose to keep
    QJsonObject fileObject_;           // the file as read (keys not in the form survive a save)
    QJsonObject effective_;            // merged, defaults filled in, no "extends"
    QJsonObject baseline_;             // collect() right after loading
    QStringList problems_;

    QLabel* headerIcon_;
    QLabel* headerTitle_;
    QLabel* headerInfo_;
    QListWidget* pageList_;
    QStackedWidget* stack_;
    QList<EditorPage*> pages_;
    GeneralPage* general_;
    FilesPage* files_;
    JsonPage* json_;
    QLabel* status_;
    QPushButton* revert_;
    QPushButton* save_;
    QPushButton* close_;
    QTimer* validateTimer_;
    QFileSystemWatcher* watcher_;
};
