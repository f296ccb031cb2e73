#include "layers/layers.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <set>

#include "base/fsutil.h"
#include "base/paths.h"
#include "base/progress.h"
#include "base/safe_open.h"
#include "base/units.h"
#include "layers/recover.h"
#include "profile/profile.h"
#include "profile/profile_store.h"

namespace lb {

std::string formatLayerInfo(const LayerInfo& info) {
    return "created " + isoTime(info.createdUnix) + "\ncreated_unix " +
           std::to_string(info.createdUnix) + "\nsource " + info.source + "\n";
}

LayerInfo parseLayerInfo(std::string_view text) {
    LayerInfo info;
    for (const auto& line : split(text, '\n')) {
        auto sp = line.find(' ');
        if (sp == std::string::npos) continue;
        std::string key = line.substr(0, sp), value = trim(line.substr(sp + 1));
        if (key == "created_unix")
            info.createdUnix = std::strtoll(value.c_str(), nullptr, 10);
        else if (key == "source")
            info.source = value;
    }
    return info;
}

namespace {

bool isWhiteout(const struct stat& st) {
    return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

std::vector<std::string> entriesOf(int dirfd) {
    auto names = listDirAt(dirfd, "a layer directory");
    return names ? std::move(names.value()) : std::vector<std::string>();
}

UniqueFd openDirAt(int dirfd, const std::string& name) {
    return UniqueFd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

struct Measurer {
    TreeUsage usage;
    std::set<std::pair<dev_t, ino_t>> linked;
    Progress* progress;

    void walk(int dirfd) {
        for (const auto& n : entriesOf(dirfd)) {
            struct stat st;
            if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
            if (st.st_nlink <= 1 || S_ISDIR(st.st_mode) ||
                linked.insert({st.st_dev, st.st_ino}).second)
                usage.diskBytes += static_cast<uint64_t>(st.st_blocks) * 512;
            if (S_ISDIR(st.st_mode)) {
                UniqueFd sub = openDirAt(dirfd, n);
                if (sub.valid()) walk(sub.get());  // overlayfs' mode-000 work/work is skipped
                continue;
            }
            if (isWhiteout(st)) continue;
            ++usage.files;
            uint64_t size = S_ISREG(st.st_mode) || S_ISLNK(st.st_mode) ? st.st_size : 0;
            usage.bytes += size;
            if (progress) progress->add(1, size);
        }
    }
};

}  // namespace

TreeUsage measureTree(const std::string& dir, Progress* progress) {
    Measurer m{{}, {}, progress};
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return {};
    struct stat st;
    if (::fstat(fd.get(), &st) == 0) m.usage.diskBytes += static_cast<uint64_t>(st.st_blocks) * 512;
    m.walk(fd.get());
    return m.usage;
}

// ---------------------------------------------------------------------------------------------
// Markers

namespace {

constexpr const char* kKernelOpaque = "user.overlay.opaque";

bool xattrIsY(int fd, const char* name) {
    char v[8] = {};
    return ::fgetxattr(fd, name, v, sizeof v) > 0 && v[0] == 'y';
}

Status normalizeDir(int dirfd, const std::string& path, const std::string& sandboxPath,
                    const WhiteoutRule& rule, MarkerReport& report) {
    auto names = entriesOf(dirfd);
    // Security: only what the overlay can have written is a marker (changes.h). Elsewhere the
    // program made the name, and a converted marker would hide a lower file or folder in every
    // profile that stacks the layer.
    const bool inOverlay = rule.deviceAt(sandboxPath);
    const bool opaqueMarker = inOverlay && fuseOpaqueMarkerIn(dirfd, rule.markerFiles);
    const bool markerFiles = rule.markersIn(sandboxPath);
    bool opaque = false;
    bool hasKernelMark = xattrIsY(dirfd, kKernelOpaque);
    for (const char* other : {"user.fuseoverlayfs.opaque", "trusted.overlay.opaque"}) {
        if (!xattrIsY(dirfd, other)) continue;
        opaque = true;
        ::fremovexattr(dirfd, other);  // trusted.* is not ours to remove: harmless when it stays
    }
    std::set<std::string> present(names.begin(), names.end());
    for (const auto& n : names) {
        if (!inOverlay) {
            struct stat st;
            if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && isWhiteout(st)) {
                if (::unlinkat(dirfd, n.c_str(), 0) != 0)
                    return Error::fromErrno("unlink(" + quote(joinPath(path, n)) + ")");
                report.warnings.push_back("left out " + quote(joinPath(sandboxPath, n)) +
                                          ": a 0:0 device the overlay did not write (it would "
                                          "hide that name in the layer)");
            }
            continue;
        }
        if (opaqueMarker && (n == ".wh..wh..opq" || n == ".wh..opq")) {
            // fuse-overlayfs marks a directory opaque with a ".wh..wh..opq" file and a 0:0
            // device ".wh..opq" beside it; the kernel reads neither.
            struct stat st;
            if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
            if (n == ".wh..opq" && !isWhiteout(st)) continue;
            if (n == ".wh..wh..opq") opaque = true;
            if (::unlinkat(dirfd, n.c_str(), 0) != 0)
                return Error::fromErrno("unlink(" + quote(joinPath(path, n)) + ")");
            continue;
        }
        if (!markerFiles || !startsWith(n, ".wh.") || startsWith(n, ".wh..wh.") || n.size() <= 4)
            continue;
        struct stat st;
        if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        const std::string target = n.substr(4);
        // The name itself exists as well: it was made again after the deletion, and wins.
        if (!present.count(target)) {
            if (::mknodat(dirfd, target.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0) {
                // Kernels before 5.8 refuse unprivileged whiteouts: keep fuse-overlayfs' form.
                report.warnings.push_back(
                    Error::fromErrno("mknod(" + quote(joinPath(path, target)) + ", 0:0)")
                        .message() +
                    "; kept " + quote(n) + " (read by fuse-overlayfs only)");
                continue;
            }
            ++report.whiteouts;
        }
        if (::unlinkat(dirfd, n.c_str(), 0) != 0)
            return Error::fromErrno("unlink(" + quote(joinPath(path, n)) + ")");
    }
    if (opaque && !hasKernelMark) {
        if (::fsetxattr(dirfd, kKernelOpaque, "y", 1, 0) != 0)
            return Error::fromErrno("setxattr(" + quote(path) + ", " + kKernelOpaque + ")");
        ++report.opaque;
    }
    for (const auto& n : names) {
        if (opaqueMarker && (n == ".wh..wh..opq" || n == ".wh..opq")) continue;
        struct stat st;
        if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
            continue;
        UniqueFd sub = openDirAt(dirfd, n);
        if (!sub.valid()) return Error::fromErrno("open(" + quote(joinPath(path, n)) + ")");
        LB_TRY(normalizeDir(sub.get(), joinPath(path, n), joinPath(sandboxPath, n), rule, report));
    }
    return Ok();
}

}  // namespace

Result<MarkerReport> normalizeMarkers(const std::string& root, const WhiteoutRule& whiteouts) {
    MarkerReport report;
    UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return Error::fromErrno("open(" + quote(root) + ")");
    LB_TRY(normalizeDir(fd.get(), root, "/", whiteouts, report));
    return report;
}

// ---------------------------------------------------------------------------------------------
// Copy (commit across file systems)

namespace {

void copyXattrs(int from, int to) {
    char names[4096];
    ssize_t n = ::flistxattr(from, names, sizeof names);
    for (ssize_t i = 0; i < n;) {
        const char* name = names + i;
        i += static_cast<ssize_t>(std::strlen(name)) + 1;
        if (!startsWith(name, "user.")) continue;  // the only namespace we may write
        char value[4096];
        ssize_t len = ::fgetxattr(from, name, value, sizeof value);
        if (len >= 0) ::fsetxattr(to, name, value, static_cast<size_t>(len), 0);
    }
}

Status copyTreeAt(int src, int dst, const std::string& path, Progress* progress) {
    for (const auto& n : entriesOf(src)) {
        const std::string p = joinPath(path, n);
        struct stat st;
        if (::fstatat(src, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            return Error::fromErrno("fstatat(" + quote(p) + ")");
        struct timespec times[2] = {st.st_atim, st.st_mtim};
        if (S_ISDIR(st.st_mode)) {
            if (::mkdirat(dst, n.c_str(), 0700) != 0)
                return Error::fromErrno("mkdir(" + quote(p) + ")");
            UniqueFd from = openDirAt(src, n), to = openDirAt(dst, n);
            if (!from.valid() || !to.valid()) return Error::fromErrno("open(" + quote(p) + ")");
            LB_TRY(copyTreeAt(from.get(), to.get(), p, progress));
            copyXattrs(from.get(), to.get());
            if (::fchmod(to.get(), st.st_mode & 07777) != 0 || ::futimens(to.get(), times) != 0)
                return Error::fromErrno("setting the mode and times of " + quote(p));
        } else if (S_ISREG(st.st_mode)) {
            UniqueFd in(::openat(src, n.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
            if (!in.valid()) return Error::fromErrno("open(" + quote(p) + ")");
            UniqueFd out(::openat(dst, n.c_str(),
                                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
            if (!out.valid()) return Error::fromErrno("create(" + quote(p) + ")");
            LB_TRY(copyFileData(in.get(), out.get(), p, progress));
            copyXattrs(in.get(), out.get());
            if (::fchmod(out.get(), st.st_mode & 07777) != 0 || ::futimens(out.get(), times) != 0)
                return Error::fromErrno("setting the mode and times of " + quote(p));
            if (progress) progress->add(1, 0);
        } else if (S_ISLNK(st.st_mode)) {
            std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
            ssize_t len = ::readlinkat(src, n.c_str(), target.data(), target.size());
            if (len < 0) return Error::fromErrno("readlink(" + quote(p) + ")");
            target.resize(static_cast<size_t>(len));
            if (::symlinkat(target.c_str(), dst, n.c_str()) != 0)
                return Error::fromErrno("symlink(" + quote(p) + ")");
            ::utimensat(dst, n.c_str(), times, AT_SYMLINK_NOFOLLOW);
        } else if (isWhiteout(st) || S_ISFIFO(st.st_mode)) {
            if (::mknodat(dst, n.c_str(), st.st_mode, st.st_rdev) != 0)
                return Error::fromErrno("mknod(" + quote(p) + ")");
            ::utimensat(dst, n.c_str(), times, AT_SYMLINK_NOFOLLOW);
        }
        // Sockets and device files (other than whiteouts) cannot be made unprivileged; a
        // sandbox's layer has no use for them either.
    }
    return Ok();
}

}  // namespace

Status copyLayerTree(const std::string& from, const std::string& to, Progress* progress) {
    UniqueFd src(::open(from.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!src.valid()) return Error::fromErrno("open(" + quote(from) + ")");
    struct stat st;
    if (::fstat(src.get(), &st) != 0) return Error::fromErrno("fstat(" + quote(from) + ")");
    if (::mkdir(to.c_str(), 0700) != 0) return Error::fromErrno("mkdir(" + quote(to) + ")");
    UniqueFd dst(::open(to.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dst.valid()) return Error::fromErrno("open(" + quote(to) + ")");
    LB_TRY(copyTreeAt(src.get(), dst.get(), from, progress));
    copyXattrs(src.get(), dst.get());
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::fchmod(dst.get(), st.st_mode & 07777) != 0 || ::futimens(dst.get(), times) != 0)
        return Error::fromErrno("setting the mode and times of " + quote(to));
    return Ok();
}

// ---------------------------------------------------------------------------------------------
// Commit

namespace {

// The directory holding `path` (relative, "home/u") below `root`, opened one component at a
// time without following a link: the upper layer's content above the home is the sandbox's
// to shape (a home below an overlaid /var), so a link planted there must not send the move
// elsewhere. -1 when a component is missing or is not a directory.
UniqueFd openParentBeneath(const std::string& root, const std::string& path) {
    UniqueFd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    auto parts = split(path, '/');
    for (size_t i = 0; dir.valid() && i + 1 < parts.size(); ++i) {
        if (parts[i].empty()) continue;
        dir.reset(
            ::openat(dir.get(), parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    }
    return dir;
}

}  // namespace

Result<CommitResult> commitLayer(const Paths& paths, const std::string& profile,
                                 const std::string& layer, const CommitOptions& options,
                                 Progress* progress) {
    if (!isValidProfileName(layer))
        return Error(quote(layer) + " is not a valid layer name (use a-z, 0-9, - and _)", EINVAL);
    const std::string sandboxDir = paths.sandboxDir(profile);
    const std::string upper = joinPath(sandboxDir, "upper");
    const std::string final = paths.layerDir(layer);
    if (pathExists(final))
        return Error("layer " + quote(layer) + " already exists: commit under another name (--as " +
                         layer + "-2), or remove the old one first (layerbox layer rm " + layer +
                         ")",
                     EEXIST);
    LB_TRY(makeDirs(paths.layersDir(), 0700));
    std::string staging = joinPath(paths.layersDir(), "." + layer + ".new-XXXXXX");
    if (!::mkdtemp(staging.data())) return Error::fromErrno("mkdtemp(" + quote(staging) + ")");
    const std::string root = joinPath(staging, "root");
    CommitResult result;
    // The home stays with the sandbox: moved aside (the sandbox directory, same file system
    // as the upper layer) before the upper layer goes, and back into the new one after.
    const std::string home = paths.home.empty() || paths.home == "/" ? "" : paths.home.substr(1);
    const std::string homeName = home.substr(home.rfind('/') + 1);
    std::string aside;  // a directory of the sandbox holding the home while the layer is made
    auto homeBack = [&]() -> Status {
        if (aside.empty()) return Ok();
        LB_TRY(makeDirs(joinPath(upper, dirName("/" + home)), 0755));
        UniqueFd to = openParentBeneath(upper, home);
        if (!to.valid()) return Error::fromErrno("open(" + quote(joinPath(upper, home)) + ")");
        const std::string from = joinPath(aside, "home");
        if (::renameat(AT_FDCWD, from.c_str(), to.get(), homeName.c_str()) != 0)
            return Error::fromErrno("rename(" + quote(from) + ", " + quote(joinPath(upper, home)) +
                                    ")");
        ::rmdir(aside.c_str());
        aside.clear();
        return Ok();
    };
    // Until the layer is published, any failure puts the upper layer back as it was.
    bool moved = false;
    auto rollback = [&](Error e) -> Error {
        if (moved && result.copied)  // the original is gone: keep the copy and say where
            return Error(e.message() + " (the changes are kept in " + quote(root) + ")", e.code());
        if (moved) {
            (void)removeTree(upper);  // the empty one made below
            ::rename(root.c_str(), upper.c_str());
        }
        (void)homeBack();
        (void)removeTree(staging);
        return e;
    };
    if (!options.includeHome && !home.empty()) {
        UniqueFd from = openParentBeneath(upper, home);
        struct stat st;
        if (from.valid() &&
            ::fstatat(from.get(), homeName.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISDIR(st.st_mode)) {
            aside = joinPath(sandboxDir, ".commit-home-XXXXXX");
            if (!::mkdtemp(aside.data())) {
                aside.clear();
                return rollback(Error::fromErrno("mkdtemp(" + quote(sandboxDir) + ")"));
            }
            const std::string to = joinPath(aside, "home");
            if (::renameat(from.get(), homeName.c_str(), AT_FDCWD, to.c_str()) != 0) {
                Error e = Error::fromErrno("rename(" + quote(joinPath(upper, home)) + ")");
                ::rmdir(aside.c_str());
                aside.clear();
                return rollback(std::move(e));
            }
            result.homeLeftOut = paths.home;
        }
    }

    if (::rename(upper.c_str(), root.c_str()) == 0) {
        moved = true;
    } else if (errno == EXDEV) {
        // Sandboxes and layers on different file systems: copy, then drop the original.
        result.copied = true;
        if (progress) progress->setTotal(measureTree(upper).files);
        if (auto s = copyLayerTree(upper, root, progress); !s)
            return rollback(std::move(s).error().wrap("copying " + quote(upper)));
        if (progress) progress->finish();
        moved = true;
        if (auto s = removeTree(upper); !s) return rollback(std::move(s).error());
    } else {
        return rollback(Error::fromErrno("rename(" + quote(upper) + ", " + quote(root) + ")"));
    }
    if (::mkdir(upper.c_str(), 0755) != 0)
        return rollback(Error::fromErrno("mkdir(" + quote(upper) + ")"));
    if (auto s = homeBack(); !s) return rollback(std::move(s).error());

    auto markers = normalizeMarkers(root, options.whiteouts);
    if (!markers) return rollback(std::move(markers).error().wrap("normalising the layer"));
    result.markers = std::move(*markers);
    LayerInfo info{static_cast<int64_t>(::time(nullptr)), profile};
    if (auto s = writeFileAtomic(joinPath(staging, "info"), formatLayerInfo(info), 0644); !s)
        return rollback(std::move(s).error());
    if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, final.c_str(), RENAME_NOREPLACE) != 0) {
        if (errno == EEXIST)
            return rollback(Error("layer " + quote(layer) +
                                      " already exists: commit under another name, or remove "
                                      "the old one first (layerbox layer rm " +
                                      layer + ")",
                                  EEXIST));
        return rollback(Error::fromErrno("rename(" + quote(staging) + ", " + quote(final) + ")"));
    }
    // The work directories belonged to the old upper layer (kernel overlayfs leaves a mode-000
    // work/work there; removeTree copes).
    (void)removeTree(joinPath(sandboxDir, "work"));
    result.layerDir = final;
    return result;
}

std::vector<std::string> layersWithOnTop(const std::vector<std::string>& current,
                                         const std::string& layer) {
    std::vector<std::string> out{layer};
    for (const auto& l : current)
        if (l != layer) out.push_back(l);
    return out;
}

Status attachLayer(const ProfileStore& store, const Profile& profile, const std::string& layer) {
    LB_ASSIGN(PreparedSave prepared, prepareAttachLayer(store, profile, layer));
    return prepared.commit();
}

Result<PreparedSave> prepareAttachLayer(const ProfileStore& store, const Profile& profile,
                                        const std::string& layer) {
    LB_ASSIGN(ProfileRef ref, store.find(profile.name));
    if (ref.path != profile.sourceFile)
        return Error("profile " + quote(profile.name) + " was loaded from " +
                         quote(profile.sourceFile) + ", not from the profile folder: add " +
                         quote(layer) + " to its filesystem.layers yourself",
                     EINVAL);
    const auto layers = layersWithOnTop(profile.filesystem.layers, layer);
    std::string text, tag;
    if (ref.builtin) {
        // A user profile of the same name that extends the built-in one (which stays as
        // shipped), with the layers list.
        text = newProfileText(profile.name, profile.name);
    } else {
        LB_ASSIGN(text, readRegularFile(ref.path, kProfileMaxBytes, "a profile"));
        tag = contentTag(text);
    }
    LB_ASSIGN(std::string updated, profileTextWithLayers(text, layers));
    return store.prepareSave(profile.name, updated, tag);
}

// ---------------------------------------------------------------------------------------------
// List, users, remove

std::map<std::string, std::vector<std::string>> layerUsers(const ProfileStore& store) {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& ref : store.list()) {
        std::vector<std::string> layers;
        if (auto p = loadProfile(store, ref.name)) {
            layers = p->filesystem.layers;
        } else if (auto text = readRegularFile(ref.path, kProfileMaxBytes, "a profile")) {
            // An invalid profile still counts: it names the layer and may be fixed later.
            layers = layersOfText(*text);
        }
        for (const auto& l : layers)
            out[l].push_back(ref.name);
    }
    return out;
}

std::vector<std::string> layerNames(const Paths& paths) {
    std::vector<std::string> out;
    DIR* d = ::opendir(paths.layersDir().c_str());
    if (!d) return out;
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n.empty() || n[0] == '.' || !isValidProfileName(n)) continue;
        if (isDirectory(joinPath(paths.layerDir(n), "root"))) out.push_back(n);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

Status removeLayer(const ProfileStore& store, const std::string& layer) {
    const std::string dir = store.paths().layerDir(layer);
    if (!isValidProfileName(layer) || !isDirectory(dir))
        return Error("no layer named " + quote(layer) + " (see layerbox layer list)", ENOENT);
    auto users = layerUsers(store);
    if (auto it = users.find(layer); it != users.end() && !it->second.empty()) {
        const std::string names = joinStrings(it->second);
        const bool one = it->second.size() == 1;
        return Error("layer " + quote(layer) + " is used by " + (one ? "profile " : "profiles ") +
                         names + ": remove it from " + (one ? "its" : "their") +
                         " filesystem.layers first",
                     EBUSY);
    }
    // Renamed out of the way first, so that a half-removed layer is never mounted.
    std::string doomed = joinPath(store.paths().layersDir(), "." + layer + ".removing-XXXXXX");
    if (!::mkdtemp(doomed.data())) return Error::fromErrno("mkdtemp(" + quote(doomed) + ")");
    const std::string target = joinPath(doomed, layer);
    if (::rename(dir.c_str(), target.c_str()) != 0) {
        Error e = Error::fromErrno("rename(" + quote(dir) + ")");
        ::rmdir(doomed.c_str());
        return e;
    }
    return removeTree(doomed);
}

}  // namespace lb
