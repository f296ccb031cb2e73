// The running sandboxes: profile, pid, command, uptime, CPU, memory, network, state, with
// Pause, Resume, Stop and Kill. Refreshed about once a second with `layerbox ps --json`, run
// asynchronously; a refresh never starts while the previous one is still running.
#pragma once

#include <QElapsedTimer>
#include <QWidget>

#include "main/logpanel.h"

class InstanceModel;
class LayerboxClient;
class QLabel;
class QMimeData;
class QPushButton;
class QStackedWidget;
class QTimer;
class QTreeView;
class SandboxLaunch;

class RunningView : public QWidget {
    Q_OBJECT

public:
    explicit RunningView(LayerboxClient* client, QWidget* parent = nullptr);

    InstanceModel* model() const { return model_; }
    QTreeView* view() const { return view_; }
    QString selectedId() const;
    void selectInstance(const QString& id);

    // Start a `ps` now, unless one is in flight.
    void refresh();
    bool refreshInFlight() const { return psInFlight_; }
    int refreshesStarted() const { return psStarted_; }
    void setRefreshInterval(int ms);
    int refreshInterval() const;

    void pauseInstance(const QString& id);
    void resumeInstance(const QString& id);
    void stopInstance(const QString& id);
    void killInstance(const QString& id);
    // Show host files in a running sandbox now (a file dropped on its row), read-only unless
    // `readWrite`: the grant path of `layerbox run` on a running profile (`run --profile P
    // --file F -- true`, or --file-rw).
    void giveFiles(const QString& id, const QStringList& paths, bool readWrite = false);
    // A drop of `paths` on the row of `id`: asks read-only (the default) or read-write, then
    // gives them.
    void askAndGiveFiles(const QString& id, const QStringList& paths);

signals:
    void log(LogPanel::Level level, const QString& source, const QString& text);
    void instancesChanged();
    void filesGiven(const QString& profile);

private:
    void track(SandboxLaunch* launch);
    void control(const QString& verb, const QString& id);
    void onTimer();
    void updateActions();
    void showContextMenu(const QPoint& pos);
    bool eventFilter(QObject* watched, QEvent* event) override;
    // The instance under a drop of local files at `pos` (viewport coordinates), or empty.
    QString dropTarget(const QPoint& pos, const QMimeData* data) const;

    LayerboxClient* client_;
    InstanceModel* model_;
    QTreeView* view_;
    QStackedWidget* stack_;
    QLabel* placeholder_;
    QPushButton* pause_;
    QPushButton* resume_;
    QPushButton* stop_;
    QPushButton* kill_;
    QTimer* timer_;
    QElapsedTimer clock_;
    bool psInFlight_ = false;
    int psStarted_ = 0;
    int psFailures_ = 0;
    QString lastPsError_;
    int ticksToNextPs_ = 0;
};
