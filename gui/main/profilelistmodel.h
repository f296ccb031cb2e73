// The profiles as a two-level tree: "Your profiles" and "Built-in profiles", each profile with
// its title, icon (from the application's desktop entry when it has one), whether it is
// running and how many changes wait in its sandbox. Read through the profile library
// (backend/profiles.h).
#pragma once

#include <QAbstractItemModel>
#include <QHash>
#include <QIcon>
#include <QList>
#include <QSortFilterProxyModel>
#include <QStringList>

#include "backend/profiles.h"

class QFileSystemWatcher;
class QTimer;

// A profile as the list shows it: what the core loaded, its icon, and what other parts of
// the GUI found out (running instances, pending changes).
struct ProfileEntry : profiles::ProfileInfo {
    QIcon icon;
    int running = 0;  // instances, paused ones included
    int paused = 0;
    int changes = -1;  // pending changes in its sandbox; -1 when unknown
};

class ProfileListModel : public QAbstractItemModel {
    Q_OBJECT

public:
    enum Role {
        NameRole = Qt::UserRole + 1,
        TitleRole,
        DescriptionRole,
        BuiltinRole,
        RunningRole,
        ChangesRole,
        PathRole,
        IsGroupRole,
        ValidRole,
        ErrorRole,
        SearchTextRole,
        PausedRole,
    };
    enum Group { UserGroup = 0, BuiltinGroup = 1 };

    explicit ProfileListModel(QObject* parent = nullptr);

    // Read every profile again (also done when the user's profile folder changes).
    void reload();

    const ProfileEntry* entry(const QString& name) const;
    QModelIndex indexOf(const QString& name) const;
    QModelIndex groupIndex(Group group) const { return index(group, 0); }
    QStringList names() const;
    QStringList userNames() const;
    QStringList builtinNames() const;

    // Instances per profile (from the running view).
    void setRunning(const QHash<QString, int>& countByProfile,
                    const QHash<QString, int>& pausedByProfile = {});
    void setChanges(const QString& name, int count);

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

signals:
    void reloaded();

private:
    const ProfileEntry* entryAt(const QModelIndex& index) const;
    ProfileEntry* find(const QString& name, QModelIndex* at = nullptr);

    QList<ProfileEntry> groups_[2];
    QFileSystemWatcher* watcher_;
    QTimer* reloadTimer_;
};

// Search over name, title and description; groups stay while a profile in them matches.
class ProfileFilterModel : public QSortFilterProxyModel {
    Q_OBJECT

public:
    explicit ProfileFilterModel(QObject* parent = nullptr);
    void setSearch(const QString& text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    QString search_;
};
