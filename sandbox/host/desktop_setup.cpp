#include "host/desktop_setup.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/fsutil.h"
#include "base/paths.h"
#include "host/menu_entries.h"
#include "profile/firejail/firejail_convert.h"
#include "profile/firejail/firejail_reader.h"
#include "profile/profile.h"
#include "profile/profile_store.h"

namespace lb {

std::vector<SetupAction> planDesktopSetup(const std::vector<InstalledApplication>& apps,
                                          const std::set<std::string>& firejailProfiles,
                                          const std::set<std::string>& existing) {
    std::vector<SetupAction> out;
    std::set<std::string> programs;
    for (const auto& app : apps) {
        if (app.command.empty() || startsWith(app.id, "layerbox-")) continue;
        std::string program = baseName(app.command[0]);
        if (!firejailProfiles.count(program) || !programs.insert(program).second) continue;
        SetupAction a;
        a.appId = app.id;
        a.appName = app.name;
        a.program = program;
        a.profile = profileNameFrom(program);
        if (!isValidProfileName(a.profile))
            a.skip = "no profile name can be made from " + quote(program);
        else if (existing.count(a.profile))
            a.skip = "a profile named " + quote(a.profile) + " exists already";
        out.push_back(std::move(a));
    }
    return out;
}

std::string setupManifestPath(const Paths& paths) {
    return joinPath(paths.stateHome, "layerbox/desktop-setup");
}

namespace {

constexpr const char* kManifestHeader = "# layerbox desktop setup: what it added (one per line)";

std::string encodeManifest(const std::vector<SetupRecord>& records) {
    std::string t = std::string(kManifestHeader) + "\n";
    for (const auto& r : records)
        t += r.profile + "\t" + r.profileTag + "\t" + r.entry + "\t" + r.appId + "\n";
    return t;
}

Status saveManifest(const Paths& paths, const std::vector<SetupRecord>& records) {
    const std::string path = setupManifestPath(paths);
    LB_TRY(makeDirs(dirName(path), 0700));
    return writeFileAtomic(path, encodeManifest(records), 0600);
}

bool clean(const std::string& s) {
    return std::none_of(s.begin(), s.end(), [](char c) { return c == '\t' || c == '\n'; });
}

}  // namespace

Result<std::vector<SetupRecord>> loadSetupManifest(const Paths& paths) {
    std::vector<SetupRecord> out;
    auto text = readFile(setupManifestPath(paths));
    if (!text) {
        if (text.error().code() == ENOENT) return out;
        return text.error();
    }
    int n = 0;
    for (const auto& line : split(*text, '\n')) {
        ++n;
        if (line.empty() || line[0] == '#') continue;
        auto f = split(line, '\t');
        if (f.size() != 4 || !isValidProfileName(f[0]))
            return Error(setupManifestPath(paths) + ":" + std::to_string(n) +
                             ": not a line desktop setup wrote",
                         EINVAL);
        out.push_back({f[0], f[1], f[2], f[3]});
    }
    return out;
}

Result<std::vector<SetupRecord>> applyDesktopSetup(const std::vector<SetupAction>& actions,
                                                   const ProfileStore& store,
                                                   const std::string& layerbox,
                                                   std::vector<std::string>& failures) {
    LB_ASSIGN(std::vector<SetupRecord> manifest, loadSetupManifest(store.paths()));
    std::vector<SetupRecord> added;
    const auto env = firejail::Environment::fromSystem();
    firejail::IncludeCache includes;  // the shared .inc files parsed once
    for (const auto& a : actions) {
        if (!a.skip.empty()) continue;
        auto failed = [&](const Error& e) { failures.push_back(a.appId + ": " + e.message()); };
        if (!clean(a.appId)) continue;
        auto read = firejail::readProfile(env, a.program, &includes);
        if (!read) {
            failed(read.error());
            continue;
        }
        auto conv = firejail::convert(*read, env, {a.profile, a.program, a.appId});
        if (!conv) {
            failed(conv.error());
            continue;
        }
        // "" = must not exist: a profile made meanwhile is never overwritten.
        if (auto s = store.save(a.profile, conv->profileJson, ""); !s) {
            failed(s.error());
            continue;
        }
        SetupRecord r{a.profile, ProfileStore::tagOf(store.userPath(a.profile)), "", a.appId};
        auto profile = loadProfile(store, a.profile);
        auto entry = profile ? installMenuEntry(store.paths(), *profile, layerbox)
                             : Result<std::string>(profile.error());
        if (entry) r.entry = *entry;
        // Recorded even without its entry: undo must still take the profile away.
        manifest.push_back(r);
        added.push_back(r);
        LB_TRY_CTX(saveManifest(store.paths(), manifest), "writing the setup manifest");
        if (!entry) failed(entry.error());
    }
    return added;
}

Status undoDesktopSetup(const ProfileStore& store, std::vector<std::string>& removed,
                        std::vector<std::string>& kept) {
    LB_ASSIGN(std::vector<SetupRecord> manifest, loadSetupManifest(store.paths()));
    for (const auto& r : manifest) {
        // Only the entry desktop setup wrote for this profile (removeMenuEntry checks it is
        // Layerbox's), and the profile only if it is still the file it saved.
        if (!r.entry.empty() && r.entry == menuEntryPath(store.paths(), r.profile)) {
            auto s = removeMenuEntry(store.paths(), r.profile);
            if (!s && s.error().code() != ENOENT) return s;
        }
        const std::string path = store.userPath(r.profile);
        if (!pathExists(path)) continue;
        if (ProfileStore::tagOf(path) != r.profileTag) {
            kept.push_back(r.profile);
            continue;
        }
        if (::unlink(path.c_str()) != 0) return Error::fromErrno("unlink(" + quote(path) + ")");
        removed.push_back(r.profile);
    }
    if (::unlink(setupManifestPath(store.paths()).c_str()) != 0 && errno != ENOENT)
        return Error::fromErrno("unlink(" + quote(setupManifestPath(store.paths())) + ")");
    return Ok();
}

}  // namespace lb
