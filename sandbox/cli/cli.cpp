#include "cli/cli.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "base/fsutil.h"
#include "profile/profile.h"

namespace lb::cli {

std::string Args::get(const std::string& name, const std::string& fallback) const {
    auto it = options.find(name);
    return it == options.end() || it->second.empty() ? fallback : it->second.back();
}

const std::vector<std::string>& Args::all(const std::string& name) const {
    static const std::vector<std::string> none;
    auto it = options.find(name);
    return it == options.end() ? none : it->second;
}

int fail(const Error& e, int status) {
    return fail(e.message(), status);
}

int fail(const std::string& message, int status) {
    std::fflush(stdout);
    std::fprintf(stderr, "layerbox: error: %s\n", safeLine(message).c_str());
    return status;
}

int usageError(const std::string& commandPath, const std::string& message) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s: %s (see '%s --help')\n", commandPath.c_str(),
                 safeLine(message).c_str(), commandPath.c_str());
    return kExitUsage;
}

static std::string optionLabel(const Option& o) {
    std::string s = o.shortName ? std::string("-") + o.shortName + ", " : "    ";
    s += "--" + o.name;
    if (!o.valueName.empty()) s += " " + o.valueName;
    return s;
}

static std::string wrapText(const std::string& text, size_t indent, size_t width = 78) {
    std::string out, line;
    for (const auto& word : split(text, ' ')) {
        if (!line.empty() && line.size() + 1 + word.size() + indent > width) {
            out += std::string(indent, ' ') + line + "\n";
            line.clear();
        }
        line += (line.empty() ? "" : " ") + word;
    }
    if (!line.empty()) out += std::string(indent, ' ') + line + "\n";
    return out;
}

static void printHelp(const Command& c, const std::string& path) {
    std::string out = "Usage: " + path;
    if (!c.subcommands.empty()) out += " COMMAND";
    // A command's options are named in its usage line (a few spelled out, many as [OPTIONS]),
    // so the line alone tells a reader that there is more than the arguments.
    if (c.synopsis.find("[OPTIONS]") != std::string::npos) {
        // the synopsis says it already
    } else if (c.options.size() > 3) {
        out += " [OPTIONS]";
    } else {
        for (const auto& o : c.options)
            out += " [--" + o.name + (o.valueName.empty() ? "" : " " + o.valueName) + "]";
    }
    if (!c.synopsis.empty()) out += " " + c.synopsis;
    out += "\n\n";
    if (!c.summary.empty()) out += wrapText(c.summary, 0) + "\n";
    if (!c.details.empty()) {
        for (const auto& para : split(c.details, '\n'))
            out += para.empty() ? "\n" : wrapText(para, 0);
        out += "\n";
    }
    if (!c.subcommands.empty()) {
        out += "Commands:\n";
        for (const auto& s : c.subcommands) {
            std::string left = "  " + s.name;
            left.resize(std::max<size_t>(left.size() + 2, 16), ' ');
            out += left + s.summary + "\n";
        }
        out += "\n";
    }
    out += "Options:\n";
    std::vector<Option> opts = c.options;
    opts.push_back({"help", 'h', "", "Show this help and exit."});
    const bool isRoot = path.find(' ') == std::string::npos;
    if (isRoot) {
        opts.push_back({"version", 'V', "", "Print the version and exit (also -v)."});
        opts.push_back({"help-all", 0, "", "List every command with its options."});
    }
    for (const auto& o : opts) {
        std::string left = "  " + optionLabel(o);
        if (left.size() < 28) {
            left.resize(28, ' ');
            out += left + o.help + "\n";
        } else {
            out += left + "\n" + wrapText(o.help, 28);
        }
    }
    if (!c.subcommands.empty())
        out += "\nRun '" + path + " COMMAND --help'" +
               (isRoot ? " or '" + path + " help COMMAND'" : std::string()) +
               " for a command's options.\n";
    std::fputs(out.c_str(), stdout);
}

static void helpAllRec(const Command& c, const std::string& path, std::string& out) {
    out += path + (c.synopsis.empty() ? "" : " " + c.synopsis) + "\n";
    for (const auto& o : c.options)
        out += "  --" + o.name + "\n";
    for (const auto& s : c.subcommands)
        helpAllRec(s, path + " " + s.name, out);
}

std::string helpAll(const Command& root) {
    std::string out;
    helpAllRec(root, root.name, out);
    return out;
}

// "unknown command", with the nearest subcommand of `cmd` as a hint.
static int unknownCommand(const Command& cmd, const std::string& path, const std::string& name) {
    std::vector<std::string> names;
    for (const auto& s : cmd.subcommands)
        names.push_back(s.name);
    std::string hint = didYouMean(name, names);
    return usageError(path, "unknown command " + quote(name) +
                                (hint.empty() ? "" : " (did you mean " + quote(hint) + "?)"));
}

