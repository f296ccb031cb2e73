// The compiled system call filter, kept for the next launch with the same plan (issue 25:
// libseccomp's compile was 1.5-1.7 ms of every launch, on its path, before the first fork).
// The program is used again only for the very same plan, libseccomp and Layerbox build.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "isolation/seccomp.h"

namespace lb {

struct Paths;

// What a compiled program depends on beyond its plan: this executable's build id, libseccomp
// (its version and its file: device, inode, size, time) and the kernel (release, version,
// machine).
struct SeccompBuildContext {
    std::string buildId;
    std::string libseccomp;
    std::string kernel;
};

// Pure: the exact text a cached program stands for: every rule (system call, errno,
// conditions), notify, multiarch and the context. A cached program is used only when the key
// stored with it is this text, byte for byte.
std::string planSeccompCacheKey(const SeccompPlan& plan, bool notify,
                                const SeccompBuildContext& context);
// Pure: the cache file's name for a key (its 64-bit FNV-1a in hex, then ".bpf").
std::string seccompCacheFileName(const std::string& key);

// Where the cache lives: `paths`' runtime state directory + "/seccomp", only when the runtime
// directory, resolved, is /run/user/UID or below it (a tmpfs of this boot that no sandbox is
// ever shown); else "" (no cache).
std::string seccompCacheDir(const Paths& paths);

// The program stored for `key` in `dir`, or nothing: no file, another key, a file that is not
// a regular file of ours writable by us alone (in a directory of the same kind), or a size that
// is no BPF program.
std::optional<std::vector<uint8_t>> loadCachedSeccomp(const std::string& dir,
                                                      const std::string& key);
// Store it (made 0700 / 0600, atomically: a reader never sees half a program), then prune.
Status storeCachedSeccomp(const std::string& dir, const std::string& key,
                          const std::vector<uint8_t>& bpf);
// At most this many programs are kept (with the one just stored).
constexpr size_t kMaxCachedFilters = 32;
// Removes the least recently written programs in `dir` beyond kMaxCachedFilters - 1 others
// than the file named `keep`.
void pruneSeccompCache(const std::string& dir, const std::string& keep);

// compileSeccomp through the cache in `dir` ("" = no cache). `hit` says whether it was used.
// A cache that cannot be written is no error: the program was compiled all the same.
Result<std::vector<uint8_t>> compileSeccompCached(const SeccompPlan& plan, bool notify,
                                                  const std::string& dir, bool* hit = nullptr);

}  // namespace lb
