#include "desktop/display_need.h"

#include "base/elf_needed.h"
#include "base/fsutil.h"
#include "base/safe_open.h"
#include "profile/profile.h"

namespace lb {

std::string windowingLibrary(const std::vector<std::string>& needed) {
    // Sonames up to their version: libX11.so.6, libgtk-3.so.0, libQt6Gui.so.6 ...
    // (Not EGL or GL: programs render off screen with those too.)
    static const char* const kPrefixes[] = {
        "libX11.so", "libxcb.so",  "libXt.so",     "libwayland-client.so",
        "libgtk-",   "libgdk-",    "libQt5Gui.so", "libQt6Gui.so",
        "libSDL2-",  "libSDL2.so", "libglfw.so",   "libfltk.so",
        "libwx_gtk"};
    for (const auto& n : needed)
        for (const char* prefix : kPrefixes)
            if (n.rfind(prefix, 0) == 0) return n;
    return {};
}

std::string noDisplayWarning(const Profile& p, const std::string& program,
                             const std::string& library) {
    if (library.empty() || p.desktop.x11 != X11Mode::Off || p.desktop.wayland) return {};
    return baseName(program) + " draws windows (it uses " + library + "), but profile " +
           quote(p.name) +
           " gives it no display, so it cannot open one: run it with a profile that has one "
           "(--profile untrusted-gui gives it a display of its own) or set desktop.x11 in the "
           "profile";
}

std::string checkProgramDisplay(const Profile& p, const std::string& program) {
    if (program.empty() || p.desktop.x11 != X11Mode::Off || p.desktop.wayland) return {};
    const std::string path =
        program.find('/') != std::string::npos ? program : findExecutable(program);
    if (path.empty()) return {};
    auto needed = elfNeeded(path);
    if (!needed) return {};
    return noDisplayWarning(p, program, windowingLibrary(*needed));
}

}  // namespace lb
