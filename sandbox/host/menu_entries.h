// Menu entries: `layerbox desktop install PROFILE` writes
// $XDG_DATA_HOME/applications/layerbox-PROFILE.desktop, a Desktop Entry that starts the
// profile's command in its sandbox. Name, icon, MIME types, categories and keywords come from
// the application's own entry (the profile's "desktop_entry", looked up in $XDG_DATA_HOME and
// $XDG_DATA_DIRS), the name gets " (sandboxed)", and Exec keeps the original's field code
// (%u %U %f %F) so that files and links opened from the desktop reach the sandboxed program.
// X-Layerbox-Profile marks the entries Layerbox wrote: only those are listed and removed.
// The applications installed here are read with the same parser (`layerbox desktop
// applications`, which the GUI's new-profile wizard and profile list use).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace lb {

struct Paths;
struct Profile;

// The keys of the [Desktop Entry] group, values as written (still escaped).
std::map<std::string, std::string> parseDesktopEntry(std::string_view text);
// The value of a string key with its escapes (\s \n \t \r \\) decoded.
std::string unescapeDesktopString(std::string_view value);
// The reverse, for values we write.
std::string escapeDesktopString(std::string_view value);
// One Exec argument, quoted as the Desktop Entry spec wants: in double quotes (with \" \` \$ \\)
// when it holds a reserved character, and with every % doubled. The result still needs
// escapeDesktopString, as every string value does.
std::string quoteExecArgument(std::string_view arg);
// The file-or-URL field code of an Exec value (%u %U %f %F), or empty.
std::string execFieldCode(std::string_view exec);

// The file's text (pure). `original`: the application's entry (empty when it has none);
// `layerbox`: absolute path of the layerbox binary; `name`: replaces the generated Name.
Result<std::string> planMenuEntry(const Profile& profile,
                                  const std::map<std::string, std::string>& original,
                                  const std::string& layerbox, const std::string& name = {});

// An Exec value (string escapes already decoded) as an argument list, quoted as the Desktop
// Entry spec quotes it, without field codes (%f %U %i ...) and with %% made %.
std::vector<std::string> execArguments(std::string_view exec);

// An application installed on this host, as menus show it.
struct InstalledApplication {
    std::string id;    // "firefox-esr.desktop"
    std::string path;  // the file
    std::string name, comment, icon;
    std::string exec;                  // decoded
    std::vector<std::string> command;  // execArguments(exec)
    bool terminal = false;
};
// The applications of DATA/applications for DATA in $XDG_DATA_HOME, then each of
// $XDG_DATA_DIRS (an id found twice: the first wins), that menus show: Type=Application with
// an Exec, neither NoDisplay nor Hidden. Sorted by name.
std::vector<InstalledApplication> installedApplications(const Paths& paths);

// $XDG_DATA_HOME/applications/layerbox-PROFILE.desktop
std::string menuEntryPath(const Paths& paths, const std::string& profile);
// The application's own entry: DATA/applications/ID for DATA in $XDG_DATA_HOME, then each of
// $XDG_DATA_DIRS (default /usr/local/share:/usr/share). Empty when not found.
std::string findDesktopEntry(const std::string& id, const Paths& paths);

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
