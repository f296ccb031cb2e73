// layerbox grants PROFILE [--json]: the files given to a profile's sandbox; layerbox grants rm
// PROFILE PATH: take one back, at once, in a running sandbox too.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "base/fsutil.h"
#include "base/jsonw.h"
#include "base/paths.h"
#include "cli/commands.h"
#include "isolation/file_grants.h"
#include "launch/instances.h"
#include "launch/join.h"
#include "layers/grant_store.h"
#include "profile/profile.h"

namespace lb::cli {

namespace {

std::string currentDir() {
    std::string cwd = "/";
    if (char* c = ::getcwd(nullptr, 0)) {
        cwd = c;
        std::free(c);
    }
    return cwd;
}

int list(const Args& args) {
    const std::string& name = args.positional[0];
    if (!isValidProfileName(name))
        return usageError(args.commandPath, quote(name) + " is not a profile name");
    auto grants = loadGrants(Paths::fromEnvironment(), name);
    if (args.has("json")) {
        JsonWriter w;
        w.beginArray();
        for (const auto& g : grants)
            w.beginObject()
                .field("path", g.path)
                .field("mode", g.rw ? "rw" : "ro")
                .field("exists", pathExists(g.path))
                .endObject();
        w.endArray();
        std::printf("%s\n", w.str().c_str());
        return 0;
    }
    for (const auto& g : grants)
        std::printf("%s %s%s\n", g.rw ? "rw" : "ro", g.path.c_str(),
                    pathExists(g.path) ? "" : " (gone)");
    return 0;
}

int remove(const Args& args) {
    const std::string& name = args.positional[0];
    if (!isValidProfileName(name))
        return usageError(args.commandPath, quote(name) + " is not a profile name");
    const std::string path = grantPath(args.positional[1], currentDir());
    Paths paths = Paths::fromEnvironment();
    auto forgotten = forgetGrant(paths, name, path);
    if (!forgotten) return fail(forgotten.error().wrap("forgetting " + quote(path)));
    bool found = *forgotten;
    // Running sandboxes of the profile unmount it now.
    for (const auto& inst : InstanceRegistry(paths).list()) {
        if (inst.profile != name) continue;
        auto r = revokeInInstance(inst, path);
        if (!r) return fail(r.error().wrap("taking " + quote(path) + " back from " + inst.id));
        if (r->kind == GrantReply::Kind::Failed) return fail(r->error);
        if (r->kind == GrantReply::Kind::Done) found = true;
    }
    if (!found)
        return fail(quote(path) + " was not given to " + quote(name) + " (see layerbox grants " +
                    name + ")");
    return 0;
}

}  // namespace

Command grantsCommand() {
    Command c;
    c.name = "grants";
    c.synopsis = "PROFILE";
    c.summary = "List the files given to a profile's sandbox; take one back.";
    c.details =
        "Files are given by 'layerbox run' (a program run by its path, --file, --file-rw, "
        "@@ FILE... @@) and by menu entries opening a file. A persistent profile keeps them "
        "for its next runs; an ephemeral run keeps nothing.";
    c.options = {{"json", 0, "", "Machine-readable output (see docs/cli-json.md)."}};
    c.minPositional = 1;
    c.maxPositional = 1;
    c.run = list;
    c.subcommands = {
        {.name = "rm",
         .synopsis = "PROFILE PATH",
         .summary = "Take a file back: gone from the running sandbox at once, and from later runs.",
         .minPositional = 2,
         .maxPositional = 2,
         .run = remove},
    };
    return c;
}

}  // namespace lb::cli
