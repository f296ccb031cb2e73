#include "backend/hostcapabilities.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

#include <unistd.h>

namespace {

QString tr(const char* text) {
    return QCoreApplication::translate("HostCapabilities", text);
}

QByteArray readSmall(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return f.read(64 * 1024);
}

bool usable(const QString& device) {
    return ::access(QFile::encodeName(device).constData(), R_OK | W_OK) == 0;
}

}  // namespace

HostCapabilities HostCapabilities::probe() {
    HostCapabilities h;
    const QString uid = QString::number(::getuid());
    const QString service =
        QStringLiteral("user.slice/user-%1.slice/user@%1.service/cgroup.controllers").arg(uid);
    for (const QString& root :
         {QStringLiteral("/sys/fs/cgroup/"), QStringLiteral("/sys/fs/cgroup/unified/")}) {
        if (!QFileInfo::exists(root + service)) continue;
        h.cgroupKnown = true;
        h.controllers = QString::fromLatin1(readSmall(root + service))
                            .split(QLatin1Char(' '), Qt::SkipEmptyParts);
        for (QString& c : h.controllers)
            c = c.trimmed();
        h.controllers.removeAll(QString());
        break;
    }

    QString cache = qEnvironmentVariable("XDG_CACHE_HOME");
    if (cache.isEmpty() || !cache.startsWith(QLatin1Char('/')))
        cache = qEnvironmentVariable("HOME") + QStringLiteral("/.cache");
    const QStringList probe =
        QString::fromUtf8(readSmall(cache + QStringLiteral("/layerbox/overlay-probe")))
            .split(QLatin1Char('\n'));
    if (probe.size() >= 2 &&
        (probe[1] == QLatin1String("native") || probe[1] == QLatin1String("fuse"))) {
        h.overlayDriver = probe[1];
        if (probe.size() >= 3) h.overlayReason = probe[2];
    }

    h.fuseOverlayfs = !QStandardPaths::findExecutable(QStringLiteral("fuse-overlayfs")).isEmpty();
    h.devFuse = usable(QStringLiteral("/dev/fuse"));
    h.slirp4netns = !QStandardPaths::findExecutable(QStringLiteral("slirp4netns")).isEmpty();
    h.devNetTun = usable(QStringLiteral("/dev/net/tun"));
    const QByteArray maxNs = readSmall(QStringLiteral("/proc/sys/user/max_user_namespaces"));
    const QByteArray clone =
        readSmall(QStringLiteral("/proc/sys/kernel/unprivileged_userns_clone"));
    h.userNamespaces = maxNs.trimmed().toLongLong() > 0 && clone.trimmed() != "0";
    h.x11 = !qEnvironmentVariable("DISPLAY").isEmpty();
    h.wayland = !qEnvironmentVariable("WAYLAND_DISPLAY").isEmpty();
    h.gpu = QFileInfo::exists(QStringLiteral("/dev/dri"));
    return h;
}

QString HostCapabilities::controllerFor(const QString& key) {
    if (key.startsWith(QLatin1String("memory"))) return QStringLiteral("memory");
    if (key.startsWith(QLatin1String("cpu"))) return QStringLiteral("cpu");
    if (key == QLatin1String("tasks_max")) return QStringLiteral("pids");
    if (key.startsWith(QLatin1String("io"))) return QStringLiteral("io");
    return {};
}

bool HostCapabilities::enforces(const QString& key) const {
    const QString c = controllerFor(key);
    return c.isEmpty() || controllers.contains(c);
}

QString HostCapabilities::limitsSummary() const {
    if (!cgroupKnown)
        return tr(
            "This host's systemd user manager was not found: limits are recorded but "
            "cannot be enforced.");
    QStringList relevant;
    for (const QString& c : controllers)
        if (c == QLatin1String("memory") || c == QLatin1String("pids") ||
            c == QLatin1String("cpu") || c == QLatin1String("io"))
            relevant << c;
    if (relevant.isEmpty())
        return tr(
            "No cgroup controller is delegated to you on this host: limits are recorded "
            "but not enforced.");
    return tr("Delegated cgroup controllers on this host: %1. Limits that need another "
              "controller are recorded but not enforced.")
        .arg(relevant.join(QStringLiteral(", ")));
}

QString HostCapabilities::storageSummary() const {
    QString fuse = fuseOverlayfs && devFuse ? tr("fuse-overlayfs is available")
                   : fuseOverlayfs          ? tr("fuse-overlayfs is installed but /dev/fuse is "
                                                          "not usable")
                                            : tr("fuse-overlayfs is not installed");
    if (overlayDriver == QLatin1String("native"))
        return tr("On this host the kernel's overlay works in a user namespace (native); %1.")
            .arg(fuse);
    if (overlayDriver == QLatin1String("fuse"))
        return tr("On this host the kernel refused its overlay (%1), so auto means fuse; %2.")
            .arg(overlayReason.isEmpty() ? tr("see layerbox doctor") : overlayReason, fuse);
    return tr("Whether the kernel's overlay works here is tested at the first launch; %1.")
        .arg(fuse);
}
