#include "base/elf_needed.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "base/fsutil.h"

namespace lb {

namespace {

constexpr uint64_t kMaxPhnum = 512;
constexpr uint64_t kMaxDynamicBytes = 256 << 10;
constexpr uint64_t kMaxStrtabBytes = 4 << 20;

struct Segment {
    uint64_t vaddr, offset, filesz;
};

// One ELF class (32 or 64 bits) read in the host's byte order: only little-endian files are
// accepted, and this code runs on little-endian machines (x86-64, aarch64, riscv64).
template <typename Ehdr, typename Phdr, typename Dyn>
Result<std::vector<std::string>> readNeeded(int fd, uint64_t size, const std::string& path) {
    auto bad = [&](const char* what) {
        return Error(quote(path) + ": not a well-formed ELF file (" + what + ")", ENOEXEC);
    };
    auto readAt = [&](void* buf, uint64_t len, uint64_t off) {
        return off <= size && len <= size - off &&
               ::pread(fd, buf, len, static_cast<off_t>(off)) == static_cast<ssize_t>(len);
    };
    Ehdr eh;
    if (!readAt(&eh, sizeof eh, 0)) return bad("header");
    if (eh.e_phentsize != sizeof(Phdr) || eh.e_phnum > kMaxPhnum) return bad("program headers");
    std::vector<Phdr> ph(eh.e_phnum);
    if (!ph.empty() && !readAt(ph.data(), ph.size() * sizeof(Phdr), eh.e_phoff))
        return bad("program headers");
    std::vector<Segment> loads;
    const Phdr* dynamic = nullptr;
    for (const auto& p : ph) {
        if (p.p_type == PT_LOAD) loads.push_back({p.p_vaddr, p.p_offset, p.p_filesz});
        if (p.p_type == PT_DYNAMIC) dynamic = &p;
    }
    if (!dynamic) return std::vector<std::string>{};  // a static program
    if (dynamic->p_filesz > kMaxDynamicBytes) return bad("dynamic section too large");
    std::vector<Dyn> dyn(dynamic->p_filesz / sizeof(Dyn));
    if (!dyn.empty() && !readAt(dyn.data(), dyn.size() * sizeof(Dyn), dynamic->p_offset))
        return bad("dynamic section");
    std::vector<uint64_t> needed;
    uint64_t strtabAddr = 0, strtabSize = 0;
    for (const auto& d : dyn) {
        if (d.d_tag == DT_NULL) break;
        if (d.d_tag == DT_NEEDED) needed.push_back(d.d_un.d_val);
        if (d.d_tag == DT_STRTAB) strtabAddr = d.d_un.d_ptr;
        if (d.d_tag == DT_STRSZ) strtabSize = d.d_un.d_val;
    }
    if (needed.empty()) return std::vector<std::string>{};
    if (strtabSize == 0 || strtabSize > kMaxStrtabBytes) return bad("string table size");
    // The string table is named by its address in memory: the loaded segment holding it says
    // where it is in the file.
    std::optional<uint64_t> strtabOff;
    for (const auto& s : loads)
        if (strtabAddr >= s.vaddr && strtabAddr - s.vaddr < s.filesz &&
            strtabSize <= s.filesz - (strtabAddr - s.vaddr))
            strtabOff = s.offset + (strtabAddr - s.vaddr);
    if (!strtabOff) return bad("string table outside the file");
    std::string strtab(strtabSize, '\0');
    if (!readAt(strtab.data(), strtabSize, *strtabOff)) return bad("string table");
    std::vector<std::string> out;
    for (uint64_t at : needed) {
        if (at >= strtab.size()) return bad("library name outside the string table");
        out.emplace_back(strtab.c_str() + at, ::strnlen(strtab.c_str() + at, strtab.size() - at));
    }
    return out;
}

}  // namespace

Result<std::vector<std::string>> elfNeeded(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (!fd.valid()) return Error::fromErrno("open(" + quote(path) + ")");
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return Error::fromErrno("fstat(" + quote(path) + ")");
    if (!S_ISREG(st.st_mode)) return Error(quote(path) + " is not a regular file", EINVAL);
    unsigned char ident[EI_NIDENT];
    if (::pread(fd.get(), ident, sizeof ident, 0) != static_cast<ssize_t>(sizeof ident) ||
        std::memcmp(ident, ELFMAG, SELFMAG) != 0)
        return Error(quote(path) + " is not an ELF program", ENOEXEC);
    if (ident[EI_DATA] != ELFDATA2LSB)
        return Error(quote(path) + ": big-endian ELF files are not read", ENOEXEC);
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (ident[EI_CLASS] == ELFCLASS64)
        return readNeeded<Elf64_Ehdr, Elf64_Phdr, Elf64_Dyn>(fd.get(), size, path);
    if (ident[EI_CLASS] == ELFCLASS32)
        return readNeeded<Elf32_Ehdr, Elf32_Phdr, Elf32_Dyn>(fd.get(), size, path);
    return Error(quote(path) + ": unknown ELF class", ENOEXEC);
}

}  // namespace lb
