#include "desktop/theme.h"

#include "base/fsutil.h"
#include "profile/profile.h"

namespace lb {

const std::vector<std::string>& themePaths() {
    static const std::vector<std::string> paths = {
        ".config/gtk-3.0",
        ".config/gtk-4.0",
        ".gtkrc-2.0",
        ".config/fontconfig",
        ".local/share/fonts",
        ".fonts",
        ".icons",
        ".themes",
        ".local/share/icons",
        ".local/share/themes",
        ".config/Trolltech.conf",
        ".config/kdeglobals",
        ".config/qt5ct",
        ".config/qt6ct",
    };
    return paths;
}

std::vector<MountOp> planThemeMounts(const DesktopConfig& desktop, const std::string& home) {
    std::vector<MountOp> out;
    if (!desktop.theme || !(desktop.x11 != X11Mode::Off || desktop.wayland)) return out;
    for (const auto& rel : themePaths()) {
        MountOp b;
        b.kind = MountKind::Bind;
        b.source = b.target = joinPath(home, rel);
        b.readOnly = true;
        b.optional = true;
        out.push_back(std::move(b));
    }
    // GTK's bookmarks list the user's folders: appearance, not something to share.
    MountOp hide;
    hide.kind = MountKind::Hide;
    hide.target = joinPath(home, ".config/gtk-3.0/bookmarks");
    out.push_back(std::move(hide));
    return out;
}

}  // namespace lb
