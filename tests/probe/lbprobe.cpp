// lbprobe: runs inside a sandbox and reports what it sees (`lbprobe report`) or tries one
// escape (`lbprobe try NAME [ARG]`). Output is one JSON object on stdout; tests assert on it.
// Kept free of the core library and of Qt so it runs anywhere.
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/bpf.h>
#include <linux/kcmp.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <net/if.h>
#include <netdb.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string esc(const std::string& s) {
    std::string o = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        if (c < 0x20) {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04x", c);
            o += b;
            continue;
        }
        o += static_cast<char>(c);
    }
    return o + "\"";
}

std::string slurp(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string statusField(const std::string& name) {
    std::istringstream in(slurp("/proc/self/status"));
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(name + ":", 0) == 0) {
            auto v = line.substr(name.size() + 1);
            v.erase(0, v.find_first_not_of(" \t"));
            return v;
        }
    return "";
}

std::string strList(const std::vector<std::string>& v) {
    std::string o = "[";
    for (size_t i = 0; i < v.size(); ++i)
        o += (i ? "," : "") + esc(v[i]);
    return o + "]";
}

std::vector<std::string> listDir(const std::string& d) {
    std::vector<std::string> out;
    if (DIR* dir = opendir(d.c_str())) {
        while (auto* e = readdir(dir))
            if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
                out.push_back(e->d_name);
        closedir(dir);
    }
    return out;
}

int report() {
    std::vector<std::string> pids;
    for (const auto& n : listDir("/proc"))
        if (!n.empty() && n.find_first_not_of("0123456789") == std::string::npos) pids.push_back(n);
    std::vector<std::string> mounts;
    {
        std::istringstream in(slurp("/proc/self/mountinfo"));
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream f(line);
            std::vector<std::string> parts;
            std::string w;
            while (f >> w)
                parts.push_back(w);
            size_t dash = 0;
            for (size_t i = 0; i < parts.size(); ++i)
                if (parts[i] == "-") dash = i;
            if (parts.size() > 5 && dash + 1 < parts.size())
                mounts.push_back(parts[4] + " " + parts[dash + 1] + " " + parts[5]);
        }
    }
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    char cwd[4096] = {};
    if (!getcwd(cwd, sizeof cwd)) cwd[0] = 0;
    std::string comm1 = slurp("/proc/1/comm");
    if (!comm1.empty() && comm1.back() == '\n') comm1.pop_back();
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
        env.push_back(*e);
    const char* home = getenv("HOME");
    std::printf(
        "{\"uid\":%d,\"gid\":%d,\"euid\":%d,\"uid_map\":%s,\"gid_map\":%s,\"setgroups\":%s,"
        "\"hostname\":%s,\"pid\":%d,\"ppid\":%d,\"pid1_comm\":%s,\"pids\":%s,"
        "\"CapEff\":%s,\"CapPrm\":%s,\"CapInh\":%s,\"CapBnd\":%s,\"CapAmb\":%s,"
        "\"NoNewPrivs\":%s,\"Seccomp\":%s,\"mounts\":%s,\"cwd\":%s,\"home\":%s,\"home_entries\":%s,"
        "\"root_entries\":%s,\"net\":%s,\"env\":%s,\"sid\":%d,\"pgid\":%d,\"isatty0\":%s}\n",
        getuid(), getgid(), geteuid(), esc(slurp("/proc/self/uid_map")).c_str(),
        esc(slurp("/proc/self/gid_map")).c_str(), esc(slurp("/proc/self/setgroups")).c_str(),
        esc(host).c_str(), getpid(), getppid(), esc(comm1).c_str(), strList(pids).c_str(),
        esc(statusField("CapEff")).c_str(), esc(statusField("CapPrm")).c_str(),
        esc(statusField("CapInh")).c_str(), esc(statusField("CapBnd")).c_str(),
        esc(statusField("CapAmb")).c_str(), esc(statusField("NoNewPrivs")).c_str(),
        esc(statusField("Seccomp")).c_str(), strList(mounts).c_str(), esc(cwd).c_str(),
        esc(home ? home : "").c_str(), strList(listDir(home ? home : "/nonexistent")).c_str(),
        strList(listDir("/")).c_str(), strList(listDir("/sys/class/net")).c_str(),
        strList(env).c_str(), getsid(0), getpgrp(), isatty(0) ? "true" : "false");
    return 0;
}

