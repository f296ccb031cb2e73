#include "backend/hostcapabilities.h"

#include <QCoreApplication>
#include <QJsonArray>

namespace {

QString tr(const char* text) {
    return QCoreApplication::translate("HostCapabilities", text);
}

QStringList strings(const QJsonValue& v) {
    QStringList out;
    for (const QJsonValue& s : v.toArray())
        out << s.toString();
    return out;
}

}  // namespace

HostCapabilities HostCapabilities::fromDoctor(const QJsonObject& answer) {
    HostCapabilities h;
    const QJsonObject host = answer.value("host").toObject();
    if (host.isEmpty()) {
        h.error = tr("layerbox doctor gave no host facts");
        return h;
    }
    h.known = true;
    h.userNamespaces = host.value("user_namespaces").toBool();
    const QJsonObject storage = host.value("storage").toObject();
    h.overlayDriver = storage.value("driver").toString();
    h.overlayReason = storage.value("reason").toString();
    h.fuseOverlayfs = storage.value("fuse_overlayfs").toBool();
    h.devFuse = storage.value("dev_fuse").toBool();
    const QJsonObject net = host.value("network").toObject();
    h.slirp4netns = net.value("slirp4netns").toBool();
    h.devNetTun = net.value("dev_net_tun").toBool();
    const QJsonObject limits = host.value("limits").toObject();
    h.userManager = limits.value("user_manager").toBool();
    h.controllers = strings(limits.value("controllers"));
    for (const QJsonValue& v : limits.value("fields").toArray()) {
        const QJsonObject f = v.toObject();
        const QString key = f.value("key").toString();
        h.limitNeeds.insert(key, f.value("controller").toString());
        if (f.value("enforced").toBool()) h.enforcedLimits << key;
    }
    const QJsonObject display = host.value("display").toObject();
    h.x11 = display.value("x11").toBool();
    h.wayland = display.value("wayland").toBool();
    h.gpu = !host.value("gpu").toArray().isEmpty();
    return h;
}

QString HostCapabilities::controllerFor(const QString& key) const {
    return limitNeeds.value(key);
}

bool HostCapabilities::enforces(const QString& key) const {
    return !limitNeeds.contains(key) || enforcedLimits.contains(key);
}

QString HostCapabilities::limitsSummary() const {
    if (!known)
        return error.isEmpty() ? tr("Asking layerbox doctor what this host enforces...")
                               : tr("What this host enforces is not known: %1").arg(error);
    if (!userManager)
        return tr(
            "This host's systemd user manager was not found: limits are recorded but "
            "cannot be enforced.");
    QStringList relevant;
    for (const QString& c : controllers)
        if (limitNeeds.values().contains(c)) relevant << c;
    if (relevant.isEmpty())
        return tr(
            "No cgroup controller is delegated to you on this host: limits are recorded "
            "but not enforced.");
    return tr("Delegated cgroup controllers on this host: %1. Limits that need another "
              "controller are recorded but not enforced.")
        .arg(relevant.join(QStringLiteral(", ")));
}

QString HostCapabilities::storageSummary() const {
    if (!known)
        return error.isEmpty() ? tr("Asking layerbox doctor which storage driver works here...")
                               : tr("Which storage driver works here is not known: %1").arg(error);
    QString fuse = fuseOverlayfs && devFuse ? tr("fuse-overlayfs is available")
                   : fuseOverlayfs          ? tr("fuse-overlayfs is installed but /dev/fuse is "
                                                          "not usable")
                                            : tr("fuse-overlayfs is not installed");
    if (overlayDriver == QLatin1String("native"))
        return tr("On this host the kernel's overlay works in a user namespace (native); %1.")
            .arg(fuse);
    return tr("On this host the kernel refused its overlay (%1), so auto means fuse; %2.")
        .arg(overlayReason.isEmpty() ? tr("see layerbox doctor") : overlayReason, fuse);
}
