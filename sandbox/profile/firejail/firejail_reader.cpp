// Firejail's reading rules (see firejail_reader.h), written from its documented behaviour and
// profile.c's order of checks: comment and spaces, whitelist-ro, quiet, include, then the
// condition, the ignore list, ignore itself, and the directive.
#include "profile/firejail/firejail_reader.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <optional>
#include <set>

#include "base/fsutil.h"
#include "base/safe_open.h"
#include "profile/profile.h"

namespace lb::firejail {

namespace {

constexpr int kMaxIncludeLevel = 16;  // Firejail's MAX_INCLUDE_LEVEL

// Firejail's fallback names for the XDG folders when user-dirs.dirs names none (English first).
struct XdgMacro {
    const char* name;
    const char* key;
    std::vector<const char*> names;
};
const std::vector<XdgMacro>& xdgMacros() {
    static const std::vector<XdgMacro> m = {
        {"DESKTOP", "XDG_DESKTOP_DIR", {"Desktop", "Bureau", "Scrivania", "Escritorio"}},
        {"DOCUMENTS", "XDG_DOCUMENTS_DIR", {"Documents", "Documenti", "Documentos", "Dokumente"}},
        {"DOWNLOADS", "XDG_DOWNLOAD_DIR", {"Downloads", "Téléchargement", "Descargas"}},
        {"MUSIC", "XDG_MUSIC_DIR", {"Music", "Musique", "Musica", "Música", "Musik"}},
        {"PICTURES", "XDG_PICTURES_DIR", {"Pictures", "Images", "Immagini", "Bilder"}},
        {"PROJECTS", "XDG_PROJECTS_DIR", {"Projects", "Projets", "Progetti", "Projekte"}},
        {"PUBLICSHARE", "XDG_PUBLICSHARE_DIR", {"Public", "Pubblici", "Öffentlich"}},
        {"TEMPLATES", "XDG_TEMPLATES_DIR", {"Templates", "Modèles", "Modelli", "Vorlagen"}},
        {"VIDEOS", "XDG_VIDEOS_DIR", {"Videos", "Vidéos", "Video", "Vídeos"}},
    };
    return m;
}

// Comment cut at '#', leading and trailing blanks removed, runs of blanks one space.
std::string cleanLine(const std::string& raw) {
    std::string s = raw.substr(0, raw.find('#'));
    std::string out;
    bool blank = false;
    for (char c : s) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            blank = !out.empty();
            continue;
        }
        if (blank) out += ' ';
        blank = false;
        out += c;
    }
    return out;
}

// A line is ignored when it starts with an ignore entry followed by its end or a space.
bool ignored(const std::vector<std::string>& ignores, const std::string& line) {
    for (const auto& i : ignores)
        if (startsWith(line, i) && (line.size() == i.size() || line[i.size()] == ' ')) return true;
    return false;
}

struct Reader {
    const Environment& env;
    IncludeCache* cache;  // may be null
    ReadResult out;
    std::vector<std::string> ignores;
    // What the conditions look at, set by the directives read so far (Firejail acts on a
    // directive as it reads it, so a condition sees only what came before it).
    bool noNetwork = false, dbusFiltered = false, noSound = false, privateHome = false, x11 = false;

    Error at(const std::string& file, int line, const std::string& what) const {
        return Error(file + ":" + std::to_string(line) + ": " + what);
    }

    std::optional<bool> condition(const std::string& name) const {
        if (name == "HAS_APPIMAGE") return false;  // an import is not for --appimage
        if (name == "HAS_NET") return noNetwork;
        if (name == "HAS_NODBUS") return dbusFiltered;
        if (name == "HAS_NOSOUND") return noSound;
        if (name == "HAS_PRIVATE") return privateHome;
        if (name == "HAS_X11") return x11;
        auto cfg = [&](const char* key) {
            auto it = env.config.find(key);
            return it != env.config.end() && it->second;
        };
        if (name == "BROWSER_DISABLE_U2F") return cfg("browser-disable-u2f");
        if (name == "BROWSER_ALLOW_DRM") return cfg("browser-allow-drm");
        if (name == "ALLOW_TRAY") return cfg("allow-tray");
        return std::nullopt;
    }

    void note(const std::string& text) {
        auto word = [&](std::string_view w) {
            return startsWith(text, w) && (text.size() == w.size() || text[w.size()] == ' ');
        };
        if (word("net")) noNetwork = true;  // net none, or a bridge: both count as options
        if (text == "dbus-user none" || text == "dbus-user filter" || text == "dbus-system none" ||
            text == "dbus-system filter")
            dbusFiltered = true;
        if (text == "nosound") noSound = true;
        if (word("private")) privateHome = true;
        if (text == "x11 none" || text == "x11 xorg") x11 = true;
    }

