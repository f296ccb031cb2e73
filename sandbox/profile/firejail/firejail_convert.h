// From Firejail's directives (firejail_reader.h) to a Layerbox profile and a report. Each
// directive is "mapped" (Layerbox does the same), "stricter" (Layerbox gives the program less:
// its private home, no capability at all...) or "not-mapped" (Layerbox cannot say it; the
// report says why, and whether the result is weaker). What Firejail allows by default and
// Layerbox does not unless asked (the network, the display, sound) is reported too, as
// "(default)" lines. The conversion follows fs.c's order rules: a noblacklist cancels only the
// blacklists after it, a nowhitelist only the whitelists after it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "profile/firejail/firejail_reader.h"

namespace lb::firejail {

enum class Outcome { Mapped, Stricter, NotMapped, Skipped };
const char* outcomeName(Outcome o);  // mapped | stricter | not-mapped | skipped

struct ReportItem {
    std::string directive;  // the first word ("blacklist"), "(default) network" for defaults
    std::string text;       // the whole line
    std::string file;
    int line = 0;
    Outcome outcome = Outcome::Mapped;
    std::string why;  // what it became, or why not
};

struct Conversion {
    std::string name;         // the Layerbox profile's name
    std::string profileJson;  // the profile, pretty-printed
    std::vector<ReportItem> report;
    // What the profile ends up with, for tests and the summary.
    std::vector<std::string> hidden;  // filesystem.hide
    std::vector<std::string> binds;   // "HOST SANDBOX ro|rw"
};

struct ConvertOptions {
    std::string name;          // the Layerbox profile's name
    std::string programName;   // the Firejail profile's name: the command, and the title
    std::string desktopEntry;  // the application's menu entry ("vlc.desktop"), or none
};

// Pure but for globs: a blacklisted pattern is expanded against this machine's files, as
// Firejail does at each start (the report says so).
Result<Conversion> convert(const ReadResult& read, const Environment& env,
                           const ConvertOptions& options);

// The report as text (one line per directive) and as JSON (docs/cli-json.md).
std::string reportText(const Conversion& c);
std::string reportJson(const Conversion& c, const std::string& path, bool saved);

}  // namespace lb::firejail
