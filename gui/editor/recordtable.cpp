#include "editor/recordtable.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonObject>
#include <QPushButton>
#include <QRegularExpression>
#include <QStyle>
#include <QTableWidget>
#include <QVBoxLayout>

RecordTable::RecordTable(QList<Column> columns, bool mapMode, QWidget* parent)
    : QWidget(parent)
    , columns_(std::move(columns))
    , mapMode_(mapMode)
    , table_(new QTableWidget(this))
    , add_(new QPushButton(QIcon::fromTheme("list-add"), tr("Add"), this))
    , remove_(new QPushButton(QIcon::fromTheme("list-remove"), tr("Remove"), this)) {
    table_->setColumnCount(int(columns_.size()));
    QStringList headers;
    for (const Column& c : columns_)
        headers << c.header;
    table_->setHorizontalHeaderLabels(headers);
    for (int i = 0; i < columns_.size(); ++i) {
        if (!columns_[i].tip.isEmpty())
            table_->horizontalHeaderItem(i)->setToolTip(columns_[i].tip);
        const bool wide = columns_[i].kind == Column::Text;
        table_->horizontalHeader()->setSectionResizeMode(
            i, wide ? QHeaderView::Stretch : QHeaderView::ResizeToContents);
    }
    table_->verticalHeader()->setVisible(false);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setEditTriggers(QAbstractItemView::AllEditTriggers);
    // Room for a header and four rows; more scroll.
    table_->setFixedHeight(table_->horizontalHeader()->sizeHint().height() +
                           4 * table_->verticalHeader()->defaultSectionSize() +
                           2 * table_->frameWidth() + 2);
    table_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    add_->setObjectName("addRow");
    remove_->setObjectName("removeRow");
    add_->setAccessibleName(tr("Add a row"));
    remove_->setAccessibleName(tr("Remove the selected rows"));
    remove_->setEnabled(false);
    connect(add_, &QPushButton::clicked, this, [this]() {
        addRow();
        table_->setCurrentCell(table_->rowCount() - 1, 0);
        table_->editItem(table_->item(table_->rowCount() - 1, 0));
    });
    connect(remove_, &QPushButton::clicked, this, &RecordTable::removeSelectedRows);
    connect(table_, &QTableWidget::itemSelectionChanged, this,
            [this]() { remove_->setEnabled(!table_->selectedItems().isEmpty()); });
    connect(table_, &QTableWidget::itemChanged, this, [this]() {
        if (!loading_) emit valueChanged();
    });

    buttons_ = new QVBoxLayout;
    buttons_->addWidget(add_);
    buttons_->addWidget(remove_);
    buttons_->addStretch();
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(table_, 1);
    layout->addLayout(buttons_);
}

QPushButton* RecordTable::addButton(const QIcon& icon, const QString& text) {
    auto* b = new QPushButton(icon, text, this);
    buttons_->insertWidget(buttons_->count() - 1, b);  // above the stretch
    return b;
}

void RecordTable::putInCurrentOrNewRow(int column, const QString& text) {
    int row = table_->currentRow();
    if (row < 0 || !cellText(row, column).isEmpty()) {
        loading_ = true;
        insertRow(mapMode_ ? QJsonValue(QString()) : QJsonValue(QJsonObject()));
        loading_ = false;
        row = table_->rowCount() - 1;
    }
    setCellText(row, column, text);  // itemChanged: valueChanged
    table_->setCurrentCell(row, column);
}

void RecordTable::insertRow(const QJsonValue& v, const QString& mapKey) {
    const int row = table_->rowCount();
    table_->insertRow(row);
    const QJsonObject o = v.toObject();
    for (int c = 0; c < columns_.size(); ++c) {
        const Column& col = columns_[c];
        QJsonValue cell = o.value(col.key);
        if (mapMode_) cell = c == 0 ? QJsonValue(mapKey) : v;
        switch (col.kind) {
            case Column::Text:
            case Column::Number: {
                QString text;
                if (cell.isString())
                    text = cell.toString();
                else if (cell.isDouble())
                    text = QString::number(cell.toInteger());
                table_->setItem(row, c, new QTableWidgetItem(text));
                break;
            }
            case Column::Bool: {
                auto* item = new QTableWidgetItem;
                item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsUserCheckable);
                const bool on =
                    cell.isBool() ? cell.toBool() : col.defaultValue == QLatin1String("true");
                item->setCheckState(on ? Qt::Checked : Qt::Unchecked);
                table_->setItem(row, c, item);
                break;
            }
            case Column::Choice: {
                auto* combo = new QComboBox(table_);
                combo->addItems(col.choices);
                combo->setAccessibleName(col.header);
                const QString value = cell.isString() ? cell.toString() : col.defaultValue;
                if (!col.choices.contains(value) && !value.isEmpty()) combo->addItem(value);
                combo->setCurrentText(value.isEmpty() ? col.choices.value(0) : value);
                connect(combo, &QComboBox::currentIndexChanged, this, [this]() {
                    if (!loading_) emit valueChanged();
                });
                table_->setItem(row, c, new QTableWidgetItem);
                table_->setCellWidget(row, c, combo);
                break;
            }
        }
    }
}

