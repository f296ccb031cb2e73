// The shared libraries an ELF program names (its DT_NEEDED entries), read from the file with a
// few bounded preads, without loading or running it. Used to tell a user, before a launch, that
// a graphical program is about to run in a profile that gives it no display.
//
// The file may be anything (a downloaded program): every offset and size read from it is checked
// against the file's size and a cap before use; a file that is not a little-endian ELF, or whose
// tables do not add up, is an error, never a crash.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace lb {

// "libX11.so.6", "libc.so.6", ... in the order the file lists them. An ELF without a dynamic
// section (a static program) has none. Fails for anything else (a script, a big-endian ELF).
Result<std::vector<std::string>> elfNeeded(const std::string& path);

}  // namespace lb
