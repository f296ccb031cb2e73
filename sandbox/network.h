// Networking inside the sandbox's own network namespace.
#pragma once

#include "error.h"

namespace lb {

// Bring the loopback interface up (a new network namespace starts with it down).
Status bringUpLoopback();

}  // namespace lb
