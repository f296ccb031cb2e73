#include "main/profilelistmodel.h"

#include <QDir>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QTimer>

#include "backend/desktopentries.h"

namespace {

constexpr quintptr kGroupId = 0;

QIcon fallbackIcon() {
    return QIcon::fromTheme(QStringLiteral("application-x-executable"),
                            QIcon::fromTheme(QStringLiteral("system-run")));
}

}  // namespace

ProfileListModel::ProfileListModel(QObject* parent)
    : QAbstractItemModel(parent)
    , watcher_(new QFileSystemWatcher(this))
    , reloadTimer_(new QTimer(this)) {
    reloadTimer_->setSingleShot(true);
    reloadTimer_->setInterval(150);
    connect(reloadTimer_, &QTimer::timeout, this, &ProfileListModel::reload);
    connect(watcher_, &QFileSystemWatcher::directoryChanged, reloadTimer_,
            qOverload<>(&QTimer::start));
    reload();
}

void ProfileListModel::reload() {
    const QString userDir = profiles::userProfileDir();
    if (!watcher_->directories().isEmpty()) watcher_->removePaths(watcher_->directories());
    if (QFileInfo::exists(userDir)) watcher_->addPath(userDir);

    // Keep what other parts of the GUI told us (running, changes) across the reload.
    struct Kept {
        int running, paused, changes;
    };
    QHash<QString, Kept> kept;
    for (const auto& g : groups_)
        for (const ProfileEntry& e : g)
            kept.insert(e.name, {e.running, e.paused, e.changes});

    QList<ProfileEntry> fresh[2];
    for (const profiles::ProfileInfo& info : profiles::list()) {
        ProfileEntry e;
        static_cast<profiles::ProfileInfo&>(e) = info;
        if (e.title.isEmpty()) e.title = e.name;
        QIcon icon;
        if (auto de = desktopentries::find(info.desktopEntry); de && !de->icon.isEmpty())
            icon = desktopentries::icon(de->icon);
        if (icon.isNull()) icon = desktopentries::icon(info.icon);
        e.icon = icon.isNull() ? fallbackIcon() : icon;
        if (auto it = kept.constFind(e.name); it != kept.constEnd()) {
            e.running = it->running;
            e.paused = it->paused;
            e.changes = it->changes;
        }
        fresh[e.builtin ? BuiltinGroup : UserGroup].append(e);
    }
    beginResetModel();
    groups_[0] = fresh[0];
    groups_[1] = fresh[1];
    endResetModel();
    emit reloaded();
}

const ProfileEntry* ProfileListModel::entry(const QString& name) const {
    for (const auto& g : groups_)
        for (const ProfileEntry& e : g)
            if (e.name == name) return &e;
    return nullptr;
}

ProfileEntry* ProfileListModel::find(const QString& name, QModelIndex* at) {
    for (int g = 0; g < 2; ++g)
        for (int i = 0; i < groups_[g].size(); ++i)
            if (groups_[g][i].name == name) {
                if (at) *at = index(i, 0, index(g, 0));
                return &groups_[g][i];
            }
    return nullptr;
}

QModelIndex ProfileListModel::indexOf(const QString& name) const {
    for (int g = 0; g < 2; ++g)
        for (int i = 0; i < groups_[g].size(); ++i)
            if (groups_[g][i].name == name) return index(i, 0, index(g, 0));
    return {};
}

QStringList ProfileListModel::names() const {
    return userNames() + builtinNames();
}

QStringList ProfileListModel::userNames() const {
    QStringList out;
    for (const ProfileEntry& e : groups_[UserGroup])
        out << e.name;
    return out;
}

QStringList ProfileListModel::builtinNames() const {
    QStringList out;
    for (const ProfileEntry& e : groups_[BuiltinGroup])
        out << e.name;
    return out;
}

void ProfileListModel::setRunning(const QHash<QString, int>& counts,
                                  const QHash<QString, int>& paused) {
    for (int g = 0; g < 2; ++g)
        for (int i = 0; i < groups_[g].size(); ++i) {
            ProfileEntry& e = groups_[g][i];
            const int n = counts.value(e.name, 0);
            const int p = paused.value(e.name, 0);
            if (e.running == n && e.paused == p) continue;
            e.running = n;
            e.paused = p;
            const QModelIndex at = index(i, 0, index(g, 0));
            emit dataChanged(at, at, {RunningRole, PausedRole});
        }
}

void ProfileListModel::setChanges(const QString& name, int count) {
    QModelIndex at;
    ProfileEntry* e = find(name, &at);
    if (!e || e->changes == count) return;
    e->changes = count;
    emit dataChanged(at, at, {ChangesRole});
}