void RecordTable::setValue(const QJsonValue& value) {
    loading_ = true;
    table_->setRowCount(0);
    if (mapMode_) {
        const QJsonObject o = value.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            insertRow(it.value(), it.key());
    } else {
        for (const QJsonValue& v : value.toArray())
            insertRow(v);
    }
    loading_ = false;
}

QString RecordTable::cellText(int row, int column) const {
    if (auto* combo = qobject_cast<QComboBox*>(table_->cellWidget(row, column)))
        return combo->currentText();
    QTableWidgetItem* item = table_->item(row, column);
    if (!item) return {};
    if (columns_[column].kind == Column::Bool)
        return item->checkState() == Qt::Checked ? QStringLiteral("true") : QStringLiteral("false");
    return item->text().trimmed();
}

void RecordTable::setCellText(int row, int column, const QString& text) {
    if (auto* combo = qobject_cast<QComboBox*>(table_->cellWidget(row, column))) {
        combo->setCurrentText(text);
        return;
    }
    if (QTableWidgetItem* item = table_->item(row, column)) {
        if (columns_[column].kind == Column::Bool)
            item->setCheckState(text == QLatin1String("true") ? Qt::Checked : Qt::Unchecked);
        else
            item->setText(text);
    }
}

bool RecordTable::rowIsEmpty(int row) const {
    for (int c = 0; c < columns_.size(); ++c)
        if ((columns_[c].kind == Column::Text || columns_[c].kind == Column::Number) &&
            !cellText(row, c).isEmpty())
            return false;
    return true;
}

QJsonValue RecordTable::value() const {
    static const QRegularExpression integer(QStringLiteral("^-?[0-9]{1,15}$"));
    QJsonArray list;
    QJsonObject map;
    for (int r = 0; r < table_->rowCount(); ++r) {
        if (rowIsEmpty(r)) continue;
        if (mapMode_) {
            map.insert(cellText(r, 0), cellText(r, 1));
            continue;
        }
        QJsonObject o;
        for (int c = 0; c < columns_.size(); ++c) {
            const Column& col = columns_[c];
            const QString text = cellText(r, c);
            switch (col.kind) {
                case Column::Text:
                    if (!text.isEmpty()) o.insert(col.key, text);
                    break;
                case Column::Number:
                    if (integer.match(text).hasMatch())
                        o.insert(col.key, text.toLongLong());
                    else if (!text.isEmpty())
                        o.insert(col.key, text);
                    break;
                case Column::Choice:
                    if (text != col.defaultValue) o.insert(col.key, text);
                    break;
                case Column::Bool:
                    if (text !=
                        (col.defaultValue.isEmpty() ? QStringLiteral("false") : col.defaultValue))
                        o.insert(col.key, text == QLatin1String("true"));
                    break;
            }
        }
        list.append(o);
    }
    if (mapMode_) return map;
    return list;
}

int RecordTable::rowCount() const {
    return table_->rowCount();
}

void RecordTable::addRow() {
    loading_ = true;
    insertRow(mapMode_ ? QJsonValue(QString()) : QJsonValue(QJsonObject()));
    loading_ = false;
    emit valueChanged();
}

void RecordTable::removeSelectedRows() {
    QList<int> rows;
    for (const QModelIndex& i : table_->selectionModel()->selectedRows())
        rows << i.row();
    if (rows.isEmpty() && table_->currentRow() >= 0) rows << table_->currentRow();
    std::sort(rows.begin(), rows.end(), std::greater<int>());
    for (int r : rows)
        table_->removeRow(r);
    emit valueChanged();
}

int RecordTable::rowOfValue(int index) const {
    int seen = -1;
    for (int r = 0; r < table_->rowCount(); ++r)
        if (!rowIsEmpty(r) && ++seen == index) return r;
    return -1;
}

void RecordTable::markRow(int row, const QString& message) {
    loading_ = true;
    for (int r = 0; r < table_->rowCount(); ++r) {
        QTableWidgetItem* item = table_->item(r, 0);
        if (!item) continue;
        const bool bad = r == row;
        item->setIcon(bad ? style()->standardIcon(QStyle::SP_MessageBoxWarning) : QIcon());
        item->setToolTip(bad ? message : QString());
    }
    loading_ = false;
}

void RecordTable::clearMarks() {
    markRow(-1, {});
}
