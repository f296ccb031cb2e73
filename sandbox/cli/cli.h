// A small, dependency-free command-line framework: nested commands, long/short options,
// generated help, and one-line usage errors with exit status 2.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"

namespace lb::cli {

inline constexpr int kExitUsage = 2;

struct Option {
    std::string name;       // long name without dashes: "json"
    char shortName = 0;     // 'j' or 0
    std::string valueName;  // empty: a flag; otherwise the option takes a value
    std::string help;
    bool repeatable = false;
};

struct Args {
    std::map<std::string, std::vector<std::string>> options;
    std::vector<std::string> positional;
    std::vector<std::string> rest;  // everything after "--"
    bool hasRest = false;
    std::string commandPath;  // "layerbox profile show"

    bool has(const std::string& name) const { return options.count(name) > 0; }
    std::string get(const std::string& name, const std::string& fallback = {}) const;
    const std::vector<std::string>& all(const std::string& name) const;
};

struct Command {
    std::string name;
    std::string synopsis;  // arguments part of the usage line: "NAME [--json]"
    std::string summary;   // one line for listings
    std::string details;   // paragraphs shown by --help
    std::vector<Option> options;
    int minPositional = 0;
    int maxPositional = 0;  // -1: unlimited
    bool acceptsRest = false;
    std::function<int(const Args&)> run;
    std::vector<Command> subcommands;
};

// Parse argv against the command tree and run the selected command.
int dispatch(const Command& root, int argc, char** argv);

// "layerbox: error: <message>" on stderr; returns `status`.
// "2026-12-06 14:03" in local time, for listings; "-" when it cannot be formatted.
std::string localTime(int64_t unixSeconds);

int fail(const Error& e, int status = 1);
int fail(const std::string& message, int status = 1);
// A usage error for the given command path: one line, exit status 2.
int usageError(const std::string& commandPath, const std::string& message);

// Every command and option, for `layerbox --help-all` and the man page test.
std::string helpAll(const Command& root);

}  // namespace lb::cli
