// layerbox doctor
#include <cstdio>

#include "base/fsutil.h"
#include "base/jsonw.h"
#include "base/paths.h"
#include "cli/commands.h"
#include "desktop/wayland_globals.h"
#include "host/doctor.h"
#include "network/network.h"
#include "profile/profile.h"

namespace lb::cli {

namespace {

// The facts the checks are made of, for programs (the GUI shows what its settings depend on).
void writeHost(JsonWriter& w, const HostFacts& f) {
    w.key("host").beginObject();
    w.field("kernel", f.kernelRelease).field("user_namespaces", f.usernsError == 0);
    w.field("landlock_abi", f.landlockAbi);
    w.key("storage")
        .beginObject()
        .field("driver", driverName(f.nativeOverlay ? Driver::Native : Driver::Fuse))
        .field("reason", f.nativeOverlay ? std::string() : f.nativeOverlayError)
        .field("fuse_overlayfs", !f.fuseOverlayfsVersion.empty())
        .field("dev_fuse", f.devFuse)
        .endObject();
    w.key("network")
        .beginObject()
        .field("slirp4netns", !f.slirp4netnsVersion.empty())
        .field("dev_net_tun", f.devNetTun)
        .field("firewall", f.firewallStep == 0);
    // What internet-only refuses here now (docs/cli-json.md).
    std::vector<std::string> ranges;
    for (const char* list : {kInternetOnlyRanges4, kInternetOnlyRanges6})
        for (const auto& r : split(list, ','))
            ranges.push_back(trim(r));
    w.key("internet_only").beginObject();
    w.key("ranges").strings(ranges);
    w.key("host").strings(f.hostNetworks);
    w.field("error", f.hostNetworksError);
    w.endObject().endObject();
    w.field("dbus_proxy", !f.dbusProxyVersion.empty());
    w.key("limits").beginObject().field("user_manager", f.userManager);
    std::vector<std::string> controllers(f.delegated.begin(), f.delegated.end());
    w.key("controllers").strings(controllers);
    w.field("hybrid_cgroups", f.hybridCgroups());
    w.key("fields").beginArray();
    for (const auto& l : hostLimits(f))
        w.beginObject()
            .field("key", l.key)
            .field("controller", l.controller)
            .field("enforced", l.enforced)
            .endObject();
    w.endArray().endObject();
    w.key("display")
        .beginObject()
        .field("x11", f.x11Answers)
        .field("xephyr", f.xephyr)
        .field("wayland", f.waylandAnswers)
        .field("wayland_security_context", waylandHasSecurityContext(f.waylandGlobals));
    w.key("wayland_globals").strings(f.waylandGlobals);
    w.key("wayland_reach").beginArray();
    for (const auto& r : waylandPrivileged(f.waylandGlobals))
        w.beginObject().field("global", r.global).field("what", r.what).endObject();
    w.endArray().endObject();
    w.key("audio")
        .beginObject()
        .field("pulseaudio", f.pulseaudio)
        .field("pipewire", f.pipewire)
        .endObject();
    w.key("gpu").strings(f.gpuDevices);
    w.endObject();
}

}  // namespace

Command doctorCommand() {
    Command c;
    c.name = "doctor";
    c.summary = "Check what this host can do for sandboxes, and how to fix what it cannot.";
    c.details = "Exit status 0 when nothing failed (warnings allowed), 1 otherwise.";
    c.options = {{"json", 0, "", "Machine-readable output (see docs/cli-json.md)."}};
    c.run = [](const Args& args) {
        const HostFacts facts = probeHost(Paths::fromEnvironment());
        const auto checks = checkHost(facts);
        bool ok = true;
        for (const auto& ch : checks)
            if (ch.status == "failure") ok = false;
        if (args.has("json")) {
            JsonWriter w;
            w.beginObject().key("checks").beginArray();
            for (const auto& ch : checks)
                w.beginObject()
                    .field("id", ch.id)
                    .field("status", ch.status)
                    .field("summary", ch.summary)
                    .field("fix", ch.fix)
                    .endObject();
            w.endArray().field("ok", ok);
            writeHost(w, facts);
            w.endObject();
            std::printf("%s\n", w.str().c_str());
        } else {
            for (const auto& ch : checks) {
                const char* mark = ch.status == "ok"        ? "ok  "
                                   : ch.status == "warning" ? "warn"
                                                            : "FAIL";
                std::printf("[%s] %-12s %s\n", mark, ch.id.c_str(), ch.summary.c_str());
                if (!ch.fix.empty()) std::printf("       %-12s fix: %s\n", "", ch.fix.c_str());
            }
        }
        return ok ? 0 : 1;
    };
    return c;
}

}  // namespace lb::cli