// The result of one attempt: did the operation succeed, and the errno when it did not.
// "a.b.c.d:port" or "[v6]:port" as a socket address.
struct Peer {
    struct sockaddr_storage ss = {};
    socklen_t len = 0;
    sockaddr* addr() { return reinterpret_cast<sockaddr*>(&ss); }
};
Peer peer(const std::string& s) {
    Peer p;
    auto colon = s.rfind(':');
    uint16_t port = htons(static_cast<uint16_t>(std::atoi(s.c_str() + colon + 1)));
    if (!s.empty() && s[0] == '[') {
        auto* a = reinterpret_cast<sockaddr_in6*>(&p.ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = port;
        inet_pton(AF_INET6, s.substr(1, s.find(']') - 1).c_str(), &a->sin6_addr);
        p.len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&p.ss);
        a->sin_family = AF_INET;
        a->sin_port = port;
        inet_pton(AF_INET, s.substr(0, colon).c_str(), &a->sin_addr);
        p.len = sizeof *a;
    }
    return p;
}
Peer peer(const char* arg) {
    return peer(std::string(arg ? arg : "127.0.0.1:1"));
}

// An A query for `name` (id 0x1234, RD).
std::string dnsQuery(const std::string& name) {
    std::string q("\x12\x34\x01\x00\x00\x01\0\0\0\0\0\0", 12);
    for (size_t at = 0; at < name.size();) {
        size_t dot = std::min(name.find('.', at), name.size());
        q += static_cast<char>(dot - at);
        q += name.substr(at, dot - at);
        at = dot + 1;
    }
    q += std::string("\0\0\1\0\1", 5);
    return q;
}

bool readFull(int fd, char* buf, size_t n) {
    for (size_t got = 0; got < n;) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) return false;
        got += static_cast<size_t>(r);
    }
    return true;
}

// "rcode N" and the first A address of an answer, when there is one.
std::string describeAnswer(const std::string& m) {
    if (m.size() < 12) return "short";
    std::string out = "rcode " + std::to_string(m[3] & 0xF);
    size_t at = 12;
    auto skipName = [&]() {
        while (at < m.size()) {
            auto len = static_cast<uint8_t>(m[at]);
            if ((len & 0xC0) == 0xC0) {
                at += 2;
                return;
            }
            at += 1 + len;
            if (len == 0) return;
        }
    };
    skipName();
    at += 4;
    unsigned answers = static_cast<uint8_t>(m[6]) << 8 | static_cast<uint8_t>(m[7]);
    for (unsigned i = 0; i < answers && at < m.size(); ++i) {
        skipName();
        if (at + 10 > m.size()) break;
        unsigned type = static_cast<uint8_t>(m[at]) << 8 | static_cast<uint8_t>(m[at + 1]);
        size_t len = static_cast<uint8_t>(m[at + 8]) << 8 | static_cast<uint8_t>(m[at + 9]);
        at += 10;
        if (type == 1 && len == 4 && at + 4 <= m.size()) {
            char buf[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, m.data() + at, buf, sizeof buf);
            return out + " " + buf;
        }
        at += len;
    }
    return out;
}

