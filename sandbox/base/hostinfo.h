// Facts about the host that the plans depend on, gathered once by the runner. Plans take a
// HostInfo as input so they stay pure and can be unit-tested with a made-up host.
#pragma once

#include <sys/types.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace lb {

struct HostInfo {
    uid_t uid = 0;
    gid_t gid = 0;
    std::string user;   // login name
    std::string home;   // real home directory
    std::string shell;  // login shell
    // Top level of the host's root: directories and symlinks (name -> target).
    std::vector<std::string> rootDirs;
    std::map<std::string, std::string> rootSymlinks;
    // Top-level directories with other mounts somewhere beneath them (kernel overlayfs in a
    // user namespace refuses such a lower layer: its submounts are locked).
    std::set<std::string> dirsWithSubmounts;
    std::string kernelRelease;

    static HostInfo probe();
};

}  // namespace lb
