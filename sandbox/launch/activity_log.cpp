#include "launch/activity_log.h"

#include <algorithm>
#include <sstream>

namespace lb {

namespace {

// Fields come from the sandbox (a process can name itself anything): no tab, no newline.
std::string field(const std::string& s) {
    std::string out = s.substr(0, 256);
    for (char& c : out)
        if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    return out;
}

std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t tab = line.find('\t', start);
        out.push_back(line.substr(start, tab - start));
        if (tab == std::string::npos) break;
        start = tab + 1;
    }
    return out;
}

bool number(const std::string& s, int64_t& out) {
    if (s.empty()) return false;
    try {
        size_t used = 0;
        out = std::stoll(s, &used);
        return used == s.size();
    } catch (...) {
        return false;
    }
}

}  // namespace

void ActivityLog::record(ActivityEntry e, int64_t nowMs) {
    ++total_;
    dirty_ = true;
    const std::string key = e.kind + '\0' + e.command + '\0' + e.object;
    auto g = groups_.find(key);
    if (g == groups_.end() && groups_.size() < kMaxGroups)
        g = groups_.emplace(key, ActivityGroup{e.kind, e.command, e.object, 0, 0, e.timeMs, 0})
                .first;
    if (g != groups_.end()) {
        ++g->second.count;
        g->second.lastPid = e.pid;
        g->second.lastMs = e.timeMs;
    }
    // The rate limit: a token bucket refilled at kRate a second, at most kBurst.
    if (lastRefillMs_ >= 0)
        tokens_ = std::min<double>(kBurst, tokens_ + (nowMs - lastRefillMs_) * kRate / 1000.0);
    lastRefillMs_ = nowMs;
    if (tokens_ < 1 || g == groups_.end()) {
        ++dropped_;
        return;
    }
    tokens_ -= 1;
    e.seq = ++seq_;
    ring_.push_back(std::move(e));
    if (ring_.size() > kMaxEntries) ring_.pop_front();  // older entries stay counted in groups
}

ActivitySnapshot ActivityLog::snapshot() const {
    ActivitySnapshot s;
    s.total = total_;
    s.dropped = dropped_;
    for (const auto& [k, g] : groups_)
        s.groups.push_back(g);
    std::sort(s.groups.begin(), s.groups.end(),
              [](const ActivityGroup& a, const ActivityGroup& b) { return a.firstMs < b.firstMs; });
    s.entries.assign(ring_.begin(), ring_.end());
    return s;
}

std::string encodeActivity(const ActivitySnapshot& s) {
    std::ostringstream o;
    o << "layerbox-activity\t1\n";
    o << "total\t" << s.total << "\n";
    o << "dropped\t" << s.dropped << "\n";
    for (const auto& g : s.groups)
        o << "group\t" << field(g.kind) << '\t' << field(g.command) << '\t' << field(g.object)
          << '\t' << g.count << '\t' << g.lastPid << '\t' << g.firstMs << '\t' << g.lastMs << "\n";
    for (const auto& e : s.entries)
        o << "entry\t" << e.seq << '\t' << e.timeMs << '\t' << field(e.kind) << '\t' << e.pid
          << '\t' << field(e.command) << '\t' << field(e.object) << "\n";
    return o.str();
}

std::optional<ActivitySnapshot> decodeActivity(const std::string& text) {
    ActivitySnapshot s;
    std::istringstream in(text);
    std::string line;
    if (!std::getline(in, line) || line != "layerbox-activity\t1") return std::nullopt;
    while (std::getline(in, line)) {
        auto f = split(line);
        int64_t a = 0, b = 0, c = 0, d = 0;
        if (f[0] == "total" && f.size() == 2 && number(f[1], a)) {
            s.total = static_cast<uint64_t>(a);
        } else if (f[0] == "dropped" && f.size() == 2 && number(f[1], a)) {
            s.dropped = static_cast<uint64_t>(a);
        } else if (f[0] == "group" && f.size() == 8 && number(f[4], a) && number(f[5], b) &&
                   number(f[6], c) && number(f[7], d)) {
            s.groups.push_back(
                {f[1], f[2], f[3], static_cast<uint64_t>(a), static_cast<pid_t>(b), c, d});
        } else if (f[0] == "entry" && f.size() == 7 && number(f[1], a) && number(f[2], b) &&
                   number(f[4], c)) {
            s.entries.push_back(
                {static_cast<uint64_t>(a), b, f[3], static_cast<pid_t>(c), f[5], f[6]});
        } else {
            return std::nullopt;
        }
    }
    return s;
}

std::string describeGroup(const ActivityGroup& g) {
    const std::string n = std::to_string(g.count);
    if (g.kind == "syscall")
        return "denied " + n + (g.count == 1 ? " call to " : " calls to ") + g.object;
    if (g.kind == "net")
        return "dropped " + n + (g.count == 1 ? " connection to " : " connections to ") + g.object;
    if (g.kind == "dbus")
        return "hid D-Bus name " + g.object + " from " + n + (g.count == 1 ? " call" : " calls");
    return g.kind + ": " + n + " refused: " + g.object;
}

}  // namespace lb