// One A query over TCP (RFC 1035 4.2.2: each message after its length, two bytes) on a new
// connection to `server`; the answer, or "" with errno set.
std::string tcpDnsQuery(Peer server, const std::string& name) {
    int fd = socket(server.ss.ss_family, SOCK_STREAM, 0);
    struct timeval tv = {3, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string q = dnsQuery(name), answer;
    std::string framed =
        std::string(1, static_cast<char>(q.size() >> 8)) + static_cast<char>(q.size() & 0xFF) + q;
    char len[2];
    if (connect(fd, server.addr(), server.len) == 0 &&
        write(fd, framed.data(), framed.size()) == static_cast<ssize_t>(framed.size()) &&
        readFull(fd, len, 2)) {
        answer.resize(static_cast<uint8_t>(len[0]) << 8 | static_cast<uint8_t>(len[1]));
        if (!readFull(fd, answer.data(), answer.size())) answer.clear();
        if (answer.empty() && errno == 0) errno = ECONNRESET;
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return answer;
}

int result(const char* name, bool succeeded, int err, const std::string& detail = {}) {
    std::printf("{\"attempt\":%s,\"succeeded\":%s,\"errno\":%d,\"error\":%s,\"detail\":%s}\n",
                esc(name).c_str(), succeeded ? "true" : "false", succeeded ? 0 : err,
                esc(succeeded ? "" : strerror(err)).c_str(), esc(detail).c_str());
    return 0;
}

#define TRY(name, expr)                      \
    do {                                     \
        errno = 0;                           \
        long r_ = (long)(expr);              \
        return result(name, r_ >= 0, errno); \
    } while (0)

// Where an open descriptor points ("pipe:[123]", "/dev/pts/0"), or the error.
std::string fdTarget(int fd) {
    char buf[256];
    ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf, sizeof buf - 1);
    return n < 0 ? std::string("error: ") + strerror(errno)
                 : std::string(buf, static_cast<size_t>(n));
}

// The process of the sandbox running `lbprobe victim MARKER ...`, or 0. (Matching the marker
// anywhere would find PID 1, a copy of the runner whose arguments hold the thief's command.)
pid_t findVictim(const std::string& marker) {
    for (const auto& name : listDir("/proc")) {
        pid_t pid = static_cast<pid_t>(std::atoi(name.c_str()));
        if (pid <= 0 || pid == getpid()) continue;
        std::string cmd = slurp("/proc/" + name + "/cmdline");
        std::vector<std::string> args;
        for (size_t at = 0; at < cmd.size();) {
            size_t end = cmd.find('\0', at);
            if (end == std::string::npos) end = cmd.size();
            args.push_back(cmd.substr(at, end - at));
            at = end + 1;
        }
        if (args.size() >= 3 && args[1] == "victim" && args[2] == marker) return pid;
    }
    return 0;
}

// `victim MARKER SECONDS`: say what fds 0-2 are, then hold them for a while.
int victim(int seconds) {
    std::printf("{\"stdin\":%s,\"stdout\":%s,\"stderr\":%s,\"isatty0\":%s}\n",
                esc(fdTarget(0)).c_str(), esc(fdTarget(1)).c_str(), esc(fdTarget(2)).c_str(),
                isatty(0) ? "true" : "false");
    std::fflush(stdout);
    sleep(static_cast<unsigned>(seconds));
    return 0;
}

// `steal MARKER`: wait (up to 20 s) for the victim, then try every way into it: its stdin
// (pidfd_getfd), its memory (/proc/PID/mem, process_vm_readv), comparing descriptors (kcmp).
int steal(const std::string& marker) {
    pid_t pid = 0;
    for (int i = 0; i < 200 && !pid; ++i) {
        pid = findVictim(marker);
        if (!pid) usleep(100000);
    }
    if (!pid) {
        std::printf("{\"found\":0}\n");
        return 1;
    }
    auto item = [](const char* name, bool ok, int err, const std::string& detail) {
        return std::string("\"") + name + "\":{\"succeeded\":" + (ok ? "true" : "false") +
               ",\"errno\":" + std::to_string(ok ? 0 : err) + ",\"detail\":" + esc(detail) + "}";
    };
    std::string out = "{\"found\":" + std::to_string(pid);
    errno = 0;
    int pfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    int got = pfd < 0 ? -1 : static_cast<int>(syscall(SYS_pidfd_getfd, pfd, 0, 0));
    int e = errno;
    out += "," + item("getfd", got >= 0, e, got >= 0 ? fdTarget(got) : "");
    errno = 0;
    int mem = open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY);
    e = errno;
    out += "," + item("mem", mem >= 0, e, "");
    char byte;
    struct iovec local = {&byte, 1}, remote = {reinterpret_cast<void*>(0x10000), 1};
    errno = 0;
    long r = syscall(SYS_process_vm_readv, pid, &local, 1, &remote, 1, 0);
    e = errno;
    // EFAULT means the kernel let us in and only the address was wrong.
    out += "," + item("vmread", r >= 0 || e == EFAULT, e, "");
    errno = 0;
    r = syscall(SYS_kcmp, getpid(), pid, KCMP_FILE, 0, 0);
    e = errno;
    out += "," + item("kcmp", r >= 0, e, "");
    out += "}";
    std::printf("%s\n", out.c_str());
    return 0;
}

