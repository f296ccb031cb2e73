// A list of small objects (binds, port forwards, firewall rules) or a name -> value map
// (environment.set) edited as a table with Add and Remove buttons. Values keep their JSON
// types; a number column holding something that is not a number is written as a string, so
// the core's validator can say what is wrong with it.
#pragma once

#include <QJsonValue>
#include <QList>
#include <QStringList>
#include <QWidget>

class QTableWidget;
class QPushButton;
class QVBoxLayout;

class RecordTable : public QWidget {
    Q_OBJECT

public:
    struct Column {
        enum Kind { Text, Number, Choice, Bool };
        QString key;
        QString header;
        Kind kind = Text;
        QStringList choices;   // Choice: the values
        QString defaultValue;  // not written when the cell holds it (Choice, Bool "true")
        QString tip;
    };

    RecordTable(QList<Column> columns, bool mapMode, QWidget* parent = nullptr);

    // An array of objects (or an object, in map mode).
    void setValue(const QJsonValue& value);
    QJsonValue value() const;
    int rowCount() const;
    void addRow();
    void removeSelectedRows();
    // Show which row a problem is in (and nothing when `row` is -1).
    void markRow(int row, const QString& message);
    void clearMarks();
    // Row of the value at `index` in value() (empty rows are skipped there).
    int rowOfValue(int index) const;
    QTableWidget* table() const { return table_; }
    QString cellText(int row, int column) const;
    void setCellText(int row, int column, const QString& text);
    // Another button under Add and Remove (a picker, for instance).
    QPushButton* addButton(const QIcon& icon, const QString& text);
    // Put `text` in `column` of the current row when that cell is empty, else in a new row.
    void putInCurrentOrNewRow(int column, const QString& text);

signals:
    void valueChanged();

private:
    void insertRow(const QJsonValue& object, const QString& mapKey = {});
    bool rowIsEmpty(int row) const;

    QList<Column> columns_;
    bool mapMode_;
    QTableWidget* table_;
    QPushButton* add_;
    QPushButton* remove_;
    QVBoxLayout* buttons_;
    bool loading_ = false;
};
