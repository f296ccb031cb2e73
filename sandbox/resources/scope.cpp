#include "resources/scope.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>  // types and prototypes only: libsystemd is loaded on first use
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "base/fsutil.h"
#include "profile/profile.h"
#include "resources/cgroup.h"
#include "resources/manager_bus.h"

namespace lb {

std::string scopeUnitName(const std::string& profile, const std::string& instance) {
    // Profile names are [a-z0-9_-]; "-" separates unit name parts, so escape it like
    // systemd-escape does for the application id.
    std::string esc;
    for (char c : profile) {
        if (c == '-')
            esc += "\\x2d";
        else
            esc += c;
    }
    return "app-layerbox-" + esc + "-" + instance + ".scope";
}

ScopePlan planScope(const std::string& profile, const std::string& instance,
                    const ResourceConfig& r) {
    ScopePlan p;
    p.unit = scopeUnitName(profile, instance);
    p.description = "Layerbox sandbox " + profile + " (" + instance + ")";
    if (r.memoryMax) p.limits.push_back({"MemoryMax", *r.memoryMax, "memory_max", "memory"});
    if (r.memoryHigh) p.limits.push_back({"MemoryHigh", *r.memoryHigh, "memory_high", "memory"});
    if (r.memorySwapMax)
        p.limits.push_back({"MemorySwapMax", *r.memorySwapMax, "memory_swap_max", "memory"});
    if (r.cpuPercent) {
        // systemd takes the quota per second in microseconds and rounds to 10 ms; round up so
        // a small percentage never becomes zero (which would mean "no CPU at all").
        uint64_t usec = static_cast<uint64_t>(*r.cpuPercent) * 10000;
        usec = (usec + 9999) / 10000 * 10000;
        p.limits.push_back({"CPUQuotaPerSecUSec", usec, "cpu_percent", "cpu"});
    }
    if (r.cpuWeight)
        p.limits.push_back({"CPUWeight", static_cast<uint64_t>(*r.cpuWeight), "cpu_weight", "cpu"});
    if (r.tasksMax)
        p.limits.push_back({"TasksMax", static_cast<uint64_t>(*r.tasksMax), "tasks_max", "pids"});
    if (r.ioWeight)
        p.limits.push_back({"IOWeight", static_cast<uint64_t>(*r.ioWeight), "io_weight", "io"});
    return p;
}

LimitsReport planLimitsReport(const ScopePlan& plan, const std::set<std::string>& delegated) {
    LimitsReport r;
    for (const auto& l : plan.limits)
        (delegated.count(l.controller) ? r.enforced : r.recorded).push_back(l.key);
    return r;
}

namespace {

// libsystemd is loaded when a scope is first needed, not at every start of `layerbox`: that
// takes about 0.6 ms (six libraries) off every command, and in `run` the loading happens after
// the fork, while the setup process creates the namespaces. Only the stable ABI of
// libsystemd.so.0 is used; the variadic calls go through their va_list twins.
struct SdBus {
    decltype(&sd_bus_open_user) openUser;
    decltype(&sd_bus_new) newBus;
    decltype(&sd_bus_set_address) setAddress;
    decltype(&sd_bus_start) start;
    decltype(&sd_bus_flush_close_unref) flushCloseUnref;
    decltype(&sd_bus_match_signal) matchSignal;
    decltype(&sd_bus_slot_unref) slotUnref;
    decltype(&sd_bus_message_new_method_call) newMethodCall;
    decltype(&sd_bus_message_unref) messageUnref;
    decltype(&sd_bus_message_appendv) appendv;
    decltype(&sd_bus_message_readv) readv;
    decltype(&sd_bus_message_open_container) openContainer;
    decltype(&sd_bus_message_close_container) closeContainer;
    decltype(&sd_bus_call) call;
    decltype(&sd_bus_call_methodv) callMethodv;
    decltype(&sd_bus_get_property_string) getPropertyString;
    decltype(&sd_bus_process) process;
    decltype(&sd_bus_wait) wait;
    decltype(&sd_bus_error_free) errorFree;
};

// The loaded library, or nullptr with `why` set (kept for the process's life).
const SdBus* sdBus(std::string* why) {
    static SdBus api;
    static std::string error;
    static const bool loaded = [] {
        void* h = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char* e = ::dlerror();
            error = std::string("libsystemd is not installed: ") + (e ? e : "dlopen failed");
            return false;
        }
        bool ok = true;
        auto get = [&](auto& fn, const char* name) {
            fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(h, name));
            if (!fn) {
                ok = false;
                error = std::string("libsystemd lacks ") + name;
            }
        };
        get(api.openUser, "sd_bus_open_user");
        get(api.newBus, "sd_bus_new");
        get(api.setAddress, "sd_bus_set_address");
        get(api.start, "sd_bus_start");
        get(api.flushCloseUnref, "sd_bus_flush_close_unref");
        get(api.matchSignal, "sd_bus_match_signal");
        get(api.slotUnref, "sd_bus_slot_unref");
        get(api.newMethodCall, "sd_bus_message_new_method_call");
        get(api.messageUnref, "sd_bus_message_unref");
        get(api.appendv, "sd_bus_message_appendv");
        get(api.readv, "sd_bus_message_readv");
        get(api.openContainer, "sd_bus_message_open_container");
        get(api.closeContainer, "sd_bus_message_close_container");
        get(api.call, "sd_bus_call");
        get(api.callMethodv, "sd_bus_call_methodv");
        get(api.getPropertyString, "sd_bus_get_property_string");
        get(api.process, "sd_bus_process");
        get(api.wait, "sd_bus_wait");
        get(api.errorFree, "sd_bus_error_free");
        return ok;
    }();
    if (!loaded && why) *why = error;
    return loaded ? &api : nullptr;
}

