// Managing a user's profiles together with what belongs to them on this host: `layerbox
// profile import | duplicate | rename | rm` (and the GUI, which runs those commands). A
// profile's sandbox data (sandboxes/NAME) and its menu entry follow it on a rename and go with
// it on a removal that asks for it; data is only touched under the sandbox's lock, so never
// while the sandbox runs. Every profile file is written atomically and validated first, a
// parent is checked to exist, and a profile others extend cannot be renamed or removed from
// under them.
//
// Two error codes mean "choose another name", which `--json` reports as such (the GUI then asks
// for a name, or whether to replace): EEXIST, the name is taken, and kNameUnusable, it is not
// a valid profile name or none could be told.
#pragma once

#include <cerrno>
#include <string>

#include "base/error.h"

namespace lb {

inline constexpr int kNameUnusable = EDESTADDRREQ;  // "destination name required"

class ProfileStore;

struct ImportOutcome {
    std::string name;
    std::string path;
    bool replaced = false;  // a user profile of that name was there before
};

// Add the profile file `file` to the user's profiles as `as`, or under importName() when `as`
// is empty. Refused when the text does not validate, when its parent does not exist, or when a
// user profile of that name exists (EEXIST) unless `replace`.
Result<ImportOutcome> importProfileFile(const ProfileStore& store, const std::string& file,
                                        const std::string& as, bool replace);

// Copy profile `from` (yours or a built-in one) as your profile `to`, which must be a name no
// profile has (EEXIST). The copy keeps `from`'s "extends"; the sandbox data is not copied.
// Returns the new file's path.
Result<std::string> duplicateProfile(const ProfileStore& store, const std::string& from,
                                     const std::string& to);

struct RenameOutcome {
    std::string path;
    bool dataMoved = false;       // sandboxes/FROM became sandboxes/TO
    bool menuEntryMoved = false;  // layerbox-FROM.desktop became layerbox-TO.desktop
};

// Rename your profile `from` to `to` (a name no profile has, EEXIST). Its sandbox data moves
// with it under the sandbox's lock (refused while the sandbox runs, EBUSY); its menu entry is
// written again for the new name (`layerbox`: the binary its Exec line starts). Refused when
// other profiles extend `from`.
Result<RenameOutcome> renameProfile(const ProfileStore& store, const std::string& from,
                                    const std::string& to, const std::string& layerbox);

struct RemoveOutcome {
    bool dataRemoved = false;
    bool menuEntryRemoved = false;
};

// Remove your profile `name`; with `withData` also its sandbox (its home and every change),
// under the sandbox's lock (refused while it runs), and the profile is kept when that fails.
// Its menu entry goes too unless a built-in profile of the same name takes its place. Refused
// when other profiles extend it.
Result<RemoveOutcome> removeProfile(const ProfileStore& store, const std::string& name,
                                    bool withData);

}  // namespace lb
