#include "isolation/environment.h"

#include <unistd.h>

#include "profile/profile.h"

extern char** environ;

namespace lb {

static bool matches(const std::string& pattern, const std::string& name) {
    if (!pattern.empty() && pattern.back() == '*')
        return name.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
    return pattern == name;
}

std::vector<std::string> planEnvironment(const EnvironmentConfig& config,
                                         const std::vector<std::string>& callerEnv,
                                         const EnvContext& ctx) {
    std::map<std::string, std::string> env;
    for (const auto& kv : callerEnv) {
        auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) continue;
        std::string name = kv.substr(0, eq);
        for (const auto& pat : config.keep) {
            if (matches(pat, name)) {
                env[name] = kv.substr(eq + 1);
                break;
            }
        }
    }
    env["HOME"] = ctx.home;
    env["USER"] = ctx.user;
    env["LOGNAME"] = ctx.user;
    env["SHELL"] = ctx.shell.empty() ? "/bin/sh" : ctx.shell;
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
    env["XDG_RUNTIME_DIR"] = ctx.runtimeDir;
    // "container" is how systemd and others detect they run in a container.
    env["container"] = "layerbox";
    env["LAYERBOX_PROFILE"] = ctx.profile;
    env["LAYERBOX_INSTANCE"] = ctx.instance;
    for (const auto& [k, v] : ctx.extra)
        env[k] = v;
    for (const auto& [k, v] : config.set)
        env[k] = v;
    std::vector<std::string> out;
    out.reserve(env.size());
    for (const auto& [k, v] : env)
        out.push_back(k + "=" + v);
    return out;
}

std::vector<std::string> currentEnvironment() {
    std::vector<std::string> out;
    for (char** e = environ; e && *e; ++e)
        out.emplace_back(*e);
    return out;
}

}  // namespace lb