int append(const SdBus& sd, sd_bus_message* m, const char* types, ...) {
    va_list ap;
    va_start(ap, types);
    int r = sd.appendv(m, types, ap);
    va_end(ap);
    return r;
}

int readMessage(const SdBus& sd, sd_bus_message* m, const char* types, ...) {
    va_list ap;
    va_start(ap, types);
    int r = sd.readv(m, types, ap);
    va_end(ap);
    return r;
}

int callMethod(const SdBus& sd, sd_bus* bus, const char* member, sd_bus_error* err,
               sd_bus_message** reply, const char* types, ...) {
    va_list ap;
    va_start(ap, types);
    int r = sd.callMethodv(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                           "org.freedesktop.systemd1.Manager", member, err, reply, types, ap);
    va_end(ap);
    return r;
}

struct Bus {
    const SdBus& sd;
    sd_bus* bus = nullptr;
    bool direct = false;  // the manager's own socket: no bus daemon, no sender names
    explicit Bus(const SdBus& api) : sd(api) {}
    ~Bus() { sd.flushCloseUnref(bus); }
};

}  // namespace

// The own socket of the user manager behind the session bus that would be used: the bus
// socket's directory (the user's runtime directory) + "systemd/private", where `systemctl --user`
// finds it too; $XDG_RUNTIME_DIR/systemd/private without a unix:path bus address. Only a socket
// of the caller's own is used: the user manager runs as the caller and creates it in the
// caller's runtime directory, which only the caller can write; anything else, or nothing there,
// goes through the session bus as before.
std::string managerSocket() {
    std::string dir;
    if (const char* a = std::getenv("DBUS_SESSION_BUS_ADDRESS"); a && *a) {
        std::string addr = a;
        addr = addr.substr(0, addr.find(';'));
        const std::string key = "unix:path=";
        if (addr.compare(0, key.size(), key) != 0) return {};
        std::string bus = addr.substr(key.size());
        bus = bus.substr(0, bus.find(','));
        size_t slash = bus.rfind('/');
        if (slash == std::string::npos || slash == 0) return {};
        dir = bus.substr(0, slash);
    } else if (const char* r = std::getenv("XDG_RUNTIME_DIR"); r && *r == '/') {
        dir = r;
    } else {
        return {};
    }
    std::string path = dir + "/systemd/private";
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid == ::getuid())
        return path;
    return {};
}

