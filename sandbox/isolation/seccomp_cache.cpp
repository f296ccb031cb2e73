#include "isolation/seccomp_cache.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/fsutil.h"
#include "base/paths.h"

namespace lb {

namespace {

constexpr size_t kMaxCachedBytes = 1 << 20;
constexpr size_t kSockFilterBytes = 8;  // struct sock_filter: u16 code, u8 jt, u8 jf, u32 k

// The GNU build id of the executable (its PT_NOTE), in hex; "" without one. Another build of
// Layerbox (another compileSeccomp) has another id, so it never takes this build's programs.
std::string executableBuildId() {
    std::string id;
    ::dl_iterate_phdr(
        [](struct dl_phdr_info* info, size_t, void* out) -> int {
            // The first object is the executable itself.
            for (int i = 0; i < info->dlpi_phnum; ++i) {
                const ElfW(Phdr)& ph = info->dlpi_phdr[i];
                if (ph.p_type != PT_NOTE) continue;
                const auto* p =
                    reinterpret_cast<const unsigned char*>(info->dlpi_addr + ph.p_vaddr);
                const unsigned char* end = p + ph.p_memsz;
                while (p + sizeof(ElfW(Nhdr)) <= end) {
                    ElfW(Nhdr) n;
                    std::memcpy(&n, p, sizeof n);
                    const unsigned char* name = p + sizeof n;
                    const unsigned char* desc = name + ((n.n_namesz + 3) & ~3u);
                    const unsigned char* next = desc + ((n.n_descsz + 3) & ~3u);
                    if (next > end) break;
                    if (n.n_type == NT_GNU_BUILD_ID && n.n_namesz == 4 &&
                        std::memcmp(name, "GNU", 4) == 0) {
                        auto* s = static_cast<std::string*>(out);
                        char hex[3];
                        for (unsigned j = 0; j < n.n_descsz; ++j) {
                            std::snprintf(hex, sizeof hex, "%02x", desc[j]);
                            *s += hex;
                        }
                        return 1;
                    }
                    p = next;
                }
            }
            return 1;  // only the executable
        },
        &id);
    return id;
}

// The kernel, whose seccomp features libseccomp probes (its API level): a runtime directory
// that is no tmpfs (no logind: the tests' hosts) outlives a reboot into another kernel.
std::string kernelOf() {
    struct utsname u;
    if (::uname(&u) != 0) return {};
    return std::string(u.release) + " " + u.version + " " + u.machine;
}

// libseccomp's version and the file it was loaded from (device, inode, size, modification
// time): a distribution's fix keeps the version number, not the file.
std::string libseccompVersion() {
    const struct scmp_version* v = seccomp_version();
    if (!v) return {};
    std::string out =
        std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
    std::string file;
    ::dl_iterate_phdr(
        [](struct dl_phdr_info* info, size_t, void* data) -> int {
            const char* name = info->dlpi_name;
            if (!name || !std::strstr(name, "/libseccomp.so")) return 0;
            struct stat st;
            if (::stat(name, &st) != 0) return 0;
            auto* f = static_cast<std::string*>(data);
            *f = std::string(name) + " " + std::to_string(st.st_dev) + ":" +
                 std::to_string(st.st_ino) + " " + std::to_string(st.st_size) + " " +
                 std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
            return 1;
        },
        &file);
    return file.empty() ? out : out + " " + file;
}

// A directory or file of ours that only we can write (the cache is trusted as our own work).
bool ownedAndPrivate(const struct stat& st) {
    return st.st_uid == ::geteuid() && (st.st_mode & 022) == 0;
}

}  // namespace

std::string planSeccompCacheKey(const SeccompPlan& plan, bool notify,
                                const SeccompBuildContext& context) {
    // Each value on a line of its own, after its length: none can look like another line.
    auto line = [](const char* name, const std::string& v) {
        return std::string(name) + " " + std::to_string(v.size()) + ":" + v + "\n";
    };
    std::string k = "layerbox seccomp cache 2\n" + line("build", context.buildId) +
                    line("libseccomp", context.libseccomp) + line("kernel", context.kernel) +
                    "notify " + (notify ? "1" : "0") + "\nmultiarch " +
                    (plan.multiarch ? "1" : "0") + "\n";
    for (const auto& r : plan.rules) {
        // The name with its length: no name (from a profile's lists) can look like more rules.
        k += "rule " + std::to_string(r.syscall.size()) + ":" + r.syscall + " " +
             std::to_string(r.errnoValue);
        for (const auto& c : r.conds)
            k += " " + std::to_string(c.arg) + ":" + std::to_string(static_cast<int>(c.op)) + ":" +
                 std::to_string(c.mask) + ":" + std::to_string(c.value);
        k += "\n";
    }
    return k;
}

std::string seccompCacheFileName(const std::string& key) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : key) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    char name[32];
    std::snprintf(name, sizeof name, "%016llx.bpf", static_cast<unsigned long long>(h));
    return name;
}

