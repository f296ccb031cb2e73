// layerbox run
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "base/fsutil.h"
#include "base/paths.h"
#include "cli/commands.h"
#include "isolation/file_grants.h"
#include "launch/launch.h"
#include "profile/host_binds.h"

namespace lb::cli {

namespace {

// "SRC[:DST]" -> Bind; relative sources are taken from the current directory.
std::optional<Bind> parseBind(const std::string& spec, bool rw) {
    Bind b;
    auto colon = spec.find(':');
    b.host = spec.substr(0, colon);
    b.sandbox = colon == std::string::npos ? b.host : spec.substr(colon + 1);
    if (b.host.empty() || b.sandbox.empty()) return std::nullopt;
    if (b.host[0] != '/' && b.host[0] != '~') {
        char* cwd = ::getcwd(nullptr, 0);
        if (!cwd) return std::nullopt;
        b.host = normalizePath(joinPath(cwd, b.host));
        std::free(cwd);
        if (colon == std::string::npos) b.sandbox = b.host;
    }
    if (b.sandbox[0] != '/' && b.sandbox[0] != '~') return std::nullopt;
    b.rw = rw;
    return b;
}

int run(const Args& args) {
    RunOptions o;
    o.profile = args.get("profile", "default");
    if (args.hasRest && args.rest.empty())
        return usageError(args.commandPath, "no command after --");
    // Files marked in the command ("@@ FILE... @@", as menu entries write %F), then --file.
    auto fileArgs = planFileArgs(args.rest);
    if (!fileArgs) return usageError(args.commandPath, fileArgs.error().message());
    o.command = fileArgs->argv;
    if (args.hasRest && o.command.empty())
        return usageError(args.commandPath, "no command after --");
    for (const auto& [path, rw] : fileArgs->files)
        o.files.push_back({path, rw});
    for (const auto& path : args.all("file"))
        o.files.push_back({path, false});
    for (const auto& path : args.all("file-rw"))
        o.files.push_back({path, true});
    if (args.has("ephemeral")) o.ephemeral = true;
    if (args.has("driver")) {
        auto d = parseDriver(args.get("driver"));
        if (!d) return usageError(args.commandPath, "--driver must be auto, native or fuse");
        o.driver = *d;
    }
    if (args.has("net")) {
        auto n = parseNetMode(args.get("net"));
        if (!n) return usageError(args.commandPath, "--net must be none or nat");
        o.network = *n;
    }
    for (const auto& [opt, rw] : {std::pair<const char*, bool>{"bind", true}, {"ro-bind", false}}) {
        for (const auto& spec : args.all(opt)) {
            auto b = parseBind(spec, rw);
            if (!b)
                return usageError(args.commandPath, "--" + std::string(opt) +
                                                        " takes SRC[:DST] with an absolute DST");
            // Said here with the next step; the setup process would only say ENOENT. Not a
            // security check (the setup process opens and checks the path itself).
            // A path the bind rules refuse (a dangling link into the runtime dir, say) is left
            // to the launch, which refuses it as such: "missing" would be the lesser truth.
            const char* h = std::getenv("HOME");
            const std::string host = expandHome(b->host, h ? h : "");
            if (::access(host.c_str(), F_OK) != 0 && errno == ENOENT &&
                checkBindSource(b->host, Paths::fromEnvironment()).empty())
                return fail("--" + std::string(opt) + " " + quote(host) +
                            ": no such file or folder on the host; create it first (mkdir -p " +
                            host + ") or give a path that exists");
            o.extraBinds.push_back(*b);
        }
    }
    o.cwd = args.get("cwd");
    o.verbose = args.has("verbose");
    if (args.has("no-pty")) o.allowPty = false;
    if (args.has("no-scope")) o.noScope = true;
    if (args.has("status-fd")) {
        char* end = nullptr;
        std::string v = args.get("status-fd");
        long fd = std::strtol(v.c_str(), &end, 10);
        if (v.empty() || *end || fd < 0 || ::fcntl(static_cast<int>(fd), F_GETFD) < 0)
            return usageError(args.commandPath,
                              "--status-fd " + v + " is not an open file descriptor");
        // A private close-on-exec copy: the descriptor given may be the program's own stdout,
        // which must stay open for it.
        o.statusFd = ::fcntl(static_cast<int>(fd), F_DUPFD_CLOEXEC, 3);
    }
    const int status = runSandbox(o);
#ifdef __SANITIZE_ADDRESS__
    return status;  // a normal exit: LeakSanitizer checks the runner at its end
#else
    // Nothing is left to do but exit: without running the destructors of the command table and
    // of the static tables (issue 25: since the runner forked, each heap page they would free is
    // a copy-on-write fault; the kernel takes the memory back at once). Only stdio holds data.
    std::fflush(nullptr);
    ::_exit(status);
#endif
}

}  // namespace

Command runCommand() {
    Command c;
    c.name = "run";
    c.synopsis = "[OPTIONS] [-- CMD ARGS...]";
    c.summary = "Run a program in a sandbox.";
    c.details =
        "Without --profile the built-in 'default' profile is used (no network, no display, a "
        "private home); without CMD, the profile's command.\n"
        "CMD given by the path of a host file the sandbox would not see (~/Downloads/tool) is "
        "shown inside at that path, read-only, and nothing else of its folder. Files for the "
        "program: --file PATH (read-only) and --file-rw PATH, or marked in the command as "
        "@@ FILE... @@ (@@rw ... @@ for read-write), as menu entries do with %F. A persistent "
        "profile keeps them for its next runs (layerbox grants). On a running profile the "
        "files appear in the running sandbox, without a restart.\n"
        "CMD (or the profile's command) may be a type 2 AppImage: its squashfs is mounted "
        "read-only at /run/appimage by squashfuse, run outside the sandbox, and its AppRun runs "
        "with APPIMAGE, APPDIR and ARGV0 set (no setuid fusermount).\n"
        "Exit status: the program's own; 128+N when it was killed by signal N; 125 when the "
        "sandbox could not be set up; 126 when the program is not executable; 127 when it was "
        "not found.";
    c.options = {
        {"profile", 'p', "NAME|FILE", "Profile to use (default: default)."},
        {"ephemeral", 'e', "", "Throw all changes away at exit (a throw-away upper layer)."},
        {"driver", 0, "auto|native|fuse", "Storage driver for the copy-on-write layers."},
        {"net", 0, "none|nat", "Network mode, overriding the profile."},
        {"bind", 0, "SRC[:DST]", "Make a host path visible read-write (repeatable).", true},
        {"ro-bind", 0, "SRC[:DST]", "Make a host path visible read-only (repeatable).", true},
        {"file", 0, "PATH", "Show this host file inside at its own path, read-only (repeatable).",
         true},
        {"file-rw", 0, "PATH", "The same, read-write: the program writes the real file.", true},
        {"cwd", 0, "DIR",
         "Working directory inside (default: the current one when visible, else home)."},
        {"no-pty", 0, "", "Do not give the program a terminal of its own, even on a terminal."},
        {"no-scope", 0, "", "Do not ask systemd for a scope (no limits, no pause, no stats)."},
        {"status-fd", 0, "N", "Write JSON events (started, exited) to file descriptor N."},
        {"verbose", 'v', "", "Say what is set up, with timings."},
    };
    c.acceptsRest = true;
    c.run = run;
    return c;
}

}  // namespace lb::cli