namespace {

// Connect to the user manager: straight to its own socket when there is one (one peer-to-peer
// connection: no bus daemon relaying each message, no Hello, no AddMatch round trip; systemd
// sends its signals to every direct connection), else through the session bus.
int openManager(Bus& b) {
    if (std::string path = managerSocket(); !path.empty()) {
        sd_bus* bus = nullptr;
        int r = b.sd.newBus(&bus);
        if (r >= 0) r = b.sd.setAddress(bus, ("unix:path=" + path).c_str());
        if (r >= 0) r = b.sd.start(bus);
        if (r >= 0) {
            b.bus = bus;
            b.direct = true;
            return r;
        }
        b.sd.flushCloseUnref(bus);
    }
    return b.sd.openUser(&b.bus);
}

struct JobWait {
    const SdBus* sd = nullptr;
    std::string path;
    std::string result;
    bool done = false;
};

int onJobRemoved(sd_bus_message* m, void* userdata, sd_bus_error*) {
    auto* w = static_cast<JobWait*>(userdata);
    uint32_t id;
    const char *path, *unit, *result;
    if (readMessage(*w->sd, m, "uoss", &id, &path, &unit, &result) < 0) return 0;
    if (w->path == path) {
        w->done = true;
        w->result = result;
    }
    return 0;
}

Result<std::string> callStart(const SdBus& sd, sd_bus* bus, const ScopePlan& plan,
                              const std::vector<ScopeProperty>& limits,
                              const std::vector<pid_t>& pids, sd_bus_error* err) {
    sd_bus_message* m = nullptr;
    int r = sd.newMethodCall(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                             "org.freedesktop.systemd1.Manager", "StartTransientUnit");
    if (r < 0) return Error::sys("sd_bus_message_new_method_call", -r);
    struct Unref {
        const SdBus& sd;
        sd_bus_message* m;
        ~Unref() { sd.messageUnref(m); }
    } unref{sd, m};
    r = append(sd, m, "ss", plan.unit.c_str(), "fail");
    r = r < 0 ? r : sd.openContainer(m, 'a', "(sv)");
    r = r < 0 ? r : append(sd, m, "(sv)", "Description", "s", plan.description.c_str());
    r = r < 0 ? r : append(sd, m, "(sv)", "Slice", "s", plan.slice.c_str());
    r = r < 0 ? r : sd.openContainer(m, 'r', "sv");
    r = r < 0 ? r : append(sd, m, "s", "PIDs");
    r = r < 0 ? r : sd.openContainer(m, 'v', "au");
    r = r < 0 ? r : sd.openContainer(m, 'a', "u");
    for (pid_t pid : pids)
        r = r < 0 ? r : append(sd, m, "u", static_cast<uint32_t>(pid));
    r = r < 0 ? r : sd.closeContainer(m);
    r = r < 0 ? r : sd.closeContainer(m);
    r = r < 0 ? r : sd.closeContainer(m);
    r = r < 0 ? r : append(sd, m, "(sv)", "Delegate", "b", 1);
    r = r < 0 ? r : append(sd, m, "(sv)", "CollectMode", "s", "inactive-or-failed");
    for (const char* acct :
         {"MemoryAccounting", "TasksAccounting", "CPUAccounting", "IOAccounting"})
        r = r < 0 ? r : append(sd, m, "(sv)", acct, "b", 1);
    for (const auto& l : limits)
        r = r < 0 ? r : append(sd, m, "(sv)", l.name.c_str(), "t", l.value);
    r = r < 0 ? r : sd.closeContainer(m);
    r = r < 0 ? r : append(sd, m, "a(sa(sv))", 0);
    if (r < 0) return Error::sys("building StartTransientUnit", -r);
    sd_bus_message* reply = nullptr;
    // A user manager that does not answer must not hold the launch for long: without a scope
    // the sandbox still runs (and says which limits are not applied).
    r = sd.call(bus, m, 3 * 1000 * 1000, err, &reply);
    if (r < 0)
        return Error(std::string("StartTransientUnit(") + plan.unit +
                         "): " + (err->message ? err->message : std::strerror(-r)),
                     -r);
    const char* job = nullptr;
    r = readMessage(sd, reply, "o", &job);
    std::string out = job ? job : "";
    sd.messageUnref(reply);
    if (r < 0) return Error::sys("reading the job path", -r);
    return out;
}

// StartTransientUnit's arguments (ssa(sv)a(sa(sv))): the scope holding `pids`, delegated,
// collected once inactive or failed, with accounting and the limits (as callStart below).
std::string startTransientUnitBody(const ScopePlan& plan, const std::vector<ScopeProperty>& limits,
                                   const std::vector<pid_t>& pids) {
    DbusWriter b;
    b.str(plan.unit);
    b.str("fail");
    auto props = b.beginArray(8);
    auto property = [&](const std::string& name) {
        b.beginStruct();
        b.str(name);
    };
    property("Description");
    b.variantString(plan.description);
    property("Slice");
    b.variantString(plan.slice);
    property("PIDs");
    b.variantU32Array(std::vector<uint32_t>(pids.begin(), pids.end()));
    property("Delegate");
    b.variantBool(true);
    property("CollectMode");
    b.variantString("inactive-or-failed");
    for (const char* acct :
         {"MemoryAccounting", "TasksAccounting", "CPUAccounting", "IOAccounting"}) {
        property(acct);
        b.variantBool(true);
    }
    for (const auto& l : limits) {
        property(l.name);
        b.variantU64(l.value);
    }
    b.endArray(props);
    auto aux = b.beginArray(8);
    b.endArray(aux);
    return b.bytes();
}

// startScope over the manager's own socket (manager_bus.h), without libsystemd: the same
// conversation as below, the same retries. Fails with ENOTCONN when nothing was asked yet (no
// connection), so that the caller may still try the session bus.
Result<ScopeInfo> startScopeDirect(const std::string& socket, const ScopePlan& plan,
                                   const std::vector<pid_t>& pids,
                                   std::vector<std::string>& warnings,
                                   const std::string& placedCgroup) {
    // The authentication, BEGIN and the first call go out together (ManagerConnection::open):
    // one round trip to the manager fewer on the launch's way (issue 25).
    auto connection = ManagerConnection::open(socket);
    if (!connection) return Error(connection.error().message(), ENOTCONN);
    std::vector<ScopeProperty> limits = plan.limits;
    bool resetTried = false;
    std::string job;
    for (int attempt = 0; attempt < 10 && job.empty(); ++attempt) {
        // A user manager that does not answer must not hold the launch for long: without a
        // scope the sandbox still runs (and says which limits are not applied).
        auto answer = connection->call("StartTransientUnit", "ssa(sv)a(sa(sv))",
                                       startTransientUnitBody(plan, limits, pids), 3000);
        // Refused or dropped before it authenticated us: nothing was asked, the bus may do.
        // Not a manager that is only slow to answer: the call went out with the
        // authentication and may still run (asked again, the scope would exist twice).
        if (!answer && connection->authPending() && answer.error().code() != ETIMEDOUT)
            return Error(answer.error().message(), ENOTCONN);
        if (!answer) return answer.error();
        const ManagerConnection::Reply& reply = *answer;
        if (reply.ok) {
            job = reply.value;
            break;
        }
        // An older systemd that does not know a property: drop it and say so.
        auto unknown = std::find_if(limits.begin(), limits.end(), [&](const ScopeProperty& l) {
            return reply.errorMessage.find(l.name) != std::string::npos;
        });
        if (reply.errorName == "org.freedesktop.DBus.Error.InvalidArgs" &&
            unknown != limits.end()) {
            warnings.push_back("this systemd does not support " + unknown->name + "; " +
                               unknown->key + " is not applied");
            limits.erase(unknown);
            continue;
        }
        if (!resetTried && (reply.errorName == "org.freedesktop.systemd1.UnitExists" ||
                            reply.errorMessage.find("already exists") != std::string::npos)) {
            resetTried = true;
            DbusWriter unit;
            unit.str(plan.unit);
            (void)connection->call("ResetFailedUnit", "s", unit.bytes(), 3000);
            continue;
        }
        return Error("StartTransientUnit(" + plan.unit + "): " +
                         (reply.errorMessage.empty() ? reply.errorName : reply.errorMessage),
                     EIO);
    }
    if (job.empty()) return Error("StartTransientUnit: no job", EIO);
    // A limit dropped above as unknown to this systemd is no longer one to wait for.
    if (!placedCgroup.empty() && limits.empty())
        return ScopeInfo{plan.unit, placedCgroup,
                         std::make_shared<ScopeJob>(
                             std::make_unique<ManagerConnection>(std::move(*connection)), job)};
    auto result = connection->waitForJob(job, 5000);
    if (!result) {
        if (result.error().code() == ETIMEDOUT)
            return Error("systemd did not finish starting " + plan.unit, ETIMEDOUT);
        return result.error();
    }
    if (*result != "done")
        return Error("systemd could not start " + plan.unit + ": job " + *result, EIO);
    return ScopeInfo{plan.unit, cgroupOfPid(pids.front())};
}

}  // namespace

