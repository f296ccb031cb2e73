// A profile's changes (`layerbox diff PROFILE --json`) as a folder tree: added, modified,
// deleted and replaced paths with their size and time, and a filter by kind and name.
#pragma once

#include <QHash>
#include <QJsonArray>
#include <QSortFilterProxyModel>
#include <QStandardItemModel>

class ChangesModel : public QStandardItemModel {
    Q_OBJECT

public:
    enum Column { NameColumn, KindColumn, SizeColumn, TimeColumn, ColumnCount };
    enum Role { PathRole = Qt::UserRole + 1, KindRole, TypeRole, IsEntryRole, SizeRole };

    explicit ChangesModel(QObject* parent = nullptr);

    // Replace everything with one `diff --json` answer.
    void setEntries(const QJsonArray& entries);
    int entryCount() const { return entries_; }
    QHash<QString, int> countByKind() const { return byKind_; }
    // The item of a path, or nullptr.
    QStandardItem* itemFor(const QString& path) const;

    static QString kindLabel(const QString& kind);

private:
    QStandardItem* folder(const QString& path);
    // "tmp" > "demo" > "home" with nothing else in them becomes one row "tmp/demo/home".
    void compact(QStandardItem* parent);

    QHash<QString, QStandardItem*> byPath_;
    QHash<QString, int> byKind_;
    int entries_ = 0;
};

class ChangesFilterModel : public QSortFilterProxyModel {
    Q_OBJECT

public:
    explicit ChangesFilterModel(QObject* parent = nullptr);
    void setKind(const QString& kind);  // empty: every kind
    void setName(const QString& text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

private:
    QString kind_;
    QString name_;
};
