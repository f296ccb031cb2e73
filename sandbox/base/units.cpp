#include "base/units.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <regex>

namespace lb {

std::optional<uint64_t> parseSize(std::string_view s) {
    static const std::regex re("([0-9]+)(\\.[0-9]+)?([KMGT])?");
    std::string str(s);
    std::smatch m;
    if (!std::regex_match(str, m, re)) return std::nullopt;
    if (m[1].length() > 15) return std::nullopt;
    long double v = std::stold(m[1].str() + (m[2].matched ? m[2].str() : ""));
    int shift = 0;
    if (m[3].matched) shift = 10 * (1 + std::string("KMGT").find(m[3].str()[0]));
    if (m[2].matched && !m[3].matched) return std::nullopt;  // "1.5" bytes makes no sense
    // A multiplication, not std::ldexp: exact all the same (a power of two), and the `layerbox`
    // executable needs no libm at all (issue 25: one library fewer to load at each start).
    long double bytes = v * static_cast<long double>(uint64_t{1} << shift);
    if (bytes > 1.8e19L) return std::nullopt;
    return static_cast<uint64_t>(bytes);
}

std::string formatSize(uint64_t bytes) {
    const char* units[] = {"B", "K", "M", "G", "T"};
    int u = 0;
    long double v = static_cast<long double>(bytes);
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    // Rounded by hand rather than with std::round (libm, see parseSize); 0 <= v < 1024 here.
    const long double nearest = static_cast<long double>(static_cast<uint64_t>(v + 0.5L));
    if (u == 0 || v >= 100 || std::fabs(v - nearest) < 0.05)
        std::snprintf(buf, sizeof buf, "%.0Lf%s", v, units[u]);
    else
        std::snprintf(buf, sizeof buf, "%.1Lf%s", v, units[u]);
    return buf;
}

std::string isoTime(int64_t t) {
    time_t tt = static_cast<time_t>(t);
    struct tm tm;
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace lb
