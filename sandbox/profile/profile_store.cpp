#include "profile/profile_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <utility>

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
    LB_ASSIGN(PreparedSave prepared, prepareSave(name, jsonText, expectedTag));
    return prepared.commit();
}

// The tag check: under the folder's lock, just before the rename.
static Status checkTag(const std::string& path, const std::string& expectedTag) {
    if (expectedTag == "*") return Ok();
    std::string current = ProfileStore::tagOf(path);
    if (current == expectedTag) return Ok();
    if (expectedTag.empty()) return Error(path + ": already exists", EEXIST);
    return Error(path + ": changed on disk since it was loaded; reload it or save again", ESTALE);
}

Result<PreparedSave> ProfileStore::prepareSave(const std::string& name, const std::string& jsonText,
                                               const std::string& expectedTag) const {
    if (!isValidProfileName(name))
        return Error(quote(name) + " is not a valid profile name (use a-z, 0-9, - and _)");
    auto diags = validateProfileText(jsonText, name + ".json", name);
    if (!diags.empty()) return Error(diags.front().text());
    LB_TRY_CTX(makeDirs(paths_.userProfileDir(), 0755), "creating the profile directory");
    PreparedSave p;
    p.lockPath_ = joinPath(paths_.userProfileDir(), ".lock");
    p.path_ = userPath(name);
    p.expectedTag_ = expectedTag;
    {
        DirLock lock(p.lockPath_);  // fail early when it could not be put in place anyway
        LB_TRY(checkTag(p.path_, expectedTag));
    }
    std::string text = jsonText;
    if (text.empty() || text.back() != '\n') text += '\n';
    std::string tmpl = joinPath(paths_.userProfileDir(), "." + name + ".json.tmp-XXXXXX");
    UniqueFd fd(::mkostemp(tmpl.data(), O_CLOEXEC));
    if (!fd.valid())
        return Error::fromErrno("mkstemp(" + quote(tmpl) + ")")
            .wrap("saving profile " + quote(name));
    p.tmp_ = tmpl;  // from here on the destructor removes it on failure
    auto failed = [&](Error e) { return std::move(e).wrap("saving profile " + quote(name)); };
    if (::fchmod(fd.get(), 0644) != 0)
        return failed(Error::fromErrno("fchmod(" + quote(tmpl) + ")"));
    if (auto s = writeAll(fd.get(), text, tmpl); !s) return failed(std::move(s).error());
    if (::fsync(fd.get()) != 0) return failed(Error::fromErrno("fsync(" + quote(tmpl) + ")"));
    // close() can report a deferred write error (NFS, full disk).
    if (::close(fd.release()) != 0) return failed(Error::fromErrno("close(" + quote(tmpl) + ")"));
    return p;
}

PreparedSave& PreparedSave::operator=(PreparedSave&& o) noexcept {
    if (this != &o) {
        if (!tmp_.empty()) ::unlink(tmp_.c_str());
        lockPath_ = std::move(o.lockPath_);
        tmp_ = std::exchange(o.tmp_, std::string());
        path_ = std::move(o.path_);
        expectedTag_ = std::move(o.expectedTag_);
    }
    return *this;
}

PreparedSave::~PreparedSave() {
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

Status PreparedSave::commit() {
    if (tmp_.empty()) return Error("nothing prepared to save", EINVAL);
    DirLock lock(lockPath_);
    LB_TRY(checkTag(path_, expectedTag_));
    if (::rename(tmp_.c_str(), path_.c_str()) != 0)
        return Error::fromErrno("rename(" + quote(tmp_) + ", " + quote(path_) + ")");
    tmp_.clear();
    UniqueFd dfd(::open(dirName(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.valid()) ::fsync(dfd.get());  // best effort: the rename itself already happened
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
