#include "resources/cgroup.h"

#include <signal.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "base/fsutil.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

namespace lb {

std::string cgroup2Root() {
    for (const char* p : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
        struct statfs sf;
        if (::statfs(p, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) return p;
    }
    return {};
}

std::string cgroupOfPid(pid_t pid) {
    auto text = readFile("/proc/" + std::to_string(pid) + "/cgroup");
    if (!text) return {};
    for (const auto& line : split(*text, '\n'))
        if (startsWith(line, "0::")) {
            std::string root = cgroup2Root();
            if (root.empty()) return {};
            return root + line.substr(3);
        }
    return {};
}

std::set<std::string> delegatedControllers() {
    std::set<std::string> out;
    std::string root = cgroup2Root();
    if (root.empty()) return out;
    std::string uid = std::to_string(::getuid());
    auto text = readFile(root + "/user.slice/user-" + uid + ".slice/user@" + uid +
                         ".service/cgroup.controllers");
    if (!text) return out;
    for (const auto& c : split(trim(*text), ' '))
        if (!c.empty()) out.insert(c);
    return out;
}

Status freezeCgroup(const std::string& dir, bool frozen) {
    if (dir.empty())
        return Error("no cgroup for this sandbox (it runs without a systemd scope)", ENOENT);
    return writeSmallFile(dir + "/cgroup.freeze", frozen ? "1" : "0");
}

static std::string eventValue(const std::string& dir, const std::string& key) {
    auto text = readFile(dir + "/cgroup.events");
    if (!text) return {};
    for (const auto& line : split(*text, '\n'))
        if (startsWith(line, key + " ")) return line.substr(key.size() + 1);
    return {};
}

bool cgroupFrozen(const std::string& dir) {
    return eventValue(dir, "frozen") == "1";
}

bool waitFrozen(const std::string& dir, bool frozen, int timeoutMs) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (std::chrono::steady_clock::now() < deadline) {
        if (cgroupFrozen(dir) == frozen) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return cgroupFrozen(dir) == frozen;
}

Status killCgroup(const std::string& dir) {
    if (dir.empty()) return Error("no cgroup for this sandbox", ENOENT);
    if (pathExists(dir + "/cgroup.kill")) return writeSmallFile(dir + "/cgroup.kill", "1");
    // Before Linux 5.14: freeze, signal every process, thaw (nothing can fork in between).
    (void)freezeCgroup(dir, true);
    auto procs = readFile(dir + "/cgroup.procs");
    if (procs)
        for (const auto& p : split(*procs, '\n'))
            if (!p.empty()) ::kill(std::atoi(p.c_str()), SIGKILL);
    (void)freezeCgroup(dir, false);
    return Ok();
}

static std::optional<uint64_t> keyed(const std::string& text, const std::string& key) {
    for (const auto& line : split(text, '\n'))
        if (startsWith(line, key + " "))
            return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10);
    return std::nullopt;
}

static std::optional<double> pressure(const std::string& file) {
    auto text = readFile(file);
    if (!text) return std::nullopt;
    auto pos = text->find("some avg10=");
    if (pos == std::string::npos) return std::nullopt;
    return std::strtod(text->c_str() + pos + 11, nullptr);
}

CgroupStats readCgroupStats(const std::string& dir) {
    CgroupStats s;
    if (dir.empty()) return s;
    if (auto cpu = readFile(dir + "/cpu.stat")) s.cpuUsec = keyed(*cpu, "usage_usec");
    if (auto mem = readFile(dir + "/memory.current")) {
        s.memoryBytes = std::strtoull(mem->c_str(), nullptr, 10);
        s.memorySource = "cgroup";
    }
    if (auto threads = readFile(dir + "/cgroup.threads")) {
        uint64_t n = 0;
        for (const auto& l : split(*threads, '\n'))
            if (!l.empty()) ++n;
        s.tasks = n;
    }
    if (!s.memoryBytes) {
        // Without the memory controller: the resident memory of the processes in it.
        if (auto procs = readFile(dir + "/cgroup.procs")) {
            uint64_t total = 0;
            long page = ::sysconf(_SC_PAGESIZE);
            for (const auto& p : split(*procs, '\n')) {
                if (p.empty()) continue;
                auto statm = readFile("/proc/" + p + "/statm");
                if (!statm) continue;
                auto f = split(*statm, ' ');
                if (f.size() > 1)
                    total += std::strtoull(f[1].c_str(), nullptr, 10) * static_cast<uint64_t>(page);
            }
            s.memoryBytes = total;
            s.memorySource = "rss";
        }
    }
    s.cpuPressure = pressure(dir + "/cpu.pressure");
    s.memoryPressure = pressure(dir + "/memory.pressure");
    s.ioPressure = pressure(dir + "/io.pressure");
    return s;
}

}  // namespace lb
