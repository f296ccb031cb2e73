// layerbox desktop install|remove|list: menu entries that start a profile's program in its
// sandbox; layerbox desktop applications: the installed applications they are made from.
#include <cstdio>

#include "base/fsutil.h"
#include "base/jsonw.h"
#include "base/paths.h"
#include "cli/commands.h"
#include "host/menu_entries.h"
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
