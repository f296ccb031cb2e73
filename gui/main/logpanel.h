// What the runner and the commands said: launches, exits, warnings, errors and the program's
// own output, one timestamped line each.
#pragma once

#include <QWidget>

class QPlainTextEdit;

class LogPanel : public QWidget {
    Q_OBJECT

public:
    enum class Level { Info, Warning, Error, Output };

    explicit LogPanel(QWidget* parent = nullptr);

    // `source` is usually a profile name ("firefox") or a command ("layerbox ps").
    void append(Level level, const QString& source, const QString& text);
    void info(const QString& source, const QString& text) { append(Level::Info, source, text); }
    void warning(const QString& source, const QString& text) {
        append(Level::Warning, source, text);
    }
    void error(const QString& source, const QString& text) { append(Level::Error, source, text); }

    // Everything shown, one line per entry (tests read this).
    QString text() const;
    int errorCount() const { return errors_; }
    void clear();
    QSize sizeHint() const override { return {800, 120}; }

signals:
    void errorLogged(const QString& line);

private:
    QPlainTextEdit* view_;
    int errors_ = 0;
};
