#include "profile/profile_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include "base/fsutil.h"
#include "base/safe_open.h"
#include "profile/profile.h"

namespace lb {

static void scanDir(const std::string& dir, bool builtin, std::map<std::string, ProfileRef>& out) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return;
    while (auto* e = ::readdir(d)) {
        std::string f = e->d_name;
        if (f.size() <= 5 || !endsWith(f, ".json") || f[0] == '.') continue;
        std::string name = f.substr(0, f.size() - 5);
        if (!isValidProfileName(name)) continue;
        ProfileRef ref{name, joinPath(dir, f), builtin, false};
        auto it = out.find(name);
        if (it != out.end()) {
            // user profiles are scanned first: they win
            if (builtin) it->second.overridesBuiltin = true;
            continue;
        }
        out.emplace(name, ref);
    }
    ::closedir(d);
}

std::vector<ProfileRef> ProfileStore::list() const {
    std::map<std::string, ProfileRef> byName;
    scanDir(paths_.userProfileDir(), false, byName);
    scanDir(paths_.builtinProfileDir, true, byName);
    std::vector<ProfileRef> out;
    for (auto& [_, ref] : byName)
        out.push_back(ref);
    return out;
}

std::string ProfileStore::userPath(const std::string& name) const {
    return joinPath(paths_.userProfileDir(), name + ".json");
}

Result<ProfileRef> ProfileStore::find(const std::string& name) const {
    if (!isValidProfileName(name))
        return Error(quote(name) + " is not a valid profile name (use a-z, 0-9, - and _)");
    std::string user = userPath(name);
    std::string builtin = joinPath(paths_.builtinProfileDir, name + ".json");
    bool hasBuiltin = pathExists(builtin);
    if (pathExists(user)) return ProfileRef{name, user, false, hasBuiltin};
    if (hasBuiltin) return ProfileRef{name, builtin, true, false};
    std::vector<std::string> names;
    for (const auto& r : list())
        names.push_back(r.name);
    std::string hint = didYouMean(name, names);
    return Error("no profile named " + quote(name) +
                     (hint.empty() ? std::string(" (see: layerbox profile list)")
                                   : " (did you mean " + quote(hint) + "?)"),
                 ENOENT);
}

std::string ProfileStore::tagOf(const std::string& path) {
    auto text = readRegularFile(path, kProfileMaxBytes, "a profile");
    return text ? contentTag(*text) : std::string();
}

namespace {
// Serialises check-then-rename between concurrent savers of the same profile (the GUI and an
// editor saving at once). The lock file sits beside the profile and is never removed.
class DirLock {
public:
    explicit DirLock(const std::string& path)
        : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
        if (fd_.valid()) ::flock(fd_.get(), LOCK_EX);
    }

private:
    UniqueFd fd_;
};
}  // namespace

Status ProfileStore::save(const std::string& name, const std::string& jsonText,
                          const std::string& expectedTag) const {
    if (!isValidProfileName(name))
        return Error(quote(name) + " is not a valid profile name (use a-z, 0-9, - and _)");
    auto diags = validateProfileText(jsonText, name + ".json", name);
    if (!diags.empty()) return Error(diags.front().text());
    LB_TRY_CTX(makeDirs(paths_.userProfileDir(), 0755), "creating the profile directory");
    const std::string path = userPath(name);
    DirLock lock(joinPath(paths_.userProfileDir(), ".lock"));
    if (expectedTag != "*") {
        std::string current = tagOf(path);
        if (current != expectedTag) {
            if (expectedTag.empty()) return Error(path + ": already exists", EEXIST);
            return Error(path + ": changed on disk since it was loaded; reload it or save again",
                         ESTALE);
        }
    }
    std::string text = jsonText;
    if (text.empty() || text.back() != '\n') text += '\n';
    LB_TRY_CTX(writeFileAtomic(path, text, 0644), "saving profile " + quote(name));
    return Ok();
}

Status ProfileStore::remove(const std::string& name) const {
    LB_ASSIGN(ProfileRef ref, find(name));
    if (ref.builtin)
        return Error(quote(name) + " is a built-in profile and cannot be removed", EPERM);
    if (::unlink(ref.path.c_str()) != 0) return Error::fromErrno("unlink(" + quote(ref.path) + ")");
    return Ok();
}

}  // namespace lb
