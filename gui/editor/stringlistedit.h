// A list of strings edited as text, one per line: paths to hide, syscalls, D-Bus names.
#pragma once

#include <QPlainTextEdit>
#include <QStringList>

class StringListEdit : public QPlainTextEdit {
    Q_OBJECT

public:
    explicit StringListEdit(QWidget* parent = nullptr);

    QStringList values() const;  // non-empty lines, trimmed
    void setValues(const QStringList& values);
    // The line (0-based) of the value at `index` in values(), for pointing at a problem.
    int lineOfValue(int index) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

signals:
    void valuesChanged();
};
