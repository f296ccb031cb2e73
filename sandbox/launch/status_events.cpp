#include "launch/status_events.h"

#include "base/fsutil.h"
#include "base/jsonw.h"
#include "launch/outcome.h"
#include "layers/recover_watch.h"

namespace lb {

void StatusEvents::write(const std::string& json) const {
    if (fd_ < 0) return;
    // A reader that went away must not take the sandbox down with it: ignore write errors.
    (void)writeAll(fd_, json + "\n", "status fd");
}

void StatusEvents::started(const StartedEvent& e) const {
    if (!enabled()) return;
    JsonWriter w;
    w.beginObject()
        .field("event", "started")
        .field("instance", e.instance)
        .field("profile", e.profile)
        .field("pid", e.pid);
    if (e.joined) w.field("joined", true);
    w.field("driver", e.driver);
    if (e.ephemeral) w.field("ephemeral", *e.ephemeral);
    w.field("network", e.network);
    if (!e.hostname.empty()) w.field("hostname", e.hostname);
    if (!e.x11.empty()) w.field("x11", e.x11);
    if (!e.namespaces.empty()) w.key("namespaces").strings(e.namespaces);
    if (!e.command.empty()) w.key("command").strings(e.command);
    if (e.scope.empty())
        w.key("scope").null();
    else
        w.field("scope", e.scope);
    if (e.limits) {
        w.key("limits").beginObject().key("enforced").strings(e.limits->enforced);
        w.key("recorded").strings(e.limits->recorded).endObject();
    }
    w.endObject();
    write(w.str());
}

void StatusEvents::warning(std::string_view message) const {
    if (!enabled()) return;
    JsonWriter w;
    w.beginObject().field("event", "warning").field("message", message).endObject();
    write(w.str());
}

void StatusEvents::helperLost(std::string_view event, std::string_view instance,
                              std::string_view message, std::string_view log) const {
    if (!enabled()) return;
    JsonWriter w;
    w.beginObject().field("event", event).field("instance", instance);
    w.field("message", message).field("log", log).endObject();
    write(w.str());
}

namespace {

std::string newFileJson(std::string_view instance, const RecoverableFile& f,
                        std::string_view recoverCommand) {
    JsonWriter w;
    w.beginObject().field("event", "new-file").field("instance", instance);
    w.field("path", f.path).field("size", f.size).field("recover", recoverCommand).endObject();
    return w.str();
}

}  // namespace

void StatusEvents::newFile(std::string_view instance, const RecoverableFile& f,
                           std::string_view recoverCommand) const {
    if (!enabled()) return;
    write(newFileJson(instance, f, recoverCommand));
}

void StatusEvents::newFiles(
    std::string_view instance, const std::vector<RecoverableFile>& files,
    const std::function<std::string(const RecoverableFile&)>& recoverCommand) const {
    if (!enabled()) return;
    std::string lines;
    for (const auto& f : files) {
        if (!lines.empty()) lines += '\n';
        lines += newFileJson(instance, f, recoverCommand(f));
        if (lines.size() >= 65536) {
            write(lines);
            lines.clear();
        }
    }
    if (!lines.empty()) write(lines);
}

void StatusEvents::fileRecovered(std::string_view instance, std::string_view path,
                                 std::string_view to, bool automatic) const {
    if (!enabled()) return;
    JsonWriter w;
    w.beginObject().field("event", "file-recovered").field("instance", instance);
    w.field("path", path).field("to", to).field("automatic", automatic).endObject();
    write(w.str());
}

void StatusEvents::recoverable(bool ephemeral, const std::vector<RecoverableFile>& files) const {
    if (!enabled()) return;
    JsonWriter w;
    w.beginObject().field("event", "recoverable").field("ephemeral", ephemeral).key("files");
    w.beginArray();
    for (const auto& f : files)
        w.beginObject().field("path", f.path).field("size", f.size).endObject();
    w.endArray().endObject();
    write(w.str());
}

void StatusEvents::exited(std::string_view instance, const Outcome& o) const {
    if (!enabled()) return;
    JsonWriter w;
    w.beginObject().field("event", "exited");
    if (!instance.empty()) w.field("instance", instance);
    w.field("status", o.status);
    if (o.exitCode) w.field("exit_code", *o.exitCode);
    if (o.signal) w.field("signal", *o.signal);
    if (!o.error.empty()) w.field("error", o.error);
    if (!o.reason.empty()) w.field("reason", o.reason);
    w.endObject();
    write(w.str());
}

}  // namespace lb
