// The applications installed on this machine, from their desktop entries (freedesktop.org
// Desktop Entry Specification): names, icons and command lines for the profile list and the
// new-profile wizard.
#pragma once

#include <QIcon>
#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

struct DesktopEntry {
    QString id;  // "firefox-esr.desktop"
    QString file;
    QString name;
    QString comment;
    QString exec;
    QString icon;
    bool terminal = false;

    // Exec= as an argument list, without field codes (%f, %U, ...).
    QStringList command() const;
    // A profile name derived from the id: "org.gnome.gedit.desktop" -> "gedit".
    QString suggestedProfileName() const;
};

namespace desktopentries {

// Parse one file; std::nullopt when it is not a shown application.
std::optional<DesktopEntry> parse(const QString& file);
// By id, searched in the XDG applications directories.
std::optional<DesktopEntry> find(const QString& id);
// Every shown application, sorted by name.
QList<DesktopEntry> applications();
// An icon from a theme name or an absolute path; `fallback` when neither gives one.
QIcon icon(const QString& nameOrPath, const QIcon& fallback = {});

}  // namespace desktopentries
