// Reading a Firejail profile the way Firejail itself reads it (its profile.c; learnt from, not
// copied: Firejail is GPL-2.0): `include` searched in ~/.config/firejail then /etc/firejail, a
// missing `.local` skipped, `ignore` dropping later lines that start with its words,
// `whitelist-ro` split in two, `?CONDITION:` lines kept only when the condition holds at that
// point of the reading. The result is the ordered list of directives Firejail would act on;
// firejail_convert.h turns it into a Layerbox profile. No Firejail profile is shipped: they are
// read from the user's system at import time.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/error.h"

namespace lb::firejail {

// What of the running system the reading and the conversion depend on, gathered once
// (fromSystem) so that both stay pure and testable with made-up folders.
struct Environment {
    std::string home;       // the user's home, for ${HOME} and ~
    std::string userDir;    // ~/.config/firejail (searched first)
    std::string systemDir;  // /etc/firejail
    std::string runUser;    // /run/user/UID, for ${RUNUSER}
    // ${PATH}: the program folders, each once (a /bin that is a link to /usr/bin is left out,
    // as Firejail does)
    std::vector<std::string> pathDirs;
    // ${DOWNLOADS}, ${DOCUMENTS}...: the folder each names in ~/.config/user-dirs.dirs or, when
    // that has none, the first of Firejail's usual names that exists. Missing: the macro stays
    // unexpanded and a whitelist of it is skipped, as in Firejail.
    std::map<std::string, std::string> xdgDirs;  // "DOWNLOADS" -> "/home/u/Downloads"
    // firejail.config switches the conditionals read (browser-disable-u2f, browser-allow-drm,
    // allow-tray), with Firejail's defaults when the file does not set them.
    std::map<std::string, bool> config;

    static Environment fromSystem();
};

// One directive as Firejail adds it to its list: one space between words, no comment.
struct Line {
    std::string text;
    std::string file;  // the file it came from
    int line = 0;
};

struct ReadResult {
    std::string profileFile;                // the profile asked for
    std::vector<Line> lines;                // what Firejail acts on, in its order
    std::vector<Line> skipped;              // dropped by `ignore` or a condition that does not hold
    std::vector<std::string> files;         // every file read, in order
    std::vector<std::string> missingLocal;  // .local files looked for and not found
};

// The profile file a name resolves to: NAME.profile in the user's folder, else the system's;
// a value containing '/' is a file. Empty when there is none.
std::string findProfile(const Environment& env, const std::string& nameOrFile);
// The names of every installed profile (the system's and the user's), sorted.
std::vector<std::string> installedProfiles(const Environment& env);

// Included files read once and kept, for reading many profiles in one process (import --all,
// desktop setup): the shared .inc files are then parsed once, not once per profile. Only
// included files are kept (not the profiles asked for), with where an include name resolved;
// the files must not change while a cache is used (one import).
struct IncludeCache {
    struct File {
        Error error;  // when it could not be read (code() != 0 or a message)
        bool failed = false;
        std::vector<std::pair<int, std::string>> lines;  // line number, cleaned text
    };
    std::map<std::string, File> files;            // by path
    std::map<std::string, std::string> resolved;  // include name -> path
};

// Read a profile and everything it includes. Errors are one line naming the file and line,
// where Firejail would refuse the profile too (a missing include that is not a .local, an
// unknown condition, an include in a condition, includes nested too deep, $HOME).
// `cache`: shared .inc files parsed once across calls (IncludeCache); the result is the same.
Result<ReadResult> readProfile(const Environment& env, const std::string& nameOrFile,
                               IncludeCache* cache = nullptr);

// Expand a path macro at the start of `path` (${HOME}, ~, ${CFG}, ${RUNUSER}, ${DOWNLOADS}...)
// as Firejail does; ${PATH} is left to the caller (it names several folders). A macro that
// does not resolve stays as written.
std::string expandMacros(const Environment& env, const std::string& path);

}  // namespace lb::firejail
