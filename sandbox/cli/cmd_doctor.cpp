// layerbox doctor
#include <cstdio>

#include "base/jsonw.h"
#include "base/paths.h"
#include "cli/commands.h"
#include "host/doctor.h"

namespace lb::cli {

Command doctorCommand() {
    Command c;
    c.name = "doctor";
    c.summary = "Check what this host can do for sandboxes, and how to fix what it cannot.";
    c.details = "Exit status 0 when nothing failed (warnings allowed), 1 otherwise.";
    c.options = {{"json", 0, "", "Machine-readable output (see docs/cli-json.md)."}};
    c.run = [](const Args& args) {
        auto checks = runDoctor(Paths::fromEnvironment());
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
            w.endArray().field("ok", ok).endObject();
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
