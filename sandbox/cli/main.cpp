// layerbox: the command-line interface and the sandbox runner. Qt-free.
#include <string_view>

#include "cli/commands.h"

int main(int argc, char** argv) {
    // No setlocale(): the runner's messages are English, its JSON output must not follow
    // LC_NUMERIC (a decimal comma would break it), and loading the locale costs about half a
    // millisecond of every launch. Programs in the sandbox get the user's LANG/LC_* as usual.
    using namespace lb::cli;
    Command root;
    root.name = "layerbox";
    root.summary =
        "Run programs you do not fully trust in a rootless sandbox with copy-on-write "
        "layers, then see what they changed and keep only what you want.";
    root.subcommands = {runCommand()};
    // `layerbox run` (every sandbox's runner) needs only its own command: the others' tables
    // (options, help texts) were about a dozen pages of fresh heap, each a page fault, at each
    // launch (issue 25). It parses and helps the same way with only this one in the tree.
    if (argc > 1 && std::string_view(argv[1]) == "run") return dispatch(root, argc, argv);
    for (auto& c : instanceCommands())
        root.subcommands.push_back(std::move(c));
    for (auto& c : changeCommands())
        root.subcommands.push_back(std::move(c));
    root.subcommands.push_back(layerCommand());
    root.subcommands.push_back(profileCommand());
    root.subcommands.push_back(desktopCommand());
    root.subcommands.push_back(grantsCommand());
    root.subcommands.push_back(doctorCommand());
    return dispatch(root, argc, argv);
}
