// The menu entry of an AppImage: `layerbox desktop install PROFILE` for a profile whose command
// is an AppImage (base/appimage.h) takes the name, icon, categories and file types from the
// .desktop file inside the image, and copies its icon out to $XDG_DATA_HOME/icons.
//
// The image is read with `unsquashfs -o OFFSET` listing its top folder and printing single
// files to a pipe (-cat): nothing of the image is ever extracted to the disk by unsquashfs, so
// no name in it can reach a path outside. What it prints is bounded (a .desktop file of 64 KiB,
// an icon of 4 MiB) and an icon must look like a PNG or an SVG.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/appimage.h"
#include "base/error.h"

namespace lb {

// Pure: the top-level names in an `unsquashfs -l -max-depth 1` listing ("squashfs-root/NAME"
// lines), in order; names with a control character or a slash are left out.
std::vector<std::string> appImageTopLevel(std::string_view listing);

// Pure: the .desktop file to use: the first top-level one in name order (empty: none).
std::string pickAppImageDesktop(const std::vector<std::string>& names);

// Pure: the icon file for the entry's Icon key: ICON.png, ICON.svg (top level, as appimagetool
// puts it), else .DirIcon; empty when none.
std::string pickAppImageIcon(const std::vector<std::string>& names, const std::string& iconKey);

// Pure: "png" or "svg" from the icon's first bytes; empty for anything else.
std::string iconExtension(std::string_view data);

struct AppImageEntry {
    std::map<std::string, std::string> keys;  // its [Desktop Entry] group
    std::string icon;                         // the icon's bytes (empty: none usable)
    std::string iconExt;                      // "png" or "svg"
};

// Read the .desktop file and icon inside `image` (unsquashfs). Fails when unsquashfs is not
// installed or the image has no .desktop file.
Result<AppImageEntry> readAppImageEntry(const AppImageFile& image);

}  // namespace lb
