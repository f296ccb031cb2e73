// Menu entries: `layerbox desktop install PROFILE` writes
// $XDG_DATA_HOME/applications/layerbox-PROFILE.desktop, a Desktop Entry that starts the
// profile's command in its sandbox. Name, icon, MIME types, categories and keywords come from
// the application's own entry (the profile's "desktop_entry", looked up in $XDG_DATA_HOME and
// $XDG_DATA_DIRS), the name gets " (sandboxed)", and Exec keeps the original's field code
// (%u %U %f %F) so that files and links opened from the desktop reach the sandboxed program.
// A profile whose command is an AppImage without a desktop_entry gets the entry and icon inside
// the image (appimage_entry.h); the icon is copied to $XDG_DATA_HOME/icons and removed with it.
// X-Layerbox-Profile marks the entries Layerbox wrote: only those are listed and removed.
// The format itself (parsing, escapes, Exec quoting, the installed applications) is
// base/desktop_entry.h.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/desktop_entry.h"
#include "base/error.h"

namespace lb {

struct Paths;
struct Profile;

// The file's text (pure). `original`: the application's entry (empty when it has none);
// `layerbox`: absolute path of the layerbox binary; `name`: replaces the generated Name.
Result<std::string> planMenuEntry(const Profile& profile,
                                  const std::map<std::string, std::string>& original,
                                  const std::string& layerbox, const std::string& name = {});

// $XDG_DATA_HOME/applications/layerbox-PROFILE.desktop
std::string menuEntryPath(const Paths& paths, const std::string& profile);

// $XDG_DATA_HOME/icons/layerbox-PROFILE.EXT: the icon copied out of an AppImage (EXT: png, svg).
std::string menuIconPath(const Paths& paths, const std::string& profile, const std::string& ext);

struct MenuEntryInfo {
    std::string profile;
    std::string name;
    std::string path;
    std::string exec;
};

// Write it (atomically); returns the path.
Result<std::string> installMenuEntry(const Paths& paths, const Profile& profile,
                                     const std::string& layerbox, const std::string& name = {});
// Remove the entry Layerbox wrote for `profile` (never a file without X-Layerbox-Profile).
Status removeMenuEntry(const Paths& paths, const std::string& profile);
// The entries Layerbox wrote, by profile name.
std::vector<MenuEntryInfo> listMenuEntries(const Paths& paths);

}  // namespace lb
