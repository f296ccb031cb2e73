// What this host lets a sandbox enforce, as far as the GUI can tell without running anything:
// the cgroup controllers delegated to the user's systemd manager (which limits are enforced),
// the storage driver the runner's overlay probe chose (cached by `layerbox run`), and whether
// the helpers and devices for fuse-overlayfs and slirp4netns are there. The editor shows it
// beside the settings that depend on it; `layerbox doctor` is the full check.
#pragma once

#include <QString>
#include <QStringList>

struct HostCapabilities {
    bool cgroupKnown = false;
    QStringList controllers;  // delegated cgroup v2 controllers: memory, pids, cpu, io, ...
    QString overlayDriver;    // "native", "fuse", or empty when no sandbox has run yet
    QString overlayReason;    // why the kernel overlay was refused
    bool fuseOverlayfs = false;
    bool devFuse = false;
    bool slirp4netns = false;
    bool devNetTun = false;
    bool userNamespaces = false;
    bool x11 = false;
    bool wayland = false;
    bool gpu = false;

    static HostCapabilities probe();

    // The controller a resources key needs ("memory_max" -> "memory"), empty for none.
    static QString controllerFor(const QString& resourceKey);
    bool enforces(const QString& resourceKey) const;
    // One sentence for the Resources page.
    QString limitsSummary() const;
    // One sentence for the storage driver setting.
    QString storageSummary() const;
};
