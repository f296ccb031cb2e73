// The main window: the profiles on the left (yours apart from the built-in ones, with search,
// a running indicator and pending changes), the selected profile's summary, the running
// sandboxes, the profile's changes and what its sandbox refused (Activity) on the right, and the
// log at the bottom. Every action is in a menu, the toolbar and the profile list's context menu,
// with a shortcut.
#pragma once

#include <QHash>
#include <QMainWindow>
#include <QPointer>
#include <QStringList>

class ActivityView;
class ChangesView;
class LayerboxClient;
class LogPanel;
class Notifier;
class ProfileEditor;
class ProfileFilterModel;
class ProfileListModel;
class ProfileSummary;
class QDockWidget;
class QLineEdit;
class QTabWidget;
class QTreeView;
class RunningView;
class SandboxLaunch;
struct LaunchRequest;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    LayerboxClient* client() const { return client_; }
    ProfileListModel* profileModel() const { return model_; }
    ProfileFilterModel* profileFilter() const { return filter_; }
    QTreeView* profileView() const { return list_; }
    QLineEdit* searchField() const { return search_; }
    ProfileSummary* summary() const { return summary_; }
    RunningView* runningView() const { return running_; }
    ChangesView* changesView() const { return changes_; }
    ActivityView* activityView() const { return activity_; }
    LogPanel* logPanel() const { return log_; }
    QTabWidget* tabs() const { return tabs_; }
    Notifier* notifier() const { return notifier_; }
    QAction* action(const QString& objectName) const;

    QString selectedProfile() const;
    void selectProfile(const QString& name);
    ProfileEditor* editorFor(const QString& name) const;
    // The profiles the list shows (the search applied), in order.
    QStringList visibleProfiles() const;
    QString shortcutsText() const;
    // The installed README that Help > Documentation opens.
    static QString docsFile();

public slots:
    void newProfile();
    ProfileEditor* editProfile(const QString& name = {});
    void duplicateProfile();
    void renameProfile();
    void deleteProfile();
    void importProfile();
    // Import from Firejail...: a dry run's report and what the profile grants, then the import.
    void importFirejail();
    void exportProfile();
    // Launch `name` (the selected profile when empty) with its own command or `command`.
    SandboxLaunch* launchProfile(const QString& name = {}, const QStringList& command = {},
                                 const QStringList& options = {});
    void launchWithCommand();
    void openTerminal();
    void runSandboxed(const QString& file = {});
    void addToMenu();
    void removeFromMenu();
    void showDoctor();
    void openDocs();
    void showShortcuts();
    void refreshProfiles();
    void refreshChangeCounts();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void fitLogDock();
    void createActions();
    void createMenus();
    void createToolBar();
    void onSelectionChanged();
    void updateActions();
    void trackLaunch(SandboxLaunch* launch);
    void showProfileMenu(const QPoint& pos);
    void countNextChanges();
    void desktopEntry(bool install);
    void refreshGrants();
    void revokeGrant(const QString& path);
    void importFile(const QString& file, const QString& as, bool replace, bool firejail = false);
    // What an import would let the program reach (beyond the built-in default) and, for
    // Firejail, the conversion's report: asked before anything is saved. True to go on.
    bool reviewImport(const QString& name, const QString& from, const QStringList& granted,
                      const QString& report, const QString& details);
    bool ensureEditorsClosed(const QString& name);
    void restoreSettings();
    void saveSettings();

    LayerboxClient* client_;
    ProfileListModel* model_;
    ProfileFilterModel* filter_;
    QLineEdit* search_;
    QTreeView* list_;
    ProfileSummary* summary_;
    QTabWidget* tabs_;
    RunningView* running_;
    ChangesView* changes_;
    ActivityView* activity_;
    LogPanel* log_;
    QDockWidget* logDock_;
    Notifier* notifier_;
    class QSplitter* splitter_;
    QHash<QString, QAction*> actions_;
    QHash<QString, QPointer<ProfileEditor>> editors_;
    QStringList changeQueue_;
    bool countingChanges_ = false;
    QString lastCountError_;
    QString keepSelection_;
};
