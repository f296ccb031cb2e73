#include "main/instancemodel.h"

#include <QDateTime>
#include <QFile>
#include <QIcon>

#include <unistd.h>

#include "common/textformat.h"

namespace {

QStringList strings(const QJsonValue& v) {
    QStringList out;
    for (const QJsonValue& s : v.toArray())
        out << s.toString();
    return out;
}

qint64 nowUnix() {
    return QDateTime::currentSecsSinceEpoch();
}

}  // namespace

InstanceModel::InstanceModel(QObject* parent) : QAbstractTableModel(parent) {}

void InstanceModel::addStarted(const QJsonObject& ev, qint64 runnerPid) {
    const QString id = ev.value("instance").toString();
    if (id.isEmpty()) return;
    if (const int r = rowOf(id); r >= 0) {  // `ps` was quicker: the row is ours all the same
        rows_[r].fromLaunch = true;
        if (runnerPid > 0) rows_[r].runnerPid = runnerPid;
        return;
    }
    Instance i;
    i.id = id;
    i.profile = ev.value("profile").toString();
    i.pid = ev.value("pid").toInteger();
    i.runnerPid = runnerPid;
    i.command = strings(ev.value("command"));
    i.network = ev.value("network").toString();
    i.x11 = ev.value("x11").toString();
    i.driver = ev.value("driver").toString();
    i.ephemeral = ev.value("ephemeral").toBool();
    i.scope = ev.value("scope").toString();
    i.state = QStringLiteral("running");
    i.startedUnix = nowUnix();
    i.fromLaunch = true;
    beginInsertRows({}, int(rows_.size()), int(rows_.size()));
    rows_.append(i);
    endInsertRows();
    emit instancesChanged();
}

void InstanceModel::removeInstance(const QString& id) {
    recentlyExited_.insert(id, nowUnix());
    const int r = rowOf(id);
    if (r < 0) return;
    beginRemoveRows({}, r, r);
    rows_.removeAt(r);
    endRemoveRows();
    emit instancesChanged();
}

void InstanceModel::applyPs(const QJsonArray& list, qint64 nowMs) {
    // Forget exits older than a minute.
    for (auto it = recentlyExited_.begin(); it != recentlyExited_.end();)
        it = nowUnix() - it.value() > 60 ? recentlyExited_.erase(it) : std::next(it);

    QHash<QString, QJsonObject> seen;
    QStringList order;  // as `ps` lists them
    for (const QJsonValue& v : list) {
        const QJsonObject o = v.toObject();
        const QString id = o.value("id").toString();
        if (id.isEmpty() || recentlyExited_.contains(id) || seen.contains(id)) continue;
        seen.insert(id, o);
        order << id;
    }
    bool changed = false;
    // Gone from ps: remove, unless this GUI launched it (its exited event will come).
    for (int r = int(rows_.size()) - 1; r >= 0; --r) {
        if (seen.contains(rows_[r].id)) continue;
        if (rows_[r].fromLaunch) {
            rows_[r].inPs = false;
            continue;
        }
        beginRemoveRows({}, r, r);
        rows_.removeAt(r);
        endRemoveRows();
        changed = true;
    }
    for (const QString& id : order) {
        const QJsonObject& o = seen[id];
        int r = rowOf(id);
        if (r < 0) {
            Instance i;
            i.id = id;
            beginInsertRows({}, int(rows_.size()), int(rows_.size()));
            rows_.append(i);
            endInsertRows();
            r = int(rows_.size()) - 1;
            changed = true;
        }
        Instance& i = rows_[r];
        i.inPs = true;
        i.profile = o.value("profile").toString(i.profile);
        if (o.contains("pid")) i.pid = o.value("pid").toInteger();
        if (o.contains("runner_pid")) i.runnerPid = o.value("runner_pid").toInteger();
        if (o.contains("command")) i.command = strings(o.value("command"));
        if (o.contains("started_unix")) i.startedUnix = o.value("started_unix").toInteger();
        const QString state = o.value("state").toString();
        if (!state.isEmpty() && state != i.state) {
            i.state = state;
            changed = true;
        }
        i.network = o.value("network").toString(i.network);
        i.x11 = o.value("x11").toString(i.x11);
        i.driver = o.value("driver").toString(i.driver);
        i.ephemeral = o.value("ephemeral").toBool(i.ephemeral);
        i.psHasMemory = o.value("memory_bytes").isDouble();
        i.memoryBytes = i.psHasMemory ? o.value("memory_bytes").toInteger() : -1;
        i.tasks = o.value("tasks").isDouble() ? o.value("tasks").toInt() : -1;
        i.psHasCpu = o.value("cpu_usec").isDouble();
        if (i.psHasCpu) {
            const qint64 usec = o.value("cpu_usec").toInteger();
            // The scope's counter replaces the program's own (from /proc): never subtract one
            // from the other.
            if (!i.cpuFromPs) i.lastCpuUsec = -1;
            i.cpuFromPs = true;
            if (i.lastCpuUsec >= 0 && nowMs > i.lastSampleMs)
                i.cpuPercent = double(usec - i.lastCpuUsec) / 10.0 / double(nowMs - i.lastSampleMs);
            i.lastCpuUsec = usec;
            i.lastSampleMs = nowMs;
        }
        emitRow(r);
    }
    if (changed) emit instancesChanged();
}

