// The activity log (issue 23): what a running sandbox refused, kept by its runner, outside the
// sandbox, so that `layerbox log` and the GUI can say why a program fails. Today's source: the
// system calls the seccomp filter denied (launch/syscall_monitor.h).
//
// A program must never be able to flood it into the host's memory or disk: the log keeps at
// most kMaxEntries recent entries (a ring) and kMaxGroups grouped counts; new entries beyond a
// rate (kRate a second, kBurst at once) and new groups beyond the bound are counted as dropped,
// never kept. The runner writes it to $XDG_RUNTIME_DIR/layerbox/instances/ID.activity (a tmpfs,
// atomically, at most every kWriteEveryMs), whose size is bounded by the same numbers.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lb {

struct ActivityEntry {
    uint64_t seq = 0;
    int64_t timeMs = 0;   // Unix time, milliseconds
    std::string kind;     // "syscall", "dbus"
    pid_t pid = 0;        // as the host sees it
    std::string command;  // the process's name (/proc/PID/comm)
    std::string object;   // what it was refused: "keyctl", "org.example.Name"
};

struct ActivityGroup {
    std::string kind, command, object;
    uint64_t count = 0;
    pid_t lastPid = 0;
    int64_t firstMs = 0, lastMs = 0;
};

struct ActivitySnapshot {
    uint64_t total = 0;    // refusals seen
    uint64_t dropped = 0;  // not kept as entries (rate) or not counted in a group (bound)
    std::vector<ActivityGroup> groups;
    std::vector<ActivityEntry> entries;  // oldest first
};

class ActivityLog {
public:
    static constexpr size_t kMaxEntries = 512;
    static constexpr size_t kMaxGroups = 256;
    static constexpr int kRate = 100;
    static constexpr int kBurst = 200;
    static constexpr int kWriteEveryMs = 300;

    // `nowMs`: a monotonic clock, for the rate limit. Entries beyond the rate are dropped;
    // their group (when it exists or there is room) still counts them.
    void record(ActivityEntry e, int64_t nowMs);
    ActivitySnapshot snapshot() const;
    uint64_t total() const { return total_; }
    uint64_t dropped() const { return dropped_; }
    size_t entryCount() const { return ring_.size(); }
    bool dirty() const { return dirty_; }
    void clean() { dirty_ = false; }

private:
    std::deque<ActivityEntry> ring_;
    std::map<std::string, ActivityGroup> groups_;
    uint64_t total_ = 0, dropped_ = 0, seq_ = 0;
    double tokens_ = kBurst;
    int64_t lastRefillMs_ = -1;
    bool dirty_ = false;
};

// The file's text: one line a field, tab-separated, fields without tabs or newlines.
std::string encodeActivity(const ActivitySnapshot& s);
std::optional<ActivitySnapshot> decodeActivity(const std::string& text);
// Pure: "denied 3 calls to keyctl" for a group.
std::string describeGroup(const ActivityGroup& g);

}  // namespace lb
