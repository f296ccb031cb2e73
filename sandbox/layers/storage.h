// The sandbox's storage on the host: its data directory (upper layer, work directories), the
// lock that keeps one persistent upper layer from being mounted twice, and the choice of
// storage driver.
#pragma once

#include <string>

#include "base/error.h"
#include "base/fsutil.h"
#include "profile/profile.h"

namespace lb {

struct Paths;

// Resolve "auto": native when a real test mount works here, else fuse. The answer is cached
// per kernel release and file system of the data directory. `reason` tells why fuse was
// chosen (for --verbose and doctor).
Result<Driver> resolveDriver(Driver requested, const Paths& paths, std::string* reason = nullptr);

// Run the kernel-overlay test mount now (no cache): two lower layers, a whiteout, an opaque
// directory, inside a fresh user namespace, on the file system of `dir`.
Status probeNativeOverlay(const std::string& dir);

// Whether the probe failed for a reason of the moment (a full disk, no memory: ENOSPC, EDQUOT,
// ENOMEM, ...), which says nothing about what the kernel can do: never cached, and doctor
// names the moment, not the kernel.
bool storageProbeFailureIsTransient(int code);

// Create the profile's sandbox directory (0700) and return it.
Result<std::string> prepareSandboxDir(const Paths& paths, const std::string& profile);

// Take the profile's lock without waiting. Fails with EWOULDBLOCK while another runner holds
// it (the sandbox is running). With `waitForEnding` (the default) it then waits for the last
// holder's unmounting (waitForEndingSandbox); a launch passes false and waits later, right
// before it mounts the layer, so that its own preparation overlaps that unmounting.
Result<UniqueFd> lockSandbox(const std::string& sandboxDir, bool waitForEnding = true);
// A persistent sandbox whose runner returns while the kernel still unmounts its overlays (at
// the end of its setup process, launch/setup_process.cpp): the runner records that process in
// the sandbox's directory before it lets go of the lock; the next holder waits (up to 10 s) for
// it to be gone, so a layer is never mounted again while its last mount is still being taken
// down.
Status recordEndingSandbox(const std::string& sandboxDir, pid_t setup);
// Wait for the process recorded by recordEndingSandbox, if it still runs, and clear the record.
// Only for the holder of the sandbox's lock.
void waitForEndingSandbox(const std::string& sandboxDir);

// The process holding a sandbox's lock (from /proc/locks), or 0: for the message when a running
// sandbox has lost its record and cannot be found through the registry.
pid_t sandboxLockHolder(const std::string& sandboxDir);

}  // namespace lb
