#include "host/appimage_entry.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/desktop_entry.h"
#include "base/fsutil.h"
#include "base/safe_open.h"

namespace lb {

std::vector<std::string> appImageTopLevel(std::string_view listing) {
    std::vector<std::string> out;
    const std::string prefix = "squashfs-root/";
    for (const auto& line : split(listing, '\n')) {
        if (!startsWith(line, prefix)) continue;
        std::string name = line.substr(prefix.size());
        bool bad = name.empty() || name.find('/') != std::string::npos;
        for (unsigned char c : name)
            if (c < 0x20 || c == 0x7f) bad = true;
        if (!bad) out.push_back(name);
    }
    return out;
}

std::string pickAppImageDesktop(const std::vector<std::string>& names) {
    std::vector<std::string> d;
    for (const auto& n : names)
        if (endsWith(n, ".desktop") && n.size() > 8) d.push_back(n);
    std::sort(d.begin(), d.end());
    return d.empty() ? std::string() : d.front();
}

std::string pickAppImageIcon(const std::vector<std::string>& names, const std::string& iconKey) {
    auto has = [&](const std::string& n) {
        return std::find(names.begin(), names.end(), n) != names.end();
    };
    if (!iconKey.empty() && iconKey.find('/') == std::string::npos)
        for (const char* ext : {".png", ".svg"})
            if (has(iconKey + ext)) return iconKey + ext;
    return has(".DirIcon") ? ".DirIcon" : std::string();
}

std::string iconExtension(std::string_view data) {
    if (startsWith(data, "\x89PNG\r\n\x1a\n")) return "png";
    std::string_view head = data.substr(0, std::min<size_t>(data.size(), 512));
    if ((startsWith(head, "<?xml") || startsWith(head, "<svg")) &&
        head.find("<svg") != std::string_view::npos)
        return "svg";
    return {};
}

namespace {

// `unsquashfs ARGS` with its standard output read up to `cap` bytes (more is an error); its
// standard error is dropped.
Result<std::string> unsquashfs(const std::string& bin, const std::vector<std::string>& args,
                               size_t cap) {
    std::vector<std::string> argv = {bin};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> a;
    for (auto& s : argv)
        a.push_back(s.data());
    a.push_back(nullptr);
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return Error::fromErrno("pipe2");
    UniqueFd rd(p[0]), wr(p[1]);
    pid_t pid = ::fork();
    if (pid < 0) return Error::fromErrno("fork(unsquashfs)");
    if (pid == 0) {
        ::dup2(wr.get(), 1);
        int null = ::open("/dev/null", O_RDWR);
        if (null >= 0) {
            ::dup2(null, 0);
            ::dup2(null, 2);
        }
        ::execv(a[0], a.data());
        ::_exit(127);
    }
    wr.reset();
    std::string out;
    char buf[65536];
    ssize_t n;
    bool tooBig = false;
    while ((n = ::read(rd.get(), buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
        if (n < 0) continue;
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > cap) {
            tooBig = true;
            ::kill(pid, SIGKILL);
            break;
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (tooBig)
        return Error("unsquashfs printed more than " + std::to_string(cap) + " bytes", EFBIG);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return Error("unsquashfs failed (status " + std::to_string(WEXITSTATUS(status)) + ")", EIO);
    return out;
}

}  // namespace

Result<AppImageEntry> readAppImageEntry(const AppImageFile& image) {
    const std::string bin = findExecutable("unsquashfs");
    if (bin.empty())
        return Error("unsquashfs is not installed; it is needed to read the menu entry of " +
                         quote(image.path) + " (sudo apt-get install squashfs-tools)",
                     ENOENT);
    const std::string off = std::to_string(image.offset);
    auto listing =
        unsquashfs(bin, {"-o", off, "-l", "-max-depth", "1", "-no-progress", image.path}, 1 << 20);
    if (!listing) return std::move(listing).error().wrap("listing " + quote(image.path));
    const auto names = appImageTopLevel(*listing);
    const std::string desktop = pickAppImageDesktop(names);
    if (desktop.empty())
        return Error(quote(image.path) + " has no .desktop file at the top of its image", ENOENT);
    auto cat = [&](const std::string& name, size_t cap) {
        return unsquashfs(bin, {"-o", off, "-no-wildcards", "-cat", image.path, name}, cap);
    };
    auto text = cat(desktop, 64 << 10);
    if (!text)
        return std::move(text).error().wrap("reading " + desktop + " in " + quote(image.path));
    AppImageEntry e;
    e.keys = parseDesktopEntry(*text);
    auto iconKey = e.keys.find("Icon");
    const std::string icon =
        pickAppImageIcon(names, iconKey == e.keys.end() ? std::string() : iconKey->second);
    if (!icon.empty()) {
        // An icon that cannot be read (a link .DirIcon) or is neither PNG nor SVG is left out:
        // the entry still works, with the desktop's generic icon.
        if (auto data = cat(icon, 4 << 20); data) {
            e.iconExt = iconExtension(*data);
            if (!e.iconExt.empty()) e.icon = std::move(*data);
        }
    }
    return e;
}

}  // namespace lb
