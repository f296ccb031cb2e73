// layerbox diff | cat | recover | discard | reset | commit: what a sandbox changed, and what to
// keep.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>

#include "base/fsutil.h"
#include "base/hostinfo.h"
#include "base/jsonw.h"
#include "base/paths.h"
#include "base/progress.h"
#include "cli/commands.h"
#include "launch/instances.h"
#include "layers/changes.h"
#include "layers/grant_store.h"
#include "layers/layers.h"
#include "layers/recover.h"
#include "profile/profile.h"
#include "profile/profile_store.h"

namespace lb::cli {

namespace {

// A path as the sandbox sees it: "~" is the home (the same path inside), a relative path is
// taken from the current directory. ".." is refused rather than resolved.
std::optional<std::string> sandboxPathArg(const std::string& arg, const std::string& home) {
    std::string p = expandHome(arg, home);
    if (p.empty()) return std::nullopt;
    if (p[0] != '/') {
        char* cwd = ::getcwd(nullptr, 0);
        if (!cwd) return std::nullopt;
        p = joinPath(cwd, p);
        std::free(cwd);
    }
    for (const auto& part : split(p, '/'))
        if (part == "..") return std::nullopt;
    return normalizePath(p);
}

struct Loaded {
    ProfileStore store;
    Profile profile;
};

Result<Loaded> load(const std::string& nameOrPath) {
    Loaded l{defaultStore(), {}};
    LB_ASSIGN(l.profile, loadProfile(l.store, nameOrPath));
    return l;
}

ScanPlan scanPlanFor(const Loaded& l) {
    return planScan(l.profile, HostInfo::probe(), l.store.paths());
}

int diffCommand(const Args& args) {
    auto l = load(args.positional[0]);
    if (!l) return fail(l.error());
    ScanPlan plan = scanPlanFor(*l);
    if (args.positional.size() > 1) {
        auto only = sandboxPathArg(args.positional[1], l->store.paths().home);
        if (!only) return usageError(args.commandPath, "PATH must not contain \"..\"");
        plan.only = *only;
    }
    auto changes = scanChanges(plan);
    if (!changes) return fail(changes.error());
    if (args.has("json")) {
        JsonWriter w;
        w.beginArray();
        for (const auto& c : *changes) {
            w.beginObject()
                .field("path", c.path)
                .field("kind", changeKindName(c.kind))
                .field("type", c.type)
                .field("size", c.size)
                .field("mtime", c.mtime);
            if (c.type == "symlink") w.field("target", c.target);
            w.endObject();
        }
        w.endArray();
        std::fwrite(w.str().data(), 1, w.str().size(), stdout);
        std::fputc('\n', stdout);
        return 0;
    }
    for (const auto& c : *changes) {
        bool sized = c.type == "file" || c.type == "symlink";
        std::printf("%-9s %-8s %7s  %s  %s\n", changeKindName(c.kind), c.type.c_str(),
                    sized ? formatSize(c.size).c_str() : "-", localTime(c.mtime).c_str(),
                    forTerminal(c.path).c_str());
    }
    if (changes->empty())
        std::fprintf(stderr, "layerbox: no changes in the sandbox of %s\n",
                     l->profile.name.c_str());
    return 0;
}

int catCommand(const Args& args) {
    auto l = load(args.positional[0]);
    if (!l) return fail(l.error());
    auto path = sandboxPathArg(args.positional[1], l->store.paths().home);
    if (!path) return usageError(args.commandPath, "PATH must not contain \"..\"");
    uint64_t maxBytes = UINT64_MAX;
    if (args.has("max-bytes")) {
        auto n = parseSize(args.get("max-bytes"));
        if (!n) return usageError(args.commandPath, "--max-bytes takes a size (4096, 256K)");
        maxBytes = *n;
    }
    auto text = readChangedFile(joinPath(l->store.paths().sandboxDir(l->profile.name), "upper"),
                                *path, maxBytes);
    if (!text) return fail(text.error());
    std::fwrite(text->data(), 1, text->size(), stdout);
    return 0;
}

int recoverCommand(const Args& args) {
    auto l = load(args.positional[0]);
    if (!l) return fail(l.error());
    const Paths& paths = l->store.paths();
    std::vector<std::string> wanted;
    for (size_t i = 1; i < args.positional.size(); ++i) {
        auto p = sandboxPathArg(args.positional[i], paths.home);
        if (!p) return usageError(args.commandPath, "paths must not contain \"..\"");
        wanted.push_back(*p);
    }
    std::string to;
    if (args.has("to")) {
        auto t = sandboxPathArg(args.get("to"), paths.home);  // a host path, resolved alike
        if (!t) return usageError(args.commandPath, "--to must not contain \"..\"");
        to = *t;
        if (auto s = makeDirs(to, 0755); !s) return fail(s.error().wrap("--to"));
    }
    if (args.has("force") && args.has("keep-both"))
        return usageError(args.commandPath, "--force and --keep-both exclude each other");
    const OnExisting onExisting = args.has("force")       ? OnExisting::Replace
                                  : args.has("keep-both") ? OnExisting::KeepBoth
                                                          : OnExisting::Skip;
    auto items = planRecover(wanted, paths.home, to);
    Progress progress("recovering");
    auto report = applyRecover(joinPath(paths.sandboxDir(l->profile.name), "upper"), items,
                               onExisting, whiteoutRule(scanPlanFor(*l)), &progress);
    progress.finish();
    if (args.has("json")) {
        JsonWriter w;
        w.beginObject().key("copied").beginArray();
        for (const auto& c : report.copied)
            w.beginObject()
                .field("from", c.from)
                .field("to", c.to)
                .field("size", c.size)
                .endObject();
        w.endArray().key("skipped").beginArray();
        for (const auto& s : report.skipped)
            w.beginObject().field("path", s.path).field("reason", s.reason).endObject();
        w.endArray().endObject();
        std::printf("%s\n", w.str().c_str());
        return 0;  // the report says what was skipped (the GUI asks about overwriting)
    }
    uint64_t bytes = 0;
    for (const auto& c : report.copied) {
        std::printf("recovered %s -> %s (%s)\n", forTerminal(c.from).c_str(),
                    forTerminal(c.to).c_str(), formatSize(c.size).c_str());
        bytes += c.size;
    }
    // A total closes a long list (a folder of thousands of files), on both streams' terms.
    if (report.copied.size() + report.skipped.size() > 1)
        std::printf(
            "recovered %zu file%s (%s in all)%s\n", report.copied.size(),
            report.copied.size() == 1 ? "" : "s", formatSize(bytes).c_str(),
            report.skipped.empty()
                ? ""
                : (", skipped " + std::to_string(report.skipped.size()) + " (below)").c_str());
    std::fflush(stdout);
    for (const auto& s : report.skipped)
        std::fprintf(stderr, "layerbox: skipped %s: %s\n", forTerminal(s.path).c_str(),
                     safeLine(s.reason).c_str());
    return report.skipped.empty() ? 0 : 1;
}

int discardCommand(const Args& args) {
    auto l = load(args.positional[0]);
    if (!l) return fail(l.error());
    const std::string& name = l->profile.name;
    const std::string dir = l->store.paths().sandboxDir(name);
    std::vector<std::string> wanted;
    for (size_t i = 1; i < args.positional.size(); ++i) {
        auto p = sandboxPathArg(args.positional[i], l->store.paths().home);
        if (!p) return usageError(args.commandPath, "paths must not contain \"..\"");
        wanted.push_back(*p);
    }
    if (!isDirectory(dir)) return fail("the sandbox of " + quote(name) + " has no changes");
    auto lock = lockStoppedSandbox(dir, name, "discarding changes");
    if (!lock) return fail(lock.error());
    ScanPlan plan = scanPlanFor(*l);
    int rc = 0;
    for (const auto& p : wanted) {
        if (auto s = discardPath(plan, p); !s)
            rc = fail(s.error());
        else
            std::printf("discarded %s\n", forTerminal(p).c_str());
    }
    return rc;
}

int resetCommand(const Args& args) {
    auto l = load(args.positional[0]);
    if (!l) return fail(l.error());
    const std::string& name = l->profile.name;
    const std::string dir = l->store.paths().sandboxDir(name);
    if (!isDirectory(dir)) {
        std::printf("the sandbox of %s has no changes\n", name.c_str());
        return 0;
    }
    auto lock = lockStoppedSandbox(dir, name, "resetting it");
    if (!lock) return fail(lock.error());
    // Counted under the lock, so the line says what was there (a run that changed nothing
    // still leaves a sandbox folder behind: "every change was dropped" would not be so).
    auto changes = scanChanges(scanPlanFor(*l));
    if (auto s = resetSandbox(dir); !s) return fail(s.error());
    if (!changes)
        std::printf("reset %s\n", name.c_str());
    else if (changes->empty())
        std::printf("reset %s: it had no changes\n", name.c_str());
    else
        std::printf("reset %s: %zu %s dropped\n", name.c_str(), changes->size(),
                    changes->size() == 1 ? "change" : "changes");
    // The files given to the profile are the user's choice, not the sandbox's changes: a reset
    // keeps them (grant_store.h), and says so, with how to take them back.
    if (auto given = loadGrants(l->store.paths(), name); !given.empty())
        std::printf(
            "%zu %s given to %s stay%s given (a reset keeps them): see layerbox grants %s; "
            "take one back with layerbox grants rm %s PATH\n",
            given.size(), given.size() == 1 ? "file" : "files", name.c_str(),
            given.size() == 1 ? "s" : "", name.c_str(), name.c_str());
    return 0;
}

int commitCommand(const Args& args) {
    std::string layer = args.get("as");
    if (args.positional.size() > 1) {
        if (!layer.empty() && layer != args.positional[1])
            return usageError(args.commandPath, "two layer names given");
        layer = args.positional[1];
    }
    if (layer.empty()) return usageError(args.commandPath, "--as LAYER is required");
    if (!isValidProfileName(layer))
        return fail(quote(layer) + " is not a valid layer name (use a-z, 0-9, - and _)");
    const bool json = args.has("json");
    auto l = load(args.positional[0]);
    if (!l) return fail(l.error());
    const std::string& name = l->profile.name;
    const Paths& paths = l->store.paths();
    const std::string dir = paths.sandboxDir(name);
    if (!isDirectory(dir))
        return fail("the sandbox of " + quote(name) + " has no changes to commit");
    auto lock = lockStoppedSandbox(dir, name, "committing its changes");
    if (!lock) return fail(lock.error());
    const ScanPlan scanPlan = scanPlanFor(*l);
    auto changes = scanChanges(scanPlan);
    if (!changes) return fail(changes.error());
    if (changes->empty())
        return fail("the sandbox of " + quote(name) + " has no changes to commit");
    CommitOptions options;
    options.includeHome = args.has("include-home");
    options.whiteouts = whiteoutRule(scanPlan);
    if (!options.includeHome && std::all_of(changes->begin(), changes->end(), [&](const auto& c) {
            return isPathWithin(c.path, paths.home);
        }))
        return fail("the changes of " + quote(name) + " are all in its home (" + paths.home +
                    "), which a commit leaves out: add --include-home to commit them");
    // The profile that will stack the layer is written first (not yet in place): a config
    // folder that is full or read-only stops the commit here, with every change still in the
    // sandbox, instead of leaving a layer that nothing uses and a sandbox without its changes.
    std::optional<PreparedSave> attach;
    if (!args.has("no-attach")) {
        auto prepared = prepareAttachLayer(l->store, l->profile, layer);
        if (!prepared)
            return fail(prepared.error().wrap("nothing was committed: " + quote(name) +
                                              " could not be set to stack the layer"));
        attach = std::move(*prepared);
    }
    Progress progress("copying the layer");
    if (json) progress.setJson(stdout);
    auto result = commitLayer(paths, name, layer, options, &progress);
    progress.finish();
    if (!result) return fail(result.error());
    lock->reset();
    for (const auto& w : result->markers.warnings)
        std::fprintf(stderr, "layerbox: warning: %s\n", safeLine(w).c_str());
    auto layers = layersWithOnTop(l->profile.filesystem.layers, layer);
    Status attached;
    if (attach) attached = attach->commit();  // a rename: nothing left to run out of
    if (json) {
        JsonWriter w;
        w.beginObject()
            .field("layer", layer)
            .field("profile", name)
            .field("path", result->layerDir)
            .field("copied", result->copied)
            .field("home_left_out", result->homeLeftOut)
            .field("attached", !args.has("no-attach") && attached.ok());
        if (!args.has("no-attach") && attached.ok()) w.key("layers").strings(layers);
        w.endObject();
        std::printf("%s\n", w.str().c_str());
    } else {
        std::printf("committed the changes of %s as layer %s (%s)\n", name.c_str(), layer.c_str(),
                    result->layerDir.c_str());
        if (!result->homeLeftOut.empty())
            std::printf(
                "its home (%s) was left out and stays in the sandbox (--include-home "
                "commits it too)\n",
                result->homeLeftOut.c_str());
        if (!args.has("no-attach") && attached.ok()) {
            const std::string list = joinStrings(layers);
            std::printf("%s now stacks it: filesystem.layers = [%s]\n", name.c_str(), list.c_str());
        }
    }
    if (!attached)
        return fail(attached.error().wrap("layer " + quote(layer) + " is committed, but " +
                                          quote(name) + " does not stack it yet"));
    return 0;
}

}  // namespace

std::vector<Command> changeCommands() {
    std::vector<Command> out;
    out.push_back({.name = "diff",
                   .synopsis = "PROFILE [PATH]",
                   .summary = "List what a sandbox changed: added, modified, deleted, replaced.",
                   .details =
                       "Reads only the sandbox's own layer, so it works while the sandbox runs. "
                       "PATH limits the list to that path and what is below it.",
                   .options = {{"json", 0, "", "Machine-readable output (see docs/cli-json.md)."}},
                   .minPositional = 1,
                   .maxPositional = 2,
                   .run = diffCommand});
    out.push_back({.name = "cat",
                   .synopsis = "PROFILE PATH",
                   .summary = "Print a file as the sandbox wrote it (from its own layer).",
                   .details = "Only changed regular files; no symbolic link is followed. Works "
                              "while the sandbox runs.",
                   .options = {{"max-bytes", 0, "SIZE", "Print at most SIZE bytes (256K)."}},
                   .minPositional = 2,
                   .maxPositional = 2,
                   .run = catCommand});
    out.push_back({.name = "recover",
                   .synopsis = "PROFILE PATH...",
                   .summary = "Copy changed files out of a sandbox onto the host.",
                   .details =
                       "Paths in the sandbox's home go to the same path in your home; other paths "
                       "need --to. Nothing is overwritten without --force, no symbolic link is "
                       "followed or recreated, device files, fifos and sockets are skipped; mode "
                       "and times are kept.\n"
                       "Exit status: 0 when everything was recovered, 1 when something was skipped "
                       "(with --json: 0, the report lists what was skipped).",
                   .options = {{"to", 0, "DIR", "Recover into DIR (created when missing)."},
                               {"force", 'f', "", "Overwrite existing files."},
                               {"keep-both", 'k', "",
                                "Where a file exists, recover beside it as \"NAME (1).EXT\"."},
                               {"json", 0, "", "Machine-readable output (see docs/cli-json.md)."}},
                   .minPositional = 2,
                   .maxPositional = -1,
                   .run = recoverCommand});
    out.push_back({.name = "discard",
                   .synopsis = "PROFILE PATH...",
                   .summary = "Drop some changes: the paths show the system's version again.",
                   .details = "A directory goes with everything in it. Inside a replaced "
                              "directory an entry is only removed: discard the directory to see "
                              "the system's version again. Refused while the sandbox runs.",
                   .minPositional = 2,
                   .maxPositional = -1,
                   .run = discardCommand});
    out.push_back({.name = "reset",
                   .synopsis = "PROFILE",
                   .summary = "Drop every change of a sandbox.",
                   .details = "Files given to the profile (layerbox grants) are kept; the "
                              "command says how many and how to take them back. Refused while "
                              "the sandbox runs.",
                   .minPositional = 1,
                   .maxPositional = 1,
                   .run = resetCommand});
    out.push_back(
        {.name = "commit",
         .synopsis = "PROFILE --as LAYER",
         .summary = "Turn a sandbox's changes into a read-only layer; its own layer is emptied "
                    "(but for its home, which stays unless --include-home).",
         .details = "The layer is then stacked on the profile (filesystem.layers; for a built-in "
                    "profile a user profile of the same name is written), so it keeps seeing "
                    "its files; other profiles can name the layer too. Refused while the sandbox "
                    "runs.",
         .options = {{"as", 0, "LAYER", "Name of the new layer."},
                     {"no-attach", 0, "", "Do not add the layer to the profile."},
                     {"include-home", 0, "",
                      "Commit the sandbox's home too (left out by default: every profile "
                      "stacking the layer would read it)."},
                     {"json", 0, "", "Machine-readable output and progress."}},
         .minPositional = 1,
         .maxPositional = 2,
         .run = commitCommand});
    return out;
}

}  // namespace lb::cli
