// Running sandboxes: each has a short id and a record in $XDG_RUNTIME_DIR/layerbox/instances/,
// next to a lock file its runner holds for its whole life. A record whose lock can be taken
// belongs to a runner that died: it is stale and is cleaned up by whoever notices.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fsutil.h"

namespace lb {

struct Paths;

// `layerbox stop` talks to the runner with a real-time signal (they queue, so two in a row
// both arrive) sent with sigqueue and one of these values: first "a stop is under way" (the
// windows are asked to close; nothing is relayed), then "SIGTERM to every process of the
// sandbox". The runner acts only on its own user's sigqueue; any other is ignored.
inline int stopControlSignal() {
    return SIGRTMIN + 3;
}
inline constexpr int kStopNoticeValue = 0x4c42736e;  // "LBsn"
inline constexpr int kStopSignalValue = 0x4c427374;  // "LBst"

struct InstanceRecord {
    std::string id;
    std::string profile;
    pid_t runnerPid = 0;
    pid_t setupPid = 0;
    pid_t pid = 0;  // the program, as the host sees it
    std::vector<std::string> command;
    int64_t startedUnix = 0;
    std::string scope;   // unit name, empty without a scope
    std::string cgroup;  // absolute cgroup v2 directory, empty without a scope
    std::string network;
    std::string driver;
    bool ephemeral = false;
    std::string hostname;
    std::string x11;       // the X11 display: off | host | isolated
    std::string socket;    // control socket (joining)
    std::string lifetime;  // lifetime.until: all | main
    int stopTimeout = 10;  // lifetime.stop_timeout: layerbox stop's default
    std::string display;   // the X11 display the program uses (":5"), empty without X11
    std::vector<std::string> limitsEnforced, limitsRecorded;
    bool damaged = false;      // the record could not be read; only id and runner pid are known
    bool lockMissing = false;  // its lock file is gone; its runner was found alive by its pid
};

std::string encodeRecord(const InstanceRecord& r);
std::optional<InstanceRecord> decodeRecord(const std::string& text);

class InstanceRegistry {
public:
    explicit InstanceRegistry(const Paths& paths);
    const std::string& dir() const { return dir_; }

    // Take the lock of a new instance (held until the returned fd is closed).
    Result<UniqueFd> claim(const std::string& id) const;
    Status publish(const InstanceRecord& r) const;
    void remove(const std::string& id) const;

    // Live instances, oldest first; stale records are removed on the way.
    std::vector<InstanceRecord> list() const;
    // By id (or unique id prefix) or by profile name (all of its instances).
    Result<std::vector<InstanceRecord>> find(const std::string& idOrProfile) const;

    std::string socketPath(const std::string& id) const { return dir_ + "/" + id + ".sock"; }

private:
    std::string dir_;
};

}  // namespace lb