void InstanceModel::sampleProc(qint64 nowMs) {
    static const long ticks = ::sysconf(_SC_CLK_TCK);
    static const long page = ::sysconf(_SC_PAGESIZE);
    for (int r = 0; r < rows_.size(); ++r) {
        Instance& i = rows_[r];
        const bool needCpu = !(i.inPs && i.psHasCpu), needMemory = !(i.inPs && i.psHasMemory);
        if ((!needCpu && !needMemory) || i.pid <= 0) continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(i.pid));
        if (!stat.open(QIODevice::ReadOnly)) continue;
        const QByteArray s = stat.readAll();
        const int close = s.lastIndexOf(')');
        if (close < 0) continue;
        // Fields after "(comm) ": state is field 3; utime and stime are fields 14 and 15.
        const QList<QByteArray> f = s.mid(close + 2).split(' ');
        if (f.size() < 13) continue;
        const qint64 usec = (f[11].toLongLong() + f[12].toLongLong()) * 1000000 / ticks;
        if (needCpu) {
            if (i.cpuFromPs) i.lastCpuUsec = -1;
            i.cpuFromPs = false;
            if (i.lastCpuUsec >= 0 && nowMs > i.lastSampleMs)
                i.cpuPercent = double(usec - i.lastCpuUsec) / 10.0 / double(nowMs - i.lastSampleMs);
            i.lastCpuUsec = usec;
            i.lastSampleMs = nowMs;
        }
        QFile statm(QStringLiteral("/proc/%1/statm").arg(i.pid));
        if (needMemory && statm.open(QIODevice::ReadOnly)) {
            const QList<QByteArray> m = statm.readAll().split(' ');
            if (m.size() > 1) i.memoryBytes = m[1].toLongLong() * page;
        }
        emitRow(r);
    }
}

void InstanceModel::setState(const QString& id, const QString& state) {
    const int r = rowOf(id);
    if (r < 0 || rows_[r].state == state) return;
    rows_[r].state = state;
    emitRow(r);
    emit instancesChanged();
}

void InstanceModel::tick() {
    if (rows_.isEmpty()) return;
    emit dataChanged(index(0, UptimeColumn), index(int(rows_.size()) - 1, UptimeColumn),
                     {Qt::DisplayRole});
}

const Instance* InstanceModel::instance(const QString& id) const {
    const int r = rowOf(id);
    return r < 0 ? nullptr : &rows_[r];
}

