// layerbox layer list | rm | du: committed layers, and the disk every sandbox and layer uses.
#include <dirent.h>
#include <sys/stat.h>

#include <cstdio>

#include "base/fsutil.h"
#include "base/jsonw.h"
#include "base/paths.h"
#include "base/progress.h"
#include "base/safe_open.h"
#include "base/units.h"
#include "cli/commands.h"
#include "layers/layers.h"
#include "profile/profile.h"
#include "profile/profile_store.h"

namespace lb::cli {

namespace {

int layerList(const Args& args) {
    auto store = defaultStore();
    const Paths& paths = store.paths();
    auto users = layerUsers(store);
    struct Row {
        std::string name;
        TreeUsage usage;
        LayerInfo info;
        std::vector<std::string> usedBy;
    };
    std::vector<Row> rows;
    Progress progress("measuring layers");
    for (const auto& n : layerNames(paths)) {
        Row r{n, measureTree(joinPath(paths.layerDir(n), "root"), &progress), {}, users[n]};
        if (auto text = readRegularFile(joinPath(paths.layerDir(n), "info"), kProfileMaxBytes,
                                        "a layer's info", false))
            r.info = parseLayerInfo(*text);
        rows.push_back(std::move(r));
    }
    progress.finish();
    if (args.has("json")) {
        JsonWriter w;
        w.beginArray();
        for (const auto& r : rows) {
            w.beginObject()
                .field("name", r.name)
                .field("size", r.usage.bytes)
                .field("disk_bytes", r.usage.diskBytes)
                .field("files", r.usage.files);
            if (r.info.createdUnix > 0)
                w.field("created", isoTime(r.info.createdUnix));
            else
                w.key("created").null();
            w.key("used_by").strings(r.usedBy);
            w.field("source", r.info.source).endObject();
        }
        w.endArray();
        std::printf("%s\n", w.str().c_str());
        return 0;
    }
    std::printf("%-20s %8s %8s %8s  %-16s  %s\n", "NAME", "SIZE", "DISK", "FILES", "CREATED",
                "USED BY");
    for (const auto& r : rows) {
        const std::string used = joinStrings(r.usedBy);
        std::printf("%-20s %8s %8s %8llu  %-16s  %s\n", r.name.c_str(),
                    formatSize(r.usage.bytes).c_str(), formatSize(r.usage.diskBytes).c_str(),
                    static_cast<unsigned long long>(r.usage.files),
                    r.info.createdUnix > 0 ? localTime(r.info.createdUnix).c_str() : "-",
                    used.empty() ? "-" : used.c_str());
    }
    return 0;
}

int layerRm(const Args& args) {
    auto store = defaultStore();
    if (auto s = removeLayer(store, args.positional[0]); !s) return fail(s.error());
    std::printf("removed layer %s\n", args.positional[0].c_str());
    return 0;
}

int layerDu(const Args& args) {
    auto store = defaultStore();
    const Paths& paths = store.paths();
    struct Row {
        std::string kind, name;
        TreeUsage usage;
    };
    std::vector<Row> rows;
    Progress progress("measuring");
    std::vector<std::string> sandboxes;
    const std::string sbDir = joinPath(paths.dataDir(), "sandboxes");
    if (DIR* d = ::opendir(sbDir.c_str())) {
        while (auto* e = ::readdir(d))
            if (e->d_name[0] != '.' && isValidProfileName(e->d_name))
                sandboxes.emplace_back(e->d_name);
        ::closedir(d);
    }
    std::sort(sandboxes.begin(), sandboxes.end());
    for (const auto& s : sandboxes)
        rows.push_back({"sandbox", s, measureTree(paths.sandboxDir(s), &progress)});
    // A layer is measured as `layer list` measures it (its files, not its small info file), so
    // the two commands give one layer the same numbers.
    for (const auto& n : layerNames(paths))
        rows.push_back({"layer", n, measureTree(joinPath(paths.layerDir(n), "root"), &progress)});
    progress.finish();
    uint64_t total = 0;
    for (const auto& r : rows)
        total += r.usage.diskBytes;
    if (args.has("json")) {
        JsonWriter w;
        w.beginObject();
        for (auto [kind, key] : {std::pair{"sandbox", "sandboxes"}, std::pair{"layer", "layers"}}) {
            w.key(key).beginArray();
            for (const auto& r : rows)
                if (r.kind == kind)
                    w.beginObject()
                        .field("name", r.name)
                        .field("disk_bytes", r.usage.diskBytes)
                        .field("size", r.usage.bytes)
                        .field("files", r.usage.files)
                        .endObject();
            w.endArray();
        }
        w.field("total_disk_bytes", total).endObject();
        std::printf("%s\n", w.str().c_str());
        return 0;
    }
    std::printf("%-8s %-20s %8s %8s %8s\n", "KIND", "NAME", "SIZE", "DISK", "FILES");
    for (const auto& r : rows)
        std::printf("%-8s %-20s %8s %8s %8llu\n", r.kind.c_str(), r.name.c_str(),
                    formatSize(r.usage.bytes).c_str(), formatSize(r.usage.diskBytes).c_str(),
                    static_cast<unsigned long long>(r.usage.files));
    std::printf("%-8s %-20s %8s %8s\n", "total", "", "", formatSize(total).c_str());
    return 0;
}

}  // namespace

Command layerCommand() {
    Command c;
    c.name = "layer";
    c.summary = "List, remove and measure committed layers.";
    c.details =
        "Layers live in $XDG_DATA_HOME/layerbox/layers/NAME; make one with layerbox commit.";
    c.subcommands = {
        {.name = "list",
         .summary = "List layers: size, files, created, which profiles use them.",
         .options = {{"json", 0, "", "Machine-readable output (see docs/cli-json.md)."}},
         .run = layerList},
        {.name = "rm",
         .synopsis = "LAYER",
         .summary = "Remove a layer (refused while a profile uses it).",
         .minPositional = 1,
         .maxPositional = 1,
         .run = layerRm},
        {.name = "du",
         .summary = "Disk use of every sandbox and layer.",
         .options = {{"json", 0, "", "Machine-readable output."}},
         .run = layerDu},
    };
    return c;
}

}  // namespace lb::cli
