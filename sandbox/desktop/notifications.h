// Desktop notifications with actions (org.freedesktop.Notifications on the user's session bus),
// sent by the runner, outside the sandbox: the program inside has no way to reach them, forge
// them or answer them. libsystemd's sd-bus is loaded on first use (as resources/scope does);
// calls are asynchronous, so a missing or slow notification daemon never stalls the runner.
#pragma once

#include <sys/poll.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"

namespace lb {

class Notifier {
public:
    // (notification's key, action key) when the user clicks an action.
    using ActionHandler = std::function<void(const std::string& key, const std::string& action)>;

    // Connects to the session bus and subscribes to ActionInvoked; fails without a bus.
    static Result<std::unique_ptr<Notifier>> open(ActionHandler onAction);
    ~Notifier();

    // Called with its key when a notification of ours is closed (NotificationClosed: expired,
    // dismissed, or closed after an action) or could not be shown (no daemon answered).
    void setClosedHandler(std::function<void(const std::string& key)> onClosed) {
        onClosed_ = std::move(onClosed);
    }

    // `actions`: (key, label) pairs. `key` identifies the notification in the handler.
    void notify(const std::string& key, const std::string& summary, const std::string& body,
                const std::vector<std::pair<std::string, std::string>>& actions,
                const std::string& icon = "folder-download");
    // CloseNotification for the notification of `key` (when it was shown).
    void close(const std::string& key);
    // Keeps the unique name owning `name` on the session bus for owner(): asked once, then
    // followed (NameOwnerChanged for that name only); both asynchronous, so a flood of callers
    // of owner() costs the bus nothing.
    void followOwner(const std::string& name);
    // Its owner as last seen, empty when none (or not known yet).
    std::string owner(const std::string& name) const {
        auto it = owners_.find(name);
        return it == owners_.end() ? std::string() : it->second;
    }
    // Internal (sd-bus callbacks).
    void ownerIs(const std::string& name, const std::string& owner) { owners_[name] = owner; }

    // org.freedesktop.FileManager1.ShowItems: a file manager shows `uris` in their folder.
    void showItems(const std::vector<std::string>& uris);

    void addTo(std::vector<struct pollfd>& pfd);
    void handle(const std::vector<struct pollfd>& pfd);
    // Milliseconds until sd-bus needs to run (a call's timeout), -1 for none.
    int timeoutMs() const;

    // Notifications of ours that can still be acted on. A daemon that goes away, restarts or
    // never sends NotificationClosed leaves ids here: beyond this many, the oldest is
    // forgotten (as if closed: the closed handler runs, an action on it is ignored).
    static constexpr size_t kMaxTracked = 128;
    size_t tracked() const { return ids_.size(); }

    // Internal (sd-bus callbacks).
    void gotId(uint32_t id, const std::string& key);
    // Was `id` one of our last kMaxIssued notifications? (A daemon keeps far fewer on screen:
    // an older id of ours is long closed, and "replacing" it shows a new notification.)
    bool issued(uint32_t id) const { return issued_.count(id) > 0; }
    static constexpr size_t kMaxIssued = 4096;
    // The contexts of calls not answered yet, of every Notifier (none outlives its Notifier).
    static size_t callsInFlight();
    void invoked(uint32_t id, const std::string& action);
    void closedById(uint32_t id);
    void failed(const std::string& key);

private:
    Notifier() = default;
    void process();
    struct Impl;
    std::unique_ptr<Impl> d_;
    ActionHandler onAction_;
    std::function<void(const std::string&)> onClosed_;
    struct Tracked {
        std::string key;
        uint64_t order;  // when we got it (ids are the daemon's: a restarted one starts again)
    };
    std::map<uint32_t, Tracked> ids_;  // notification id -> key
    uint64_t nextOrder_ = 0;
    std::set<uint32_t> issued_;  // the ids the daemon gave us, the last kMaxIssued
    std::deque<uint32_t> issuedOrder_;
    std::map<std::string, std::string> owners_;  // followed names -> unique name
    size_t pfdIndex_ = SIZE_MAX;
};

}  // namespace lb
