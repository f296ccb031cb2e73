// libFuzzer: the change scanner over upper layers a sandboxed program wrote. The input is a
// little program that builds an upper directory (files, directories, symlinks, 0:0 whiteouts,
// ".wh." markers, opaque xattrs, odd names), which is then scanned.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/fsutil.h"
#include "layers/changes.h"

namespace {

std::string makeTemp() {
    char tmpl[] = "/tmp/lbfuzz-XXXXXX";
    if (!::mkdtemp(tmpl)) std::abort();
    return tmpl;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string root = makeTemp();
    const std::string upper = root + "/upper", lower = root + "/lower";
    (void)lb::removeTree(upper);
    (void)lb::removeTree(lower);
    ::mkdir(upper.c_str(), 0755);
    ::mkdir((upper + "/usr").c_str(), 0755);
    ::mkdir(lower.c_str(), 0755);
    ::mkdir((lower + "/bin").c_str(), 0755);
    ::close(::open((lower + "/bin/ls").c_str(), O_CREAT | O_WRONLY, 0644));

    std::vector<std::string> stack = {upper + "/usr"};
    size_t i = 0;
    auto byte = [&]() -> uint8_t { return i < size ? data[i++] : 0; };
    for (int ops = 0; i < size && ops < 64; ++ops) {
        uint8_t op = byte() % 8;
        uint8_t len = byte() % 12;
        std::string name;
        for (uint8_t k = 0; k < len && i < size; ++k) {
            char c = static_cast<char>(byte());
            if (c == '/' || c == 0) c = '_';
            name += c;
        }
        if (name.empty() || name == "." || name == "..") name = "n" + std::to_string(ops);
        if (op % 3 == 0 && ops % 5 == 0) name = ".wh." + name;
        const std::string path = stack.back() + "/" + name;
        switch (op) {
            case 0:
                ::close(::open(path.c_str(), O_CREAT | O_WRONLY, 0644));
                break;
            case 1:
                if (::mkdir(path.c_str(), 0755) == 0 && stack.size() < 8) stack.push_back(path);
                break;
            case 2:
                if (stack.size() > 1) stack.pop_back();
                break;
            case 3:
                ::mknod(path.c_str(), S_IFCHR | 0600, makedev(0, 0));
                break;
            case 4:
                (void)!::symlink("/etc/passwd", path.c_str());
                break;
            case 5:
                ::setxattr(stack.back().c_str(), "user.overlay.opaque", "y", 1, 0);
                break;
            case 6:
                ::close(::open((stack.back() + "/.wh..wh..opq").c_str(), O_CREAT | O_WRONLY, 0644));
                break;
            case 7:
                ::setxattr(stack.back().c_str(), "user.fuseoverlayfs.opaque", "y", 1, 0);
                break;
        }
    }
    lb::ScanPlan plan;
    plan.upper = upper;
    plan.roots = {{"/usr", {{lower, ""}}}};
    auto changes = lb::scanChanges(plan, 1);
    if (changes.ok())
        for (const auto& c : *changes)
            if (c.path.empty() || c.path[0] != '/') std::abort();
    return 0;
}
