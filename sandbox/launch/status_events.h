// Machine-readable events on `layerbox run --status-fd N`: one JSON object per line, the
// contract of docs/cli-json.md (the GUI reads them). Each event has one builder here.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resources/scope.h"

namespace lb {

struct Outcome;
struct RecoverableFile;

// {"event":"started",...}: the program runs (for a joined command: `joined` is true and only
// the fields a joined caller knows are set).
struct StartedEvent {
    std::string instance;
    std::string profile;
    int64_t pid = 0;  // the program, as the host sees it
    bool joined = false;
    std::string driver;
    std::optional<bool> ephemeral;
    std::string network;
    std::string hostname;
    std::string x11;  // off | host | isolated; empty for a joined command
    std::vector<std::string> namespaces;
    std::vector<std::string> command;
    std::string scope;  // empty: null (no scope)
    std::optional<LimitsReport> limits;
};

class StatusEvents {
public:
    explicit StatusEvents(int fd) : fd_(fd) {}
    bool enabled() const { return fd_ >= 0; }

    void started(const StartedEvent& e) const;
    void warning(std::string_view message) const;
    // A helper daemon of the sandbox died: "network-lost" (slirp4netns), "dbus-lost",
    // "x11-lost" (the nested X server).
    void helperLost(std::string_view event, std::string_view instance, std::string_view message,
                    std::string_view log) const;
    // Immediate recovery (launch/live_recover.h): a file finished in a watched folder while the
    // sandbox runs, with the command that recovers it; a file copied to the host.
    void newFile(std::string_view instance, const RecoverableFile& f,
                 std::string_view recoverCommand) const;
    // The same for many files, one event each, written 64 KiB at a time (a burst of thousands:
    // few system calls, little memory).
    void newFiles(std::string_view instance, const std::vector<RecoverableFile>& files,
                  const std::function<std::string(const RecoverableFile&)>& recoverCommand) const;
    void fileRecovered(std::string_view instance, std::string_view path, std::string_view to,
                       bool automatic) const;
    void recoverable(bool ephemeral, const std::vector<RecoverableFile>& files) const;
    // The last event: how it ended (launch.h's Outcome); `instance` empty when none was made.
    void exited(std::string_view instance, const Outcome& o) const;

private:
    void write(const std::string& json) const;
    int fd_;
};

}  // namespace lb
