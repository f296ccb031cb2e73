// A long-lived process of Layerbox (the runner, the setup process, PID 1) spends its first
// milliseconds in most of its executable (profiles, JSON, planning, seccomp, mounts) and then,
// for as long as the sandbox runs (days, for a browser), in a small loop. The kernel maps file
// pages around each fault (fault-around, 64 KiB), so after start-up nearly all of the
// executable's code is mapped in each of them: about 2 MiB of the runner's PSS, the larger part
// of what a sandbox costs.
#pragma once

namespace lb {

// Drops this process's mappings of the read-only segments (code, constants) of its executable
// and its libraries (not the vDSO): the pages stay in the page cache, shared and reclaimable;
// what runs next is mapped again on its first use, from that cache. Only segments nothing ever
// writes (no PF_W flag, and no text relocations) are dropped: their pages are always the file's, so
// mapping them again gives the same bytes. Returns the bytes released (0 when there was nothing to
// do).
// A library overwritten in place (not replaced, as packages are) would be mapped again as it is
// now: the same as for any process that had not yet run that code.
unsigned long releaseStartupCode();

// The same, a moment after the launch is done rather than at once (issue 25): dropping the
// mappings touches every page table entry of the code (madvise), and what runs next maps its
// pages again, each a page fault; on the way from the program's start to its exit, for a
// program that ends at once, that was most of a millisecond in each of the three processes.
// A program that runs on is released from after kCodeReleaseDelayMs, long before its memory is
// looked at (bench/mem reads it a second after the start).
constexpr int kCodeReleaseDelayMs = 250;

class DeferredCodeRelease {
public:
    // Starts the delay (monotonic clock).
    DeferredCodeRelease();
    // Milliseconds until the release is due (0: due now), or -1 once it was done: for poll().
    int timeoutMs() const;
    // Releases once the delay is over; true when it did so now.
    bool releaseIfDue();

private:
    long long dueMs_;
    bool done_ = false;
};

}  // namespace lb
