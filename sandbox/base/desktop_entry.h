// Desktop entries (freedesktop.org Desktop Entry Specification): the one reader of the format,
// for the menu entries `layerbox desktop` writes (host/menu_entries.h), for the installed
// applications `layerbox desktop applications` lists, and for the GUI's wizard and profile list
// (through gui/backend/desktopentries).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace lb {

struct Paths;

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

// The application's own entry: DATA/applications/ID for DATA in $XDG_DATA_HOME, then each of
// $XDG_DATA_DIRS (default /usr/local/share:/usr/share). Empty when not found.
std::string findDesktopEntry(const std::string& id, const Paths& paths);

}  // namespace lb
