#include "base/desktop_entry.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <set>

#include "base/fsutil.h"
#include "base/paths.h"

namespace lb {

std::map<std::string, std::string> parseDesktopEntry(std::string_view text) {
    std::map<std::string, std::string> keys;
    bool inMain = false;
    for (auto line : split(text, '\n')) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        if (line[0] == '[') {
            inMain = line == "[Desktop Entry]";
            continue;
        }
        if (!inMain) continue;
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string key = trim(line.substr(0, eq));
        std::string value = line.substr(eq + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        if (!keys.count(key)) keys[key] = value;  // the first wins, as in GLib
    }
    return keys;
}

std::string unescapeDesktopString(std::string_view v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] != '\\' || i + 1 == v.size()) {
            out += v[i];
            continue;
        }
        char c = v[++i];
        out += c == 's' ? ' ' : c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
    }
    return out;
}

std::string escapeDesktopString(std::string_view v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
        char c = v[i];
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '\t')
            out += "\\t";
        else if (c == '\r')
            out += "\\r";
        else if (c == ' ' && i == 0)
            out += "\\s";  // a leading space would be dropped by readers
        else
            out += c;
    }
    return out;
}

std::string quoteExecArgument(std::string_view arg) {
    static const std::string_view reserved = " \t\n\"'\\><~|&;$*?#()`";
    bool quote = arg.empty() || arg.find_first_of(reserved) != std::string_view::npos;
    std::string out = quote ? "\"" : "";
    for (char c : arg) {
        if (c == '%')
            out += "%%";
        else if (quote && (c == '"' || c == '`' || c == '$' || c == '\\'))
            out += std::string("\\") + c;
        else
            out += c;
    }
    return quote ? out + "\"" : out;
}

std::string execFieldCode(std::string_view exec) {
    std::string e = unescapeDesktopString(exec);
    for (size_t i = 0; i + 1 < e.size(); ++i) {
        if (e[i] != '%') continue;
        char c = e[i + 1];
        if (c == 'u' || c == 'U' || c == 'f' || c == 'F') return std::string("%") + c;
        ++i;  // skip "%%" and other codes
    }
    return {};
}

std::vector<std::string> execArguments(std::string_view exec) {
    std::vector<std::string> words;
    std::string cur;
    bool inWord = false, quoted = false;
    for (size_t i = 0; i < exec.size(); ++i) {
        char c = exec[i];
        if (quoted) {
            if (c == '"') {
                quoted = false;
            } else if (c == '\\' && i + 1 < exec.size() && std::strchr("\"`$\\", exec[i + 1])) {
                cur += exec[++i];
            } else {
                cur += c;
            }
        } else if (c == '"') {
            quoted = inWord = true;
        } else if (c == ' ' || c == '\t' || c == '\n') {
            if (inWord) words.push_back(cur);
            cur.clear();
            inWord = false;
        } else {
            cur += c;
            inWord = true;
        }
    }
    if (inWord) words.push_back(cur);
    std::vector<std::string> out;
    for (const auto& w : words) {
        // A field code on its own expands to files, URLs, the icon... none of which we pass.
        if (w.size() == 2 && w[0] == '%' && w[1] != '%') continue;
        std::string arg;
        for (size_t i = 0; i < w.size(); ++i) {
            if (w[i] != '%' || i + 1 == w.size()) {
                arg += w[i];
            } else if (w[++i] == '%') {
                arg += '%';
            }  // any other field code inside a word: dropped
        }
        out.push_back(arg);
    }
    return out;
}

namespace {

std::vector<std::string> dataDirs(const Paths& paths) {
    std::vector<std::string> dirs = {paths.dataHome};
    const char* env = std::getenv("XDG_DATA_DIRS");
    for (const auto& d : split(env && *env ? env : "/usr/local/share:/usr/share", ':'))
        if (!d.empty() && d[0] == '/') dirs.push_back(d);
    return dirs;
}

}  // namespace

std::vector<InstalledApplication> installedApplications(const Paths& paths) {
    std::vector<InstalledApplication> out;
    std::set<std::string> seen;
    for (const auto& data : dataDirs(paths)) {
        const std::string dir = joinPath(data, "applications");
        DIR* d = ::opendir(dir.c_str());
        if (!d) continue;
        std::vector<std::string> names;
        while (auto* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n[0] != '.' && endsWith(n, ".desktop")) names.push_back(n);
        }
        ::closedir(d);
        std::sort(names.begin(), names.end());
        for (const auto& n : names) {
            if (!seen.insert(n).second) continue;  // the first directory wins
            InstalledApplication app;
            app.id = n;
            app.path = joinPath(dir, n);
            auto text = readFile(app.path);
            if (!text) continue;
            auto keys = parseDesktopEntry(*text);
            auto get = [&](const char* k) {
                auto it = keys.find(k);
                return it == keys.end() ? std::string() : unescapeDesktopString(it->second);
            };
            if (get("Type") != "Application" || get("NoDisplay") == "true" ||
                get("Hidden") == "true")
                continue;
            app.exec = get("Exec");
            if (app.exec.empty()) continue;
            app.name = get("Name");
            if (app.name.empty()) app.name = app.id;
            app.comment = get("Comment");
            app.icon = get("Icon");
            app.terminal = get("Terminal") == "true";
            app.command = execArguments(app.exec);
            out.push_back(std::move(app));
        }
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const InstalledApplication& a, const InstalledApplication& b) {
                         return a.name < b.name;
                     });
    return out;
}

std::string findDesktopEntry(const std::string& id, const Paths& paths) {
    if (id.empty() || id.find('/') != std::string::npos) return {};
    for (const auto& d : dataDirs(paths)) {
        std::string path = joinPath(d, "applications/" + id);
        if (::access(path.c_str(), R_OK) == 0) return path;
    }
    return {};
}

}  // namespace lb
