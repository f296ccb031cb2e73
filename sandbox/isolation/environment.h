// The program's environment is built from scratch: the profile's "keep" patterns pick what
// passes from the caller, then Layerbox's own variables, then the profile's "set" values. The
// rest (SSH_AUTH_SOCK, DBUS_SESSION_BUS_ADDRESS, tokens in the caller's environment) is
// dropped, since each is a capability the sandbox was not granted.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace lb {

struct EnvironmentConfig;

struct EnvContext {
    std::string home;
    std::string user;
    std::string shell;
    std::string runtimeDir;  // inside the sandbox
    std::string profile;
    std::string instance;
    std::map<std::string, std::string> extra;  // set by other concerns (DISPLAY, ...)
};

// Sorted "NAME=value" strings.
std::vector<std::string> planEnvironment(const EnvironmentConfig& config,
                                         const std::vector<std::string>& callerEnv,
                                         const EnvContext& ctx);

// The caller's environment as "NAME=value" strings.
std::vector<std::string> currentEnvironment();

}  // namespace lb
