// The files given to a profile's sandbox, kept with its data
// ($XDG_DATA_HOME/layerbox/sandboxes/NAME/grants, hidden from every sandbox) so that a persistent
// profile shows them again at its next launch; an ephemeral launch records nothing.
// One line per file: "ro PATH" or "rw PATH" (a granted name never holds a newline).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/paths.h"

namespace lb {

struct GrantRecord {
    std::string path;
    bool rw = false;
    bool operator==(const GrantRecord&) const = default;
};

// Pure: the file's text, and back (unreadable lines are skipped).
std::string encodeGrants(const std::vector<GrantRecord>& grants);
std::vector<GrantRecord> decodeGrants(const std::string& text);

// The profile's grants (none when the file does not exist).
std::vector<GrantRecord> loadGrants(const Paths& paths, const std::string& profile);
// Add or update one (a later grant of the same path replaces its mode).
Status recordGrant(const Paths& paths, const std::string& profile, const GrantRecord& grant);
// Forget one; false when it was not recorded.
Result<bool> forgetGrant(const Paths& paths, const std::string& profile, const std::string& path);

}  // namespace lb
