#include "host/menu_entries.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>

#include "base/appimage.h"
#include "base/fsutil.h"
#include "base/paths.h"
#include "host/appimage_entry.h"
#include "profile/profile.h"

namespace lb {

Result<std::string> planMenuEntry(const Profile& profile,
                                  const std::map<std::string, std::string>& original,
                                  const std::string& layerbox, const std::string& name) {
    if (profile.command.empty())
        return Error("profile " + quote(profile.name) +
                         " has no command, so a menu entry would have nothing to start",
                     EINVAL);
    auto get = [&](const std::string& k) {
        auto it = original.find(k);
        return it == original.end() ? std::string() : it->second;
    };
    std::string text = "[Desktop Entry]\nType=Application\nVersion=1.0\n";
    auto put = [&](const std::string& k, const std::string& raw) {
        if (!raw.empty()) text += k + "=" + raw + "\n";
    };
    // Name: given, or the application's own (else the profile's title) marked as sandboxed.
    std::string base = get("Name");
    if (base.empty())
        base = escapeDesktopString(profile.title.empty() ? profile.name : profile.title);
    put("Name", name.empty() ? base + " (sandboxed)" : escapeDesktopString(name));
    put("GenericName", get("GenericName"));
    put("Comment",
        profile.description.empty() ? get("Comment") : escapeDesktopString(profile.description));
    std::string icon = get("Icon");
    put("Icon", icon.empty() ? escapeDesktopString(profile.icon) : icon);

    std::string exec =
        quoteExecArgument(layerbox) + " run --profile " + quoteExecArgument(profile.name) + " --";
    for (const auto& a : profile.command)
        exec += " " + quoteExecArgument(a);
    std::string code = execFieldCode(get("Exec"));
    // The files (or URIs) the menu passes are marked: `run` gives exactly those files to the
    // sandbox (file_grants.h); web addresses pass through.
    if (!code.empty()) exec += " @@ " + code + " @@";
    put("Exec", escapeDesktopString(exec));
    put("TryExec", escapeDesktopString(layerbox));
    // The application's own entry says whether it needs a terminal; without one, a profile that
    // gives its program no display runs a console program (default's bash), which needs one.
    std::string terminal = get("Terminal");
    if (terminal.empty())
        terminal =
            profile.desktop.x11 == X11Mode::Off && !profile.desktop.wayland ? "true" : "false";
    put("Terminal", terminal == "true" ? "true" : "false");
    auto list = [](std::string v) {
        if (!v.empty() && v.back() != ';') v += ';';
        return v;
    };
    put("Categories", list(get("Categories")));
    put("MimeType", list(get("MimeType")));
    put("Keywords", list(get("Keywords")) + "sandbox;layerbox;");
    put("StartupWMClass", get("StartupWMClass"));
    if (get("StartupNotify") == "true" || get("StartupNotify") == "false")
        put("StartupNotify", get("StartupNotify"));
    put("X-Layerbox-Profile", profile.name);
    return text;
}

std::string menuEntryPath(const Paths& paths, const std::string& profile) {
    return joinPath(paths.dataHome, "applications/layerbox-" + profile + ".desktop");
}

std::string menuIconPath(const Paths& paths, const std::string& profile, const std::string& ext) {
    return joinPath(paths.dataHome, "icons/layerbox-" + profile + "." + ext);
}

Result<std::string> installMenuEntry(const Paths& paths, const Profile& profile,
                                     const std::string& layerbox, const std::string& name) {
    std::map<std::string, std::string> original;
    if (std::string path = findDesktopEntry(profile.desktopEntry, paths); !path.empty()) {
        LB_ASSIGN(std::string text, readFile(path));
        original = parseDesktopEntry(text);
    } else if (!profile.command.empty() && startsWith(profile.command[0], "/")) {
        // An AppImage: the entry inside it, and its icon copied out (appimage_entry.h).
        LB_ASSIGN(auto image, readAppImage(profile.command[0]));
        if (image) {
            LB_ASSIGN(AppImageEntry e, readAppImageEntry(*image));
            original = std::move(e.keys);
            original.erase("Icon");
            for (const char* ext : {"png", "svg"})
                ::unlink(menuIconPath(paths, profile.name, ext).c_str());
            if (!e.icon.empty()) {
                std::string icon = menuIconPath(paths, profile.name, e.iconExt);
                LB_TRY(makeDirs(dirName(icon), 0755));
                LB_TRY(writeFileAtomic(icon, e.icon, 0644));
                original["Icon"] = escapeDesktopString(icon);
            }
        }
    }
    LB_ASSIGN(std::string text, planMenuEntry(profile, original, layerbox, name));
    std::string path = menuEntryPath(paths, profile.name);
    LB_TRY(makeDirs(dirName(path), 0755));
    LB_TRY(writeFileAtomic(path, text, 0644));
    return path;
}

Status removeMenuEntry(const Paths& paths, const std::string& profile) {
    std::string path = menuEntryPath(paths, profile);
    auto text = readFile(path);
    if (!text) {
        if (text.error().code() == ENOENT)
            return Error("no menu entry for " + quote(profile) + " (see layerbox desktop list)",
                         ENOENT);
        return text.error();
    }
    if (!parseDesktopEntry(*text).count("X-Layerbox-Profile"))
        return Error(quote(path) + " was not written by Layerbox; leaving it alone", EPERM);
    if (::unlink(path.c_str()) != 0) return Error::fromErrno("unlink(" + quote(path) + ")");
    // The icon an AppImage's entry had copied out, if any.
    for (const char* ext : {"png", "svg"})
        ::unlink(menuIconPath(paths, profile, ext).c_str());
    return Ok();
}

std::vector<MenuEntryInfo> listMenuEntries(const Paths& paths) {
    std::vector<MenuEntryInfo> out;
    std::string dir = joinPath(paths.dataHome, "applications");
    DIR* d = ::opendir(dir.c_str());
    if (!d) return out;
    std::vector<std::string> names;
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (startsWith(n, "layerbox-") && endsWith(n, ".desktop")) names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
        std::string path = joinPath(dir, n);
        auto text = readFile(path);
        if (!text) continue;
        auto keys = parseDesktopEntry(*text);
        if (!keys.count("X-Layerbox-Profile")) continue;
        out.push_back({keys["X-Layerbox-Profile"], unescapeDesktopString(keys["Name"]), path,
                       unescapeDesktopString(keys["Exec"])});
    }
    return out;
}

}  // namespace lb
