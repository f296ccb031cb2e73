#include "notifications.h"

namespace lbtest {

uint RecordingNotifications::Notify(const QString&, uint, const QString&, const QString& summary,
                                    const QString& body, const QStringList& actions,
                                    const QVariantMap&, int) {
    calls.append({uint(calls.size() + 1), summary, body, actions});
    return uint(calls.size());
}

}  // namespace lbtest
