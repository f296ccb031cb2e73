#include "base/code_pages.h"

#include <elf.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <ctime>

namespace lb {

namespace {

bool hasTextRelocations(const dl_phdr_info* info) {
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const auto& ph = info->dlpi_phdr[i];
        if (ph.p_type != PT_DYNAMIC) continue;
        const auto* d = reinterpret_cast<const ElfW(Dyn)*>(info->dlpi_addr + ph.p_vaddr);
        for (; d->d_tag != DT_NULL; ++d) {
            if (d->d_tag == DT_TEXTREL) return true;
            if (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_TEXTREL)) return true;
        }
    }
    return false;
}

int visit(dl_phdr_info* info, size_t, void* data) {
    auto* released = static_cast<unsigned long*>(data);
    // The vDSO is the kernel's own mapping, not a file's.
    if (info->dlpi_addr == static_cast<ElfW(Addr)>(::getauxval(AT_SYSINFO_EHDR))) return 0;
    if (hasTextRelocations(info)) return 0;  // the loader wrote into its code: keep it
    const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const auto& ph = info->dlpi_phdr[i];
        // A segment longer in memory than in the file has a tail the loader zeroed (its
        // pages are not the file's): kept.
        if (ph.p_type != PT_LOAD || (ph.p_flags & PF_W) || ph.p_memsz != ph.p_filesz) continue;
        // Whole pages inside the segment only: a page it shares with a neighbour is kept.
        const uintptr_t first = info->dlpi_addr + ph.p_vaddr;
        const uintptr_t start = (first + page - 1) & ~(page - 1);
        const uintptr_t end = (first + ph.p_memsz) & ~(page - 1);
        // The segment's pages are clean private file pages: MADV_DONTNEED only unmaps them, and
        // the next access maps the file's page again (the same bytes: nothing writes there).
        if (end > start &&
            ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED) == 0)
            *released += end - start;
    }
    return 0;  // and the libraries' (libseccomp's, loaded for the filter compiled at the start)
}

long long monotonicMs() {
    struct timespec t;
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<long long>(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
}

}  // namespace

DeferredCodeRelease::DeferredCodeRelease() : dueMs_(monotonicMs() + kCodeReleaseDelayMs) {}

int DeferredCodeRelease::timeoutMs() const {
    if (done_) return -1;
    const long long left = dueMs_ - monotonicMs();
    return left > 0 ? static_cast<int>(left) : 0;
}

bool DeferredCodeRelease::releaseIfDue() {
    if (done_ || monotonicMs() < dueMs_) return false;
    done_ = true;
    releaseStartupCode();
    return true;
}

unsigned long releaseStartupCode() {
    unsigned long released = 0;
    ::dl_iterate_phdr(visit, &released);
    return released;
}

}  // namespace lb
