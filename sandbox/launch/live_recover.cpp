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

std::string recoverCommand(const std::string& profile, const std::vector<std::string>& paths) {
    std::string out = "layerbox recover " + shellWord(profile);
    for (const auto& p : paths)
        out += " " + shellWord(p);
    return out;
}

namespace {

std::string parentOf(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// The deepest folder holding every path (one at least).
std::string commonFolder(const std::vector<std::string>& paths) {
    std::string folder = parentOf(paths.front());
    for (const auto& p : paths)
        while (folder != "/" && !isPathWithin(p, folder))
            folder = parentOf(folder);
    return folder;
}

std::vector<std::string> pathsOf(const std::vector<RecoverableFile>& files) {
    std::vector<std::string> out;
    for (const auto& f : files)
        out.push_back(f.path);
    return out;
}

// "a.pdf", "a.pdf and b.pdf", "a.pdf, b.pdf and c.pdf", "a.pdf, b.pdf and 3 more": names
// relative to `folder`.
std::string listNames(const std::vector<RecoverableFile>& files, const std::string& folder) {
    auto name = [&](size_t i) {
        const std::string& p = files[i].path;
        return folder == "/" ? p.substr(1) : p.substr(folder.size() + 1);
    };
    const size_t n = files.size();
    if (n == 1) return name(0);
    if (n <= 3) {
        std::string out = name(0);
        for (size_t i = 1; i + 1 < n; ++i)
            out += ", " + name(i);
        return out + " and " + name(n - 1);
    }
    return name(0) + ", " + name(1) + " and " + std::to_string(n - 2) + " more";
}

uint64_t totalSize(const std::vector<RecoverableFile>& files) {
    uint64_t total = 0;
    for (const auto& f : files)
        total += f.size;
    return total;
}

}  // namespace

std::string offerLine(const std::string& profile, const std::vector<RecoverableFile>& files,
                      const std::vector<std::string>& watched) {
    if (files.empty()) return "";
    if (files.size() == 1)
        return "new file " + files[0].path + " (" + formatSize(files[0].size) +
               "): " + recoverCommand(profile, files[0].path);
    const std::string folder = commonFolder(pathsOf(files));
    std::string line = std::to_string(files.size()) + " new files in " + folder + " (" +
                       formatSize(totalSize(files)) + "): " + listNames(files, folder) + ": ";
    if (files.size() <= 3) return line + recoverCommand(profile, pathsOf(files));
    // Too many to name: their folder. Recovering it copies every change below it, these files
    // and any earlier one not on the host yet (nothing is overwritten); only offered within a
    // watched folder, never for the home as a whole.
    bool inWatched = false;
    for (const auto& w : watched)
        inWatched = inWatched || isPathWithin(folder, w);
    const std::string diff = "layerbox diff " + shellWord(profile);
    if (!inWatched) return line + diff + " lists them";
    return line + diff + " " + shellWord(folder) + " lists them, " +
           recoverCommand(profile, folder) + " copies that folder";
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
    r->watched_ = planRecoverWatch(fs.recoverWatch, plan.mounts.home);
    auto w = LiveWatch::open(r->upper_, r->watched_, 300, sinceNs);
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
    if (n) {
        r->notifier_ = std::move(*n);
        r->notifier_->setClosedHandler(
            [self](const std::string& key) { self->offered_.erase(key); });
    }
    return r;
}

void LiveRecover::addTo(std::vector<struct pollfd>& pfd) {
    watchIdx_ = SIZE_MAX;
    if (LiveWatch::monotonicMs() >= nextDrainMs_) {
        watchIdx_ = pfd.size();
        pfd.push_back({watch_->fd(), POLLIN, 0});
    }
    if (notifier_) notifier_->addTo(pfd);
}

int LiveRecover::timeoutMs() const {
    const int64_t now = LiveWatch::monotonicMs();
    int a = watch_->timeoutMs(now);
    if (now < nextDrainMs_) {  // the watch's descriptor is left out of the poll until then
        const int pause = static_cast<int>(nextDrainMs_ - now);
        a = a < 0 ? pause : std::min(a, pause);
    }
    if (!burst_.empty()) {
        const int cap = static_cast<int>(std::max<int64_t>(0, burstStartMs_ + kBurstMaxMs - now));
        a = a < 0 ? cap : std::min(a, cap);
    }
    int b = notifier_ ? notifier_->timeoutMs() : -1;
    if (a < 0) return b;
    if (b < 0) return a;
    return std::min(a, b);
}

void LiveRecover::handle(const std::vector<struct pollfd>& pfd) {
    const int64_t now = LiveWatch::monotonicMs();
    if (watchIdx_ < pfd.size() && (pfd[watchIdx_].revents & POLLIN)) {
        watch_->drain(now);
        nextDrainMs_ = now + kDrainPauseMs;
    }
    for (auto& f : watch_->due(now)) {
        if (burst_.empty()) burstStartMs_ = now;
        burst_.push_back(std::move(f));
    }
    // The burst ends when nothing else is settling, or at its cap.
    if (!burst_.empty() && (watch_->idle() || now - burstStartMs_ >= kBurstMaxMs)) flush();
    if (notifier_) notifier_->handle(pfd);
}

void LiveRecover::finish() {
    watch_->drain(LiveWatch::monotonicMs());
    for (auto& f : watch_->due(std::numeric_limits<int64_t>::max()))
        burst_.push_back(std::move(f));
    std::vector<std::string> autos;
    for (const auto& f : burst_)
        if (automatic(f.path)) autos.push_back(f.path);
    burst_.clear();
    if (!autos.empty()) recoverNow(autos, true);
}

bool LiveRecover::automatic(const std::string& path) const {
    for (const auto& a : auto_)
        if (isPathWithin(path, a)) return true;
    return false;
}

void LiveRecover::flush() {
    std::vector<std::string> autos;
    std::vector<RecoverableFile> offers;
    for (auto& f : burst_) {
        if (automatic(f.path))
            autos.push_back(f.path);
        else
            offers.push_back(std::move(f));
    }
    burst_.clear();
    if (!autos.empty()) recoverNow(autos, true);
    if (!offers.empty()) offer(std::move(offers));
}

void LiveRecover::offer(std::vector<RecoverableFile> files) {
    std::sort(files.begin(), files.end(),
              [](const RecoverableFile& a, const RecoverableFile& b) { return a.path < b.path; });
    // One event per file (the GUI's Changes view lists each), written in few writes.
    events_.newFiles(plan_.instance, files, [&](const RecoverableFile& f) {
        return recoverCommand(plan_.profile.name, f.path);
    });
    std::fprintf(stderr, "layerbox: %s\n",
                 safeLine(offerLine(plan_.profile.name, files, watched_)).c_str());
    if (!notifier_) return;
    const std::string key = "burst-" + std::to_string(++bursts_);
    const std::string summary =
        files.size() == 1
            ? "New file in sandbox " + plan_.profile.name
            : std::to_string(files.size()) + " new files in sandbox " + plan_.profile.name;
    const std::string body = (files.size() == 1 ? baseName(files[0].path)
                                                : listNames(files, commonFolder(pathsOf(files)))) +
                             " (" + formatSize(totalSize(files)) + ")";
    offered_[key] = pathsOf(files);
    notifier_->notify(key, summary, body, {{"recover", "Recover"}, {"show", "Show"}});
}

void LiveRecover::action(const std::string& key, const std::string& act) {
    auto it = offered_.find(key);
    if (it == offered_.end()) return;
    const std::vector<std::string> paths = it->second;  // recoverNow may end in a closed handler
    if (act == "recover" || act == "default") {
        recoverNow(paths, false);
    } else if (act == "show") {
        // The files as the sandbox wrote them, in a host file manager: only their folder is
        // shown, nothing is opened. A few are enough to find the folder.
        std::vector<std::string> uris;
        for (size_t i = 0; i < paths.size() && i < 16; ++i)
            uris.push_back(fileUri(joinPath(upper_, paths[i].substr(1))));
        if (notifier_) notifier_->showItems(uris);
    }
}

// The copy is layers/recover's: the source is opened below the upper layer without following
// links, destination folders below the real home one component at a time without following
// links, and the file is written to a temporary name and renamed into place with
// RENAME_NOREPLACE, so an existing file (even one appearing meanwhile) is never replaced. Each
// file of a burst is its own item: one that became a link since it was offered is skipped, the
// others are copied.
void LiveRecover::recoverNow(const std::vector<std::string>& paths, bool automatic) {
    const std::string& home = plan_.mounts.home;
    auto items = planRecover(paths, home, "");
    // Keep both: a file in the way stays; the copy takes "name (1).ext", found in the opened
    // destination folder (layers/recover.h), not by a path looked up beforehand.
    const WhiteoutRule rule = whiteoutRule(planScan(plan_.profile, HostInfo::probe(), plan_.paths));
    auto report = applyRecover(upper_, items, OnExisting::KeepBoth, rule);
    uint64_t bytes = 0;
    for (const auto& c : report.copied) {
        events_.fileRecovered(plan_.instance, c.from, c.to, automatic);
        bytes += c.size;
    }
    const char* how = automatic ? " (recover_auto)" : "";
    // A few files: a line each (exactly the one-file line); a burst of many: one line.
    if (report.copied.size() <= 3) {
        for (const auto& c : report.copied)
            std::fprintf(stderr, "layerbox: recovered %s to %s%s\n", safeLine(c.from).c_str(),
                         safeLine(c.to).c_str(), how);
    } else {
        std::vector<std::string> to;
        for (const auto& c : report.copied)
            to.push_back(c.to);
        std::fprintf(stderr, "layerbox: recovered %zu files (%s) to %s%s\n", report.copied.size(),
                     formatSize(bytes).c_str(), safeLine(commonFolder(to)).c_str(), how);
    }
    if (report.skipped.size() <= 3) {
        for (const auto& s : report.skipped)
            warn_("cannot recover " + s.path + ": " + s.reason);
    } else {
        warn_("cannot recover " + std::to_string(report.skipped.size()) + " files, " +
              report.skipped[0].path + " and others: " + report.skipped[0].reason);
    }
    if (report.copied.empty() && report.skipped.empty())
        warn_("cannot recover " + paths.front() + ": nothing copied");
}

}  // namespace lb
