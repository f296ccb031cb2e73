// Recovering files: copying what a sandbox wrote out of its upper layer onto the host.
//
// Everything on both sides may have been shaped by the sandboxed program: its upper layer, and
// host folders it could write through a read-write bind. So the copy never follows a symbolic
// link: the source is opened below the upper layer with RESOLVE_NO_SYMLINKS, every destination
// directory is opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) relative to the
// destination root, and files are written to a temporary name in the already-opened directory
// and renamed into place (without --force, with RENAME_NOREPLACE). Symbolic links, device
// files, fifos and sockets are never recreated on the host: they are reported as skipped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"

namespace lb {

class Progress;
struct WhiteoutRule;

struct RecoverItem {
    std::string path;      // sandbox path (normalised)
    std::string destRoot;  // host directory the copy goes below (the real home, or --to)
    std::string destRel;   // relative path below destRoot
    std::string skip;      // when set, the reason this path is not recovered
};

// Pure: where each sandbox path goes. Without `toDir`, paths in the sandbox's home go to the
// same path in the real home (`home`: both have the same path) and other paths are refused;
// with it, each path goes to toDir/<its last component>.
std::vector<RecoverItem> planRecover(const std::vector<std::string>& paths, const std::string& home,
                                     const std::string& toDir);

struct RecoverReport {
    struct Copied {
        std::string from, to;
        uint64_t size = 0;
    };
    struct Skipped {
        std::string path, reason;
    };
    std::vector<Copied> copied;
    std::vector<Skipped> skipped;
};

// Copy the rest of `in` to `out` (copy_file_range, or reads and writes across file systems).
Status copyFileData(int in, int out, const std::string& what, Progress* progress = nullptr);

// What a recovery does where something is already in the way on the host.
enum class OnExisting {
    Skip,      // leave it, report the path as skipped ("exists")
    Replace,   // --force: replace it (never a host link to a folder)
    KeepBoth,  // --keep-both: the copy takes a free name beside it, "name (1).ext"
};

// "report.pdf", 2 -> "report (2).pdf"; a leading dot is not an extension (".bashrc (2)").
std::string keptBothName(const std::string& name, int n);

RecoverReport applyRecover(const std::string& upper, const std::vector<RecoverItem>& items,
                           OnExisting onExisting, const WhiteoutRule& whiteouts,
                           Progress* progress = nullptr);

// Copy each item from `upper` (the profile's upper layer). Never overwrites unless `force`.
// Failures are per item: they end up in `skipped` with their one-line reason.
// `whiteouts`: which entries are deletions (changes.h; whiteoutRule of the profile's
// ScanPlan); anything else is reported as what it is.
RecoverReport applyRecover(const std::string& upper, const std::vector<RecoverItem>& items,
                           bool force, const WhiteoutRule& whiteouts, Progress* progress = nullptr);

// The first `maxBytes` of the changed regular file at sandbox path `path`, read from `upper`
// without following any symbolic link (a preview of what the program wrote); `size` receives
// the file's whole size. Fails for anything but a regular file in the upper layer.
Result<std::string> readChangedFile(const std::string& upper, const std::string& path,
                                    uint64_t maxBytes, uint64_t* size = nullptr);

}  // namespace lb
