#include "base/helper_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/fsutil.h"

namespace lb {

namespace {

// An argv for exec*(), built before fork: the child only calls async-signal-safe functions.
std::vector<char*> argvOf(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));  // exec does not write to them
    argv.push_back(nullptr);
    return argv;
}

}  // namespace

Result<pid_t> spawnHelper(const std::vector<std::string>& args, const std::vector<int>& inherit,
                          int logFd, const std::string& what,
                          const std::function<std::string()>& beforeExec) {
    std::vector<char*> argv = argvOf(args);
    pid_t runner = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) return Error::fromErrno("fork(" + what + ")");
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != runner) ::_exit(127);  // the runner died before prctl took hold
        // Its own process group before any signal is let through: a Ctrl-C meant for the
        // runner never reaches the helper.
        ::setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        for (int fd : inherit)
            ::fcntl(fd, F_SETFD, 0);
        int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) ::dup2(devnull, 0);
        ::dup2(logFd, 1);
        ::dup2(logFd, 2);
        if (beforeExec) {
            std::string why = beforeExec();
            if (!why.empty()) {
                why = "layerbox: " + what + ": " + why + "\n";
                (void)!::write(2, why.data(), why.size());
                ::_exit(127);
            }
        }
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    return pid;
}

std::string captureOutput(const std::vector<std::string>& argv) {
    std::vector<char*> a = argvOf(argv);
    int p[2];
    if (a.size() < 2 || ::pipe2(p, O_CLOEXEC) != 0) return {};
    pid_t pid = ::fork();
    if (pid < 0) {
        ::close(p[0]);
        ::close(p[1]);
        return {};
    }
    if (pid == 0) {
        ::dup2(p[1], 1);
        ::dup2(p[1], 2);
        ::execvp(a[0], a.data());
        ::_exit(127);
    }
    ::close(p[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0)
        out.append(buf, static_cast<size_t>(n));
    ::close(p[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return {};
    return out;
}

std::string waitForByte(int fd, int timeoutMs, bool& timedOut) {
    struct pollfd p = {fd, POLLIN, 0};
    int n;
    do {
        n = ::poll(&p, 1, timeoutMs);
    } while (n < 0 && errno == EINTR);
    timedOut = n == 0;
    char c = 0;
    if (n == 1 && ::read(fd, &c, 1) == 1) return std::string(1, c);
    return {};
}

std::string lastLogLine(const std::string& logPath, bool (*keep)(const std::string&)) {
    auto log = readFile(logPath);
    if (!log) return {};
    auto lines = split(trim(*log), '\n');
    for (auto it = lines.rbegin(); it != lines.rend(); ++it)
        if (!it->empty() && (!keep || keep(*it))) return *it;
    return {};
}

void enterHelperChild(pid_t parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    ::setpgid(0, 0);
    // The caller's signal handlers are not the helper's (exec would reset them): SIGTERM,
    // how the runner ends it, must end it.
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::close(null);
    }
}

void closeAllBut(std::vector<int> keep) {
    std::sort(keep.begin(), keep.end());
    unsigned from = 3;
    for (int fd : keep) {
        if (fd < 3) continue;
        if (static_cast<unsigned>(fd) > from)
            ::syscall(SYS_close_range, from, static_cast<unsigned>(fd) - 1, 0);
        from = static_cast<unsigned>(fd) + 1;
    }
    ::syscall(SYS_close_range, from, ~0u, 0);
}

void reapHelper(pid_t& pid, int graceMs) {
    if (pid <= 0) return;
    for (int waited = 0; waited < graceMs; ++waited) {  // it usually takes a millisecond
        if (::waitpid(pid, nullptr, WNOHANG) == pid) {
            pid = 0;
            return;
        }
        ::usleep(1000);
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    pid = 0;
}

}  // namespace lb
