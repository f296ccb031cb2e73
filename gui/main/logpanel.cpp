#include "main/logpanel.h"

#include <QFontDatabase>
#include <QHBoxLayout>
#include <QIcon>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QTextCharFormat>
#include <QTime>
#include <QToolButton>
#include <QVBoxLayout>

LogPanel::LogPanel(QWidget* parent) : QWidget(parent), view_(new QPlainTextEdit(this)) {
    setObjectName("logPanel");
    view_->setObjectName("logView");
    view_->setReadOnly(true);
    view_->setMaximumBlockCount(5000);
    view_->setLineWrapMode(QPlainTextEdit::NoWrap);
    view_->setAccessibleName(tr("Log"));
    view_->setPlaceholderText(
        tr("Messages from Layerbox and from the programs you run appear "
           "here."));
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    view_->setFont(mono);
    // Three lines at least (a scroll area's default minimum is twice that): on a 600 px screen
    // the log gives its height to the profile's summary first (MainWindow::fitLogDock).
    view_->setMinimumHeight(3 * QFontMetrics(mono).lineSpacing() + 2 * view_->frameWidth() + 8);

    auto* clear = new QToolButton(this);
    clear->setObjectName("clearLogButton");
    clear->setText(tr("Clear"));
    clear->setAccessibleName(tr("Clear the log"));
    clear->setIcon(QIcon::fromTheme("edit-clear"));
    clear->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    clear->setAutoRaise(true);
    connect(clear, &QToolButton::clicked, this, &LogPanel::clear);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(view_);
    auto* row = new QHBoxLayout;
    row->addStretch();
    row->addWidget(clear);
    layout->addLayout(row);
}

void LogPanel::append(Level level, const QString& source, const QString& text) {
    QString prefix;
    switch (level) {
        case Level::Info:
            break;
        case Level::Warning:
            prefix = tr("warning: ");
            break;
        case Level::Error:
            prefix = tr("error: ");
            ++errors_;
            break;
        case Level::Output:
            prefix = QStringLiteral("| ");
            break;
    }
    const QString line =
        QStringLiteral("%1  %2%3%4")
            .arg(QTime::currentTime().toString(QStringLiteral("HH:mm:ss")),
                 source.isEmpty() ? QString() : source + QStringLiteral(": "), prefix, text);
    QTextCharFormat format;
    if (level == Level::Error) format.setFontWeight(QFont::Bold);
    if (level == Level::Output) format.setForeground(palette().color(QPalette::PlaceholderText));
    QTextCursor cursor(view_->document());
    cursor.movePosition(QTextCursor::End);
    if (!view_->document()->isEmpty()) cursor.insertBlock();
    cursor.insertText(line, format);
    view_->verticalScrollBar()->setValue(view_->verticalScrollBar()->maximum());
    if (level == Level::Error) emit errorLogged(line);
}

QString LogPanel::text() const {
    return view_->toPlainText();
}

void LogPanel::clear() {
    view_->clear();
    errors_ = 0;
}
