#include "editor/desktoppage.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLabel>

#include "backend/hostcapabilities.h"

DesktopPage::DesktopPage(QWidget* parent)
    : EditorPage(tr("Desktop"), QStringLiteral("preferences-desktop"), parent) {
    setObjectName("desktopPage");
    QFormLayout* display = addSection(tr("Display and sound"));
    addCheck(display, tr("&Wayland"), QStringLiteral("/desktop/wayland"));
    QComboBox* x11 =
        addChoice(display, tr("&X11:"), QStringLiteral("/desktop/x11"),
                  {{"off", tr("Off")},
                   {"isolated", tr("Isolated: a display of its own, in one window")},
                   {"host", tr("Your desktop's: it can read every keystroke and window")}},
                  {QStringLiteral("host"), QStringLiteral("off")});
    QComboBox* clipboard =
        addChoice(display, tr("C&lipboard:"), QStringLiteral("/desktop/clipboard"),
                  {{"none", tr("Its own: nothing crosses")},
                   {"in", tr("Paste in: it can read what you copy")},
                   {"out", tr("Copy out: what it copies reaches your desktop")},
                   {"both", tr("Both ways")}});
    addChoice(display, tr("&Sound:"), QStringLiteral("/desktop/audio"),
              {{"none", tr("None")},
               {"pulseaudio", tr("PulseAudio")},
               {"pipewire", tr("PipeWire")},
               {"both", tr("PulseAudio and PipeWire")}});
    QCheckBox* gpu =
        addCheck(display, tr("&GPU (hardware rendering)"), QStringLiteral("/desktop/gpu"));
    // What follows the X11 choice: only an isolated display has a clipboard of its own to
    // bridge, and it (a nested X server) has no GLX, which would put the host's GL driver in a
    // server the program talks to.
    const QString clipTip = clipboard->toolTip(), gpuTip = gpu->toolTip();
    auto follow = [x11, clipboard, clipTip, gpu, gpuTip]() {
        const bool isolated = x11->currentData().toString() == QLatin1String("isolated");
        clipboard->setEnabled(isolated);
        clipboard->setToolTip(isolated ? clipTip
                                       : clipTip + QStringLiteral("\n\n") +
                                             tr("Only with an isolated X11 display: on your "
                                                "desktop's the program shares your clipboard."));
        gpu->setToolTip(
            isolated ? (gpuTip.isEmpty() ? QString() : gpuTip + QStringLiteral("\n\n")) +
                           tr("With an isolated X11 display, what the program draws through X11 "
                              "is never accelerated: that display has no OpenGL. Wayland and "
                              "off-screen work (Vulkan, video decoding) still use the GPU.")
                     : gpuTip);
    };
    connect(x11, &QComboBox::currentIndexChanged, this, follow);
    follow();
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
    // OpenURI and Email start a host program with the real home (docs/security-model.md).
    addChoice(dbus, tr("Open &links:"), QStringLiteral("/desktop/open_uri"),
              {{"deny", tr("Refused: the portal cannot start your programs")},
               {"ask", tr("Ask me each time, showing the link")},
               {"allow", tr("With your programs: they run outside the sandbox")}});
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
