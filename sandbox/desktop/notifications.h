// Desktop notifications with actions (org.freedesktop.Notifications on the user's session bus),
// sent by the runner, outside the sandbox: the program inside has no way to reach them, forge
// them or answer them. libsystemd's sd-bus is loaded on first use (as resources/scope does);
// calls are asynchronous, so a missing or slow notification daemon never stalls the runner.
#pragma once

#include <sys/poll.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
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

    // `actions`: (key, label) pairs. `key` identifies the notification in the handler.
    void notify(const std::string& key, const std::string& summary, const std::string& body,
                const std::vector<std::pair<std::string, std::string>>& actions);

    // org.freedesktop.FileManager1.ShowItems: a file manager shows `uri` in its folder.
    void showItem(const std::string& uri);

    void addTo(std::vector<struct pollfd>& pfd);
    void handle(const std::vector<struct pollfd>& pfd);
    // Milliseconds until sd-bus needs to run (a call's timeout), -1 for none.
    int timeoutMs() const;

    // Internal (sd-bus callbacks).
    void gotId(uint32_t id, const std::string& key) { ids_[id] = key; }
    void invoked(uint32_t id, const std::string& action);

private:
    Notifier() = default;
    void process();
    struct Impl;
    std::unique_ptr<Impl> d_;
    ActionHandler onAction_;
    std::map<uint32_t, std::string> ids_;  // notification id -> key
    size_t pfdIndex_ = SIZE_MAX;
};

}  // namespace lb
