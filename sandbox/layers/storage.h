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
// sandbox's layer to be unmounted (waitForEndingSandbox); a launch passes false and its setup
// process takes the layer's mount lock later, right before it mounts the layer, so that its
// own preparation overlaps that unmounting.
Result<UniqueFd> lockSandbox(const std::string& sandboxDir, bool waitForEnding = true);
// The layer's mount lock (.mounted, LOCK_EX): held by a persistent sandbox's setup process from
// before it mounts the layer until its overlays are down again, which is after its runner has
// returned and let go of the profile's lock (launch/setup_process.cpp: the kernel syncs the
// upper file system at each overlay's unmount). The next launch takes it before mounting, so a
// layer is never mounted while its last mount is still being taken down, and it waits for
// those unmounts only, not for the rest of that process's end (its mount namespace going: ~3 ms
// here). Waits up to `timeoutMs` for the holder to let go (woken by inotify when the holder's
// descriptor closes, and tried again every 20 ms); then fails with EBUSY.
Result<UniqueFd> holdLayerMounts(const std::string& sandboxDir, int timeoutMs = 10000);
// Wait (up to 10 s) until no sandbox has the layer mounted. Only for the holder of the
// profile's lock.
void waitForEndingSandbox(const std::string& sandboxDir);

// The process holding a sandbox's lock (from /proc/locks), or 0: for the message when a running
// sandbox has lost its record and cannot be found through the registry.
pid_t sandboxLockHolder(const std::string& sandboxDir);

}  // namespace lb
