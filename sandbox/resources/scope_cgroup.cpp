#include "resources/scope_cgroup.h"

#include <fcntl.h>
#include <linux/sched.h>  // struct clone_args, CLONE_INTO_CGROUP
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "resources/cgroup.h"

namespace lb {

std::optional<std::string> planScopeCgroup(const std::string& selfCgroup, uid_t uid,
                                           const std::string& slice, const std::string& unit) {
    const std::string manager = "/user@" + std::to_string(uid) + ".service";
    // The component itself, not a prefix of another ("user@1001.service" in ".../user@10010…").
    size_t at = 0;
    for (;;) {
        at = selfCgroup.find(manager, at);
        if (at == std::string::npos) return std::nullopt;
        const size_t end = at + manager.size();
        if (end == selfCgroup.size() || selfCgroup[end] == '/') break;
        at = end;
    }
    if (slice.size() <= 6 || slice.compare(slice.size() - 6, 6, ".slice") != 0 || unit.empty() ||
        unit.find('/') != std::string::npos || unit[0] == '.')
        return std::nullopt;
    std::string path = selfCgroup.substr(0, at + manager.size());
    // "app-layerbox.slice" is "app.slice/app-layerbox.slice", as systemd nests slices.
    const std::string name = slice.substr(0, slice.size() - 6);
    if (name.empty() || name.find('/') != std::string::npos || name[0] == '-') return std::nullopt;
    for (size_t dash = name.find('-'); dash != std::string::npos; dash = name.find('-', dash + 1))
        path += "/" + name.substr(0, dash) + ".slice";
    path += "/" + slice + "/" + unit;
    return path;
}

Result<ScopeCgroup> makeScopeCgroup(const std::string& slice, const std::string& unit) {
    const std::string root = cgroup2Root();
    if (root.empty()) return Error("no cgroup v2 hierarchy", ENOENT);
    auto self = readFile("/proc/self/cgroup");
    if (!self) return self.error();
    std::string own;
    for (const auto& line : split(*self, '\n'))
        if (startsWith(line, "0::")) own = line.substr(3);
    auto rel = planScopeCgroup(own, ::getuid(), slice, unit);
    if (!rel) return Error("not running under the user manager's cgroup", ENOENT);
    ScopeCgroup out;
    out.dir = root + *rel;
    // The slices' directories first (systemd takes those it finds as its own too); the
    // manager's own directory must exist already: below it, everything belongs to this user.
    const std::string manager = "/user@" + std::to_string(::getuid()) + ".service/";
    const std::string base = root + rel->substr(0, rel->rfind(manager) + manager.size() - 1);
    for (size_t slash = out.dir.find('/', base.size() + 1); slash != std::string::npos;
         slash = out.dir.find('/', slash + 1))
        if (::mkdir(out.dir.substr(0, slash).c_str(), 0755) != 0 && errno != EEXIST)
            return Error::fromErrno("mkdir " + out.dir.substr(0, slash));
    // A new name (the instance id is random): an existing directory would be someone else's.
    if (::mkdir(out.dir.c_str(), 0755) != 0) return Error::fromErrno("mkdir " + out.dir);
    out.fd.reset(::open(out.dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!out.fd.valid()) {
        Error e = Error::fromErrno("open " + out.dir);
        ::rmdir(out.dir.c_str());
        return e;
    }
    return out;
}

pid_t forkIntoCgroup(int cgroupFd) {
    // Only from a single-threaded process: like vfork, clone3 runs no atfork handlers, so a
    // lock another thread held (malloc's) would stay held in the child forever.
    auto stat = readFile("/proc/self/stat");
    if (!stat) return -1;
    const size_t paren = stat->rfind(')');
    auto fields = split(paren == std::string::npos ? std::string() : stat->substr(paren + 2), ' ');
    if (fields.size() < 18 || fields[17] != "1") {
        errno = EDEADLK;
        return -1;
    }
    struct clone_args args;
    std::memset(&args, 0, sizeof args);
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(cgroupFd);
    // The child goes on as after fork(). glibc is not told of it (no clone3 wrapper in 2.36):
    // it caches no pid since 2.25, and its raise() asks the kernel for the thread id, so the
    // child's process and thread ids are right wherever glibc uses them.
    return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
}

void removeScopeCgroup(const std::string& dir, int waitMs) {
    if (dir.empty()) return;
    for (int waited = 0; waited < waitMs; waited += 5) {
        auto events = readFile(dir + "/cgroup.events");
        if (!events || events->find("populated 0") != std::string::npos) break;
        ::usleep(5000);
    }
    (void)::rmdir(dir.c_str());
}

}  // namespace lb