ScopeJob::ScopeJob(std::unique_ptr<ManagerConnection> connection, std::string job)
    : connection_(std::move(connection)), job_(std::move(job)) {}
ScopeJob::~ScopeJob() = default;

int ScopeJob::fd() const {
    return connection_->fd();
}

Result<std::optional<std::string>> ScopeJob::check() {
    auto result = connection_->waitForJob(job_, 0);
    if (result) return std::optional<std::string>(*result);
    if (result.error().code() == ETIMEDOUT) return std::optional<std::string>();
    return result.error();
}

Status ScopeJob::stopUnit(const std::string& unit) {
    DbusWriter body;
    body.str(unit);
    body.str("replace");
    LB_ASSIGN(ManagerConnection::Reply reply,
              connection_->call("StopUnit", "ss", body.bytes(), 3000));
    if (!reply.ok && reply.errorName != "org.freedesktop.systemd1.NoSuchUnit")
        return Error("StopUnit(" + unit + "): " + reply.errorMessage, EIO);
    return Ok();
}

Result<ScopeInfo> startScope(const ScopePlan& plan, const std::vector<pid_t>& pids,
                             std::vector<std::string>& warnings, const std::string& placedCgroup) {
    // The manager's own socket, spoken to without libsystemd (issue 25: loading it cost more
    // than the conversation); the session bus through libsystemd when there is none.
    if (std::string socket = managerSocket(); !socket.empty()) {
        auto direct = startScopeDirect(socket, plan, pids, warnings, placedCgroup);
        if (direct || direct.error().code() != ENOTCONN) return direct;
    }
    std::string why;
    const SdBus* sd = sdBus(&why);
    if (!sd) return Error(why, ENOENT);
    Bus b(*sd);
    int r = openManager(b);
    if (r < 0) return Error::sys("connecting to the user bus", -r);
    JobWait wait;
    wait.sd = sd;
    // Subscribe before the call, or the job may finish before we listen.
    sd_bus_slot* slot = nullptr;
    r = sd->matchSignal(b.bus, &slot, b.direct ? nullptr : "org.freedesktop.systemd1",
                        "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                        "JobRemoved", onJobRemoved, &wait);
    if (r < 0) return Error::sys("subscribing to JobRemoved", -r);
    struct SlotUnref {
        const SdBus& sd;
        sd_bus_slot* s;
        ~SlotUnref() { sd.slotUnref(s); }
    } slotUnref{*sd, slot};

    std::vector<ScopeProperty> limits = plan.limits;
    bool resetTried = false;
    for (int attempt = 0; attempt < 10; ++attempt) {
        sd_bus_error err = SD_BUS_ERROR_NULL;
        auto job = callStart(*sd, b.bus, plan, limits, pids, &err);
        std::string msg = err.message ? err.message : "";
        std::string name = err.name ? err.name : "";
        sd->errorFree(&err);
        if (job) {
            wait.path = *job;
            break;
        }
        // An older systemd that does not know a property: drop it and say so.
        auto unknown = std::find_if(limits.begin(), limits.end(), [&](const ScopeProperty& l) {
            return msg.find(l.name) != std::string::npos;
        });
        if (name == "org.freedesktop.DBus.Error.InvalidArgs" && unknown != limits.end()) {
            warnings.push_back("this systemd does not support " + unknown->name + "; " +
                               unknown->key + " is not applied");
            limits.erase(unknown);
            continue;
        }
        if (!resetTried && (name == "org.freedesktop.systemd1.UnitExists" ||
                            msg.find("already exists") != std::string::npos)) {
            resetTried = true;
            sd_bus_error e2 = SD_BUS_ERROR_NULL;
            callMethod(*sd, b.bus, "ResetFailedUnit", &e2, nullptr, "s", plan.unit.c_str());
            sd->errorFree(&e2);
            continue;
        }
        return job.error();
    }
    if (wait.path.empty()) return Error("StartTransientUnit: no job", EIO);
    for (int i = 0; !wait.done && i < 500; ++i) {  // up to 5 s for the job
        r = sd->process(b.bus, nullptr);
        if (r < 0) return Error::sys("sd_bus_process", -r);
        if (r == 0) sd->wait(b.bus, 10 * 1000);
    }
    if (!wait.done) return Error("systemd did not finish starting " + plan.unit, ETIMEDOUT);
    if (wait.result != "done")
        return Error("systemd could not start " + plan.unit + ": job " + wait.result, EIO);
    return ScopeInfo{plan.unit, cgroupOfPid(pids.front())};
}

Status stopScope(const std::string& unit) {
    std::string why;
    const SdBus* sd = sdBus(&why);
    if (!sd) return Error(why, ENOENT);
    Bus b(*sd);
    int r = openManager(b);
    if (r < 0) return Error::sys("connecting to the user bus", -r);
    JobWait wait;
    wait.sd = sd;
    sd_bus_slot* slot = nullptr;
    r = sd->matchSignal(b.bus, &slot, b.direct ? nullptr : "org.freedesktop.systemd1",
                        "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                        "JobRemoved", onJobRemoved, &wait);
    if (r < 0) return Error::sys("subscribing to JobRemoved", -r);
    struct SlotUnref {
        const SdBus& sd;
        sd_bus_slot* s;
        ~SlotUnref() { sd.slotUnref(s); }
    } slotUnref{*sd, slot};
    sd_bus_error err = SD_BUS_ERROR_NULL;
    sd_bus_message* reply = nullptr;
    r = callMethod(*sd, b.bus, "StopUnit", &err, &reply, "ss", unit.c_str(), "replace");
    std::string name = err.name ? err.name : "";
    std::string msg = err.message ? err.message : "";
    sd->errorFree(&err);
    if (r < 0) {
        sd->messageUnref(reply);
        if (name == "org.freedesktop.systemd1.NoSuchUnit") return Ok();
        return Error("StopUnit(" + unit + "): " + (msg.empty() ? std::strerror(-r) : msg), -r);
    }
    const char* job = nullptr;
    if (readMessage(*sd, reply, "o", &job) >= 0 && job) wait.path = job;
    sd->messageUnref(reply);
    for (int i = 0; !wait.path.empty() && !wait.done && i < 200; ++i) {  // up to 2 s
        r = sd->process(b.bus, nullptr);
        if (r < 0) return Error::sys("sd_bus_process", -r);
        if (r == 0) sd->wait(b.bus, 10 * 1000);
    }
    return Ok();
}

Result<std::string> userManagerVersion() {
    std::string why;
    const SdBus* sd = sdBus(&why);
    if (!sd) return Error(why, ENOENT);
    Bus b(*sd);
    int r = sd->openUser(&b.bus);
    if (r < 0) return Error(std::string("no user bus: ") + std::strerror(-r), -r);
    sd_bus_error err = SD_BUS_ERROR_NULL;
    char* version = nullptr;
    r = sd->getPropertyString(b.bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                              "org.freedesktop.systemd1.Manager", "Version", &err, &version);
    std::string out = r >= 0 ? std::string("systemd ") + (version ? version : "")
                             : std::string("no systemd user manager: ") +
                                   (err.message ? err.message : std::strerror(-r));
    free(version);
    sd->errorFree(&err);
    if (r < 0) return Error(out, -r);
    return out;
}

}  // namespace lb
