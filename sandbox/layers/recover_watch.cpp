#include "layers/recover_watch.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "base/paths.h"
#include "base/safe_open.h"
#include "layers/changes.h"

namespace lb {

bool isPartialDownload(std::string_view name) {
    std::string lower(name);
    for (auto& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return endsWith(lower, ".part") || endsWith(lower, ".crdownload") || endsWith(lower, ".tmp");
}

std::vector<std::string> planRecoverWatch(const std::vector<std::string>& recoverWatch,
                                          const std::string& home) {
    std::vector<std::string> all;
    for (const auto& w : recoverWatch)
        all.push_back(normalizePath(expandHome(w, home)));
    std::sort(all.begin(), all.end());
    std::vector<std::string> out;
    for (const auto& p : all) {
        if (!startsWith(p, "/")) continue;
        bool covered = false;
        for (const auto& o : out)
            if (isPathWithin(p, o)) covered = true;
        if (!covered) out.push_back(p);
    }
    return out;
}

namespace {

struct Lister {
    int64_t sinceNs;
    size_t limit;
    std::vector<RecoverableFile>& out;

    void consider(const std::string& path, const std::string& name, const struct stat& st) {
        if (!S_ISREG(st.st_mode) || startsWith(name, ".wh.") || isPartialDownload(name)) return;
        int64_t ctimeNs = int64_t(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
        if (sinceNs > 0 && ctimeNs < sinceNs) return;
        if (out.size() < limit) out.push_back({path, static_cast<uint64_t>(st.st_size)});
    }

    void walk(int dirfd, const std::string& path) {
        auto names = listDirAt(dirfd, path);
        if (!names) return;
        for (const auto& n : *names) {
            if (out.size() >= limit) return;
            struct stat st;
            if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
            const std::string child = path == "/" ? "/" + n : path + "/" + n;
            if (S_ISDIR(st.st_mode)) {
                UniqueFd sub(
                    ::openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
                if (sub.valid()) walk(sub.get(), child);
            } else {
                consider(child, n, st);
            }
        }
    }
};

}  // namespace

int64_t wallClockNs() {
    struct timespec t;
    ::clock_gettime(CLOCK_REALTIME, &t);
    return int64_t(t.tv_sec) * 1000000000 + t.tv_nsec;
}

std::vector<RecoverableFile> listRecoverable(int upperFd, const std::vector<std::string>& watched,
                                             int64_t sinceNs, size_t limit) {
    std::vector<RecoverableFile> out;
    Lister l{sinceNs, limit, out};
    for (const auto& w : watched) {
        const std::string rel = w == "/" ? "." : w.substr(1);
        // Below the upper layer, through no symbolic link the program could have planted.
        auto opened = openBeneath(upperFd, rel, {.flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK});
        if (!opened) continue;
        UniqueFd f = std::move(*opened);
        struct stat st;
        if (::fstat(f.get(), &st) != 0) continue;
        if (S_ISDIR(st.st_mode))
            l.walk(f.get(), w);
        else
            l.consider(w, baseName(w), st);
    }
    return out;
}

std::vector<std::string> encodeRecoverable(const std::vector<RecoverableFile>& files) {
    // "SIZE\0PATH\0" records; a message holds at most 8 KiB.
    std::vector<std::string> chunks;
    std::string cur;
    for (const auto& f : files) {
        std::string rec = std::to_string(f.size);
        rec += '\0';
        rec += f.path;
        rec += '\0';
        if (!cur.empty() && cur.size() + rec.size() > 7000)
            chunks.push_back(std::move(cur)), cur.clear();
        cur += rec;
    }
    if (!cur.empty()) chunks.push_back(std::move(cur));
    return chunks;
}

void decodeRecoverable(std::string_view payload, std::vector<RecoverableFile>& out) {
    auto fields = split(payload, '\0');
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i + 1].empty() || fields[i + 1][0] != '/') continue;
        out.push_back({fields[i + 1], std::strtoull(fields[i].c_str(), nullptr, 10)});
    }
}

}  // namespace lb