std::string seccompCacheDir(const Paths& paths) {
    // Why a cached filter is safe to load: the cache lives below /run/user/UID (a tmpfs of this
    // boot where logind makes it; the key names the kernel all the same), the user's own, mode
    // 0700, and never shown to a sandbox: profile/host_binds refuses the runtime directory
    // whatever a profile, --bind or the launch's XDG variables say. Whoever can write there runs as
    // the user outside every sandbox and can already run anything unconfined; the cache gives
    // nobody a way around a filter. (An earlier cache below $XDG_CACHE_HOME was taken out: a
    // sandbox given a read-write folder two levels above it could rename the folder between them
    // away from under its hiding mount and plant a filter. /run/user/UID is refused outright, with
    // every folder that holds it, and the user cannot rename it: /run/user is root's.) Anywhere
    // else (the fallback below the cache home, hidden only per launch) there is no cache.
    const std::string userRun = "/run/user/" + std::to_string(::getuid());
    // Resolved: no "..", no link leads out of it.
    char* real = ::realpath(paths.runtimeDir.c_str(), nullptr);
    if (!real) return {};
    const std::string dir = real;
    std::free(real);
    if (!startsWith(dir, userRun + "/") && dir != userRun) return {};
    return joinPath(joinPath(dir, "layerbox"), "seccomp");
}

std::optional<std::vector<uint8_t>> loadCachedSeccomp(const std::string& dir,
                                                      const std::string& key) {
    if (dir.empty()) return std::nullopt;
    struct stat st;
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || !ownedAndPrivate(st))
        return std::nullopt;
    const std::string path = joinPath(dir, seccompCacheFileName(key));
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0) return std::nullopt;
    if (!S_ISREG(st.st_mode) || !ownedAndPrivate(st) ||
        static_cast<uint64_t>(st.st_size) > kMaxCachedBytes)
        return std::nullopt;
    std::string data;
    data.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < data.size()) {
        ssize_t n = ::read(fd.get(), data.data() + got, data.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return std::nullopt;
        got += static_cast<size_t>(n);
    }
    // The key, a NUL, the program.
    if (data.size() <= key.size() || data.compare(0, key.size(), key) != 0 ||
        data[key.size()] != '\0')
        return std::nullopt;
    const size_t bytes = data.size() - key.size() - 1;
    if (bytes == 0 || bytes % kSockFilterBytes != 0) return std::nullopt;
    const auto* b = reinterpret_cast<const uint8_t*>(data.data()) + key.size() + 1;
    return std::vector<uint8_t>(b, b + bytes);
}

Status storeCachedSeccomp(const std::string& dir, const std::string& key,
                          const std::vector<uint8_t>& bpf) {
    if (dir.empty()) return Ok();
    LB_TRY(makeDirs(dir, 0700));
    struct stat st;
    if (::lstat(dir.c_str(), &st) != 0) return Error::fromErrno("lstat(" + quote(dir) + ")");
    if (!S_ISDIR(st.st_mode) || !ownedAndPrivate(st))
        return Error(quote(dir) + " is not a private directory of this user", EPERM);
    std::string data = key;
    data.push_back('\0');
    data.append(reinterpret_cast<const char*>(bpf.data()), bpf.size());
    // On tmpfs: nothing to make durable, a reader only must never see half of it.
    const std::string name = seccompCacheFileName(key);
    LB_TRY(writeFileAtomic(joinPath(dir, name), data, 0600, false));
    pruneSeccompCache(dir, name);
    return Ok();
}

void pruneSeccompCache(const std::string& dir, const std::string& keep) {
    // Each build, kernel and profile's filter has its own file: the cache (tmpfs, memory) is
    // bounded by count, the least recently written going first, `keep` never.
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return;
    DIR* d = ::fdopendir(::dup(fd.get()));
    if (!d) return;
    std::vector<std::pair<struct timespec, std::string>> files;
    while (struct dirent* e = ::readdir(d)) {
        const std::string n = e->d_name;
        if (n == keep || n.size() < 4 || n.compare(n.size() - 4, 4, ".bpf") != 0) continue;
        struct stat st;
        if (::fstatat(fd.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
            files.push_back({st.st_mtim, n});
    }
    ::closedir(d);
    if (files.size() < kMaxCachedFilters) return;
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
        return a.first.tv_sec != b.first.tv_sec ? a.first.tv_sec < b.first.tv_sec
                                                : a.first.tv_nsec < b.first.tv_nsec;
    });
    for (size_t i = 0; i + kMaxCachedFilters <= files.size(); ++i)
        (void)::unlinkat(fd.get(), files[i].second.c_str(), 0);
}

Result<std::vector<uint8_t>> compileSeccompCached(const SeccompPlan& plan, bool notify,
                                                  const std::string& dir, bool* hit) {
    if (hit) *hit = false;
    std::string key;
    if (!dir.empty()) {
        const SeccompBuildContext context{executableBuildId(), libseccompVersion(), kernelOf()};
        if (!context.buildId.empty() && !context.kernel.empty())
            key = planSeccompCacheKey(plan, notify, context);
    }
    if (!key.empty())
        if (auto cached = loadCachedSeccomp(dir, key)) {
            if (hit) *hit = true;
            return std::move(*cached);
        }
    LB_ASSIGN(auto bpf, compileSeccomp(plan, notify));
    if (!key.empty()) (void)storeCachedSeccomp(dir, key, bpf);
    return bpf;
}

}  // namespace lb
