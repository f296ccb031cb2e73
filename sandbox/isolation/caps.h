// Capabilities: after setup nothing inside the sandbox keeps any. The bounding and ambient
// sets are cleared so no later execve (even of a file with file capabilities) can regain one,
// and no_new_privs makes setuid bits and file capabilities inert.
#pragma once

#include "base/error.h"

namespace lb {

// Clear the bounding set, ambient set, inheritable, permitted and effective sets.
Status dropAllCapabilities();
Status setNoNewPrivs();

}  // namespace lb
