// Does the program draw windows, and does the profile give it somewhere to draw them? A graphical
// program in a profile with no display only says "cannot open display" from inside, which reads
// like a broken program; the runner says why before it starts, and what to do.
#pragma once

#include <string>
#include <vector>

namespace lb {

struct Profile;

// Pure: the library among `needed` (an ELF's DT_NEEDED names) that draws windows (X11, XCB,
// Wayland, GTK, Qt GUI, SDL, ...), or "" when none does.
std::string windowingLibrary(const std::vector<std::string>& needed);

// Pure: the warning for `program`, which links `library`, in profile `p`, or "" when the profile
// gives it a display (X11 or Wayland) or `library` is empty.
std::string noDisplayWarning(const Profile& p, const std::string& program,
                             const std::string& library);

// The same for the program as the launch will run it: `program` given by a path, or found in
// PATH; its libraries are read from its file on the host (a script, or anything unreadable,
// gives no warning: this only helps, it decides nothing).
std::string checkProgramDisplay(const Profile& p, const std::string& program);

}  // namespace lb