const Instance* InstanceModel::instanceAt(int row) const {
    return row >= 0 && row < rows_.size() ? &rows_[row] : nullptr;
}

int InstanceModel::rowOf(const QString& id) const {
    for (int r = 0; r < rows_.size(); ++r)
        if (rows_[r].id == id) return r;
    return -1;
}

QHash<QString, int> InstanceModel::countByProfile() const {
    QHash<QString, int> out;
    for (const Instance& i : rows_)
        ++out[i.profile];
    return out;
}

QHash<QString, int> InstanceModel::pausedByProfile() const {
    QHash<QString, int> out;
    for (const Instance& i : rows_)
        if (i.state == QLatin1String("paused")) ++out[i.profile];
    return out;
}

int InstanceModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(rows_.size());
}

int InstanceModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant InstanceModel::data(const QModelIndex& index, int role) const {
    const Instance* i = instanceAt(index.row());
    if (!i) return {};
    switch (role) {
        case IdRole:
            return i->id;
        case StateRole:
            return i->state;
        case ProfileRole:
            return i->profile;
        case PidRole:
            return i->pid;
        default:
            break;
    }
    if (role == Qt::TextAlignmentRole) {
        switch (index.column()) {
            case PidColumn:
            case UptimeColumn:
            case CpuColumn:
            case MemoryColumn:
                return int(Qt::AlignRight | Qt::AlignVCenter);
            default:
                return int(Qt::AlignLeft | Qt::AlignVCenter);
        }
    }
    if (role == Qt::DecorationRole && index.column() == StateColumn)
        return QIcon::fromTheme(i->state == QLatin1String("paused")
                                    ? QStringLiteral("media-playback-pause")
                                    : QStringLiteral("media-playback-start"));
    if (role == Qt::ToolTipRole) {
        if (index.column() == CommandColumn) return textformat::command(i->command);
        return i->scope.isEmpty()
                   ? tr("Instance %1, storage driver %2, no systemd scope").arg(i->id, i->driver)
                   : tr("Instance %1, storage driver %2, %3").arg(i->id, i->driver, i->scope);
    }
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
        case ProfileColumn:
            return i->profile;
        case PidColumn:
            return i->pid > 0 ? QString::number(i->pid) : QString();
        case CommandColumn:
            return textformat::command(i->command);
        case UptimeColumn:
            return i->startedUnix > 0 ? textformat::duration(nowUnix() - i->startedUnix)
                                      : QString();
        case CpuColumn:
            return i->cpuPercent >= 0 ? QStringLiteral("%1 %").arg(i->cpuPercent, 0, 'f', 1)
                                      : QString();
        case MemoryColumn:
            return textformat::bytes(i->memoryBytes);
        case NetworkColumn:
            if (i->network == QLatin1String("nat")) return tr("NAT");
            if (i->network == QLatin1String("none")) return tr("none");
            return i->network;
        case DisplayColumn:
            // What the program's X11 display is: its own, or the desktop's (which it can read).
            if (i->x11 == QLatin1String("isolated")) return tr("X11 isolated");
            if (i->x11 == QLatin1String("host")) return tr("X11 host (can read keys)");
            return i->x11.isEmpty() ? QString() : tr("no X11");
        case StateColumn:
            if (i->state == QLatin1String("paused")) return tr("paused");
            if (i->state == QLatin1String("running")) return tr("running");
            return i->state;
    }
    return {};
}

QVariant InstanceModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
        case ProfileColumn:
            return tr("Profile");
        case PidColumn:
            return tr("PID");
        case CommandColumn:
            return tr("Command");
        case UptimeColumn:
            return tr("Uptime");
        case CpuColumn:
            return tr("CPU");
        case MemoryColumn:
            return tr("Memory");
        case NetworkColumn:
            return tr("Network");
        case DisplayColumn:
            return tr("Display");
        case StateColumn:
            return tr("State");
    }
    return {};
}

void InstanceModel::emitRow(int row) {
    emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}
