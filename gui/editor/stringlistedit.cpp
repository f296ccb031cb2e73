#include "editor/stringlistedit.h"

#include <QFontMetrics>
#include <QTextBlock>

StringListEdit::StringListEdit(QWidget* parent) : QPlainTextEdit(parent) {
    setTabChangesFocus(true);
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    connect(this, &QPlainTextEdit::textChanged, this, &StringListEdit::valuesChanged);
}

QStringList StringListEdit::values() const {
    QStringList out;
    for (const QString& line : toPlainText().split(QLatin1Char('\n'))) {
        const QString t = line.trimmed();
        if (!t.isEmpty()) out << t;
    }
    return out;
}

void StringListEdit::setValues(const QStringList& values) {
    const QString text = values.join(QLatin1Char('\n'));
    if (text != toPlainText()) setPlainText(text);
}

int StringListEdit::lineOfValue(int index) const {
    int seen = -1;
    const QStringList lines = toPlainText().split(QLatin1Char('\n'));
    for (int i = 0; i < lines.size(); ++i)
        if (!lines[i].trimmed().isEmpty() && ++seen == index) return i;
    return -1;
}

QSize StringListEdit::sizeHint() const {
    const QFontMetrics fm(font());
    return {300, fm.lineSpacing() * 4 + 2 * frameWidth() + 8};
}

QSize StringListEdit::minimumSizeHint() const {
    return sizeHint();
}
