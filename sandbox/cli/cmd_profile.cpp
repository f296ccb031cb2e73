// layerbox profile list|show|validate|new|duplicate|rename|rm|export|import|schema|path|fields
#include <unistd.h>

#include <cstdio>

#include "base/fsutil.h"
#include "base/jsonw.h"
#include "base/safe_open.h"
#include "cli/commands.h"
#include "host/profile_admin.h"
#include "network/host_networks.h"
#include "network/network.h"
#include "profile/firejail/firejail_convert.h"
#include "profile/firejail/firejail_reader.h"
#include "profile/profile.h"
#include "profile/profile_store.h"

namespace lb::cli {

ProfileStore defaultStore() {
    return ProfileStore(Paths::fromEnvironment());
}

std::string layerboxPath() {
    return joinPath(executableDir(), "layerbox");
}

namespace {

std::string joinWords(const std::vector<std::string>& v, const char* sep = " ") {
    std::string out;
    for (const auto& s : v)
        out += (out.empty() ? "" : sep) + s;
    return out;
}

int listProfiles(const Args& args) {
    auto store = defaultStore();
    auto refs = store.list();
    if (args.has("json")) {
        JsonWriter w;
        w.beginArray();
        for (const auto& r : refs) {
            auto p = loadProfile(store, r.name);
            w.beginObject()
                .field("name", r.name)
                .field("path", r.path)
                .field("builtin", r.builtin)
                .field("overrides_builtin", r.overridesBuiltin);
            if (p) {
                w.field("title", p->title).field("description", p->description);
                w.field("icon", p->icon).field("desktop_entry", p->desktopEntry);
                w.field("valid", true);
            } else {
                w.field("valid", false).field("error", p.error().message());
            }
            w.endObject();
        }
        w.endArray();
        std::printf("%s\n", w.str().c_str());
        return 0;
    }
    std::printf("%-18s %-22s %s\n", "NAME", "SOURCE", "DESCRIPTION");
    for (const auto& r : refs) {
        auto p = loadProfile(store, r.name);
        std::string source = r.builtin            ? "built-in"
                             : r.overridesBuiltin ? "user (over built-in)"
                                                  : "user";
        std::string desc = p ? (p->description.empty() ? p->title : p->description)
                             : "INVALID: " + p.error().message();
        std::printf("%-18s %-22s %s\n", r.name.c_str(), source.c_str(), safeLine(desc).c_str());
    }
    return 0;
}

std::string describeBind(const Bind& b) {
    std::string s = b.host;
    if (b.sandbox != b.host) s += " -> " + b.sandbox;
    s += b.rw ? " (rw" : " (ro";
    if (b.create) s += ", create";
    if (b.optional) s += ", optional";
    return s + ")";
}

int showProfile(const Args& args) {
    auto store = defaultStore();
    const std::string& name = args.positional[0];
    if (args.has("json")) {
        auto text = mergedProfileJson(store, name, true);
        if (!text) return fail(text.error());
        std::printf("%s\n", text->c_str());
        return 0;
    }
    auto pr = loadProfile(store, name);
    if (!pr) return fail(pr.error());
    const Profile& p = *pr;
    auto row = [](const char* label, const std::string& value) {
        std::printf("  %-13s%s\n", label, value.empty() ? "-" : safeLine(value).c_str());
    };
    std::printf("%s%s: %s\n", p.name.c_str(), p.builtin ? " (built-in)" : "",
                forTerminal(p.title).c_str());
    if (!p.description.empty()) std::printf("  %s\n", forTerminal(p.description).c_str());
    row("file", p.sourceFile);
    row("extends", p.extends);
    row("command", joinWords(p.command));
    const auto& fs = p.filesystem;
    row("storage", std::string("driver ") + driverName(fs.driver) +
                       (fs.ephemeral ? ", ephemeral" : ", changes kept") + ", home " +
                       homeModeName(fs.home) +
                       (fs.layers.empty() ? "" : ", layers " + joinWords(fs.layers)));
    std::vector<std::string> binds;
    for (const auto& b : fs.binds)
        binds.push_back(describeBind(b));
    row("binds", joinWords(binds, "; "));
    row("hidden", joinWords(fs.hide));
    row("devices", joinWords(fs.devices));
    if (fs.privateEtc)
        row("/etc", "only " +
                        (fs.privateEtc->empty() ? std::string("Layerbox's own files")
                                                : joinWords(*fs.privateEtc, ", ")) +
                        " (read-only)");
    row("recover", joinWords(fs.recoverWatch));
    const auto& n = p.network;
    std::string net =
        n.mode == NetMode::Nat ? "nat, firewall " + n.firewall : "none (loopback only)";
    if (n.mode == NetMode::Nat) {
        if (n.hostLoopback) net += ", host loopback";
        for (const auto& f : n.ports)
            net += ", " + f.hostAddr + ":" + std::to_string(f.host) + "->" +
                   std::to_string(f.sandbox) + "/" + f.proto;
        if (!n.rules.empty()) net += ", " + std::to_string(n.rules.size()) + " rules";
    }
    row("network", net + ", hostname " + n.hostname);
    // Names the sandbox's resolver answers (the firewall reaches only what it answered).
    if (n.filtersNames())
        row("domains", (n.allowDomains.empty() ? std::string("any name")
                                               : "only " + joinWords(n.allowDomains)) +
                           (n.denyDomains.empty() ? "" : ", never " + joinWords(n.denyDomains)));
    if (n.mode == NetMode::Nat && n.firewall == "internet-only") {
        // What the preset refuses on this machine now (the host's addresses and networks).
        auto host = readHostNetworks();
        std::vector<std::string> nets;
        if (host) {
            nets = host->v4;
            nets.insert(nets.end(), host->v6.begin(), host->v6.end());
        }
        row("refuses", std::string("the LAN ranges (") + kInternetOnlyRanges4 + ", " +
                           kInternetOnlyRanges6 + ") and, on this machine now, " +
                           (!host          ? "? (" + host.error().message() + ")"
                            : nets.empty() ? std::string("no other address")
                                           : joinStrings(nets)));
    }
    const auto& r = p.resources;
    std::vector<std::string> res;
    if (r.memoryMax) res.push_back("memory " + formatSize(*r.memoryMax));
    if (r.memoryHigh) res.push_back("memory high " + formatSize(*r.memoryHigh));
    if (r.memorySwapMax) res.push_back("swap " + formatSize(*r.memorySwapMax));
    if (r.cpuPercent) res.push_back("cpu " + std::to_string(*r.cpuPercent) + "%");
    if (r.cpuWeight) res.push_back("cpu weight " + std::to_string(*r.cpuWeight));
    if (r.tasksMax) res.push_back("tasks " + std::to_string(*r.tasksMax));
    if (r.ioWeight) res.push_back("io weight " + std::to_string(*r.ioWeight));
    if (r.requireLimits) res.push_back("required");
    row("resources", joinWords(res, ", "));
    const auto& s = p.security;
    std::string sec = "seccomp " + s.seccomp;
    if (s.nestedSandboxes) sec += ", nested sandboxes";
    if (s.devel) sec += ", devel";
    if (s.socketFamilies.size() < 4)
        sec += ", sockets " +
               (s.socketFamilies.empty() ? std::string("none") : joinWords(s.socketFamilies, ","));
    if (s.memoryDenyWriteExecute) sec += ", no writable+executable memory";
    if (!s.denySyscalls.empty()) sec += ", deny " + joinWords(s.denySyscalls, ",");
    if (!s.allowSyscalls.empty()) sec += ", allow " + joinWords(s.allowSyscalls, ",");
    row("security", sec);
    const auto& d = p.desktop;
    std::vector<std::string> desk;
    if (d.x11 != X11Mode::Off) desk.push_back(std::string("x11 ") + x11ModeName(d.x11));
    if (d.x11 == X11Mode::Isolated) desk.push_back("clipboard " + d.clipboard);
    if (d.wayland) desk.push_back("wayland");
    if (d.audio != "none") desk.push_back("audio " + d.audio);
    if (d.gpu) desk.push_back("gpu");
    if (d.dbus.sessionWanted())
        desk.push_back("session bus (talk " + joinWords(d.dbus.talk, ",") + ")");
    if (d.dbus.talksToPortals())
        desk.push_back(d.openUri == "allow" ? "portals (opens links with your programs)"
                       : d.openUri == "ask" ? "portals (asks you before opening a link)"
                                            : "portals (opening links denied)");
    else if (d.openUri == "ask")
        desk.push_back("asks you before opening a link");
    if (d.dbus.systemWanted()) desk.push_back("system bus");
    row("desktop", joinWords(desk, ", "));
    std::vector<std::string> env;
    for (const auto& [k, v] : p.environment.set)
        env.push_back(k + "=" + v);
    row("environment",
        "keep " + joinWords(p.environment.keep) + (env.empty() ? "" : "; set " + joinWords(env)));
    const auto& l = p.lifetime;
    row("lifetime",
        (l.until == "main" ? "until the program's first process ends (left behind: SIGTERM, "
                             "SIGKILL after " +
                                 std::to_string(l.grace) + " s)"
                           : std::string("until every process has ended")) +
            "; stop: windows close, SIGTERM, kill, " + std::to_string(l.stopTimeout) + " s each");
    return 0;
}

int validateProfiles(const Args& args) {
    auto store = defaultStore();
    bool allOk = true;
    for (const auto& f : args.positional) {
        std::vector<Diagnostic> diags;
        auto p = loadProfile(store, f, &diags);
        if (p) {
            std::printf("%s: valid\n", f.c_str());
            for (const auto& w : profileWarnings(*p))
                std::fprintf(stderr, "%s: warning: %s\n", f.c_str(), w.c_str());
            continue;
        }
        allOk = false;
        for (const auto& d : diags)
            std::fprintf(stderr, "%s\n", safeLine(d.text()).c_str());
    }
    return allOk ? 0 : 1;
}

int newProfile(const Args& args) {
    auto store = defaultStore();
    const std::string& name = args.positional[0];
    std::string from = args.get("from");
    if (!from.empty()) {
        auto ref = store.find(from);
        if (!ref) return fail(ref.error().wrap("--from"));
    }
    // A title of its own (the name unless given): inherited, the template's ("Default
    // (safest)") would name every profile made from it, in the list and in menus.
    const std::string title = args.has("title") ? args.get("title") : name;
    auto s = store.save(name, newProfileText(name, from, title), "");
    if (!s && s.error().code() == EEXIST)
        return fail("you already have a profile named " + quote(name) + " (" +
                    store.userPath(name) + "): choose another name, or remove it first " +
                    "(layerbox profile rm " + name + ")");
    if (!s) return fail(s.error());
    std::printf("%s\n", store.userPath(name).c_str());
    return 0;
}

// A refusal of `layerbox profile import|duplicate|rename`. When it is about the name (taken,
// or not usable), callers that asked for JSON get an answer saying so, with the name: the GUI
// then asks whether to replace, or for another name.
int failName(const Args& args, const Error& e, const std::string& name) {
    const bool taken = e.code() == EEXIST;
    if (!taken && e.code() != kNameUnusable) return fail(e);
    if (args.has("json")) {
        JsonWriter w;
        w.beginObject().field("error", e.message()).key("name");
        if (name.empty())
            w.null();
        else
            w.value(name);
        w.field("exists", taken).endObject();
        std::printf("%s\n", w.str().c_str());
    }
    return fail(e);
}

int removeProfileCommand(const Args& args) {
    auto store = defaultStore();
    const std::string& name = args.positional[0];
    auto r = removeProfile(store, name, args.has("data"));
    if (!r) return fail(r.error());
    if (args.has("json")) {
        JsonWriter w;
        w.beginObject()
            .field("name", name)
            .field("data_removed", r->dataRemoved)
            .field("menu_entry_removed", r->menuEntryRemoved)
            .endObject();
        std::printf("%s\n", w.str().c_str());
    }
    return 0;
}

int duplicateProfileCommand(const Args& args) {
    auto store = defaultStore();
    const std::string& to = args.positional[1];
    auto path = duplicateProfile(store, args.positional[0], to);
    if (!path) return failName(args, path.error(), to);
    if (args.has("json")) {
        JsonWriter w;
        w.beginObject().field("name", to).field("path", *path).endObject();
        std::printf("%s\n", w.str().c_str());
    } else {
        std::printf("%s\n", path->c_str());
    }
    return 0;
}

int renameProfileCommand(const Args& args) {
    auto store = defaultStore();
    const std::string &from = args.positional[0], &to = args.positional[1];
    auto r = renameProfile(store, from, to, layerboxPath());
    if (!r) return failName(args, r.error(), to);
    if (args.has("json")) {
        JsonWriter w;
        w.beginObject()
            .field("name", to)
            .field("from", from)
            .field("path", r->path)
            .field("data_moved", r->dataMoved)
            .field("menu_entry_moved", r->menuEntryMoved)
            .endObject();
        std::printf("%s\n", w.str().c_str());
    } else {
        std::printf("%s\n", r->path.c_str());
    }
    return 0;
}

int exportProfile(const Args& args) {
    auto store = defaultStore();
    auto text = exportProfileJson(store, args.positional[0]);
    if (!text) return fail(text.error());
    const std::string& file = args.positional[1];
    if (file == "-") {
        std::fputs(text->c_str(), stdout);
        return 0;
    }
    auto s = writeFileAtomic(file, *text, 0644);
    if (!s) return fail(s.error());
    return 0;
}

int importProfileCommand(const Args& args) {
    auto store = defaultStore();
    const std::string as = args.get("as");
    auto r = importProfileFile(store, args.positional[0], as, args.has("force"));
    if (!r) {
        // The name it would have had, for the caller's "replace it?" question.
        std::string name = as;
        if (name.empty() && r.error().code() == EEXIST)
            if (auto text = readRegularFile(args.positional[0], kProfileMaxBytes, "a profile"))
                name = importName(baseName(args.positional[0]), *text);
        return failName(args, r.error(), name);
    }
    if (args.has("json")) {
        JsonWriter w;
        w.beginObject()
            .field("name", r->name)
            .field("path", r->path)
            .field("replaced", r->replaced)
            .endObject();
        std::printf("%s\n", w.str().c_str());
    } else {
        std::printf("%s\n", r->path.c_str());
    }
    return 0;
}

// layerbox profile import-firejail: read the installed Firejail profile, convert it, print the
// report, save it (unless --dry-run) through the store (validated, atomic).
int importFirejailCommand(const Args& args) {
    auto store = defaultStore();
    const auto env = firejail::Environment::fromSystem();
    if (args.has("all")) {
        // Every installed profile converted and checked, nothing saved (bench/firejail-import).
        if (!args.positional.empty() || !args.has("dry-run"))
            return fail(Error("--all takes no NAME and needs --dry-run (it saves nothing)"));
        int ok = 0, n = 0;
        firejail::IncludeCache includes;  // the shared .inc files parsed once
        for (const auto& fj : firejail::installedProfiles(env)) {
            ++n;
            auto read = firejail::readProfile(env, fj, &includes);
            std::string name = profileNameFrom("fj-" + fj).substr(0, 64);
            auto conv = read ? firejail::convert(*read, env, {name, fj})
                             : Result<firejail::Conversion>(read.error());
            if (conv && validateProfileText(conv->profileJson, name + ".json", name).empty()) {
                ++ok;
                continue;
            }
            std::fprintf(
                stderr, "%s: %s\n", fj.c_str(),
                safeLine(conv ? "the result does not validate" : conv.error().message()).c_str());
        }
        std::printf("%d of %d Firejail profiles convert to valid profiles\n", ok, n);
        return ok == n ? 0 : 1;
    }
    if (args.positional.size() != 1) return fail(Error("give one NAME or FILE (or --all)"));
    const std::string& source = args.positional[0];
    auto read = firejail::readProfile(env, source);
    if (!read) return fail(read.error().wrap("import-firejail"));
    std::string program = baseName(read->profileFile);
    if (endsWith(program, ".profile")) program.resize(program.size() - 8);
    const std::string name = args.has("as") ? args.get("as") : profileNameFrom(program);
    auto conv = firejail::convert(*read, env, {name, program});
    if (!conv) return failName(args, conv.error(), name);
    const std::string* text = &conv->profileJson;
    const std::string path = store.userPath(name);
    const bool save = !args.has("dry-run");
    if (save) {
        // "" = must not exist yet: the store refuses atomically if someone made it meanwhile.
        if (auto s = store.save(name, *text, args.has("force") ? "*" : ""); !s) {
            Error e =
                s.error().code() == EEXIST
                    ? Error("profile " + quote(name) + " already exists (use --as NAME or --force)",
                            EEXIST)
                    : s.error();
            return failName(args, e, name);
        }
    }
    if (args.has("json")) {
        std::printf("%s\n", firejail::reportJson(*conv, path, save).c_str());
        return 0;
    }
    for (const auto& line : split(firejail::reportText(*conv), '\n'))
        if (!line.empty()) std::printf("%s\n", safeLine(line).c_str());
    std::printf("%s %s\n", save ? "saved" : "would save", path.c_str());
    return 0;
}

int printSchema(const Args&) {
    std::fputs(profileSchemaJson().c_str(), stdout);
    return 0;
}

int printPath(const Args& args) {
    auto store = defaultStore();
    auto ref = store.find(args.positional[0]);
    if (!ref) return fail(ref.error());
    std::printf("%s\n", ref->path.c_str());
    return 0;
}

int printFields(const Args&) {
    for (const auto& line : profileFieldTable())
        std::printf("%s\n", line.c_str());
    return 0;
}

}  // namespace

Command profileCommand() {
    Command c;
    c.name = "profile";
    c.summary = "List, show, check, create and share profiles.";
    c.details =
        "User profiles live in $XDG_CONFIG_HOME/layerbox/profiles/NAME.json and override built-in "
        "profiles of the same name. See layerbox-profile(5) for every field.";
    c.subcommands = {
        {.name = "list",
         .summary = "List profiles, user and built-in, by name (INVALID: and why for one that "
                    "does not load).",
         .options = {{"json", 0, "", "Machine-readable output."}},
         .run = listProfiles},
        {.name = "show",
         .synopsis = "NAME",
         .summary = "Show a profile with its parents merged in.",
         .options = {{"json", 0, "", "Print the merged profile, defaults filled in, as JSON."}},
         .minPositional = 1,
         .maxPositional = 1,
         .run = showProfile},
        {.name = "validate",
         .synopsis = "FILE|NAME...",
         .summary =
             "Check profiles; exit 0 when all are valid, 1 otherwise (one line per problem).",
         .minPositional = 1,
         .maxPositional = -1,
         .run = validateProfiles},
        {.name = "new",
         .synopsis = "NAME",
         .summary = "Create a user profile, optionally extending a template.",
         .options = {{"from", 0, "TEMPLATE", "Profile to extend (for example browser)."},
                     {"title", 0, "TITLE", "Name shown to people (default: NAME)."}},
         .minPositional = 1,
         .maxPositional = 1,
         .run = newProfile},
        {.name = "duplicate",
         .synopsis = "NAME NEW",
         .summary = "Copy a profile (yours or a built-in one) as your profile NEW.",
         .details = "The copy keeps what the profile extends; its sandbox starts empty.",
         .options = {{"json", 0, "", "Machine-readable output (see docs/cli-json.md)."}},
         .minPositional = 2,
         .maxPositional = 2,
         .run = duplicateProfileCommand},
        {.name = "rename",
         .synopsis = "NAME NEW",
         .summary = "Rename your profile; its sandbox's data and menu entry follow it.",
         .details = "Refused while its sandbox runs, and while other profiles extend it.",
         .options = {{"json", 0, "", "Machine-readable output (see docs/cli-json.md)."}},
         .minPositional = 2,
         .maxPositional = 2,
         .run = renameProfileCommand},
        {.name = "rm",
         .synopsis = "NAME",
         .summary = "Remove a user profile (its sandbox's data stays unless --data).",
         .details = "Refused while other profiles extend it. Its menu entry is removed unless a "
                    "built-in profile of the same name takes its place.",
         .options = {{"data", 0, "",
                      "Also delete its sandbox: its home and every change it made (refused "
                      "while it runs)."},
                     {"json", 0, "", "Machine-readable output (see docs/cli-json.md)."}},
         .minPositional = 1,
         .maxPositional = 1,
         .run = removeProfileCommand},
        {.name = "export",
         .synopsis = "NAME FILE",
         .summary = "Write a self-contained copy of a profile (parents merged; - for stdout).",
         .minPositional = 2,
         .maxPositional = 2,
         .run = exportProfile},
        {.name = "import",
         .synopsis = "FILE",
         .summary = "Add a profile file to your profiles.",
         .details = "It is named after its file (work.json -> work), or by its own \"name\" when "
                    "the file name is not a valid profile name.",
         .options = {{"as", 0, "NAME", "Name to save it under."},
                     {"force", 0, "", "Replace a user profile of the same name."},
                     {"json", 0, "", "Machine-readable output (see docs/cli-json.md)."}},
         .minPositional = 1,
         .maxPositional = 1,
         .run = importProfileCommand},
        {.name = "import-firejail",
         .synopsis = "NAME|FILE",
         .summary = "Make a profile from an installed Firejail profile, with a report.",
         .details = "Reads NAME.profile from ~/.config/firejail or /etc/firejail (package "
                    "firejail-profiles) with Firejail's rules (include and .local files, ignore, "
                    "conditions, noblacklist/nowhitelist order) and prints, for each directive, "
                    "whether Layerbox does the same (mapped), gives less (stricter) or cannot "
                    "say it (not-mapped, and why). The profile is named after the program unless "
                    "--as. See docs/firejail-import.md.",
         .options = {{"as", 0, "NAME", "Name to save it under."},
                     {"force", 0, "", "Replace a user profile of the same name."},
                     {"dry-run", 0, "", "Print the report; save nothing."},
                     {"all", 0, "",
                      "With --dry-run: convert and check every installed profile (a count)."},
                     {"json", 0, "", "The report and the profile as JSON (docs/cli-json.md)."}},
         .minPositional = 0,
         .maxPositional = 1,
         .run = importFirejailCommand},
        {.name = "path",
         .synopsis = "NAME",
         .summary = "Print the file a profile name resolves to.",
         .minPositional = 1,
         .maxPositional = 1,
         .run = printPath},
        {.name = "schema",
         .summary = "Print the JSON Schema of the profile format.",
         .run = printSchema},
        {.name = "fields",
         .summary = "List every profile field: pointer, type, default, description.",
         .run = printFields},
    };
    return c;
}

}  // namespace lb::cli
