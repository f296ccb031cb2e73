#include "base/hostinfo.h"

#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "base/fsutil.h"
#include "base/paths.h"

namespace lb {

HostInfo HostInfo::probe() {
    HostInfo h;
    h.uid = ::getuid();
    h.gid = ::getgid();
    if (struct passwd* pw = ::getpwuid(h.uid)) {
        h.user = pw->pw_name;
        h.shell = pw->pw_shell ? pw->pw_shell : "";
    }
    if (h.user.empty()) h.user = std::to_string(h.uid);
    h.home = Paths::fromEnvironment().home;
    if (DIR* d = ::opendir("/")) {
        while (auto* e = ::readdir(d)) {
            std::string name = e->d_name;
            if (name == "." || name == "..") continue;
            std::string path = "/" + name;
            struct stat st;
            if (::lstat(path.c_str(), &st) != 0) continue;
            if (S_ISLNK(st.st_mode)) {
                char buf[PATH_MAX];
                ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
                if (n > 0) h.rootSymlinks[name] = std::string(buf, static_cast<size_t>(n));
            } else if (S_ISDIR(st.st_mode)) {
                h.rootDirs.push_back(name);
            }
        }
        ::closedir(d);
    }
    // /proc/self/mountinfo: field 5 is the mount point.
    if (auto info = readFile("/proc/self/mountinfo")) {
        for (const auto& line : split(*info, '\n')) {
            auto f = split(line, ' ');
            if (f.size() < 5) continue;
            const std::string& mp = f[4];
            if (mp == "/") continue;
            auto top = mp.substr(
                1, mp.find('/', 1) == std::string::npos ? std::string::npos : mp.find('/', 1) - 1);
            h.dirsWithSubmounts.insert(top);
        }
    }
    struct utsname u;
    if (::uname(&u) == 0) h.kernelRelease = u.release;
    return h;
}

}  // namespace lb
