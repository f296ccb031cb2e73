#include "base/progress.h"

#include <unistd.h>

#include <cstdio>

#include "base/units.h"

namespace lb {

Progress::Progress(std::string verb) : Progress(std::move(verb), ::isatty(2) == 1) {}

Progress::Progress(std::string verb, bool enabled)
    : verb_(std::move(verb))
    , enabled_(enabled)
    , start_(std::chrono::steady_clock::now())
    , last_(start_) {}

Progress::~Progress() {
    finish();
}

void Progress::add(uint64_t files, uint64_t bytes) {
    files_ += files;
    bytes_ += bytes;
    if (!enabled_ && !(json_ && total_)) return;
    auto now = std::chrono::steady_clock::now();
    // Quiet for short operations; then a redraw every 200 ms.
    if (now - start_ < std::chrono::milliseconds(500) ||
        now - last_ < std::chrono::milliseconds(200))
        return;
    last_ = now;
    if (json_ && total_) {
        std::fprintf(json_, "{\"event\":\"progress\",\"done\":%llu,\"total\":%llu}\n",
                     static_cast<unsigned long long>(files_),
                     static_cast<unsigned long long>(total_));
        std::fflush(json_);
    }
    if (enabled_) draw();
}

void Progress::draw() {
    std::fprintf(stderr, "\rlayerbox: %s: %llu files, %s\033[K", verb_.c_str(),
                 static_cast<unsigned long long>(files_), formatSize(bytes_).c_str());
    std::fflush(stderr);
    shown_ = true;
}

void Progress::finish() {
    if (finished_) return;
    finished_ = true;
    if (!shown_) return;
    draw();
    std::fputc('\n', stderr);
}

}  // namespace lb
