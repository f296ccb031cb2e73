#include "notifications.h"

namespace lbtest {

uint RecordingNotifications::Notify(const QString&, uint, const QString&, const QString& summary,
                                    const QString& body, const QStringList& actions,
                                    const QVariantMap&, int) {
    calls.append({uint(calls.size() + 1), summary, body, actions});
    return uint(calls.size());
}

bool RecordingNotifications::serveOn(QDBusConnection bus) {
    return bus.registerObject("/org/freedesktop/Notifications", this,
                              QDBusConnection::ExportAllSlots) &&
           bus.registerService("org.freedesktop.Notifications");
}

}  // namespace lbtest
