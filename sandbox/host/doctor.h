// `layerbox doctor`: what this host can do for sandboxes, each check ok / warning / failure
// with the one-line fix. Launch failures caused by one of these point here.
#pragma once

#include <string>
#include <vector>

namespace lb {

struct Paths;

struct Check {
    std::string id;       // stable key: "userns", "overlay", ...
    std::string status;   // "ok", "warning", "failure"
    std::string summary;  // what was found
    std::string fix;      // what to do about it (empty when ok)
};

std::vector<Check> runDoctor(const Paths& paths);

}  // namespace lb
