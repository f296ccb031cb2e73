// Finding, listing and saving profile files. Built-in profiles are installed read-only; a user
// profile of the same name overrides one. Every write is atomic, and a save based on a stale
// copy is refused instead of silently overwriting someone else's edit.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/paths.h"

namespace lb {

struct ProfileRef {
    std::string name;
    std::string path;
    bool builtin = false;
    bool overridesBuiltin = false;  // a user profile shadowing a built-in one of the same name
};

class ProfileStore;

// A profile written beside its file but not yet in its place: everything that can fail for
// lack of space or permission has happened, so commit() is a rename. For changes that must go
// together with another (a commit stacks the new layer on its profile: the profile is
// prepared first, so a full config folder stops the commit before anything moved). Dropped
// without commit(), the written copy is removed.
class PreparedSave {
public:
    PreparedSave() = default;
    PreparedSave(PreparedSave&& o) noexcept { *this = std::move(o); }
    PreparedSave& operator=(PreparedSave&& o) noexcept;
    PreparedSave(const PreparedSave&) = delete;
    PreparedSave& operator=(const PreparedSave&) = delete;
    ~PreparedSave();
    // Put the written copy in place (checking again, under the folder's lock, that the file
    // still has the tag it was prepared against).
    Status commit();

private:
    friend class ProfileStore;
    std::string lockPath_, tmp_, path_, expectedTag_;
};

class ProfileStore {
public:
    explicit ProfileStore(Paths paths) : paths_(std::move(paths)) {}

    const Paths& paths() const { return paths_; }

    // Every profile by name, user profiles first shadowing built-ins; sorted by name.
    std::vector<ProfileRef> list() const;
    // The file a name resolves to.
    Result<ProfileRef> find(const std::string& name) const;
    std::string userPath(const std::string& name) const;

    // The tag of a file's current contents (empty when it does not exist), for `save`.
    static std::string tagOf(const std::string& path);

    // Write a user profile atomically. When `expectedTag` is not "*", the file on disk must
    // still have that tag (empty = must not exist yet); otherwise the save is refused with
    // "changed on disk" and nothing is written. The text must validate.
    Status save(const std::string& name, const std::string& jsonText,
                const std::string& expectedTag) const;
    // The same in two steps: write (validated) beside the file now, put it in place later.
    Result<PreparedSave> prepareSave(const std::string& name, const std::string& jsonText,
                                     const std::string& expectedTag) const;
    // Remove a user profile (built-ins cannot be removed).
    Status remove(const std::string& name) const;

private:
    Paths paths_;
};

}  // namespace lb
