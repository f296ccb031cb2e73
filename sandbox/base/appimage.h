// AppImages (type 2): an ELF runtime with a squashfs image appended right after the end of its
// section header table. Layerbox never runs the runtime (it needs a setuid fusermount); it finds
// the payload itself, has squashfuse serve it read-only from outside the sandbox (mounts.h,
// MountKind::AppImage) and runs the image's AppRun.
//
// The file is whatever was downloaded: every number read from it is checked against the file's
// size, and sums against overflow, before use; a file that does not add up is an error naming
// the file and what is wrong, never a guess.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace lb {

// Where the image is mounted inside the sandbox (the AppImage's APPDIR).
inline constexpr const char* kAppImageDir = "/run/appimage";

// Is this file meant as an AppImage? Its name ends in ".AppImage" (any case), or its ELF header
// carries the AppImage magic ("AI" and the type at bytes 8-10). `head`: the file's first bytes.
bool looksLikeAppImage(std::string_view head, const std::string& name);

// Pure: the squashfs payload's offset from the ELF header (`head`: at least the file's first 64
// bytes) and the file's size: e_shoff + e_shentsize * e_shnum. `name` only goes into messages.
// Fails for a type 1 AppImage (ISO 9660), a file that is not ELF, a header without section
// headers, and an offset that overflows or lies past the end of the file.
Result<uint64_t> planAppImagePayload(std::string_view head, uint64_t fileSize,
                                     const std::string& name);

// Pure: the 4 bytes read at the payload's offset must be squashfs's magic "hsqs".
Status checkSquashfsMagic(std::string_view atOffset, uint64_t offset, const std::string& name);

struct AppImageFile {
    std::string path;  // absolute host path
    uint64_t offset = 0;
    uint64_t dev = 0, ino = 0;  // the file that was read (the mount checks it is the same)
};

// Read `path`: nothing when it is not meant as an AppImage (or is not a readable regular file:
// the launch says why it cannot run); the payload when it is a valid type 2 AppImage; an error
// otherwise.
Result<std::optional<AppImageFile>> readAppImage(const std::string& path);

// Pure: run the AppImage `image` (absolute host path; `argv[0]` as the user gave it) mounted at
// kAppImageDir: argv[0] becomes its AppRun, and the environment gets what the AppImage runtime
// sets: APPIMAGE (the image), APPDIR (the mount), ARGV0 (as given), OWD (the working folder).
void planAppImageRun(std::vector<std::string>& argv, std::vector<std::string>& env,
                     const std::string& image, const std::string& owd);

}  // namespace lb
