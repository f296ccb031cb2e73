#include "launch/instances.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ctime>

#include "base/paths.h"

namespace lb {

namespace {

// Values are percent-encoded so any byte (newlines in arguments...) survives the line format.
std::string enc(const std::string& s) {
    std::string o;
    for (unsigned char c : s) {
        if (c == '%' || c == '\n' || c == '\x1f' || c < 0x20) {
            char b[4];
            std::snprintf(b, sizeof b, "%%%02X", c);
            o += b;
        } else {
            o += static_cast<char>(c);
        }
    }
    return o;
}

std::string dec(const std::string& s) {
    std::string o;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            o += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            o += s[i];
        }
    }
    return o;
}

std::string encList(const std::vector<std::string>& v) {
    std::string o;
    for (size_t i = 0; i < v.size(); ++i)
        o += (i ? "\x1f" : "") + enc(v[i]);
    return o;
}

std::vector<std::string> decList(const std::string& s) {
    std::vector<std::string> out;
    if (s.empty()) return out;
    for (const auto& p : split(s, '\x1f'))
        out.push_back(dec(p));
    return out;
}

}  // namespace

std::string encodeRecord(const InstanceRecord& r) {
    std::string o;
    auto kv = [&](const char* k, const std::string& v) { o += std::string(k) + "=" + v + "\n"; };
    kv("id", enc(r.id));
    kv("profile", enc(r.profile));
    kv("runner_pid", std::to_string(r.runnerPid));
    kv("setup_pid", std::to_string(r.setupPid));
    kv("pid", std::to_string(r.pid));
    kv("command", encList(r.command));
    kv("started", std::to_string(r.startedUnix));
    kv("scope", enc(r.scope));
    kv("cgroup", enc(r.cgroup));
    kv("network", enc(r.network));
    kv("driver", enc(r.driver));
    kv("ephemeral", r.ephemeral ? "1" : "0");
    kv("hostname", enc(r.hostname));
    kv("x11", enc(r.x11));
    kv("socket", enc(r.socket));
    kv("limits_enforced", encList(r.limitsEnforced));
    kv("limits_recorded", encList(r.limitsRecorded));
    kv("lifetime", enc(r.lifetime));
    kv("stop_timeout", std::to_string(r.stopTimeout));
    kv("display", enc(r.display));
    return o;
}

std::optional<InstanceRecord> decodeRecord(const std::string& text) {
    InstanceRecord r;
    for (const auto& line : split(text, '\n')) {
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string k = line.substr(0, eq), v = line.substr(eq + 1);
        try {
            if (k == "id")
                r.id = dec(v);
            else if (k == "profile")
                r.profile = dec(v);
            else if (k == "runner_pid")
                r.runnerPid = std::stoi(v);
            else if (k == "setup_pid")
                r.setupPid = std::stoi(v);
            else if (k == "pid")
                r.pid = std::stoi(v);
            else if (k == "command")
                r.command = decList(v);
            else if (k == "started")
                r.startedUnix = std::stoll(v);
            else if (k == "scope")
                r.scope = dec(v);
            else if (k == "cgroup")
                r.cgroup = dec(v);
            else if (k == "network")
                r.network = dec(v);
            else if (k == "driver")
                r.driver = dec(v);
            else if (k == "ephemeral")
                r.ephemeral = v == "1";
            else if (k == "hostname")
                r.hostname = dec(v);
            else if (k == "x11")
                r.x11 = dec(v);
            else if (k == "socket")
                r.socket = dec(v);
            else if (k == "limits_enforced")
                r.limitsEnforced = decList(v);
            else if (k == "limits_recorded")
                r.limitsRecorded = decList(v);
            else if (k == "lifetime")
                r.lifetime = dec(v);
            else if (k == "stop_timeout")
                r.stopTimeout = std::stoi(v);
            else if (k == "display")
                r.display = dec(v);
        } catch (...) {
            return std::nullopt;  // a corrupt record is treated as absent
        }
    }
    if (r.id.empty() || r.profile.empty()) return std::nullopt;
    return r;
}

namespace {

// When process `pid` started, in seconds since the epoch; 0 when it cannot be read.
int64_t processStartUnix(pid_t pid) {
    auto stat = readFile("/proc/" + std::to_string(pid) + "/stat");
    auto procStat = readFile("/proc/stat");
    if (!stat || !procStat) return 0;
    // Fields after the command name, which is in parentheses and may hold spaces.
    const auto close = stat->rfind(')');
    if (close == std::string::npos) return 0;
    std::vector<std::string> f;
    for (auto& x : split(stat->substr(close + 2), ' '))
        f.push_back(x);
    if (f.size() < 20) return 0;  // field 22 (starttime) is f[19]
    int64_t bootTime = 0;
    for (const auto& line : split(*procStat, '\n'))
        if (startsWith(line, "btime ")) bootTime = std::atoll(line.c_str() + 6);
    const long hz = ::sysconf(_SC_CLK_TCK);
    if (!bootTime || hz <= 0) return 0;
    return bootTime + std::atoll(f[19].c_str()) / hz;
}

// A record whose lock file is gone (deleted by hand, or by a cleaner of the runtime directory)
// while its runner lives: the runner's pid is alive and started when the record says, so it is
// that runner and not another process that was given its pid since.
bool runnerOfRecordAlive(const InstanceRecord& r) {
    if (r.runnerPid <= 0 || ::kill(r.runnerPid, 0) != 0) return false;
    const int64_t started = processStartUnix(r.runnerPid);
    return started && r.startedUnix && started <= r.startedUnix + 1 &&
           r.startedUnix - started < 120;
}

// The process holding the flock() on an open file (its runner, for an instance's lock file).
// Security: only this user's runners hold locks on files in its runtime directory, which no
// sandbox sees (hidden); the pid is used as the record's runner pid was, for `stop`.
pid_t lockHolder(int fd) {
    struct stat st;
    if (::fstat(fd, &st) != 0) return 0;
    return flockHolder(st.st_dev, st.st_ino);
}

}  // namespace

