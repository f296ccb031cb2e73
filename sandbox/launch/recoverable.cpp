#include "launch/recoverable.h"

#include <fcntl.h>

#include <cstdio>

#include "base/units.h"
#include "launch/channel.h"
#include "launch/launch_plan.h"
#include "launch/status_events.h"

namespace lb {

UniqueFd openEphemeralStorage(const LaunchPlan& plan, const std::string& storageRoot) {
    if (!plan.storage.ephemeral || plan.profile.filesystem.recoverWatch.empty()) return {};
    return UniqueFd(::open(storageRoot.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
}

void sendRecoverable(int channel, int storageFd, const LaunchPlan& plan) {
    if (storageFd < 0) return;
    UniqueFd upper(::openat(storageFd, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!upper.valid()) return;
    auto files = listRecoverable(
        upper.get(), planRecoverWatch(plan.profile.filesystem.recoverWatch, plan.mounts.home), 0);
    for (const auto& chunk : encodeRecoverable(files))
        (void)sendMessage(channel, Msg::Recoverable, chunk);
}

void reportRecoverable(const LaunchPlan& plan, const std::vector<RecoverableFile>& received,
                       int64_t sinceNs, const StatusEvents& events) {
    const auto& watch = plan.profile.filesystem.recoverWatch;
    if (watch.empty()) return;
    const bool ephemeral = plan.storage.ephemeral;
    std::vector<RecoverableFile> files = received;
    if (!ephemeral) {
        UniqueFd upper(::open(joinPath(plan.storage.dataDir, "upper").c_str(),
                              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!upper.valid()) return;
        files = listRecoverable(upper.get(), planRecoverWatch(watch, plan.mounts.home), sinceNs);
    }
    if (files.empty()) return;
    const std::string& name = plan.profile.name;
    if (files.size() <= 10) {
        for (const auto& f : files)
            std::fprintf(stderr, "layerbox: %s: %s (%s)\n",
                         ephemeral ? "not kept (ephemeral sandbox)" : "recoverable", f.path.c_str(),
                         formatSize(f.size).c_str());
    } else if (ephemeral) {
        std::fprintf(stderr,
                     "layerbox: %zu new files in the watched folders were not kept "
                     "(ephemeral sandbox)\n",
                     files.size());
    } else {
        std::fprintf(stderr,
                     "layerbox: %zu new files in the watched folders can be recovered "
                     "(layerbox diff %s; layerbox recover %s PATH...)\n",
                     files.size(), name.c_str(), name.c_str());
    }
    events.recoverable(ephemeral, files);
}

}  // namespace lb