    // profile_check_line: condition, ignore list, ignore, then the directive itself.
    Status directive(const std::string& text, const std::string& file, int line) {
        if (text[0] == '?') {
            size_t colon = text.find(':');
            std::string name =
                trim(text.substr(1, colon == std::string::npos ? std::string::npos : colon - 1));
            auto value = condition(name);
            if (!value) return at(file, line, "unknown condition " + quote(name));
            if (colon == std::string::npos)
                return at(file, line, "a colon must follow the condition " + quote(name));
            std::string rest = trim(text.substr(colon + 1));
            if (rest.empty()) return at(file, line, "nothing follows the condition");
            if (!*value) {
                out.skipped.push_back({text, file, line});
                return Ok();
            }
            if (startsWith(rest, "quiet") || startsWith(rest, "include"))
                return at(file, line, "quiet and include are not allowed in a condition");
            return directive(rest, file, line);
        }
        if (ignored(ignores, text)) {
            out.skipped.push_back({text, file, line});
            return Ok();
        }
        if (startsWith(text, "ignore ")) {
            ignores.push_back(text.substr(7));
            return Ok();
        }
        note(text);
        out.lines.push_back({text, file, line});
        return Ok();
    }

    // The file's non-empty lines, cleaned, with their numbers; from the cache for an include.
    Result<const IncludeCache::File*> lines(const std::string& file, int level,
                                            IncludeCache::File& own) {
        if (cache && level > 0)
            if (auto it = cache->files.find(file); it != cache->files.end()) return &it->second;
        IncludeCache::File& f = cache && level > 0 ? cache->files[file] : own;
        auto text = readRegularFile(file, kProfileMaxBytes, "a Firejail profile");
        if (!text) {
            f.failed = true;
            f.error = text.error();
            return &f;
        }
        int lineNo = 0;
        size_t pos = 0;
        while (pos < text->size()) {
            size_t end = text->find('\n', pos);
            if (end == std::string::npos) end = text->size();
            std::string line = cleanLine(text->substr(pos, end - pos));
            pos = end + 1;
            ++lineNo;
            if (!line.empty()) f.lines.emplace_back(lineNo, std::move(line));
        }
        return &f;
    }

    // Where an include name (no '/') is: the user's folder, then the system's; else as given.
    std::string resolve(const std::string& target) {
        if (cache)
            if (auto it = cache->resolved.find(target); it != cache->resolved.end())
                return it->second;
        std::string path = target;
        for (const auto& dir : {env.userDir, env.systemDir}) {
            if (dir.empty()) continue;
            std::string p = joinPath(dir, target);
            struct stat st;
            if (::stat(p.c_str(), &st) == 0) {
                path = p;
                break;
            }
        }
        if (cache) cache->resolved[target] = path;
        return path;
    }

    Status read(const std::string& file, int level) {
        if (level > kMaxIncludeLevel)
            return Error(file + ": includes nested more than " + std::to_string(kMaxIncludeLevel) +
                         " deep");
        IncludeCache::File own;
        LB_ASSIGN(const IncludeCache::File* f, lines(file, level, own));
        if (f->failed) {
            // A .local that is not there is skipped; one that cannot be read is an error.
            if (endsWith(file, ".local") && f->error.code() == ENOENT) {
                out.missingLocal.push_back(file);
                return Ok();
            }
            return f->error;
        }
        out.files.push_back(file);
        for (const auto& [lineNo, line] : f->lines) {
            if (startsWith(line, "whitelist-ro ")) {
                // Added as two directives straight away (before any ignore), as Firejail does.
                out.lines.push_back({"whitelist " + line.substr(13), file, lineNo});
                out.lines.push_back({"read-only " + line.substr(13), file, lineNo});
                continue;
            }
            if (line == "quiet") continue;
            if (startsWith(line, "$HOME"))
                return at(file, lineNo, "$HOME is not allowed, write ${HOME}");
            if (startsWith(line, "include ") && !ignored(ignores, line)) {
                std::string target = expandMacros(env, line.substr(8));
                std::string path = target.find('/') == std::string::npos ? resolve(target) : target;
                auto s = read(path, level + 1);
                if (!s) return s.error().wrap(file + ":" + std::to_string(lineNo));
                continue;
            }
            LB_TRY(directive(line, file, lineNo));
        }
        return Ok();
    }
};

}  // namespace

