// What a profile's sandbox changed, from `layerbox diff PROFILE --json`: a tree filtered by
// kind and name, a preview of text and image files (read from the sandbox's upper layer),
// and Recover (to the original place or a folder, asking before overwriting), Discard, Reset
// and Commit as layer (with progress).
#pragma once

#include <QWidget>

#include "main/logpanel.h"

class ChangesFilterModel;
class ChangesModel;
class LayerboxClient;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTimer;
class QToolButton;
class QTreeView;

class ChangesView : public QWidget {
    Q_OBJECT

public:
    explicit ChangesView(LayerboxClient* client, QWidget* parent = nullptr);
    // A reason of `layerbox recover` as the GUI says it: its "--to" hint becomes the menu item.
    static QString guiReason(const QString& reason);

    void setProfile(const QString& name);
    QString profile() const { return profile_; }
    void reload();
    // The sandbox of the profile shown runs: its layer is read again every couple of seconds
    // (the list follows what the program changes), and Reset and Commit, which the core refuses
    // while it runs, are disabled with a tooltip saying so.
    void setRunning(bool running);
    bool isRunning() const { return running_; }
    // Read the layer again now, without the loading state (a `new-file` event of the runner).
    void refreshNow() { refreshQuietly(); }
    bool isLoading() const { return loading_; }
    bool isCommitting() const { return committing_; }
    // Recover, discard, reset or commit is under way (a busy bar and what it does are shown,
    // and the actions wait for it): they can take minutes for a large layer.
    bool isBusy() const { return busy_ > 0; }

    ChangesModel* model() const { return model_; }
    ChangesFilterModel* filter() const { return filter_; }
    QTreeView* view() const { return view_; }
    QStringList selectedPaths() const;
    void selectPaths(const QStringList& paths);

    // Empty `toDir`: the original place.
    void recoverSelected(const QString& toDir = {});
    void recoverPaths(const QString& profile, const QStringList& paths, const QString& toDir,
                      const QString& onExisting = {});
    void discardSelected();
    void resetAll();
    void commitAsLayer();

signals:
    void log(LogPanel::Level level, const QString& source, const QString& text);
    void changesCounted(const QString& profile, int count);
    void recovered(const QStringList& targets);
    // A commit stacked the new layer on the profile, which was saved again.
    void profileChanged(const QString& profile);

private:
    void refreshQuietly();
    void showPreview();
    void updateActions();
    void updateSummary();
    void beginBusy(const QString& what);
    void endBusy();

    LayerboxClient* client_;
    QString profile_;
    bool loading_ = false;
    bool committing_ = false;
    int busy_ = 0;
    QLabel* busyLabel_ = nullptr;
    bool running_ = false;
    bool quietInFlight_ = false;
    QTimer* watch_;
    QByteArray lastDiff_;  // the last answer shown, to leave the list alone when it is the same
    int generation_ = 0;
    QString lastError_;
    ChangesModel* model_;
    ChangesFilterModel* filter_;
    QLabel* heading_;
    QComboBox* kind_;
    QLineEdit* search_;
    QToolButton* refresh_;
    QStackedWidget* body_;
    QLabel* status_;
    QTreeView* view_;
    QStackedWidget* preview_;
    QLabel* previewMessage_;
    QPlainTextEdit* previewText_;
    QLabel* previewImage_;
    QPushButton* recover_;
    QPushButton* discard_;
    QPushButton* reset_;
    QPushButton* commit_;
    QProgressBar* progress_;
    QLabel* summary_;
    QString commitTip_;
};
