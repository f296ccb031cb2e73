// layerbox desktop install|remove|list: menu entries that start a profile's program in its
// sandbox; layerbox desktop applications: the installed applications they are made from.
#include <cstdio>
#include <set>

#include "base/fsutil.h"
#include "base/jsonw.h"
#include "base/paths.h"
#include "cli/commands.h"
#include "host/desktop_setup.h"
#include "host/menu_entries.h"
#include "profile/firejail/firejail_reader.h"
#include "profile/profile.h"
#include "profile/profile_store.h"

namespace lb::cli {

namespace {

int install(const Args& args) {
    auto store = defaultStore();
    const std::string& name = args.positional[0];
    if (!isValidProfileName(name))
        return usageError(args.commandPath, quote(name) + " is not a profile name");
    auto profile = loadProfile(store, name);
    if (!profile) return fail(profile.error());
    auto path = installMenuEntry(store.paths(), *profile, layerboxPath(), args.get("name"));
    if (!path) return fail(path.error().wrap("writing the menu entry"));
    std::printf("%s\n", path->c_str());
    return 0;
}

int remove(const Args& args) {
    const std::string& name = args.positional[0];
    if (!isValidProfileName(name))
        return usageError(args.commandPath, quote(name) + " is not a profile name");
    if (auto s = removeMenuEntry(Paths::fromEnvironment(), name); !s) return fail(s.error());
    return 0;
}

int list(const Args& args) {
    auto entries = listMenuEntries(Paths::fromEnvironment());
    if (args.has("json")) {
        JsonWriter w;
        w.beginArray();
        for (const auto& e : entries)
            w.beginObject()
                .field("profile", e.profile)
                .field("name", e.name)
                .field("path", e.path)
                .field("exec", e.exec)
                .endObject();
        w.endArray();
        std::printf("%s\n", w.str().c_str());
        return 0;
    }
    for (const auto& e : entries)
        std::printf("%-18s %-32s %s\n", e.profile.c_str(), forTerminal(e.name).c_str(),
                    forTerminal(e.path).c_str());
    return 0;
}

int applications(const Args& args) {
    auto apps = installedApplications(Paths::fromEnvironment());
    if (args.has("json")) {
        JsonWriter w;
        w.beginArray();
        for (const auto& a : apps) {
            w.beginObject()
                .field("id", a.id)
                .field("name", a.name)
                .field("comment", a.comment)
                .field("icon", a.icon)
                .field("exec", a.exec)
                .key("command")
                .strings(a.command)
                .field("terminal", a.terminal)
                .field("path", a.path)
                .endObject();
        }
        w.endArray();
        std::printf("%s\n", w.str().c_str());
        return 0;
    }
    for (const auto& a : apps)
        std::printf("%-40s %s\n", forTerminal(a.id).c_str(), forTerminal(a.name).c_str());
    return 0;
}

// layerbox desktop setup: firecfg's counterpart (host/desktop_setup.h).
int setup(const Args& args) {
    auto store = defaultStore();
    const bool dry = args.has("dry-run");
    if (args.has("undo")) {
        if (dry) {
            auto manifest = loadSetupManifest(store.paths());
            if (!manifest) return fail(manifest.error());
            for (const auto& r : *manifest)
                std::printf("would remove profile %s and its menu entry %s\n", r.profile.c_str(),
                            forTerminal(r.entry).c_str());
            return 0;
        }
        std::vector<std::string> removed, kept;
        if (auto s = undoDesktopSetup(store, removed, kept); !s) return fail(s.error());
        for (const auto& p : removed)
            std::printf("removed profile %s and its menu entry\n", p.c_str());
        for (const auto& p : kept)
            std::printf(
                "kept profile %s (changed since desktop setup made it); its menu entry "
                "was removed\n",
                p.c_str());
        return 0;
    }
    const auto env = firejail::Environment::fromSystem();
    auto names = firejail::installedProfiles(env);
    std::set<std::string> firejailProfiles(names.begin(), names.end()), existing;
    for (const auto& ref : store.list())
        existing.insert(ref.name);
    auto actions =
        planDesktopSetup(installedApplications(store.paths()), firejailProfiles, existing);
    int todo = 0;
    for (const auto& a : actions) {
        if (!a.skip.empty()) {
            std::printf("skip %s (%s): %s\n", forTerminal(a.appId).c_str(),
                        forTerminal(a.appName).c_str(), a.skip.c_str());
            continue;
        }
        ++todo;
        if (dry)
            std::printf(
                "would import Firejail profile %s as %s and add the menu entry "
                "\"%s (sandboxed)\" (%s)\n",
                a.program.c_str(), a.profile.c_str(), forTerminal(a.appName).c_str(),
                forTerminal(a.appId).c_str());
    }
    if (dry) {
        std::printf("%d application(s) would get a sandboxed menu entry\n", todo);
        return 0;
    }
    std::vector<std::string> failures;
    auto added = applyDesktopSetup(actions, store, layerboxPath(), failures);
    if (!added) return fail(added.error());
    for (const auto& r : *added)
        std::printf("imported %s; menu entry %s\n", r.profile.c_str(),
                    forTerminal(r.entry).c_str());
    for (const auto& f : failures)
        std::fprintf(stderr, "layerbox: %s\n", safeLine(f).c_str());
    std::printf(
        "%zu application(s) got a sandboxed menu entry (undo: layerbox desktop setup "
        "--undo)\n",
        added->size());
    return failures.empty() ? 0 : 1;
}

}  // namespace

Command desktopCommand() {
    Command c;
    c.name = "desktop";
    c.summary = "Menu entries that start a profile's program in its sandbox.";
    c.details =
        "Entries are written to $XDG_DATA_HOME/applications/layerbox-PROFILE.desktop, with the "
        "name, icon and file types of the application's own entry (the profile's "
        "desktop_entry).";
    c.subcommands = {
        {.name = "install",
         .synopsis = "PROFILE",
         .summary = "Write a menu entry for a profile (\"Firefox ESR (sandboxed)\").",
         .options = {{"name", 0, "NAME", "Name shown in menus instead of the generated one."}},
         .minPositional = 1,
         .maxPositional = 1,
         .run = install},
        {.name = "remove",
         .synopsis = "PROFILE",
         .summary = "Remove the menu entry Layerbox wrote for a profile.",
         .minPositional = 1,
         .maxPositional = 1,
         .run = remove},
        {.name = "list",
         .summary = "List the menu entries Layerbox wrote.",
         .options = {{"json", 0, "", "Machine-readable output (see docs/cli-json.md)."}},
         .run = list},
        {.name = "setup",
         .synopsis = "[--dry-run] [--undo]",
         .summary = "Sandboxed menu entries for every application with a Firejail profile.",
         .details = "As Firejail's firecfg: each installed application (its .desktop file) "
                    "whose program has an installed Firejail profile gets that profile imported "
                    "(as profile import-firejail) and a sandboxed menu entry. A profile that "
                    "exists already is left alone. What was added is recorded in "
                    "$XDG_STATE_HOME/layerbox/desktop-setup; --undo removes exactly that (a "
                    "profile edited since is kept).",
         .options = {{"dry-run", 0, "", "List what would be done; change nothing."},
                     {"undo", 0, "", "Remove what earlier runs added."}},
         .run = setup},
        {.name = "applications",
         .summary = "List the applications installed here, as menus show them.",
         .details = "From the desktop entries in $XDG_DATA_HOME/applications and each of "
                    "$XDG_DATA_DIRS; the desktop_entry of a profile names one of them.",
         .options = {{"json", 0, "", "Machine-readable output (see docs/cli-json.md)."}},
         .run = applications},
    };
    return c;
}

}  // namespace lb::cli
