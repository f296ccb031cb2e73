#include "main/notifier.h"

#include <QDBusConnection>
#include <QDBusMessage>
#include <QVariantMap>

Notifier::Notifier(QObject* parent) : QObject(parent) {}

void Notifier::notify(const QString& title, const QString& body, const QString& icon) {
    ++sent_;
    emit notified(title, body);
    QDBusConnection bus = QDBusConnection::sessionBus();
    if (!bus.isConnected()) return;
    QDBusMessage m = QDBusMessage::createMethodCall(
        QStringLiteral("org.freedesktop.Notifications"),
        QStringLiteral("/org/freedesktop/Notifications"),
        QStringLiteral("org.freedesktop.Notifications"), QStringLiteral("Notify"));
    m << QStringLiteral("Layerbox") << 0u
      << (icon.isEmpty() ? QStringLiteral("dialog-error") : icon) << title << body << QStringList()
      << QVariantMap() << -1;
    // Fire and forget: no reply is awaited, so a missing notification server costs nothing.
    bus.send(m);
}
