// `layerbox-gui --screenshots DIR`: show each screen in turn and save it as a PNG (used by
// scripts/screenshots under Xvfb for the README). Drives the real widgets; data comes from
// whatever `layerbox` answers.
#pragma once

#include <QObject>
#include <QString>
#include <functional>

class MainWindow;
class QWidget;

class ScreenshotRunner : public QObject {
    Q_OBJECT

public:
    ScreenshotRunner(MainWindow* window, const QString& dir, QObject* parent = nullptr);
    void start();
    int saved() const { return saved_; }

signals:
    void done();

private:
    void step(int delayMs, std::function<void()> action);
    void next();
    void grab(QWidget* widget, const QString& name);

    MainWindow* window_;
    QString dir_;
    QList<QPair<int, std::function<void()>>> steps_;
    int saved_ = 0;
};
