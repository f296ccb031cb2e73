#include "host/profile_admin.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "base/fsutil.h"
#include "base/paths.h"
#include "base/safe_open.h"
#include "host/menu_entries.h"
#include "layers/changes.h"
#include "profile/profile.h"
#include "profile/profile_store.h"

namespace lb {

namespace {

Error unusableName(const std::string& name) {
    return Error(quote(name) + " is not a valid profile name (use a-z, 0-9, - and _)",
                 kNameUnusable);
}

// Refuses when `to` is taken by any profile, yours or built-in: a new user profile of a
// built-in's name would silently replace the built-in one.
Status checkFree(const ProfileStore& store, const std::string& to) {
    if (!isValidProfileName(to)) return unusableName(to);
    if (store.find(to)) return Error("a profile named " + quote(to) + " exists already", EEXIST);
    return Ok();
}

Status checkNoDependents(const ProfileStore& store, const std::string& name,
                         const std::string& action) {
    auto deps = dependentProfiles(store, name);
    if (deps.empty()) return Ok();
    const std::string names = joinStrings(deps);
    const bool one = deps.size() == 1;
    return Error("cannot " + action + " profile " + quote(name) + ": it is extended by " +
                     (one ? "profile " : "profiles ") + names + "; change " +
                     (one ? "its" : "their") + " \"extends\" first",
                 EBUSY);
}

// Whether the sandbox directory is there; an error when something else is in its place.
Result<bool> sandboxDirExists(const std::string& dir) {
    struct stat st;
    if (::lstat(dir.c_str(), &st) != 0) {
        if (errno == ENOENT) return false;
        return Error::fromErrno("lstat(" + quote(dir) + ")");
    }
    if (!S_ISDIR(st.st_mode)) return Error(quote(dir) + " is not a directory", ENOTDIR);
    return true;
}

}  // namespace

Result<ImportOutcome> importProfileFile(const ProfileStore& store, const std::string& file,
                                        const std::string& as, bool replace) {
    LB_ASSIGN(std::string text, readRegularFile(file, kProfileMaxBytes, "a profile"));
    const std::string base = baseName(file);
    if (auto diags = validateProfileText(text, base); !diags.empty())
        return Error(diags.front().text(), EINVAL);
    ImportOutcome out;
    out.name = as.empty() ? importName(base, text) : as;
    if (out.name.empty())
        return Error(base + ": neither its file name nor its \"name\" is a valid profile name " +
                         "(give one with --as NAME)",
                     kNameUnusable);
    if (!isValidProfileName(out.name))
        return Error(quote(out.name) + " is not a valid profile name (use --as NAME)",
                     kNameUnusable);
    LB_ASSIGN(std::string renamed, renamedProfileText(text, out.name));
    if (std::string parent = extendsOfText(renamed); !parent.empty()) {
        // Extending its own name means the built-in profile it overrides.
        if (parent != out.name) {
            if (auto ref = store.find(parent); !ref)
                return std::move(ref).error().wrap(base + ": /extends");
        } else if (!pathExists(joinPath(store.paths().builtinProfileDir, parent + ".json"))) {
            return Error(base + ": /extends: a profile cannot extend itself (no built-in " +
                             quote(parent) + " to extend)",
                         EINVAL);
        }
    }
    out.path = store.userPath(out.name);
    out.replaced = pathExists(out.path);
    // "" = must not exist: the store refuses atomically if someone created it meanwhile.
    if (auto s = store.save(out.name, renamed, replace ? "*" : ""); !s) {
        if (s.error().code() == EEXIST)
            return Error(
                "profile " + quote(out.name) + " already exists (use --as NAME or --force)",
                EEXIST);
        return std::move(s).error();
    }
    return out;
}

Result<std::string> duplicateProfile(const ProfileStore& store, const std::string& from,
                                     const std::string& to) {
    LB_ASSIGN(ProfileRef ref, store.find(from));
    LB_TRY(checkFree(store, to));
    LB_ASSIGN(std::string text, readFile(ref.path));
    LB_ASSIGN(std::string renamed, renamedProfileText(text, to));
    if (auto s = store.save(to, renamed, ""); !s) {
        if (s.error().code() == EEXIST)
            return Error("a profile named " + quote(to) + " exists already", EEXIST);
        return std::move(s).error();
    }
    return store.userPath(to);
}

Result<RenameOutcome> renameProfile(const ProfileStore& store, const std::string& from,
                                    const std::string& to, const std::string& layerbox) {
    LB_ASSIGN(ProfileRef ref, store.find(from));
    if (ref.builtin)
        return Error(quote(from) + " is a built-in profile and cannot be renamed (duplicate it)",
                     EPERM);
    LB_TRY(checkFree(store, to));
    LB_TRY(checkNoDependents(store, from, "rename"));
    LB_ASSIGN(std::string text, readFile(ref.path));
    LB_ASSIGN(std::string renamed, renamedProfileText(text, to));

    const Paths& paths = store.paths();
    const std::string oldDir = paths.sandboxDir(from), newDir = paths.sandboxDir(to);
    LB_ASSIGN(bool hasData, sandboxDirExists(oldDir));
    UniqueFd lock;
    if (hasData) {
        // Held until the data has moved: a launch of `from` meanwhile is refused as "already
        // running" instead of mounting a layer that is being moved.
        LB_ASSIGN(lock, lockStoppedSandbox(oldDir, from, "renaming it"));
        if (pathExists(newDir))
            return Error(quote(newDir) + " already exists (left by an earlier sandbox named " +
                             quote(to) + "): remove it or choose another name",
                         EEXIST);
    }

    // The new file first, then the old one goes (so `from` cannot be launched any more), then
    // the data moves; each step undoes the ones before when it fails.
    if (auto s = store.save(to, renamed, ""); !s) {
        if (s.error().code() == EEXIST)
            return Error("a profile named " + quote(to) + " exists already", EEXIST);
        return std::move(s).error();
    }
    const std::string newPath = store.userPath(to);
    if (::unlink(ref.path.c_str()) != 0) {
        Error e = Error::fromErrno("unlink(" + quote(ref.path) + ")");
        ::unlink(newPath.c_str());
        return e;
    }
    RenameOutcome out;
    out.path = newPath;
    if (hasData) {
        // rename(2) refuses to replace a non-empty directory: a sandbox of `to` started in
        // between keeps its own data, and the rename is undone.
        if (::rename(oldDir.c_str(), newDir.c_str()) != 0) {
            Error e = Error::fromErrno("rename(" + quote(oldDir) + ", " + quote(newDir) + ")");
            (void)writeFileAtomic(ref.path, text, 0644);
            ::unlink(newPath.c_str());
            return e.wrap("moving the sandbox's data");
        }
        out.dataMoved = true;
    }
    lock = UniqueFd();

    // The menu entry starts the profile by name: write it again for the new one.
    for (const auto& entry : listMenuEntries(paths)) {
        if (entry.profile != from) continue;
        auto profile = loadProfile(store, to);
        if (!profile) break;
        if (!installMenuEntry(paths, *profile, layerbox, entry.name)) break;
        out.menuEntryMoved = removeMenuEntry(paths, from).ok();
        break;
    }
    return out;
}

Result<RemoveOutcome> removeProfile(const ProfileStore& store, const std::string& name,
                                    bool withData) {
    LB_ASSIGN(ProfileRef ref, store.find(name));
    if (ref.builtin)
        return Error(quote(name) + " is a built-in profile and cannot be removed", EPERM);
    LB_TRY(checkNoDependents(store, name, "remove"));
    const Paths& paths = store.paths();
    RemoveOutcome out;
    std::string doomed;  // the sandbox's data, moved aside until the profile is gone
    UniqueFd lock;
    if (withData) {
        const std::string dir = paths.sandboxDir(name);
        LB_ASSIGN(bool hasData, sandboxDirExists(dir));
        if (hasData) {
            LB_ASSIGN(lock, lockStoppedSandbox(dir, name, "deleting its sandbox"));
            // Moved out of the way first, so that a half-removed sandbox is never mounted.
            doomed = joinPath(dirName(dir), "." + name + ".removing-XXXXXX");
            if (!::mkdtemp(doomed.data()))
                return Error::fromErrno("mkdtemp(" + quote(doomed) + ")");
            if (::rename(dir.c_str(), joinPath(doomed, name).c_str()) != 0) {
                Error e = Error::fromErrno("rename(" + quote(dir) + ")");
                ::rmdir(doomed.c_str());
                return e.wrap("deleting the sandbox's data");
            }
        }
    }
    if (::unlink(ref.path.c_str()) != 0) {
        Error e = Error::fromErrno("unlink(" + quote(ref.path) + ")");
        if (!doomed.empty()) {
            // The profile stays, and so does its data.
            (void)::rename(joinPath(doomed, name).c_str(), paths.sandboxDir(name).c_str());
            ::rmdir(doomed.c_str());
        }
        return e;
    }
    if (!doomed.empty()) {
        LB_TRY_CTX(removeTree(doomed), "the profile is removed, but its sandbox's data is not");
        out.dataRemoved = true;
    }
    // A built-in of the same name takes the profile's place, and its menu entry still works.
    if (!pathExists(joinPath(paths.builtinProfileDir, name + ".json")))
        out.menuEntryRemoved = removeMenuEntry(paths, name).ok();
    return out;
}

}  // namespace lb
