#include "main/changesmodel.h"

#include <QDateTime>
#include <QIcon>
#include <QJsonObject>

#include "common/textformat.h"

ChangesModel::ChangesModel(QObject* parent) : QStandardItemModel(parent) {
    setColumnCount(ColumnCount);
    setHorizontalHeaderLabels({tr("Name"), tr("Change"), tr("Size"), tr("Modified")});
}

QString ChangesModel::kindLabel(const QString& kind) {
    if (kind == QLatin1String("added")) return tr("added");
    if (kind == QLatin1String("modified")) return tr("modified");
    if (kind == QLatin1String("deleted")) return tr("deleted");
    if (kind == QLatin1String("replaced")) return tr("replaced");
    return kind;
}

QStandardItem* ChangesModel::folder(const QString& path) {
    if (path.isEmpty() || path == QLatin1String("/")) return invisibleRootItem();
    if (auto it = byPath_.constFind(path); it != byPath_.constEnd()) return *it;
    const int slash = path.lastIndexOf(QLatin1Char('/'));
    QStandardItem* parent = folder(path.left(slash));
    auto* name = new QStandardItem(QIcon::fromTheme(QStringLiteral("folder")), path.mid(slash + 1));
    name->setData(path, PathRole);
    name->setData(false, IsEntryRole);
    name->setEditable(false);
    QList<QStandardItem*> row{name};
    for (int c = 1; c < ColumnCount; ++c) {
        auto* i = new QStandardItem;
        i->setEditable(false);
        row << i;
    }
    parent->appendRow(row);
    byPath_.insert(path, name);
    return name;
}

void ChangesModel::setEntries(const QJsonArray& entries) {
    removeRows(0, rowCount());
    byPath_.clear();
    byKind_.clear();
    entries_ = 0;
    for (const QJsonValue& v : entries) {
        const QJsonObject o = v.toObject();
        QString path = o.value("path").toString();
        if (!path.startsWith(QLatin1Char('/'))) continue;
        while (path.size() > 1 && path.endsWith(QLatin1Char('/')))
            path.chop(1);
        const QString kind = o.value("kind").toString();
        const QString type = o.value("type").toString();
        QStandardItem* name = folder(path);  // creates it, with its parents
        QStandardItem* parent = name->parent() ? name->parent() : invisibleRootItem();
        const int row = name->row();
        QIcon icon;
        if (kind == QLatin1String("deleted"))
            icon = QIcon::fromTheme(QStringLiteral("edit-delete"));
        else if (type == QLatin1String("dir"))
            icon = QIcon::fromTheme(QStringLiteral("folder"));
        else
            icon = QIcon::fromTheme(QStringLiteral("text-x-generic"));
        name->setIcon(icon);
        name->setData(kind, KindRole);
        name->setData(type, TypeRole);
        name->setData(true, IsEntryRole);
        const qint64 size = o.value("size").toInteger();
        name->setData(size, SizeRole);
        parent->child(row, KindColumn)->setText(kindLabel(kind));
        parent->child(row, KindColumn)->setData(kind, KindRole);
        if (type != QLatin1String("dir") && kind != QLatin1String("deleted")) {
            parent->child(row, SizeColumn)->setText(textformat::bytes(size));
            parent->child(row, SizeColumn)->setData(size, SizeRole);
            parent->child(row, SizeColumn)->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        }
        if (o.value("mtime").isDouble()) {
            const QDateTime t = QDateTime::fromSecsSinceEpoch(o.value("mtime").toInteger());
            parent->child(row, TimeColumn)->setText(QLocale().toString(t, QLocale::ShortFormat));
            parent->child(row, TimeColumn)->setData(t.toSecsSinceEpoch(), SizeRole);
        }
        ++byKind_[kind];
        ++entries_;
    }
    compact(invisibleRootItem());
}

void ChangesModel::compact(QStandardItem* parent) {
    for (int r = 0; r < parent->rowCount(); ++r) {
        QStandardItem* item = parent->child(r, NameColumn);
        while (!item->data(IsEntryRole).toBool() && item->rowCount() == 1 &&
               !item->child(0, NameColumn)->data(IsEntryRole).toBool()) {
            QStandardItem* only = item->child(0, NameColumn);
            item->setText(item->text() + QLatin1Char('/') + only->text());
            item->setData(only->data(PathRole), PathRole);
            // The merged row stands for every folder it swallowed.
            for (auto it = byPath_.begin(); it != byPath_.end(); ++it)
                if (it.value() == only) it.value() = item;
            QList<QList<QStandardItem*>> rows;
            while (only->rowCount() > 0)
                rows << only->takeRow(0);
            item->removeRow(0);  // `only`, now empty
            for (const auto& row : rows)
                item->appendRow(row);
        }
        compact(item);
    }
}

QStandardItem* ChangesModel::itemFor(const QString& path) const {
    return byPath_.value(path, nullptr);
}

ChangesFilterModel::ChangesFilterModel(QObject* parent) : QSortFilterProxyModel(parent) {
    setRecursiveFilteringEnabled(true);
    setSortRole(ChangesModel::SizeRole);
}

void ChangesFilterModel::setKind(const QString& kind) {
    kind_ = kind;
    invalidateFilter();
}

void ChangesFilterModel::setName(const QString& text) {
    name_ = text.trimmed();
    invalidateFilter();
}

bool ChangesFilterModel::filterAcceptsRow(int row, const QModelIndex& parent) const {
    const QModelIndex i = sourceModel()->index(row, 0, parent);
    if (!i.data(ChangesModel::IsEntryRole).toBool())
        return kind_.isEmpty() && name_.isEmpty();  // folders show when something below does
    if (!kind_.isEmpty() && i.data(ChangesModel::KindRole).toString() != kind_) return false;
    if (!name_.isEmpty() &&
        !i.data(ChangesModel::PathRole).toString().contains(name_, Qt::CaseInsensitive))
        return false;
    return true;
}

bool ChangesFilterModel::lessThan(const QModelIndex& l, const QModelIndex& r) const {
    if (l.column() == ChangesModel::NameColumn || l.column() == ChangesModel::KindColumn)
        return QString::localeAwareCompare(l.data().toString(), r.data().toString()) < 0;
    return l.data(ChangesModel::SizeRole).toLongLong() <
           r.data(ChangesModel::SizeRole).toLongLong();
}
