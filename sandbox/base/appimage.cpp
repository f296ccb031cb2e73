#include "base/appimage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>

#include "base/fsutil.h"

namespace lb {

namespace {

// ELF header fields (System V ABI): identification, then the class-dependent layout.
constexpr size_t kEiClass = 4, kEiData = 5;
constexpr unsigned char kElfClass32 = 1, kElfClass64 = 2, kElfDataLsb = 1, kElfDataMsb = 2;

uint64_t readUint(std::string_view b, size_t at, size_t n, bool bigEndian) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
        auto byte = static_cast<uint64_t>(static_cast<unsigned char>(b[at + i]));
        v |= bigEndian ? byte << (8 * (n - 1 - i)) : byte << (8 * i);
    }
    return v;
}

std::string named(const std::string& name) {
    return quote(name);
}

}  // namespace

bool looksLikeAppImage(std::string_view head, const std::string& name) {
    std::string base = baseName(name);
    if (base.size() > 9) {
        std::string ext = base.substr(base.size() - 9);
        for (auto& c : ext)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (ext == ".appimage") return true;
    }
    return head.size() >= 11 &&
           head.substr(0, 4) ==
               "\x7f"
               "ELF" &&
           head[8] == 'A' && head[9] == 'I' && (head[10] == 1 || head[10] == 2);
}

Result<uint64_t> planAppImagePayload(std::string_view head, uint64_t fileSize,
                                     const std::string& name) {
    if (head.size() < 16 || head.substr(0, 4) !=
                                "\x7f"
                                "ELF")
        return Error(named(name) + " is not an AppImage: it is not an ELF file", ENOEXEC);
    if (head[8] == 'A' && head[9] == 'I' && head[10] == 1)
        return Error(named(name) +
                         " is a type 1 AppImage (ISO 9660), which Layerbox cannot run; only type "
                         "2 (squashfs) AppImages are supported",
                     ENOTSUP);
    const auto cls = static_cast<unsigned char>(head[kEiClass]);
    const auto data = static_cast<unsigned char>(head[kEiData]);
    if ((cls != kElfClass32 && cls != kElfClass64) || (data != kElfDataLsb && data != kElfDataMsb))
        return Error(named(name) + " is a corrupt AppImage: unknown ELF class or byte order",
                     ENOEXEC);
    const bool is64 = cls == kElfClass64, big = data == kElfDataMsb;
    // e_shoff, e_shentsize, e_shnum: offsets 0x28/0x3a/0x3c (64-bit), 0x20/0x2e/0x30 (32-bit).
    const size_t need = is64 ? 64 : 52;
    if (head.size() < need || fileSize < need)
        return Error(named(name) + " is a corrupt AppImage: its ELF header is cut short", ENOEXEC);
    const uint64_t shoff = is64 ? readUint(head, 0x28, 8, big) : readUint(head, 0x20, 4, big);
    const uint64_t shentsize = readUint(head, is64 ? 0x3a : 0x2e, 2, big);
    const uint64_t shnum = readUint(head, is64 ? 0x3c : 0x30, 2, big);
    if (shoff == 0 || shnum == 0 || shentsize == 0)
        return Error(named(name) +
                         " is not an AppImage: its ELF header has no section headers, so no "
                         "payload follows them",
                     ENOEXEC);
    // shentsize and shnum are 16-bit: their product fits easily; the sum may not.
    const uint64_t table = shentsize * shnum;
    if (shoff > UINT64_MAX - table)
        return Error(named(name) + " is a corrupt AppImage: its section header offset overflows",
                     ENOEXEC);
    const uint64_t offset = shoff + table;
    if (offset > fileSize)
        return Error(named(name) + " is a corrupt AppImage: its ELF section headers end at " +
                         std::to_string(offset) + ", past the end of the file (" +
                         std::to_string(fileSize) + " bytes)",
                     ENOEXEC);
    if (fileSize - offset < 4)
        return Error(named(name) + " is not an AppImage: no payload follows its ELF section " +
                         "headers (offset " + std::to_string(offset) + ", file size " +
                         std::to_string(fileSize) + ")",
                     ENOEXEC);
    return offset;
}

Status checkSquashfsMagic(std::string_view atOffset, uint64_t offset, const std::string& name) {
    if (atOffset.size() >= 4 && atOffset.substr(0, 4) == "hsqs") return Ok();
    return Error(named(name) + " is not a type 2 AppImage: no squashfs image at offset " +
                     std::to_string(offset) + " (the end of its ELF section headers)",
                 ENOEXEC);
}

Result<std::optional<AppImageFile>> readAppImage(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd.valid()) return std::optional<AppImageFile>();
    struct stat st;
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::optional<AppImageFile>();
    char buf[64] = {};
    ssize_t n = ::pread(fd.get(), buf, sizeof buf, 0);
    if (n < 0) return Error::fromErrno("read " + quote(path));
    std::string_view head(buf, static_cast<size_t>(n));
    if (!looksLikeAppImage(head, path)) return std::optional<AppImageFile>();
    const auto size = static_cast<uint64_t>(st.st_size);
    LB_ASSIGN(uint64_t offset, planAppImagePayload(head, size, path));
    char magic[4] = {};
    ssize_t m = ::pread(fd.get(), magic, sizeof magic, static_cast<off_t>(offset));
    if (m < 0) return Error::fromErrno("read " + quote(path));
    LB_TRY(checkSquashfsMagic(std::string_view(magic, static_cast<size_t>(m)), offset, path));
    AppImageFile f;
    f.path = path;
    f.offset = offset;
    f.dev = static_cast<uint64_t>(st.st_dev);
    f.ino = static_cast<uint64_t>(st.st_ino);
    return std::optional<AppImageFile>(f);
}

void planAppImageRun(std::vector<std::string>& argv, std::vector<std::string>& env,
                     const std::string& image, const std::string& owd) {
    const std::string argv0 = argv.empty() ? image : argv[0];
    if (argv.empty())
        argv.push_back(std::string(kAppImageDir) + "/AppRun");
    else
        argv[0] = std::string(kAppImageDir) + "/AppRun";
    auto set = [&](const std::string& name, const std::string& value) {
        for (auto& kv : env)
            if (startsWith(kv, name + "=")) {
                kv = name + "=" + value;
                return;
            }
        env.push_back(name + "=" + value);
    };
    set("APPIMAGE", image);
    set("APPDIR", kAppImageDir);
    set("ARGV0", argv0);
    set("OWD", owd);
}

}  // namespace lb
