// layerbox ps | stop | kill | pause | resume | stats: running sandboxes.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

#include "base/fsutil.h"
#include "base/jsonw.h"
#include "base/paths.h"
#include "base/units.h"
#include "cli/commands.h"
#include "desktop/x11_close.h"
#include "launch/activity_log.h"
#include "launch/instances.h"
#include "launch/join.h"
#include "launch/outcome.h"
#include "launch/status_events.h"
#include "profile/profile.h"
#include "resources/cgroup.h"

namespace lb::cli {

namespace {

InstanceRegistry registry() {
    return InstanceRegistry(Paths::fromEnvironment());
}

std::string joinWords(const std::vector<std::string>& v, const char* sep = " ") {
    return joinStrings(v, sep);
}

// The one rule of every command that acts on a running sandbox: an id (or enough of it) is
// that instance; a profile with one instance is that instance; a profile with several is
// refused, with their ids, unless `all` (--all, for the commands that take it) says to act on
// every one of them.
Result<std::vector<InstanceRecord>> pick(const Args& args, bool canAll) {
    const std::string& key = args.positional[0];
    auto found = registry().find(key);
    if (!found) return found.error();
    if (found->size() <= 1 || (canAll && args.has("all"))) return found;
    std::vector<std::string> ids;
    for (const auto& r : *found)
        ids.push_back(r.id);
    return Error(quote(key) + " has " + std::to_string(found->size()) + " running instances (" +
                     joinStrings(ids) + "): name one by id" +
                     (canAll ? ", or add --all for every one" : "") + " (see layerbox ps)",
                 EINVAL);
}

std::string uptime(int64_t started) {
    int64_t s = static_cast<int64_t>(::time(nullptr)) - started;
    char buf[32];
    if (s < 3600)
        std::snprintf(buf, sizeof buf, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    else
        std::snprintf(buf, sizeof buf, "%lldh%02lldm", (long long)(s / 3600),
                      (long long)(s / 60 % 60));
    return buf;
}

void writeInstanceJson(JsonWriter& w, const InstanceRecord& r) {
    auto st = readCgroupStats(r.cgroup);
    w.beginObject()
        .field("id", r.id)
        .field("profile", r.profile)
        .field("pid", static_cast<int64_t>(r.pid))
        .field("runner_pid", static_cast<int64_t>(r.runnerPid))
        .key("command")
        .strings(r.command)
        .field("started", isoTime(r.startedUnix))
        .field("started_unix", r.startedUnix)
        .field("state", !r.cgroup.empty() && cgroupFrozen(r.cgroup) ? "paused" : "running");
    if (r.scope.empty())
        w.key("scope").null();
    else
        w.field("scope", r.scope);
    if (r.cgroup.empty())
        w.key("cgroup").null();
    else
        w.field("cgroup", r.cgroup);
    if (st.cpuUsec)
        w.field("cpu_usec", *st.cpuUsec);
    else
        w.key("cpu_usec").null();
    if (st.memoryBytes)
        w.field("memory_bytes", *st.memoryBytes);
    else
        w.key("memory_bytes").null();
    if (!st.memorySource.empty()) w.field("memory_source", st.memorySource);
    if (st.tasks)
        w.field("tasks", *st.tasks);
    else
        w.key("tasks").null();
    w.field("network", r.network).field("driver", r.driver).field("ephemeral", r.ephemeral);
    w.field("hostname", r.hostname).field("damaged", r.damaged);
    w.field("lock_missing", r.lockMissing);
    w.field("x11", r.x11.empty() ? std::string("off") : r.x11);
    w.key("lifetime").beginObject().field("until", r.lifetime.empty() ? "main" : r.lifetime);
    w.field("stop_timeout", r.stopTimeout).endObject();
    w.key("limits").beginObject().key("enforced").strings(r.limitsEnforced);
    w.key("recorded").strings(r.limitsRecorded).endObject();
    w.endObject();
}

int ps(const Args& args) {
    auto list = registry().list();
    for (const auto& r : list)
        if (r.damaged)
            std::fprintf(stderr,
                         "layerbox: warning: the record of instance %s is damaged; 'layerbox stop "
                         "%s' still ends it\n",
                         r.id.c_str(), r.id.c_str());
        else if (r.lockMissing)
            std::fprintf(stderr,
                         "layerbox: warning: the lock file of instance %s was deleted; it is "
                         "shown from its record and its runner (pid %d), and 'layerbox stop %s' "
                         "still ends it\n",
                         r.id.c_str(), static_cast<int>(r.runnerPid), r.id.c_str());
    if (args.has("json")) {
        JsonWriter w;
        w.beginArray();
        for (const auto& r : list)
            writeInstanceJson(w, r);
        w.endArray();
        std::printf("%s\n", w.str().c_str());
        return 0;
    }
    std::printf("%-9s %-14s %-8s %-8s %-9s %8s %8s %-5s %-5s %s\n", "ID", "PROFILE", "PID", "STATE",
                "UPTIME", "CPU", "MEMORY", "NET", "UNTIL", "COMMAND");
    for (const auto& r : list) {
        auto st = readCgroupStats(r.cgroup);
        char cpu[32] = "-";
        if (st.cpuUsec)
            std::snprintf(cpu, sizeof cpu, "%.1fs", static_cast<double>(*st.cpuUsec) / 1e6);
        std::string mem = st.memoryBytes ? formatSize(*st.memoryBytes) : "-";
        std::string state = !r.cgroup.empty() && cgroupFrozen(r.cgroup) ? "paused" : "running";
        // UNTIL: lifetime.until, "all" (every process) or "main" (the program's first one).
        std::printf("%-9s %-14s %-8d %-8s %-9s %8s %8s %-5s %-5s %s\n", r.id.c_str(),
                    r.profile.c_str(), r.pid, state.c_str(), uptime(r.startedUnix).c_str(), cpu,
                    mem.c_str(), r.network.c_str(),
                    r.lifetime.empty() ? "main" : r.lifetime.c_str(),
                    forTerminal(joinWords(r.command)).c_str());
    }
    return 0;
}

bool runnerAlive(const InstanceRecord& r) {
    if (r.runnerPid <= 0 || ::kill(r.runnerPid, 0) != 0) return false;
    // The registry is the authority: gone from the list means gone.
    for (const auto& x : registry().list())
        if (x.id == r.id) return true;
    return false;
}

bool waitGone(const InstanceRecord& r, double seconds) {
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    while (std::chrono::steady_clock::now() < deadline) {
        if (!runnerAlive(r)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return !runnerAlive(r);
}

// Who an activity entry names: "cmd (pid N)"; the firewall's entries name no process (the
// kernel's copy of a packet does not say, network/drop_log.h).
std::string activityWho(const std::string& command, pid_t pid) {
    if (pid > 0) return command + " (pid " + std::to_string(pid) + ")";
    return command.empty() ? std::string("(firewall)") : command;
}

// The host pids of the sandbox's processes: its scope's, or without one the descendants of
// its setup process.
std::vector<pid_t> sandboxHostPids(const InstanceRecord& r) {
    std::vector<pid_t> out;
    if (!r.cgroup.empty())
        if (auto procs = readFile(r.cgroup + "/cgroup.procs"))
            for (const auto& l : split(*procs, '\n'))
                if (!l.empty()) out.push_back(static_cast<pid_t>(std::atol(l.c_str())));
    if (!out.empty() || r.setupPid <= 0) return out;
    std::vector<pid_t> todo = {r.setupPid};
    while (!todo.empty()) {
        pid_t p = todo.back();
        todo.pop_back();
        out.push_back(p);
        auto kids =
            readFile("/proc/" + std::to_string(p) + "/task/" + std::to_string(p) + "/children");
        if (kids)
            for (const auto& k : split(trim(*kids), ' '))
                if (!k.empty()) todo.push_back(static_cast<pid_t>(std::atol(k.c_str())));
    }
    return out;
}

// Tell the runner that a stop is under way (kStopNoticeValue), or that its processes are to
// get SIGTERM now (kStopSignalValue), with the signal only layerbox stop sends (instances.h).
bool signalRunner(const InstanceRecord& r, int value) {
    union sigval v;
    v.sival_int = value;
    return ::sigqueue(r.runnerPid, stopControlSignal(), v) == 0 || errno == ESRCH;
}

// End an instance as a desktop session ends its programs: (1) its windows are asked to close
// (WM_DELETE_WINDOW, x11_close.h) and get `timeout` seconds; (2) every process of the sandbox
// gets SIGTERM (through its runner and PID 1) and `timeout` seconds more; (3) everything in
// the scope is killed (cgroup.kill); without a scope the runner is killed, and its death takes
// the whole sandbox with it. `force` (layerbox kill) goes straight to (3).
Status stopOne(const InstanceRecord& r, double timeout, bool force, bool verbose) {
    if (!r.cgroup.empty()) (void)freezeCgroup(r.cgroup, false);  // a paused sandbox cannot exit
    auto say = [&](const std::string& what) {
        if (verbose) std::fprintf(stderr, "layerbox: %s: %s\n", r.id.c_str(), what.c_str());
    };
    if (!force) {
        if (!signalRunner(r, kStopNoticeValue))
            return Error::fromErrno("sigqueue(runner " + std::to_string(r.runnerPid) + ")");
        if (!r.display.empty()) {
            const bool nested = r.x11 == "isolated";
            auto asked = closeX11Windows(
                r.display, nested ? joinPath(registry().dir(), r.id + ".xauth") : "",
                sandboxNamespacePids(sandboxHostPids(r)), r.hostname, nested);
            if (!asked)
                say("cannot ask its windows to close: " + asked.error().message());
            else
                say("asked " + std::to_string(*asked) + " window(s) to close");
            if (asked && *asked > 0 && waitGone(r, timeout)) return Ok();
        }
        say("SIGTERM to every process");
        if (!signalRunner(r, kStopSignalValue))
            return Error::fromErrno("sigqueue(runner " + std::to_string(r.runnerPid) + ")");
        if (waitGone(r, timeout)) return Ok();
        say("still running after the timeout: killing it");
    }
    if (!r.cgroup.empty() && pathExists(r.cgroup)) {
        LB_TRY(killCgroup(r.cgroup));
    } else if (r.runnerPid > 0) {
        // Never 0 or less: kill() would take that for this command's own process group.
        ::kill(r.runnerPid, SIGKILL);
    }
    if (waitGone(r, 5)) return Ok();
    return Error("instance " + r.id + " did not end", ETIMEDOUT);
}

int stopCommand(const Args& args, bool force) {
    std::optional<double> timeout;
    if (args.has("timeout")) {
        const std::string text = args.get("timeout");  // `end` points into it
        char* end = nullptr;
        timeout = std::strtod(text.c_str(), &end);
        if (*end || *timeout < 0) return usageError(args.commandPath, "--timeout takes seconds");
    }
    auto found = pick(args, true);
    if (!found) return fail(found.error());
    int rc = 0;
    for (const auto& r : *found) {
        // Without --timeout, the profile's lifetime.stop_timeout (recorded at launch).
        auto s = stopOne(r, timeout.value_or(r.stopTimeout), force, args.has("verbose"));
        if (!s)
            rc = fail(Error(s.error()).wrap("stopping " + r.id));
        else
            std::printf("%s %s\n", force ? "killed" : "stopped", r.id.c_str());
    }
    return rc;
}

int freezeCommand(const Args& args, bool frozen) {
    auto found = pick(args, true);
    if (!found) return fail(found.error());
    int rc = 0;
    for (const auto& r : *found) {
        if (r.cgroup.empty()) {
            rc = fail(r.id + " runs without a systemd scope, so it cannot be " +
                      (frozen ? "paused" : "resumed"));
            continue;
        }
        if (auto s = freezeCgroup(r.cgroup, frozen); !s) {
            rc = fail(Error(s.error()).wrap(r.id));
            continue;
        }
        if (!waitFrozen(r.cgroup, frozen, 5000)) {
            rc = fail(r.id + ": the kernel did not report it " + (frozen ? "frozen" : "thawed") +
                      " within 5 s");
            continue;
        }
        std::printf("%s %s\n", frozen ? "paused" : "resumed", r.id.c_str());
    }
    return rc;
}

int stats(const Args& args) {
    auto found = pick(args, false);
    if (!found) return fail(found.error());
    const InstanceRecord r = found->front();
    if (r.cgroup.empty()) return fail(r.id + " runs without a systemd scope: no statistics");
    bool json = args.has("json"), watch = args.has("watch");
    auto before = readCgroupStats(r.cgroup);
    auto t0 = std::chrono::steady_clock::now();
    for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(watch ? 1000 : 500));
        auto now = readCgroupStats(r.cgroup);
        auto t1 = std::chrono::steady_clock::now();
        double wall = std::chrono::duration<double, std::micro>(t1 - t0).count();
        double cpu = (now.cpuUsec && before.cpuUsec && wall > 0)
                         ? 100.0 * static_cast<double>(*now.cpuUsec - *before.cpuUsec) / wall
                         : 0.0;
        if (!pathExists(r.cgroup)) return fail(r.id + " has ended");
        if (json) {
            JsonWriter w;
            w.beginObject().field("id", r.id).field("cpu_percent", cpu);
            if (now.cpuUsec) w.field("cpu_usec", *now.cpuUsec);
            if (now.memoryBytes)
                w.field("memory_bytes", *now.memoryBytes);
            else
                w.key("memory_bytes").null();
            if (now.tasks)
                w.field("tasks", *now.tasks);
            else
                w.key("tasks").null();
            w.key("pressure").beginObject();
            auto p = [&](const char* k, const std::optional<double>& v) {
                w.key(k).beginObject();
                if (v)
                    w.field("some_avg10", *v);
                else
                    w.key("some_avg10").null();
                w.endObject();
            };
            p("cpu", now.cpuPressure);
            p("memory", now.memoryPressure);
            p("io", now.ioPressure);
            w.endObject().endObject();
            std::printf("%s\n", w.str().c_str());
        } else {
            std::printf(
                "%s  cpu %5.1f%%  memory %s  tasks %s  pressure cpu %.2f mem %.2f io %.2f\n",
                r.id.c_str(), cpu, now.memoryBytes ? formatSize(*now.memoryBytes).c_str() : "-",
                now.tasks ? std::to_string(*now.tasks).c_str() : "-", now.cpuPressure.value_or(0),
                now.memoryPressure.value_or(0), now.ioPressure.value_or(0));
        }
        std::fflush(stdout);
        if (!watch) return 0;
        before = now;
        t0 = t1;
    }
}

std::string clockTime(int64_t ms) {
    time_t t = static_cast<time_t>(ms / 1000);
    struct tm tm;
    char buf[32];
    if (!::localtime_r(&t, &tm) || !std::strftime(buf, sizeof buf, "%H:%M:%S", &tm)) return "-";
    return buf;
}

void activityEntryJson(JsonWriter& w, const ActivityEntry& e) {
    w.beginObject()
        .field("seq", e.seq)
        .field("time_ms", e.timeMs)
        .field("kind", e.kind)
        .field("pid", static_cast<int64_t>(e.pid))
        .field("command", e.command)
        .field("object", e.object)
        .endObject();
}

// `layerbox log`: the activity log its runner writes (launch/activity_log.h), grouped and
// counted; --follow prints each new entry until the sandbox ends.
int logCommand(const Args& args) {
    auto found = pick(args, false);
    if (!found) return fail(found.error());
    const InstanceRecord r = found->front();
    const std::string file = registry().dir() + "/" + r.id + ".activity";
    const bool json = args.has("json"), follow = args.has("follow");
    auto read = [&]() -> std::optional<ActivitySnapshot> {
        auto t = readFile(file);
        if (!t) return std::nullopt;
        return decodeActivity(*t);
    };
    auto s = read();
    if (!s) {
        // The runner writes the file when the first program starts with the log on.
        for (int i = 0; i < 20 && !s; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            s = read();
        }
        if (!s)
            return fail(r.id + " (" + r.profile +
                        ") keeps no activity log: turn on security.activity_log in its profile");
    }
    if (json && !follow) {
        JsonWriter w;
        w.beginObject()
            .field("id", r.id)
            .field("profile", r.profile)
            .field("total", s->total)
            .field("dropped", s->dropped);
        w.key("groups").beginArray();
        for (const auto& g : s->groups)
            w.beginObject()
                .field("kind", g.kind)
                .field("command", g.command)
                .field("pid", static_cast<int64_t>(g.lastPid))
                .field("object", g.object)
                .field("count", g.count)
                .field("first_ms", g.firstMs)
                .field("last_ms", g.lastMs)
                .field("text", describeGroup(g))
                .endObject();
        w.endArray();
        w.key("entries").beginArray();
        for (const auto& e : s->entries)
            activityEntryJson(w, e);
        w.endArray().endObject();
        std::printf("%s\n", w.str().c_str());
        return 0;
    }
    if (!follow) {
        std::printf("%s (%s): %llu refused, %llu dropped from the log\n", r.id.c_str(),
                    r.profile.c_str(), static_cast<unsigned long long>(s->total),
                    static_cast<unsigned long long>(s->dropped));
        for (const auto& g : s->groups)
            std::printf("  %s  %s  %s%s\n", clockTime(g.lastMs).c_str(),
                        activityWho(g.command, g.lastPid).c_str(), describeGroup(g).c_str(),
                        g.count > 1 ? (", first at " + clockTime(g.firstMs)).c_str() : "");
        return 0;
    }
    // --follow: every entry once, then the new ones as they come, until the sandbox ends.
    uint64_t seen = 0, dropped = 0;
    for (;;) {
        if (s) {
            for (const auto& e : s->entries) {
                if (e.seq <= seen) continue;
                seen = e.seq;
                if (json) {
                    JsonWriter w;
                    activityEntryJson(w, e);
                    std::printf("%s\n", w.str().c_str());
                } else {
                    std::printf("%s  %s  %s %s\n", clockTime(e.timeMs).c_str(),
                                activityWho(e.command, e.pid).c_str(),
                                e.kind == "syscall" ? "denied call to"
                                : e.kind == "dbus"  ? "call to hidden D-Bus name"
                                : e.kind == "net"   ? "connection dropped to"
                                                    : "refused",
                                e.object.c_str());
                }
            }
            if (s->dropped > dropped && !json)
                std::printf("(%llu more dropped from the log)\n",
                            static_cast<unsigned long long>(s->dropped - dropped));
            dropped = s->dropped;
            std::fflush(stdout);
        }
        if (::kill(r.runnerPid, 0) != 0 && errno == ESRCH) return 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        if (auto n = read())
            s = n;
        else if (!pathExists(registry().dir() + "/" + r.id + ".instance"))
            return 0;
    }
}

int execCommand(const Args& args) {
    auto found = pick(args, false);
    if (!found) return fail(found.error(), 125);
    int statusFd = -1;
    if (args.has("status-fd")) {
        statusFd = ::fcntl(std::atoi(args.get("status-fd").c_str()), F_DUPFD_CLOEXEC, 3);
        if (statusFd < 0)
            return usageError(args.commandPath, "--status-fd is not an open file descriptor");
    }
    auto joined = joinInstance(found->front(),
                               {args.rest, !args.has("no-pty"), args.has("verbose"), statusFd});
    if (joined.sandboxGone) {
        auto out = Outcome::setupFailed("sandbox " + found->front().id +
                                        " ended before the command could start");
        printOutcome(out);
        StatusEvents(statusFd).exited(found->front().id, out);
        return out.status;
    }
    return joined.outcome.status;
}

}  // namespace

std::vector<Command> instanceCommands() {
    std::vector<Command> out;
    out.push_back({.name = "ps",
                   .summary = "List running sandboxes.",
                   .options = {{"json", 0, "", "Machine-readable output (see docs/cli-json.md)."}},
                   .run = ps});
    out.push_back(
        {.name = "stop",
         .synopsis = "ID|PROFILE",
         .summary = "End a sandbox as a desktop session ends its programs: close its windows, "
                    "then SIGTERM, then kill.",
         .details =
             "1. Its X11 windows are asked to close (WM_DELETE_WINDOW, as when you click their "
             "close button: a program saves its state and quits as after its own Quit): every "
             "window of its own display with x11 \"isolated\", its own windows on your "
             "display with x11 \"host\". They get the timeout to end.\n"
             "2. Every process still in the sandbox gets SIGTERM, and the timeout again.\n"
             "3. Everything left in its scope is killed (SIGKILL), daemons that double-forked "
             "or started their own session included.\n"
             "The runner of the sandbox then says it was stopped by layerbox stop.",
         .options = {{"timeout", 't', "SECONDS",
                      "Time for each of steps 1 and 2 (default: the profile's "
                      "lifetime.stop_timeout, 10)."},
                     {"verbose", 'v', "", "Say each step on stderr."},
                     {"all", 0, "", "Every instance of PROFILE (several are refused without it)."}},
         .minPositional = 1,
         .maxPositional = 1,
         .run = [](const Args& a) { return stopCommand(a, false); }});
    out.push_back(
        {.name = "kill",
         .synopsis = "ID|PROFILE",
         .summary = "Kill every process of a sandbox at once.",
         .options = {{"all", 0, "", "Every instance of PROFILE (several are refused without it)."}},
         .minPositional = 1,
         .maxPositional = 1,
         .run = [](const Args& a) { return stopCommand(a, true); }});
    out.push_back(
        {.name = "pause",
         .synopsis = "ID|PROFILE",
         .summary = "Freeze every process of a sandbox (cgroup freezer).",
         .options = {{"all", 0, "", "Every instance of PROFILE (several are refused without it)."}},
         .minPositional = 1,
         .maxPositional = 1,
         .run = [](const Args& a) { return freezeCommand(a, true); }});
    out.push_back(
        {.name = "resume",
         .synopsis = "ID|PROFILE",
         .summary = "Thaw a paused sandbox.",
         .options = {{"all", 0, "", "Every instance of PROFILE (several are refused without it)."}},
         .minPositional = 1,
         .maxPositional = 1,
         .run = [](const Args& a) { return freezeCommand(a, false); }});
    out.push_back(
        {.name = "exec",
         .synopsis = "ID|PROFILE [-- CMD ARGS...]",
         .summary = "Run a command inside a running sandbox (default: the command it was started "
                    "with).",
         .details = "The command joins the sandbox's namespaces, layer, limits, system call filter "
                    "and (absent) capabilities, as a child of its PID 1. `layerbox run` on a "
                    "profile that is already running does the same.",
         .options = {{"no-pty", 0, "", "Do not give the command a terminal of its own."},
                     {"status-fd", 0, "N", "Write JSON events (started, exited) to descriptor N."},
                     {"verbose", 'v', "", "Say what happens."}},
         .minPositional = 1,
         .maxPositional = 1,
         .acceptsRest = true,
         .run = execCommand});
    out.push_back(
        {.name = "log",
         .synopsis = "ID|PROFILE [--follow] [--json]",
         .summary = "What a running sandbox refused (security.activity_log), grouped and counted.",
         .details = "Each system call the seccomp filter denied, with the process (pid and name) "
                    "that made it, grouped by process and call and counted. The log is bounded: "
                    "it says how many entries it dropped.",
         .options = {{"json", 0, "", "Machine-readable output (with --follow: one entry a line)."},
                     {"follow", 'f', "", "Print each new entry until the sandbox ends."}},
         .minPositional = 1,
         .maxPositional = 1,
         .run = logCommand});
    out.push_back({.name = "stats",
                   .synopsis = "ID|PROFILE",
                   .summary = "CPU, memory, tasks and pressure of a running sandbox.",
                   .options = {{"json", 0, "", "Machine-readable output."},
                               {"watch", 'w', "", "Print every second until interrupted."}},
                   .minPositional = 1,
                   .maxPositional = 1,
                   .run = stats});
    return out;
}

}  // namespace lb::cli