InstanceRegistry::InstanceRegistry(const Paths& paths) : dir_(paths.instancesDir()) {}

Result<UniqueFd> InstanceRegistry::claim(const std::string& id) const {
    LB_TRY_CTX(makeDirs(dir_, 0700), "creating " + quote(dir_));
    std::string path = dir_ + "/" + id + ".lock";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) return Error::fromErrno("open(" + quote(path) + ")");
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0)
        return Error::fromErrno("flock(" + quote(path) + ")");
    // Nothing is written into it (issue 25): a file with data has a block on disk, and the
    // runner's exit, which drops the last reference to the file removed at the end, freed that
    // block; where the runtime directory is on a disk mounted with `discard`, that was a
    // synchronous discard of 0.2-3 ms in the runner's exit, in a third of the launches. The
    // runner's pid, for an instance whose record got damaged, is the lock's holder
    // (lockHolder).
    return fd;
}

Status InstanceRegistry::publish(const InstanceRecord& r) const {
    return writeFileAtomic(dir_ + "/" + r.id + ".instance", encodeRecord(r), 0600, false);
}

void InstanceRegistry::remove(const std::string& id) const {
    for (const char* ext :
         {".instance", ".sock", ".slirp", ".bus", ".system-bus", ".activity", ".lock"})
        ::unlink((dir_ + "/" + id + ext).c_str());
}

std::vector<InstanceRecord> InstanceRegistry::list() const {
    std::vector<InstanceRecord> out;
    DIR* d = ::opendir(dir_.c_str());
    if (!d) return out;
    std::vector<std::string> ids, unlocked;
    std::vector<std::string> names;
    while (auto* e = ::readdir(d))
        names.push_back(e->d_name);
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
        if (endsWith(n, ".lock")) ids.push_back(n.substr(0, n.size() - 5));
        // A record without its lock file: judged by its runner below.
        if (endsWith(n, ".instance") &&
            !std::binary_search(names.begin(), names.end(), n.substr(0, n.size() - 9) + ".lock"))
            unlocked.push_back(n.substr(0, n.size() - 9));
    }
    for (const auto& id : unlocked) {
        auto text = readFile(dir_ + "/" + id + ".instance");
        auto r = text ? decodeRecord(*text) : std::nullopt;
        if (!r) continue;  // nothing to tell a live runner by
        if (!runnerOfRecordAlive(*r)) {
            remove(id);
            continue;
        }
        r->lockMissing = true;
        out.push_back(std::move(*r));
    }
    for (const auto& id : ids) {
        std::string lock = dir_ + "/" + id + ".lock";
        UniqueFd fd(::open(lock.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        if (!fd.valid()) continue;
        if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) {
            // Nobody holds it: the runner is gone. Clean up after it.
            remove(id);
            continue;
        }
        auto text = readFile(dir_ + "/" + id + ".instance");
        if (!text) continue;  // starting up: not published yet
        auto r = decodeRecord(*text);
        if (!r) {
            // Damaged, but its runner lives: show what we know, so it can still be stopped.
            InstanceRecord d;
            d.id = id;
            d.profile = "(damaged record)";
            d.runnerPid = lockHolder(fd.get());
            d.damaged = true;
            r = d;
        }
        out.push_back(std::move(*r));
    }
    std::sort(out.begin(), out.end(), [](const InstanceRecord& a, const InstanceRecord& b) {
        return a.startedUnix < b.startedUnix;
    });
    return out;
}

Result<std::vector<InstanceRecord>> InstanceRegistry::find(const std::string& key) const {
    std::vector<InstanceRecord> byId, byProfile;
    for (auto& r : list()) {
        if (r.id == key || (key.size() >= 3 && startsWith(r.id, key)))
            byId.push_back(r);
        else if (r.profile == key)
            byProfile.push_back(r);
    }
    if (byId.size() > 1)
        return Error(quote(key) + " matches more than one instance; give more of the id", EINVAL);
    if (byId.size() == 1) return byId;
    if (!byProfile.empty()) return byProfile;
    return Error("no running sandbox " + quote(key) + " (see layerbox ps)", ESRCH);
}

}  // namespace lb