QModelIndex ProfileListModel::index(int row, int column, const QModelIndex& parent) const {
    if (column != 0 || row < 0) return {};
    if (!parent.isValid()) return row < 2 ? createIndex(row, 0, kGroupId) : QModelIndex();
    if (parent.internalId() != kGroupId) return {};
    const int g = parent.row();
    if (row >= groups_[g].size()) return {};
    return createIndex(row, 0, quintptr(g + 1));
}

QModelIndex ProfileListModel::parent(const QModelIndex& child) const {
    if (!child.isValid() || child.internalId() == kGroupId) return {};
    return createIndex(int(child.internalId() - 1), 0, kGroupId);
}

int ProfileListModel::rowCount(const QModelIndex& parent) const {
    if (!parent.isValid()) return 2;
    if (parent.internalId() == kGroupId) return int(groups_[parent.row()].size());
    return 0;
}

int ProfileListModel::columnCount(const QModelIndex&) const {
    return 1;
}

const ProfileEntry* ProfileListModel::entryAt(const QModelIndex& index) const {
    if (!index.isValid() || index.internalId() == kGroupId) return nullptr;
    const auto& g = groups_[index.internalId() - 1];
    return index.row() < g.size() ? &g[index.row()] : nullptr;
}

QVariant ProfileListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid()) return {};
    if (index.internalId() == kGroupId) {
        const int count = int(groups_[index.row()].size());
        switch (role) {
            case Qt::DisplayRole:
                return index.row() == UserGroup ? tr("Your profiles (%1)").arg(count)
                                                : tr("Built-in profiles (%1)").arg(count);
            case Qt::AccessibleTextRole:
                return index.row() == UserGroup ? tr("Your profiles") : tr("Built-in profiles");
            case IsGroupRole:
                return true;
            case BuiltinRole:
                return index.row() == BuiltinGroup;
            default:
                return {};
        }
    }
    const ProfileEntry* e = entryAt(index);
    if (!e) return {};
    switch (role) {
        case Qt::DisplayRole:
        case TitleRole:
            return e->title;
        case Qt::DecorationRole:
            return e->icon;
        case Qt::ToolTipRole: {
            QString tip = QStringLiteral("<b>%1</b> (%2)").arg(e->title.toHtmlEscaped(), e->name);
            if (!e->description.isEmpty())
                tip += QStringLiteral("<br>") + e->description.toHtmlEscaped();
            if (!e->valid) tip += QStringLiteral("<br><b>%1</b>").arg(e->error.toHtmlEscaped());
            tip += QStringLiteral("<br><small>%1</small>").arg(e->path.toHtmlEscaped());
            return tip;
        }
        case Qt::AccessibleTextRole: {
            QString text = e->title;
            if (e->running > e->paused) text += QLatin1String(", ") + tr("running");
            if (e->paused > 0) text += QLatin1String(", ") + tr("paused");
            if (e->changes > 0)
                text += QLatin1String(", ") +
                        (e->changes == 1 ? tr("1 change") : tr("%1 changes").arg(e->changes));
            return text;
        }
        case NameRole:
            return e->name;
        case DescriptionRole:
            return e->description;
        case BuiltinRole:
            return e->builtin;
        case RunningRole:
            return e->running;
        case PausedRole:
            return e->paused;
        case ChangesRole:
            return e->changes;
        case PathRole:
            return e->path;
        case IsGroupRole:
            return false;
        case ValidRole:
            return e->valid;
        case ErrorRole:
            return e->error;
        case SearchTextRole:
            return e->name + QLatin1Char(' ') + e->title + QLatin1Char(' ') + e->description;
        default:
            return {};
    }
}

Qt::ItemFlags ProfileListModel::flags(const QModelIndex& index) const {
    if (!index.isValid()) return Qt::NoItemFlags;
    if (index.internalId() == kGroupId) return Qt::ItemIsEnabled;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable;
}

ProfileFilterModel::ProfileFilterModel(QObject* parent) : QSortFilterProxyModel(parent) {
    setRecursiveFilteringEnabled(false);
}

void ProfileFilterModel::setSearch(const QString& text) {
    search_ = text.trimmed();
    invalidateFilter();
}

bool ProfileFilterModel::filterAcceptsRow(int row, const QModelIndex& parent) const {
    const QModelIndex i = sourceModel()->index(row, 0, parent);
    if (i.data(ProfileListModel::IsGroupRole).toBool()) return true;  // groups always show
    if (search_.isEmpty()) return true;
    const QString hay = i.data(ProfileListModel::SearchTextRole).toString();
    const QStringList words = search_.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    for (const QString& w : words)
        if (!hay.contains(w, Qt::CaseInsensitive)) return false;
    return true;
}
