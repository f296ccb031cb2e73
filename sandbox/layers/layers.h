// Committed layers: a sandbox's changes turned into a named, read-only layer that profiles stack
// under their own writable layer (filesystem.layers, top first): the container idea of N
// read-only layers and one writable layer on top, so that a toolchain installed once serves
// several profiles.
//
// Layout: $XDG_DATA_HOME/layerbox/layers/NAME/root/ mirrors the sandbox's paths exactly as an
// upper layer does (root/usr/..., root/<home>/...); NAME/info says when and from which profile
// it was made. A layer's markers are in the kernel's format (0:0 whiteouts,
// user.overlay.opaque=y), which both storage drivers read.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "layers/changes.h"
#include "profile/profile_store.h"

namespace lb {

class Progress;
struct Paths;
struct Profile;

struct LayerInfo {
    int64_t createdUnix = 0;
    std::string source;  // the profile it was committed from
};
std::string formatLayerInfo(const LayerInfo& info);
LayerInfo parseLayerInfo(std::string_view text);

struct TreeUsage {
    uint64_t bytes = 0;      // apparent size of files and symlinks
    uint64_t diskBytes = 0;  // allocated blocks, hard links counted once
    uint64_t files = 0;      // everything but directories and whiteouts
};
// Walk a tree without following symlinks; unreadable directories are skipped.
TreeUsage measureTree(const std::string& dir, Progress* progress = nullptr);

struct MarkerReport {
    size_t whiteouts = 0;  // ".wh.NAME" files turned into 0:0 devices
    size_t opaque = 0;     // directories marked user.overlay.opaque=y
    std::vector<std::string> warnings;
};
// Rewrite a tree's whiteout and opaque markers in the kernel's format: ".wh.NAME" files become
// character devices 0:0, ".wh..wh..opq" files and user.fuseoverlayfs.opaque become
// user.overlay.opaque=y. No symlink is followed. Only what the overlay itself can have written
// is a marker (`whiteouts`, as `diff` reads them): a ".wh.NAME" or ".wh..wh..opq" file the
// program made stays a file, and a 0:0 device in a plain part of the tree (a private home),
// which would hide a lower file in the layer, is left out with a warning. `root` is the
// sandbox's "/".
Result<MarkerReport> normalizeMarkers(const std::string& root, const WhiteoutRule& whiteouts);

// Copy a layer tree to another file system: directories, files, symlinks, whiteouts, fifos,
// modes, times and user.* xattrs. `to` must not exist.
Status copyLayerTree(const std::string& from, const std::string& to, Progress* progress);

struct CommitResult {
    std::string layerDir;
    bool copied = false;  // another file system: copied instead of renamed
    MarkerReport markers;
    std::string homeLeftOut;  // the sandbox's home, kept in its own layer (empty: none was)
};
struct CommitOptions {
    // The sandbox's home ($HOME in the upper layer) goes into the layer too. Off by default:
    // every profile that stacks the layer would read this sandbox's dotfiles (and whatever its
    // programs keep there: tokens, history, caches).
    bool includeHome = false;
    // What is a whiteout in the sandbox's upper layer (changes.h; from its scan plan).
    WhiteoutRule whiteouts;
};
// Move the profile's upper layer into layers/LAYER/root (a rename on the same file system,
// else a copy), leave an upper layer with only the sandbox's home in it (unless
// `includeHome`) and no work directories, normalise the markers, write the info file. Nothing
// is left half-done: on failure the upper layer is put back. The caller holds the sandbox lock.
Result<CommitResult> commitLayer(const Paths& paths, const std::string& profile,
                                 const std::string& layer, const CommitOptions& options = {},
                                 Progress* progress = nullptr);

// The layers list a profile gets when `layer` is committed on top of it.
std::vector<std::string> layersWithOnTop(const std::vector<std::string>& current,
                                         const std::string& layer);

// Make the profile keep seeing its files: put the layer on top of its filesystem.layers (a user
// profile's file is edited; for a built-in one a user profile of the same name extending it is
// written), saved atomically through the store.
Status attachLayer(const ProfileStore& store, const Profile& profile, const std::string& layer);
// The same, written but not yet in place (profile_store.h): `layerbox commit` prepares it before
// it moves anything, so a profile that cannot be written (a full or read-only config folder)
// stops the commit with the sandbox's changes where they were.
Result<PreparedSave> prepareAttachLayer(const ProfileStore& store, const Profile& profile,
                                        const std::string& layer);

// Profile names by layer: which profiles' merged filesystem.layers name it.
std::map<std::string, std::vector<std::string>> layerUsers(const ProfileStore& store);

// Layer names (directories under layers/ with a root/), sorted.
std::vector<std::string> layerNames(const Paths& paths);

// Remove a layer; refused while any profile names it.
Status removeLayer(const ProfileStore& store, const std::string& layer);

}  // namespace lb
