// One function per top-level verb; each lives in its own cmd_*.cpp.
#pragma once

#include <string>
#include <vector>

#include "cli/cli.h"

namespace lb {
class ProfileStore;
}

namespace lb::cli {

ProfileStore defaultStore();
// This binary, by its absolute path (menu entries run without the user's PATH).
std::string layerboxPath();

Command profileCommand();
Command runCommand();
Command doctorCommand();
std::vector<Command> instanceCommands();
std::vector<Command> changeCommands();
Command layerCommand();
Command desktopCommand();
Command grantsCommand();

}  // namespace lb::cli