std::string expandMacros(const Environment& env, const std::string& path) {
    if (startsWith(path, "${HOME}")) return env.home + path.substr(7);
    if (startsWith(path, "~")) return env.home + path.substr(1);
    if (startsWith(path, "${CFG}")) return env.systemDir + path.substr(6);
    if (startsWith(path, "${RUNUSER}")) return env.runUser + path.substr(10);
    for (const auto& [name, dir] : env.xdgDirs) {
        std::string macro = "${" + name + "}";
        if (startsWith(path, macro)) return dir + path.substr(macro.size());
    }
    return path;
}

Environment Environment::fromSystem() {
    Environment env;
    const char* home = std::getenv("HOME");
    env.home = home && *home ? home : "/";
    env.userDir = joinPath(env.home, ".config/firejail");
    env.systemDir = "/etc/firejail";
    env.runUser = "/run/user/" + std::to_string(::getuid());
    std::set<std::string> seen;
    for (const char* d :
         {"/usr/local/bin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/sbin", "/sbin"}) {
        char real[PATH_MAX];
        std::string key = ::realpath(d, real) ? real : d;
        if (seen.insert(key).second) env.pathDirs.push_back(d);
    }
    // user-dirs.dirs: XDG_DOWNLOAD_DIR="$HOME/Downloads"
    std::map<std::string, std::string> named;
    if (auto text = readRegularFile(joinPath(env.home, ".config/user-dirs.dirs"), 1 << 16,
                                    "user-dirs.dirs"))
        for (const auto& l : split(*text, '\n')) {
            std::string line = trim(l);
            size_t eq = line.find("=\"$HOME/");
            if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
            std::string rel = line.substr(eq + 8);
            rel = rel.substr(0, rel.find('"'));
            if (!rel.empty()) named[line.substr(0, eq)] = rel;
        }
    for (const auto& m : xdgMacros()) {
        std::vector<std::string> candidates;
        if (auto it = named.find(m.key); it != named.end())
            candidates.push_back(it->second);
        else
            for (const char* n : m.names)
                candidates.push_back(n);
        for (const auto& c : candidates)
            if (isDirectory(joinPath(env.home, c))) {
                env.xdgDirs[m.name] = joinPath(env.home, c);
                break;
            }
    }
    env.config = {
        {"browser-disable-u2f", true}, {"browser-allow-drm", false}, {"allow-tray", false}};
    if (auto text =
            readRegularFile(joinPath(env.systemDir, "firejail.config"), 1 << 20, "firejail.config"))
        for (const auto& l : split(*text, '\n')) {
            std::string line = trim(l);
            size_t sp = line.find(' ');
            if (line.empty() || line[0] == '#' || sp == std::string::npos) continue;
            std::string key = line.substr(0, sp), value = trim(line.substr(sp + 1));
            if (env.config.count(key)) env.config[key] = value == "yes";
        }
    return env;
}

std::string findProfile(const Environment& env, const std::string& nameOrFile) {
    if (nameOrFile.find('/') != std::string::npos) return nameOrFile;
    for (const auto& dir : {env.userDir, env.systemDir}) {
        if (dir.empty()) continue;
        std::string p = joinPath(dir, nameOrFile + ".profile");
        struct stat st;
        if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return p;
    }
    return {};
}

std::vector<std::string> installedProfiles(const Environment& env) {
    std::set<std::string> names;
    for (const auto& dir : {env.systemDir, env.userDir}) {
        DIR* d = dir.empty() ? nullptr : ::opendir(dir.c_str());
        if (!d) continue;
        while (auto* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (endsWith(n, ".profile") && n.size() > 8) names.insert(n.substr(0, n.size() - 8));
        }
        ::closedir(d);
    }
    return {names.begin(), names.end()};
}

Result<ReadResult> readProfile(const Environment& env, const std::string& nameOrFile,
                               IncludeCache* cache) {
    std::string file = findProfile(env, nameOrFile);
    if (file.empty()) {
        std::string hint = didYouMean(nameOrFile, installedProfiles(env));
        return Error("no Firejail profile " + quote(nameOrFile) + " in " + env.userDir + " or " +
                         env.systemDir + (hint.empty() ? "" : " (did you mean " + hint + "?)"),
                     ENOENT);
    }
    Reader r{env, cache, {}, {}};
    r.out.profileFile = file;
    LB_TRY(r.read(file, 0));
    return std::move(r.out);
}

}  // namespace lb::firejail
