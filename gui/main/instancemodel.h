// Running sandboxes, one row each. Rows come from two sources that agree on the instance id:
// the status events of sandboxes this GUI launched (a row appears on `started` and goes on
// `exited`), and `layerbox ps --json`, which also shows sandboxes started elsewhere.
#pragma once

#include <QAbstractTableModel>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QStringList>

struct Instance {
    QString id;
    QString profile;
    QString state;  // running | paused
    QString network;
    QString x11;  // off | host | isolated
    QString driver;
    bool ephemeral = false;  // a throw-away sandbox: `run` never joins it (no files dropped in)
    QString scope;           // the systemd scope, empty when it runs without one
    QStringList command;
    qint64 pid = 0;
    qint64 runnerPid = 0;
    qint64 startedUnix = 0;  // seconds
    double cpuPercent = -1;
    qint64 memoryBytes = -1;
    int tasks = -1;
    bool fromLaunch = false;  // launched by this GUI: only its `exited` event removes it
    bool inPs = false;        // last seen in `layerbox ps`
    bool psHasCpu = false;    // `ps` reported cpu_usec (not null)
    bool psHasMemory = false;
    bool cpuFromPs = false;  // which counter lastCpuUsec belongs to (cgroup or process)
    qint64 lastCpuUsec = -1;
    qint64 lastSampleMs = 0;
};

class InstanceModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column {
        ProfileColumn,
        PidColumn,
        CommandColumn,
        UptimeColumn,
        CpuColumn,
        MemoryColumn,
        NetworkColumn,
        DisplayColumn,
        StateColumn,
        ColumnCount
    };
    enum Role { IdRole = Qt::UserRole + 1, StateRole, ProfileRole, PidRole, SortRole };

    explicit InstanceModel(QObject* parent = nullptr);

    // From a `started` status event of a sandbox this GUI launched.
    void addStarted(const QJsonObject& event, qint64 runnerPid = 0);
    // From its `exited` event.
    void removeInstance(const QString& id);
    // One `layerbox ps --json` answer; `nowMs` is the monotonic sampling time.
    void applyPs(const QJsonArray& list, qint64 nowMs);
    // CPU and memory from /proc (the program's own process) where `ps` has no numbers: a
    // sandbox `ps` does not list yet, or one without a cgroup to measure.
    void sampleProc(qint64 nowMs);
    void setState(const QString& id, const QString& state);
    // Uptime moves on.
    void tick();

    const Instance* instance(const QString& id) const;
    const Instance* instanceAt(int row) const;
    int rowOf(const QString& id) const;
    QHash<QString, int> countByProfile() const;
    // Of those, the paused ones.
    QHash<QString, int> pausedByProfile() const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

signals:
    void instancesChanged();

private:
    void emitRow(int row);

    QList<Instance> rows_;
    QHash<QString, qint64> recentlyExited_;  // id -> when, so a late `ps` does not revive it
};