// `layerbox help [COMMAND...]`: the help of that command, as `layerbox COMMAND... --help`.
static int printHelpOf(const Command& root, int argc, char** argv) {
    const Command* cmd = &root;
    std::string path = root.name;
    for (int i = 0; i < argc; ++i) {
        const std::string a = argv[i];
        const Command* next = nullptr;
        for (const auto& s : cmd->subcommands)
            if (s.name == a) next = &s;
        if (!next) return unknownCommand(*cmd, path, a);
        cmd = next;
        path += " " + a;
    }
    printHelp(*cmd, path);
    return 0;
}

int dispatch(const Command& root, int argc, char** argv) {
    const Command* cmd = &root;
    std::string path = root.name;
    int i = 1;
    // Walk down the command tree.
    while (!cmd->subcommands.empty()) {
        if (i >= argc) {
            if (cmd->run) break;
            printHelp(*cmd, path);
            return kExitUsage;
        }
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            printHelp(*cmd, path);
            return 0;
        }
        if (cmd == &root && a == "--help-all") {
            std::fputs(helpAll(root).c_str(), stdout);
            return 0;
        }
        if (cmd == &root && (a == "--version" || a == "-V" || a == "-v")) {
            std::printf("layerbox %s\n", LAYERBOX_VERSION);
            return 0;
        }
        if (cmd == &root && a == "help") return printHelpOf(root, argc - i - 1, argv + i + 1);
        const Command* next = nullptr;
        for (const auto& s : cmd->subcommands)
            if (s.name == a) next = &s;
        if (!next) {
            if (!a.empty() && a[0] == '-' && cmd->run) break;
            // A command with its own arguments ("grants PROFILE") takes them before any
            // subcommand name.
            if (cmd->run && cmd->maxPositional != 0 && cmd != &root) break;
            return unknownCommand(*cmd, path, a);
        }
        cmd = next;
        path += " " + a;
        ++i;
    }

    Args args;
    args.commandPath = path;
    for (; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--") {
            if (!cmd->acceptsRest) return usageError(path, "does not take a command after --");
            args.hasRest = true;
            for (++i; i < argc; ++i)
                args.rest.push_back(argv[i]);
            break;
        }
        if (a == "-h" || a == "--help") {
            printHelp(*cmd, path);
            return 0;
        }
        if (a.size() > 1 && a[0] == '-') {
            std::string name, value;
            bool hasValue = false;
            const Option* opt = nullptr;
            if (a[1] == '-') {
                name = a.substr(2);
                if (auto eq = name.find('='); eq != std::string::npos) {
                    value = name.substr(eq + 1);
                    name = name.substr(0, eq);
                    hasValue = true;
                }
                for (const auto& o : cmd->options)
                    if (o.name == name) opt = &o;
            } else if (a.size() == 2) {
                for (const auto& o : cmd->options)
                    if (o.shortName == a[1]) opt = &o;
                name = a.substr(1);
            }
            if (!opt) {
                std::vector<std::string> names;
                for (const auto& o : cmd->options)
                    names.push_back(o.name);
                std::string hint = didYouMean(name, names);
                return usageError(path,
                                  "unknown option " + quote(a) +
                                      (hint.empty() ? "" : " (did you mean --" + hint + "?)"));
            }
            if (opt->valueName.empty()) {
                if (hasValue) return usageError(path, "--" + opt->name + " takes no value");
                value = "1";
            } else if (!hasValue) {
                if (i + 1 >= argc)
                    return usageError(path,
                                      "--" + opt->name + " needs a value (" + opt->valueName + ")");
                value = argv[++i];
            }
            auto& slot = args.options[opt->name];
            if (!slot.empty() && !opt->repeatable)
                return usageError(path, "--" + opt->name + " given twice");
            slot.push_back(value);
            continue;
        }
        args.positional.push_back(a);
    }
    int n = static_cast<int>(args.positional.size());
    if (n < cmd->minPositional)
        return usageError(path,
                          "missing argument" +
                              (cmd->synopsis.empty() ? std::string() : " (" + cmd->synopsis + ")"));
    if (cmd->maxPositional >= 0 && n > cmd->maxPositional)
        return usageError(path,
                          "unexpected argument " + quote(args.positional[cmd->maxPositional]));
    if (!cmd->run) {
        printHelp(*cmd, path);
        return kExitUsage;
    }
    return cmd->run(args);
}

std::string localTime(int64_t t) {
    time_t tt = static_cast<time_t>(t);
    struct tm tm;
    char buf[32] = "-";
    if (::localtime_r(&tt, &tm)) std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
    return buf;
}

}  // namespace lb::cli
