// A transient systemd scope per running sandbox, in the systemd *user* manager (over D-Bus,
// sd-bus): resource limits, accounting, and a cgroup to freeze or kill as a whole. The unit is
// named app-layerbox-<profile>-<instance>.scope, the desktop convention that lets task managers
// and portals see which application it is.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"

namespace lb {

struct ResourceConfig;

struct ScopeProperty {
    std::string name;        // systemd property, e.g. "MemoryMax"
    uint64_t value = 0;      // all limit properties are "t" (uint64)
    std::string key;         // the profile field it comes from, e.g. "memory_max"
    std::string controller;  // the cgroup controller that enforces it
};

struct ScopePlan {
    std::string unit;
    std::string slice = "app-layerbox.slice";
    std::string description;
    std::vector<ScopeProperty> limits;
};

// Which profile limits this host enforces and which it only records.
struct LimitsReport {
    std::vector<std::string> enforced;
    std::vector<std::string> recorded;
};

// "app-layerbox-<profile>-<instance>.scope" with unit-name escaping of the profile name.
std::string scopeUnitName(const std::string& profile, const std::string& instance);
ScopePlan planScope(const std::string& profile, const std::string& instance,
                    const ResourceConfig& resources);
LimitsReport planLimitsReport(const ScopePlan& plan, const std::set<std::string>& delegated);

class ManagerConnection;

// The user manager's start job of a scope, not waited for: its connection stays open until the
// JobRemoved signal comes (the caller polls fd()).
class ScopeJob {
public:
    ScopeJob(std::unique_ptr<ManagerConnection> connection, std::string job);
    ~ScopeJob();
    int fd() const;
    // The job's result ("done", "failed", ...) once its signal has come, nullopt before;
    // reads only what is there, never waits.
    Result<std::optional<std::string>> check();
    // StopUnit(unit, "replace") on the same connection; the stop job is not waited for.
    Status stopUnit(const std::string& unit);

private:
    std::unique_ptr<ManagerConnection> connection_;
    std::string job_;
};

struct ScopeInfo {
    std::string unit;
    std::string cgroup;             // absolute cgroup v2 directory
    std::shared_ptr<ScopeJob> job;  // the start job, when it was not waited for
};

// Ask the user manager for the scope holding `pids` and wait for the job. Properties this
// systemd does not know are dropped (each with a warning); a failed unit of the same name is
// reset and the call retried once. Fails when there is no user bus.
//
// `placedCgroup`: the scope's cgroup, made ahead, where `pids` already are (scope_cgroup.h).
// Then, when the plan sets no limit, only the manager's reply is waited for (the unit exists
// and the processes are where it will hold them); the job's end comes in ScopeInfo::job. With
// limits, the job is waited for: they hold from the program's first instruction.
Result<ScopeInfo> startScope(const ScopePlan& plan, const std::vector<pid_t>& pids,
                             std::vector<std::string>& warnings,
                             const std::string& placedCgroup = {});

// The user manager's own socket ($XDG_RUNTIME_DIR/systemd/private, the caller's), or empty.
std::string managerSocket();

// Stop the scope (StopUnit, mode "replace") and return once the user manager has it no more,
// or after a short wait. A scope that no longer exists is not an error.
Status stopScope(const std::string& unit);

// The version of the systemd user manager answering on the user bus ("systemd 252"), or why
// none does (for doctor, and for profiles that require their limits).
Result<std::string> userManagerVersion();

}  // namespace lb
