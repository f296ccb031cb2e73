// Where things live, following the XDG base directory specification:
//   user profiles     $XDG_CONFIG_HOME/layerbox/profiles/NAME.json
//   built-in profiles <prefix>/share/layerbox/profiles (found next to the executable)
//   sandbox data      $XDG_DATA_HOME/layerbox/sandboxes/NAME/   (upper layer, work dir, lock)
//   committed layers  $XDG_DATA_HOME/layerbox/layers/NAME/
//   runtime state     $XDG_RUNTIME_DIR/layerbox/                (instances, sockets)
#pragma once

#include <string>

namespace lb {

struct Paths {
    std::string home;
    std::string configHome;
    std::string dataHome;
    std::string cacheHome;
    std::string stateHome;
    std::string runtimeDir;  // the user's runtime dir ($XDG_RUNTIME_DIR)
    std::string builtinProfileDir;

    std::string userProfileDir() const;
    std::string dataDir() const;
    std::string sandboxDir(const std::string& profile) const;
    std::string layersDir() const;
    std::string layerDir(const std::string& layer) const;
    std::string runtimeStateDir() const;  // $XDG_RUNTIME_DIR/layerbox
    std::string instancesDir() const;
    std::string logDir() const;  // $XDG_STATE_HOME/layerbox/logs

    // Read the environment (HOME, XDG_*; LAYERBOX_BUILTIN_DIR overrides where built-in
    // profiles are found, for tests and uninstalled trees).
    static Paths fromEnvironment();
};

// Directory holding the running executable (from /proc/self/exe).
std::string executableDir();

// Expand a leading "~" or "~/" against `home`.
std::string expandHome(const std::string& path, const std::string& home);

}  // namespace lb
