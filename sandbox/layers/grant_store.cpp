#include "layers/grant_store.h"

#include <cerrno>

#include "base/fsutil.h"

namespace lb {

namespace {

std::string grantsFile(const Paths& paths, const std::string& profile) {
    return joinPath(paths.sandboxDir(profile), "grants");
}

Status save(const Paths& paths, const std::string& profile, const std::vector<GrantRecord>& g) {
    LB_TRY_CTX(makeDirs(paths.sandboxDir(profile), 0700), "recording the files given");
    return writeFileAtomic(grantsFile(paths, profile), encodeGrants(g), 0600);
}

}  // namespace

std::string encodeGrants(const std::vector<GrantRecord>& grants) {
    std::string out;
    for (const auto& g : grants)
        out += (g.rw ? "rw " : "ro ") + g.path + "\n";
    return out;
}

std::vector<GrantRecord> decodeGrants(const std::string& text) {
    std::vector<GrantRecord> out;
    for (const auto& line : split(text, '\n')) {
        if (line.size() < 4 || line[2] != ' ' || line[3] != '/') continue;
        std::string mode = line.substr(0, 2);
        if (mode != "ro" && mode != "rw") continue;
        out.push_back({line.substr(3), mode == "rw"});
    }
    return out;
}

std::vector<GrantRecord> loadGrants(const Paths& paths, const std::string& profile) {
    auto text = readFile(grantsFile(paths, profile));
    return text ? decodeGrants(*text) : std::vector<GrantRecord>{};
}

Status recordGrant(const Paths& paths, const std::string& profile, const GrantRecord& grant) {
    auto all = loadGrants(paths, profile);
    bool found = false;
    for (auto& g : all)
        if (g.path == grant.path) {
            if (g == grant) return Ok();
            g.rw = grant.rw;
            found = true;
        }
    if (!found) all.push_back(grant);
    return save(paths, profile, all);
}

Result<bool> forgetGrant(const Paths& paths, const std::string& profile, const std::string& path) {
    auto all = loadGrants(paths, profile);
    std::vector<GrantRecord> kept;
    for (const auto& g : all)
        if (g.path != path) kept.push_back(g);
    if (kept.size() == all.size()) return false;
    LB_TRY(save(paths, profile, kept));
    return true;
}

}  // namespace lb
