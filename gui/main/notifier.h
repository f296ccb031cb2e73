// Desktop notifications (org.freedesktop.Notifications on the session bus), for a sandbox that
// ended with an error while the window may be hidden. Silently does nothing without a bus.
#pragma once

#include <QObject>
#include <QString>

class Notifier : public QObject {
    Q_OBJECT

public:
    explicit Notifier(QObject* parent = nullptr);
    void notify(const QString& title, const QString& body, const QString& icon = {});
    int sentCount() const { return sent_; }

signals:
    void notified(const QString& title, const QString& body);

private:
    int sent_ = 0;
};
