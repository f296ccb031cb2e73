// Progress of long operations (copying a layer, recovering a folder, measuring disk use): one
// line on stderr, rewritten in place at most a few times a second, and only when stderr is a
// terminal, so scripts and the GUI reading our output never see it.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace lb {

class Progress {
public:
    // `verb` is shown as "layerbox: <verb>: 12 files, 3.4 MB". Enabled when stderr is a tty.
    explicit Progress(std::string verb);
    Progress(std::string verb, bool enabled);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // Machine-readable progress (for --json callers such as the GUI): lines of
    // {"event":"progress","done":FILES,"total":FILES} on `out`, once a total is known.
    void setJson(std::FILE* out) { json_ = out; }
    void setTotal(uint64_t files) { total_ = files; }

    void add(uint64_t files, uint64_t bytes);
    // Print the final count (when anything was shown) and end the line.
    void finish();

    uint64_t files() const { return files_; }
    uint64_t bytes() const { return bytes_; }

private:
    void draw();

    std::string verb_;
    bool enabled_ = false;
    bool shown_ = false;
    bool finished_ = false;
    uint64_t files_ = 0;
    uint64_t bytes_ = 0;
    uint64_t total_ = 0;
    std::FILE* json_ = nullptr;
    std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace lb
