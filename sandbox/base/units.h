// Sizes and times as people write them in profiles and read them in output: "2G", "512M",
// "1.5G"; "2026-11-27T20:00:00Z".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lb {

// Parse "2G", "512M", "1.5G", "1048576" into bytes.
std::optional<uint64_t> parseSize(std::string_view s);
std::string formatSize(uint64_t bytes);

// Seconds since the epoch as "2026-11-27T20:00:00Z".
std::string isoTime(int64_t unixSeconds);

}  // namespace lb
