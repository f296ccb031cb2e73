#include "editor/desktoppage.h"

#include <QFormLayout>
#include <QLabel>

#include "backend/hostcapabilities.h"

DesktopPage::DesktopPage(QWidget* parent)
    : EditorPage(tr("Desktop"), QStringLiteral("preferences-desktop"), parent) {
    setObjectName("desktopPage");
    QFormLayout* display = addSection(tr("Display and sound"));
    addCheck(display, tr("&Wayland"), QStringLiteral("/desktop/wayland"));
    addChoice(display, tr("&X11:"), QStringLiteral("/desktop/x11"),
              {{"off", tr("Off")},
               {"isolated", tr("Isolated: a display of its own, in one window")},
               {"host", tr("Your desktop's: it can read every keystroke and window")}},
              {QStringLiteral("host"), QStringLiteral("off")});
    addChoice(display, tr("&Sound:"), QStringLiteral("/desktop/audio"),
              {{"none", tr("None")},
               {"pulseaudio", tr("PulseAudio")},
               {"pipewire", tr("PipeWire")},
               {"both", tr("PulseAudio and PipeWire")}});
    addCheck(display, tr("&GPU (hardware rendering)"), QStringLiteral("/desktop/gpu"));
    addCheck(display, tr("Your &fonts and themes, read-only"), QStringLiteral("/desktop/theme"));
    hostNote_ = addNote(display);
    hostNote_->setObjectName("desktopNote");

    QFormLayout* dbus = addSection(tr("D-Bus"), tr("Through xdg-dbus-proxy: only the names "
                                                   "listed here are reachable."));
    addCheck(dbus, tr("Session &bus"), QStringLiteral("/desktop/dbus/session"));
    addList(dbus, tr("&Talk to:"), QStringLiteral("/desktop/dbus/talk"),
            tr("e.g. org.freedesktop.Notifications"));
    addList(dbus, tr("&Own:"), QStringLiteral("/desktop/dbus/own"),
            tr("e.g. org.mpris.MediaPlayer2.vlc"));
    addList(dbus, tr("S&ee:"), QStringLiteral("/desktop/dbus/see"));
    addList(dbus, tr("&Calls:"), QStringLiteral("/desktop/dbus/call"),
            tr("NAME=INTERFACE.METHOD@/PATH"));
    addCheck(dbus, tr("S&ystem bus"), QStringLiteral("/desktop/dbus/system"));
    addList(dbus, tr("System bus &names:"), QStringLiteral("/desktop/dbus/system_talk"),
            tr("e.g. org.freedesktop.UPower"));
    finish();
}

void DesktopPage::setHost(const HostCapabilities& host) {
    QStringList have;
    if (host.wayland) have << QStringLiteral("Wayland");
    if (host.x11) have << QStringLiteral("X11");
    QString text = have.isEmpty() ? tr("This session has no display to pass in.")
                                  : tr("This session has %1.").arg(have.join(tr(" and ")));
    text += QLatin1Char(' ');
    text += host.gpu ? tr("A GPU (/dev/dri) is present.") : tr("No GPU (/dev/dri) on this host.");
    hostNote_->setText(text);
}
