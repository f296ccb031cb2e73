// What this host lets a sandbox enforce, as `layerbox doctor --json` reports it (its `host`
// object, docs/cli-json.md): which resource limits are enforced (the cgroup controllers
// delegated to the user's systemd manager), the storage driver "auto" becomes here, and whether
// the helpers and devices for fuse-overlayfs and slirp4netns are there. The core is the one
// place that finds these facts out, so the editor and the doctor dialog say the same as doctor.
#pragma once

#include <QHash>
#include <QJsonObject>
#include <QString>
#include <QStringList>

struct HostCapabilities {
    bool known = false;  // doctor answered with its host facts
    QString error;       // why not, when it did not (empty while asking)
    bool userManager = false;
    QStringList controllers;             // delegated cgroup v2 controllers: memory, pids, ...
    QHash<QString, QString> limitNeeds;  // resources key -> the controller it needs
    QStringList enforcedLimits;          // resources keys enforced here
    QString overlayDriver;               // "native" or "fuse": what "auto" becomes here
    QString overlayReason;               // why the kernel overlay was refused
    bool fuseOverlayfs = false;
    bool devFuse = false;
    bool slirp4netns = false;
    bool devNetTun = false;
    bool userNamespaces = false;
    bool x11 = false;
    bool wayland = false;
    bool gpu = false;

    // From the whole answer of `layerbox doctor --json` (known = false without a `host`).
    static HostCapabilities fromDoctor(const QJsonObject& answer);

    // The controller a resources key needs ("memory_max" -> "memory"), empty for none.
    QString controllerFor(const QString& resourceKey) const;
    bool enforces(const QString& resourceKey) const;
    // One sentence for the Resources page.
    QString limitsSummary() const;
    // One sentence for the storage driver setting.
    QString storageSummary() const;
};