int attempt(const std::string& what, const char* arg) {
    const char* n = what.c_str();
    if (what == "ptrace-pid") {
        pid_t pid = static_cast<pid_t>(std::atoi(arg ? arg : "1"));
        TRY(n, ptrace(PTRACE_ATTACH, pid, nullptr, nullptr));
    }
    if (what == "kill-pid") TRY(n, kill(static_cast<pid_t>(std::atoi(arg ? arg : "1")), 0));
    if (what == "kill-init") {
        kill(1, SIGKILL);
        usleep(100000);
        // Succeeds if PID 1 is gone.
        return result(n, kill(1, 0) != 0, errno == 0 ? EPERM : errno);
    }
    if (what == "read-file") {
        int fd = open(arg, O_RDONLY);
        if (fd < 0) return result(n, false, errno);
        char b[64];
        ssize_t r = read(fd, b, sizeof b);
        int e = errno;
        close(fd);
        return result(n, r >= 0, e, r > 0 ? std::string(b, static_cast<size_t>(r)) : "");
    }
    if (what == "write-file") {
        int fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) return result(n, false, errno);
        ssize_t r = write(fd, "escape\n", 7);
        int e = errno;
        close(fd);
        return result(n, r == 7, e);
    }
    if (what == "list-dir") {
        DIR* d = opendir(arg);
        if (!d) return result(n, false, errno);
        std::string names;
        while (auto* e = readdir(d))
            names += std::string(e->d_name) + " ";
        closedir(d);
        return result(n, true, 0, names);
    }
    if (what == "tiocsti") {
        char c = 'x';
        TRY(n, ioctl(0, TIOCSTI, &c));
    }
    if (what == "tiocsti-highbits") {
        char c = 'x';
        TRY(n, syscall(SYS_ioctl, 0, 0x100000000ul | TIOCSTI, &c));
    }
    if (what == "tioclinux") {
        char sub = 6;  // TIOCL_GETSHIFTSTATE, harmless
        TRY(n, ioctl(0, TIOCLINUX, &sub));
    }
    if (what == "unshare-user") TRY(n, unshare(CLONE_NEWUSER));
    if (what == "unshare-mount") TRY(n, unshare(CLONE_NEWNS));
    if (what == "clone-newuser") {
        long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, 0);
        if (r == 0) _exit(0);
        int e = errno;
        if (r > 0) waitpid(static_cast<pid_t>(r), nullptr, 0);
        return result(n, r > 0, e);
    }
    if (what == "clone3") {
        struct clone_args ca = {};
        ca.exit_signal = SIGCHLD;
        long r = syscall(SYS_clone3, &ca, sizeof ca);
        if (r == 0) _exit(0);
        int e = errno;
        if (r > 0) waitpid(static_cast<pid_t>(r), nullptr, 0);
        return result(n, r > 0, e);
    }
    if (what == "setns") {
        int fd = open("/proc/self/ns/mnt", O_RDONLY);
        if (fd < 0) return result(n, false, errno);
        TRY(n, setns(fd, 0));
    }
    if (what == "mount-tmpfs") TRY(n, mount("tmpfs", "/tmp", "tmpfs", 0, nullptr));
    if (what == "umount-proc") TRY(n, umount2("/proc", MNT_DETACH));
    if (what == "pivot-root") TRY(n, syscall(SYS_pivot_root, "/tmp", "/tmp"));
    if (what == "chroot") TRY(n, chroot("/tmp"));
    if (what == "open-tree") TRY(n, syscall(SYS_open_tree, AT_FDCWD, "/", 0));
    if (what == "fsopen") TRY(n, syscall(SYS_fsopen, "tmpfs", 0));
    if (what == "keyctl")
        TRY(n, syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
    if (what == "add-key")
        TRY(n, syscall(SYS_add_key, "user", "lbtest", "x", 1, KEY_SPEC_SESSION_KEYRING));
    if (what == "bpf") {
        union bpf_attr attr = {};
        attr.map_type = BPF_MAP_TYPE_ARRAY;
        attr.key_size = 4;
        attr.value_size = 4;
        attr.max_entries = 1;
        TRY(n, syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr));
    }
    if (what == "perf-event-open") {
        struct perf_event_attr pe = {};
        pe.type = PERF_TYPE_SOFTWARE;
        pe.size = sizeof pe;
        pe.config = PERF_COUNT_SW_CPU_CLOCK;
        pe.exclude_kernel = 1;
        TRY(n, syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0));
    }
    if (what == "userfaultfd") TRY(n, syscall(SYS_userfaultfd, 0));
    if (what == "io-uring") {
        char params[120] = {};
        TRY(n, syscall(SYS_io_uring_setup, 4, params));
    }
    if (what == "personality")
        TRY(n, personality(static_cast<unsigned long>(PER_LINUX) |
                           static_cast<unsigned long>(ADDR_NO_RANDOMIZE)));
    if (what == "socket-packet") TRY(n, socket(AF_PACKET, SOCK_RAW, 0));
    if (what == "socket-unix") TRY(n, socket(AF_UNIX, SOCK_STREAM, 0));
    if (what == "socket-inet") TRY(n, socket(AF_INET, SOCK_STREAM, 0));
    if (what == "socket-inet6") TRY(n, socket(AF_INET6, SOCK_DGRAM, 0));
    if (what == "socket-netlink") TRY(n, socket(AF_NETLINK, SOCK_RAW, 0));
    // Write-then-execute: in one mapping, and in two steps.
    if (what == "mmap-wx")
        TRY(n, mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
                    -1, 0));
    if (what == "mprotect-exec") {
        void* m = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return result(n, false, errno);
        TRY(n, mprotect(m, 4096, PROT_READ | PROT_EXEC));
    }
    if (what == "socket-vsock") TRY(n, socket(40 /* AF_VSOCK */, SOCK_STREAM, 0));
    if (what == "socket-alg") TRY(n, socket(38 /* AF_ALG */, SOCK_SEQPACKET, 0));
    if (what == "setuid-root") TRY(n, setuid(0));
    if (what == "setgroups") {
        gid_t g = 0;
        TRY(n, setgroups(1, &g));
    }
    if (what == "mknod") TRY(n, mknod("/tmp/lbprobe-sda", S_IFBLK | 0600, makedev(8, 0)));
    if (what == "abstract-connect") {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = {};
        a.sun_family = AF_UNIX;
        std::string name = arg ? arg : "layerbox-test";
        std::memcpy(a.sun_path + 1, name.data(), std::min(name.size(), sizeof a.sun_path - 2));
        socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
        TRY(n, connect(s, reinterpret_cast<sockaddr*>(&a), len));
    }
    if (what == "unix-connect") {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = {};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, arg, sizeof a.sun_path - 1);
        TRY(n, connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a));
    }
    if (what == "tcp-connect") {
        // arg: "a.b.c.d:port" or "[v6]:port"
        Peer a = peer(arg);
        int fd = socket(a.ss.ss_family, SOCK_STREAM, 0);
        struct timeval tv = {3, 0};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        TRY(n, connect(fd, a.addr(), a.len));
    }
    if (what == "udp-echo") {
        // arg: "a.b.c.d:port"; sends "ping" and waits up to 3 s for the echo.
        Peer a = peer(arg);
        int fd = socket(a.ss.ss_family, SOCK_DGRAM, 0);
        struct timeval tv = {3, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (sendto(fd, "ping", 4, 0, a.addr(), a.len) < 0) return result(n, false, errno);
        char buf[16];
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        return result(n, r == 4, errno, r > 0 ? std::string(buf, static_cast<size_t>(r)) : "");
    }
    if (what == "tcp-echo") {
        // Connect, send "ping", expect it back.
        Peer a = peer(arg);
        int fd = socket(a.ss.ss_family, SOCK_STREAM, 0);
        struct timeval tv = {3, 0};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (connect(fd, a.addr(), a.len) != 0) return result(n, false, errno);
        if (write(fd, "ping", 4) != 4) return result(n, false, errno);
        char buf[16];
        ssize_t r = read(fd, buf, sizeof buf);
        return result(n, r == 4, errno, r > 0 ? std::string(buf, static_cast<size_t>(r)) : "");
    }
    if (what == "resolve") {
        // getaddrinfo through the sandbox's resolv.conf; detail: the first address.
        struct addrinfo hints = {}, *res = nullptr;
        hints.ai_socktype = SOCK_STREAM;
        int rc = getaddrinfo(arg, nullptr, &hints, &res);
        if (rc != 0) return result(n, false, rc == EAI_SYSTEM ? errno : 0, gai_strerror(rc));
        char buf[INET6_ADDRSTRLEN] = {};
        const void* a =
            res->ai_family == AF_INET
                ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr)
                : &reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr;
        inet_ntop(res->ai_family, a, buf, sizeof buf);
        freeaddrinfo(res);
        return result(n, true, 0, buf);
    }
    if (what == "dns-query") {
        // arg: "a.b.c.d:53/name": one A query over UDP straight to that server, bypassing
        // resolv.conf; succeeded when any answer comes back within 3 s.
        std::string s = arg;
        auto slash = s.find('/');
        Peer a = peer(s.substr(0, slash).c_str());
        std::string q = dnsQuery(s.substr(slash + 1));
        int fd = socket(a.ss.ss_family, SOCK_DGRAM, 0);
        struct timeval tv = {3, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (sendto(fd, q.data(), q.size(), 0, a.addr(), a.len) < 0) return result(n, false, errno);
        char buf[512];
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        return result(n, r >= 12, errno, r >= 4 ? "rcode " + std::to_string(buf[3] & 0xF) : "");
    }
    if (what == "dns-tcp") {
        // arg: "a.b.c.d:53/name": one A query over TCP; detail "rcode N [first address]".
        std::string s = arg;
        auto slash = s.find('/');
        errno = 0;
        std::string answer = tcpDnsQuery(peer(s.substr(0, slash)), s.substr(slash + 1));
        if (answer.empty()) return result(n, false, errno);
        std::string d = describeAnswer(answer);
        return result(n, d.starts_with("rcode 0 "), EINVAL, d);
    }
    if (what == "dns-tcp-abuse") {
        // arg: "a.b.c.d:53/name": what a hostile program may do to a DNS-over-TCP server
        // before asking it properly: 40 connections it leaves idle, one sending half a
        // message, one a length no message can have (which the server must close), and
        // then one good query on a new connection. Succeeded: the invalid one was closed and
        // the good query answered (rcode 0); detail as dns-tcp.
        std::string s = arg;
        auto slash = s.find('/');
        Peer a = peer(s.substr(0, slash));
        std::vector<int> idle;
        for (int i = 0; i < 40; ++i) {
            int fd = socket(a.ss.ss_family, SOCK_STREAM, 0);
            if (connect(fd, a.addr(), a.len) != 0) return result(n, false, errno, "idle");
            idle.push_back(fd);
        }
        (void)!write(idle[0], "\0\x40\x12\x34", 4);  // 64 bytes announced, 2 sent
        int bad = socket(a.ss.ss_family, SOCK_STREAM, 0);
        struct timeval tv = {5, 0};
        setsockopt(bad, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (connect(bad, a.addr(), a.len) != 0) return result(n, false, errno, "bad");
        (void)!write(bad, "\0\x01x", 3);
        char c;
        ssize_t r = read(bad, &c, 1);
        if (r != 0) return result(n, false, r < 0 ? errno : EPROTO, "invalid length not closed");
        errno = 0;
        std::string answer = tcpDnsQuery(a, s.substr(slash + 1));
        if (answer.empty()) return result(n, false, errno, "no answer");
        std::string d = describeAnswer(answer);
        return result(n, d.starts_with("rcode 0 "), EINVAL, d);
    }
    if (what == "open-tty") TRY(n, open("/dev/tty", O_RDWR));
    if (what == "ptrace-traceme-exec") {
        TRY(n, ptrace(PTRACE_TRACEME, 0, nullptr, nullptr));
    }
    if (what == "euid") {
        std::printf("{\"euid\":%d}\n", geteuid());
        return 0;
    }
    std::fprintf(stderr, "lbprobe: unknown attempt %s\n", n);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "report") == 0) return report();
    if (argc >= 3 && std::strcmp(argv[1], "try") == 0)
        return attempt(argv[2], argc > 3 ? argv[3] : nullptr);
    if (argc >= 2 && std::strcmp(argv[1], "euid") == 0) return attempt("euid", nullptr);
    if (argc >= 4 && std::strcmp(argv[1], "victim") == 0) return victim(std::atoi(argv[3]));
    if (argc >= 3 && std::strcmp(argv[1], "steal") == 0) return steal(argv[2]);
    if (argc >= 3 && std::strcmp(argv[1], "serve") == 0) {
        // A TCP echo server on 0.0.0.0:PORT (or on [::]:PORT, IPv4 and IPv6, with "any"), one
        // connection at a time, forever.
        int port = std::atoi(argv[2]);
        bool dual = argc >= 4 && std::strcmp(argv[3], "any") == 0;
        Peer a = peer((dual ? "[::]:" : "0.0.0.0:") + std::to_string(port));
        int s = socket(a.ss.ss_family, SOCK_STREAM, 0);
        int one = 1, zero = 0;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (dual) setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        if (bind(s, a.addr(), a.len) != 0 || listen(s, 4) != 0) {
            std::printf("{\"error\":%s}\n", esc(strerror(errno)).c_str());
            return 1;
        }
        std::printf("listening\n");
        std::fflush(stdout);
        for (;;) {
            int c = accept(s, nullptr, nullptr);
            if (c < 0) continue;
            char buf[256];
            ssize_t r = read(c, buf, sizeof buf);
            if (r > 0) (void)!write(c, buf, static_cast<size_t>(r));
            close(c);
        }
    }
    if (argc >= 3 && std::strcmp(argv[1], "deny") == 0) {
        // keyctl (denied by every filter) N times; the errno of the first, then sleep.
        long n = std::atol(argv[2]);
        int first = 0;
        for (long i = 0; i < n; ++i) {
            errno = 0;
            long rc = syscall(SYS_keyctl, 0L, 0L, 0L, 0L, 0L);
            if (i == 0) first = rc < 0 ? errno : 0;
        }
        std::printf("denied %ld errno %d\n", n, first);
        std::fflush(stdout);
        if (argc >= 4 && std::strcmp(argv[3], "exit") == 0) return 0;
        for (;;)
            pause();
    }
    if (argc >= 3 && std::strcmp(argv[1], "allowed") == 0) {
        // getppid (allowed) N times, for bench/activity's syscall-heavy loop.
        long n = std::atol(argv[2]);
        for (long i = 0; i < n; ++i)
            (void)syscall(SYS_getppid);
        return 0;
    }
    if (argc >= 2 && std::strcmp(argv[1], "sleep") == 0) {
        // Sleep until killed; SIGTERM and SIGINT are written to the file in argv[2] if given.
        static std::string marker;
        if (argc > 2) marker = argv[2];
        signal(SIGTERM, [](int s) {
            if (!marker.empty()) std::ofstream(marker) << "signal " << s << "\n";
            _exit(0);
        });
        signal(SIGINT, [](int s) {
            if (!marker.empty()) std::ofstream(marker) << "signal " << s << "\n";
            _exit(0);
        });
        std::printf("ready\n");
        std::fflush(stdout);
        for (;;)
            pause();
    }
    std::fprintf(stderr,
                 "usage: lbprobe report | try NAME [ARG] | sleep [MARKER] | victim MARKER SECONDS "
                 "| steal MARKER\n");
    return 2;
}
