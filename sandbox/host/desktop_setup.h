// `layerbox desktop setup`, after Firejail's firecfg: for each installed application that has a
// Firejail profile installed, import that profile (firejail_convert.h, as `profile
// import-firejail`) and add the sandboxed menu entry (menu_entries.h). A dry run lists what it
// would do; --undo removes exactly what it added, from a manifest kept in
// $XDG_STATE_HOME/layerbox/desktop-setup.json (a profile edited since is kept, and said so).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/desktop_entry.h"
#include "base/error.h"

namespace lb {

struct Paths;
class ProfileStore;

struct SetupAction {
    std::string appId;    // "vlc.desktop"
    std::string appName;  // "VLC media player"
    std::string program;  // "vlc": the Firejail profile's name
    std::string profile;  // the Layerbox profile to make
    std::string skip;     // why nothing is done for it (empty: it is done)
};

// Pure: one action per installed application whose program (its command's first word, base
// name) has a Firejail profile in `firejailProfiles`; each program once (the first
// application, by name). Skipped: a Layerbox profile of that name exists (`existing`), or the
// application is an entry Layerbox wrote.
std::vector<SetupAction> planDesktopSetup(const std::vector<InstalledApplication>& apps,
                                          const std::set<std::string>& firejailProfiles,
                                          const std::set<std::string>& existing);

// One item of the manifest: what setup added.
struct SetupRecord {
    std::string profile;
    std::string profileTag;  // content tag of the profile file as saved
    std::string entry;       // the menu entry's path
    std::string appId;
};

std::string setupManifestPath(const Paths& paths);
Result<std::vector<SetupRecord>> loadSetupManifest(const Paths& paths);

// Do the actions (not skipped): import, save (never over an existing profile), menu entry;
// each one added to the manifest as soon as it is done. Per application, a failure is
// reported in `failures` and the others go on.
Result<std::vector<SetupRecord>> applyDesktopSetup(const std::vector<SetupAction>& actions,
                                                   const ProfileStore& store,
                                                   const std::string& layerbox,
                                                   std::vector<std::string>& failures);

// Remove what the manifest lists (entries, and profiles unchanged since), then the manifest.
// `kept`: profiles left because they were changed since.
Status undoDesktopSetup(const ProfileStore& store, std::vector<std::string>& removed,
                        std::vector<std::string>& kept);

}  // namespace lb
