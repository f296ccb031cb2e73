// Machine-readable events on `--status-fd N`: one JSON object per line. The GUI reads them.
#pragma once

#include <string>

namespace lb {

class StatusEvents {
public:
    explicit StatusEvents(int fd) : fd_(fd) {}
    bool enabled() const { return fd_ >= 0; }
    // `json` is one serialised object; a newline is added.
    void emit(const std::string& json) const;

private:
    int fd_;
};

}  // namespace lb
