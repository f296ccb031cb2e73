#include "profile/profile_permissions.h"

#include <algorithm>

namespace lb {

namespace {

template <class T>
bool has(const std::vector<T>& list, const T& v) {
    return std::find(list.begin(), list.end(), v) != list.end();
}

std::string shortPath(const std::string& path, const std::string& home) {
    if (!home.empty() && path == home) return "~";
    if (!home.empty() && path.compare(0, home.size() + 1, home + "/") == 0)
        return "~" + path.substr(home.size());
    return path;
}

std::string firewallWords(const std::string& preset) {
    if (preset == "internet-only") return "internet only: no LAN, no host";
    if (preset == "host-only") return "this computer only";
    return "open: internet, LAN and this computer";
}

}  // namespace

std::vector<std::string> permissionsBeyond(const Profile& p, const Profile& base,
                                           const std::string& home) {
    std::vector<std::string> out;
    const NetworkConfig &n = p.network, &bn = base.network;
    const bool nat = n.mode == NetMode::Nat;
    if (nat && bn.mode != NetMode::Nat) {
        std::string line = "network: NAT (" + firewallWords(n.firewall) + ")";
        if (!n.allowDomains.empty()) {
            line += "; only";
            for (const auto& d : n.allowDomains)
                line += " " + d;
        }
        out.push_back(line);
    } else if (nat && n.firewall != bn.firewall && n.firewall == "open") {
        out.push_back("network: no firewall (" + firewallWords(n.firewall) + ")");
    }
    if (nat && n.hostLoopback && !(bn.mode == NetMode::Nat && bn.hostLoopback))
        out.push_back("network: services on this computer's loopback (10.0.2.2)");
    for (const auto& f : n.ports) {
        bool known = false;
        for (const auto& b : bn.ports)
            known = known || (b.host == f.host && b.sandbox == f.sandbox && b.proto == f.proto);
        if (!known)
            out.push_back("port forward: " + f.hostAddr + ":" + std::to_string(f.host) + "/" +
                          f.proto + " to the sandbox's port " + std::to_string(f.sandbox));
    }

    const FilesystemConfig &fs = p.filesystem, &bfs = base.filesystem;
    if (fs.home == HomeMode::Overlay && bfs.home != HomeMode::Overlay)
        out.push_back("home: your home, read-only (its changes kept apart)");
    for (const auto& b : fs.binds) {
        bool covered = false;
        for (const auto& k : bfs.binds)
            covered = covered || (k.host == b.host && k.sandbox == b.sandbox && (k.rw || !b.rw));
        if (covered) continue;
        std::string line = "files: " + shortPath(b.host, home) +
                           (b.rw ? " read-write (written in place)" : " read-only");
        if (!b.sandbox.empty() && b.sandbox != b.host) line += ", at " + shortPath(b.sandbox, home);
        out.push_back(line);
    }
    for (const auto& h : bfs.hide)
        if (!has(fs.hide, h)) out.push_back("files: no longer hidden: " + shortPath(h, home));
    for (const auto& d : fs.devices)
        if (!has(bfs.devices, d)) out.push_back("device: " + d);

    const DesktopConfig &d = p.desktop, &bd = base.desktop;
    if (d.x11 != bd.x11 && d.x11 == X11Mode::Host)
        out.push_back("display: your desktop's X11 (it can read every keystroke and window)");
    else if (d.x11 != bd.x11 && d.x11 == X11Mode::Isolated)
        out.push_back("display: an X11 display of its own");
    if (d.wayland && !bd.wayland)
        out.push_back("display: Wayland (what your compositor allows any program)");
    if (d.x11 == X11Mode::Isolated && d.clipboard != "none" && d.clipboard != bd.clipboard)
        out.push_back("clipboard: " + std::string(d.clipboard == "in"    ? "pastes in"
                                                  : d.clipboard == "out" ? "copies out"
                                                                         : "both ways"));
    if (d.audio != "none" && d.audio != bd.audio) out.push_back("sound: " + d.audio);
    if (d.gpu && !bd.gpu) out.push_back("GPU");
    if (d.openUri == "allow" && bd.openUri != "allow")
        out.push_back("opens links and mail in your desktop's programs");
    else if (d.openUri == "ask" && bd.openUri == "deny")
        out.push_back("asks you to open web and mail links in your desktop's programs");
    const DbusConfig &db = d.dbus, &bdb = bd.dbus;
    if (db.session && !bdb.session) out.push_back("D-Bus: the whole session bus");
    if (db.system && !bdb.system) out.push_back("D-Bus: the whole system bus");
    auto names = [&out](const char* what, const std::vector<std::string>& mine,
                        const std::vector<std::string>& theirs) {
        for (const auto& n : mine)
            if (!has(theirs, n)) out.push_back(std::string("D-Bus: ") + what + " " + n);
    };
    names("talk to", db.talk, bdb.talk);
    names("own", db.own, bdb.own);
    names("see", db.see, bdb.see);
    names("call", db.call, bdb.call);
    names("talk to (system bus)", db.systemTalk, bdb.systemTalk);

    const SecurityConfig &s = p.security, &bs = base.security;
    if (s.seccomp != bs.seccomp && s.seccomp == "default" && bs.seccomp == "strict")
        out.push_back("system calls: the default filter instead of the strict one");
    for (const auto& c : s.allowSyscalls)
        if (!has(bs.allowSyscalls, c)) out.push_back("system call allowed: " + c);
    if (s.nestedSandboxes && !bs.nestedSandboxes)
        out.push_back("may create sandboxes of its own (user namespaces)");
    if (s.devel && !bs.devel) out.push_back("debugging tools (ptrace, perf)");
    return out;
}

}  // namespace lb
