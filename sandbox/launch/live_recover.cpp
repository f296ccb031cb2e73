#include "launch/live_recover.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <limits>

#include "base/hostinfo.h"
#include "base/paths.h"
#include "base/units.h"
#include "launch/launch_plan.h"
#include "launch/status_events.h"
#include "layers/changes.h"
#include "layers/recover.h"

namespace lb {

namespace {

std::string shellWord(const std::string& s) {
    bool plain = !s.empty();
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) ||
              std::string_view("/._-+,:@%").find(c) != std::string_view::npos))
            plain = false;
    if (plain) return s;
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

}  // namespace

std::string recoverCommand(const std::string& profile, const std::string& path) {
    return "layerbox recover " + shellWord(profile) + " " + shellWord(path);
}

std::unique_ptr<LiveRecover> LiveRecover::start(const LaunchPlan& plan, const StatusEvents& events,
                                                std::function<void(const std::string&)> warn,
                                                int64_t sinceNs) {
    const auto& fs = plan.profile.filesystem;
    if (fs.recoverWatch.empty() || plan.storage.ephemeral || plan.storage.dataDir.empty())
        return nullptr;
    std::unique_ptr<LiveRecover> r(new LiveRecover(plan, events));
    r->warn_ = std::move(warn);
    r->upper_ = joinPath(plan.storage.dataDir, "upper");
    r->auto_ = planRecoverWatch(fs.recoverAuto, plan.mounts.home);
    auto w = LiveWatch::open(r->upper_, planRecoverWatch(fs.recoverWatch, plan.mounts.home), 300,
                             sinceNs);
    if (!w) {
        r->warn_("new files are listed at exit only: " + w.error().message());
        return nullptr;
    }
    r->watch_ = std::move(*w);
    // Without a session bus (or libsystemd) there are no notifications; the line and the
    // event still come.
    LiveRecover* self = r.get();
    auto n = Notifier::open(
        [self](const std::string& key, const std::string& act) { self->action(key, act); });
    if (n) r->notifier_ = std::move(*n);
    return r;
}

void LiveRecover::addTo(std::vector<struct pollfd>& pfd) {
    watchIdx_ = pfd.size();
    pfd.push_back({watch_->fd(), POLLIN, 0});
    if (notifier_) notifier_->addTo(pfd);
}

int LiveRecover::timeoutMs() const {
    int a = watch_->timeoutMs(LiveWatch::monotonicMs());
    int b = notifier_ ? notifier_->timeoutMs() : -1;
    if (a < 0) return b;
    if (b < 0) return a;
    return std::min(a, b);
}

void LiveRecover::handle(const std::vector<struct pollfd>& pfd) {
    const int64_t now = LiveWatch::monotonicMs();
    if (watchIdx_ < pfd.size() && (pfd[watchIdx_].revents & POLLIN)) watch_->drain(now);
    for (const auto& f : watch_->due(now))
        offer(f);
    if (notifier_) notifier_->handle(pfd);
}

void LiveRecover::finish() {
    watch_->drain(LiveWatch::monotonicMs());
    for (const auto& f : watch_->due(std::numeric_limits<int64_t>::max()))
        if (automatic(f.path)) recoverNow(f.path, true);
}

bool LiveRecover::automatic(const std::string& path) const {
    for (const auto& a : auto_)
        if (isPathWithin(path, a)) return true;
    return false;
}

void LiveRecover::offer(const RecoverableFile& f) {
    if (automatic(f.path)) {
        recoverNow(f.path, true);
        return;
    }
    const std::string cmd = recoverCommand(plan_.profile.name, f.path);
    std::fprintf(stderr, "layerbox: new file %s (%s): %s\n", safeLine(f.path).c_str(),
                 formatSize(f.size).c_str(), safeLine(cmd).c_str());
    events_.newFile(plan_.instance, f, cmd);
    if (notifier_)
        notifier_->notify(f.path, "New file in sandbox " + plan_.profile.name,
                          baseName(f.path) + " (" + formatSize(f.size) + ")",
                          {{"recover", "Recover"}, {"show", "Show"}});
}

void LiveRecover::action(const std::string& path, const std::string& act) {
    if (act == "recover" || act == "default") {
        recoverNow(path, false);
    } else if (act == "show") {
        // The file as the sandbox wrote it, in a host file manager: only its folder is shown,
        // nothing is opened.
        if (notifier_) notifier_->showItem("file://" + joinPath(upper_, path.substr(1)));
    }
}

// The copy is layers/recover's: the source is opened below the upper layer without following
// links, destination folders below the real home one component at a time without following
// links, and the file is written to a temporary name and renamed into place with
// RENAME_NOREPLACE, so an existing file (even one appearing meanwhile) is never replaced.
void LiveRecover::recoverNow(const std::string& path, bool automatic) {
    const std::string& home = plan_.mounts.home;
    auto items = planRecover({path}, home, "");
    if (items.size() != 1 || !items[0].skip.empty()) {
        warn_("cannot recover " + path + ": " + (items.empty() ? "refused" : items[0].skip));
        return;
    }
    // Keep both: a file in the way stays; the copy takes "name (1).ext", found in the opened
    // destination folder (layers/recover.h), not by a path looked up beforehand.
    const WhiteoutRule rule = whiteoutRule(planScan(plan_.profile, HostInfo::probe(), plan_.paths));
    auto report = applyRecover(upper_, items, OnExisting::KeepBoth, rule);
    if (report.copied.empty()) {
        warn_("cannot recover " + path + ": " +
              (report.skipped.empty() ? "nothing copied" : report.skipped[0].reason));
        return;
    }
    const std::string to = report.copied[0].to;
    std::fprintf(stderr, "layerbox: recovered %s to %s%s\n", safeLine(path).c_str(),
                 safeLine(to).c_str(), automatic ? " (recover_auto)" : "");
    events_.fileRecovered(plan_.instance, path, to, automatic);
}

}  // namespace lb
