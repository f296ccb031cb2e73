// A notification daemon for tests (org.freedesktop.Notifications on a test's bus): it records
// each Notify and CloseNotification call; the test registers it, answers with ActionInvoked
// signals itself and reads what was asked.
#pragma once

#include <QDBusConnection>
#include <QObject>
#include <QStringList>
#include <QVariantMap>

namespace lbtest {

class RecordingNotifications : public QObject {
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.Notifications")

public:
    struct Call {
        uint id;
        QString summary, body;
        QStringList actions;
    };
    QList<Call> calls;
    QList<uint> closed;
    QStringList capabilities{"actions", "body"};

    // Serves org.freedesktop.Notifications on `bus` (its object and its name).
    bool serveOn(QDBusConnection bus);

public slots:
    uint Notify(const QString& app, uint replaces, const QString& icon, const QString& summary,
                const QString& body, const QStringList& actions, const QVariantMap& hints,
                int timeout);
    void CloseNotification(uint id) { closed.append(id); }
    QStringList GetCapabilities() { return capabilities; }
};

}  // namespace lbtest
