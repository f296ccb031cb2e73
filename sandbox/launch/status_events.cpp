#include "launch/status_events.h"

#include "base/fsutil.h"

namespace lb {

void StatusEvents::emit(const std::string& json) const {
    if (fd_ < 0) return;
    // A reader that went away must not take the sandbox down with it: ignore write errors.
    (void)writeAll(fd_, json + "\n", "status fd");
}

}  // namespace lb
