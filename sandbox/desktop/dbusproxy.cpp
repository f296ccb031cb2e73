#include "desktop/dbusproxy.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "base/helper_process.h"
#include "desktop/open_uri_gate.h"
#include "desktop/portals.h"
#include "profile/profile.h"

namespace lb {

std::string busSocketPath(const std::string& address) {
    // "unix:path=/run/user/1000/bus,guid=..." ; several addresses are separated by ';'.
    std::string first = address.substr(0, address.find(';'));
    if (!startsWith(first, "unix:")) return {};
    for (const auto& kv : split(first.substr(5), ',')) {
        if (!startsWith(kv, "path=")) continue;
        // Values may be %-escaped; socket paths seldom are, decode anyway.
        std::string v = kv.substr(5), out;
        for (size_t i = 0; i < v.size(); ++i) {
            auto hex = [](char c) {
                return c >= '0' && c <= '9'   ? c - '0'
                       : c >= 'a' && c <= 'f' ? c - 'a' + 10
                       : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                              : -1;
            };
            if (v[i] == '%' && i + 2 < v.size() && hex(v[i + 1]) >= 0 && hex(v[i + 2]) >= 0) {
                out += static_cast<char>(hex(v[i + 1]) * 16 + hex(v[i + 2]));
                i += 2;
            } else {
                out += v[i];
            }
        }
        return out;
    }
    return {};
}

std::string sessionBusAddress(const DesktopHost& host) {
    std::string a = host.var("DBUS_SESSION_BUS_ADDRESS");
    if (!a.empty()) return a;
    if (!host.runtimeDir.empty() && host.has(joinPath(host.runtimeDir, "bus")))
        return "unix:path=" + joinPath(host.runtimeDir, "bus");
    return {};
}

std::string systemBusAddress(const DesktopHost& host) {
    std::string a = host.var("DBUS_SYSTEM_BUS_ADDRESS");
    return a.empty() ? std::string("unix:path=") + kSandboxSystemBus : a;
}

DesktopPlan planDbus(const DbusConfig& dbus, const DesktopHost& host, const DesktopContext& ctx,
                     const PortalSetup& portal) {
    DesktopPlan out;
    // "ask" needs a session bus (the gate is on it), even for a profile that lists no name.
    bool session = dbus.sessionWanted() || portal.askOpenUri, system = dbus.systemWanted();
    if (!session && !system) return out;  // no bus at all
    if (host.dbusProxy.empty()) {
        out.warnings.push_back(
            "dbus: xdg-dbus-proxy is not installed, so the program gets no D-Bus (it is never "
            "given an unfiltered bus; install the xdg-dbus-proxy package)");
        return out;
    }
    // A bus the host does not have is left out (and said); the other one still works.
    auto usable = [&](const std::string& what, const std::string& address) {
        if (address.empty()) {
            out.warnings.push_back("dbus: no " + what +
                                   " bus (DBUS_SESSION_BUS_ADDRESS is not set); the program "
                                   "gets none");
            return false;
        }
        std::string path = busSocketPath(address);
        if (!path.empty() && !host.has(path)) {
            out.warnings.push_back("dbus: no " + what + " bus (" + path +
                                   " does not exist); the program gets none");
            return false;
        }
        return true;
    };
    auto& args = out.dbusProxy.args;
    if (session && usable("session", sessionBusAddress(host))) {
        std::string socket = joinPath(ctx.instanceDir, ctx.instance + ".bus");
        std::string inside = joinPath(ctx.runtimeDir, "bus");
        if (portal.askOpenUri && host.xdgOpen.empty()) {
            out.warnings.push_back(
                "open_uri: xdg-open is not installed, so links cannot be opened outside: "
                "OpenURI is refused (install xdg-utils)");
        } else if (portal.askOpenUri) {
            // The program talks to the gate, the gate to the proxy: OpenURI calls are answered
            // by the gate (after the user's yes on the desktop), everything else goes through
            // the proxy's filter, which refuses OpenURI as with "deny".
            auto& gate = out.dbusProxy.gate;
            gate.listen = socket;
            gate.upstream = joinPath(ctx.instanceDir, ctx.instance + ".proxy-bus");
            gate.sandbox = portal.sandbox;
            gate.opener = host.xdgOpen;
            socket = gate.upstream;
            // Debian's xdg-open calls OpenURI when this file exists (as it does in Flatpak).
            MountOp marker;
            marker.kind = MountKind::GeneratedFile;
            marker.target = joinPath(ctx.runtimeDir, "flatpak-info");
            marker.content =
                flatpakInfo(portal.appId.empty() ? portalAppId(portal.sandbox) : portal.appId,
                            ctx.instance, portal.network);
            out.mounts.push_back(marker);
        }
        args.push_back(sessionBusAddress(host));
        args.push_back(socket);
        args.push_back("--filter");
        for (const auto& n : dbus.see)
            args.push_back("--see=" + n);
        for (auto& a : portalTalkArgs(dbus.talk, portal.allowOpenUri))
            args.push_back(std::move(a));
        for (const auto& n : dbus.own)
            args.push_back("--own=" + n);
        for (const auto& r : dbus.call)
            args.push_back("--call=" + r);
        out.dbusProxy.sockets.push_back(socket);
        out.mounts.push_back(bindSocket(joinPath(ctx.instanceDir, ctx.instance + ".bus"), inside));
        out.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + inside;
        if (dbus.talksToPortals() && !portal.appId.empty()) {
            out.dbusProxy.identity = flatpakInfo(portal.appId, ctx.instance, portal.network);
            out.dbusProxy.identityRoot = joinPath(ctx.instanceDir, ctx.instance + ".portal-root");
            if (host.docPortalMount.empty()) {
                out.warnings.push_back(
                    "dbus: no document portal (" + host.docPortalProblem +
                    "): files picked in the portal's file chooser will not appear inside");
            } else {
                // Its view for this app only: the files the user picked or named, each in a
                // folder of its own. At the portal's own path, where its answers point.
                MountOp docs;
                docs.kind = MountKind::Bind;
                docs.source = joinPath(host.docPortalMount, "by-app/" + portal.appId);
                docs.target = host.docPortalMount;
                docs.optional = true;
                out.mounts.push_back(docs);
            }
        }
    }
    if (system && usable("system", systemBusAddress(host))) {
        std::string socket = joinPath(ctx.instanceDir, ctx.instance + ".system-bus");
        args.push_back(systemBusAddress(host));
        args.push_back(socket);
        args.push_back("--filter");
        for (const auto& n : dbus.systemTalk)
            args.push_back("--talk=" + n);
        out.dbusProxy.sockets.push_back(socket);
        out.mounts.push_back(bindSocket(socket, kSandboxSystemBus));
        out.env["DBUS_SYSTEM_BUS_ADDRESS"] = std::string("unix:path=") + kSandboxSystemBus;
    }
    if (!args.empty()) out.dbusProxy.binary = host.dbusProxy;
    return out;
}

Result<std::unique_ptr<DbusProxy>> DbusProxy::start(const DbusProxyPlan& plan,
                                                    const std::string& logPath, bool activity) {
    LB_TRY(makeDirs(dirName(logPath), 0700));
    int sync[2];
    if (::pipe2(sync, O_CLOEXEC) != 0) return Error::fromErrno("pipe2");
    auto p = std::unique_ptr<DbusProxy>(new DbusProxy);
    p->sync_.reset(sync[0]);
    UniqueFd syncW(sync[1]);
    p->log_ = logPath;
    p->sockets_ = plan.sockets;
    for (const auto& s : plan.sockets)
        ::unlink(s.c_str());
    UniqueFd log(::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!log.valid()) return Error::fromErrno("open(" + quote(logPath) + ")");
    std::vector<std::string> args = {plan.binary, "--fd=" + std::to_string(syncW.get())};
    for (const auto& a : plan.args) {
        args.push_back(a);
        if (activity && a == "--filter") args.push_back("--log");  // a per-bus option
    }
    if (activity) {
        int out[2];
        if (::pipe2(out, O_CLOEXEC) != 0) return Error::fromErrno("pipe2");
        p->activity_.reset(out[0]);
        log.reset(out[1]);
    }
    std::function<std::string()> beforeExec;
    if (!plan.identity.empty()) {
        // An empty 0700 directory for the proxy's root (portals.h); removed when it stops.
        ::rmdir(plan.identityRoot.c_str());
        if (::mkdir(plan.identityRoot.c_str(), 0700) != 0)
            return Error::fromErrno("mkdir(" + quote(plan.identityRoot) + ")");
        p->identityRoot_ = plan.identityRoot;
        beforeExec = [&plan] { return enterPortalIdentity(plan.identityRoot, plan.identity); };
    }
    auto pid = spawnHelper(args, {syncW.get()}, log.get(), "xdg-dbus-proxy", beforeExec);
    if (!pid) return pid.error();
    p->pid_ = *pid;
    if (plan.gate.wanted()) {
        // Listening before this returns, like the proxy's own sockets; it connects to the
        // proxy only when a program connects to it.
        auto gate = OpenUriGate::start(plan.gate);
        if (!gate) return gate.error().wrap("starting the OpenURI gate");
        p->gate_ = std::move(*gate);
    }
    return p;
}

Status DbusProxy::waitReady(int timeoutMs) {
    bool timedOut = false;
    if (!waitForByte(sync_.get(), timeoutMs, timedOut).empty()) return Ok();
    std::string why = lastLogLine(log_);
    if (activity_.valid()) {  // its output is in the pipe: the last line of what is there
        char buf[4096];
        ::fcntl(activity_.get(), F_SETFL, O_NONBLOCK);
        ssize_t n = ::read(activity_.get(), buf, sizeof buf);
        std::string text = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
        while (!text.empty() && text.back() == '\n')
            text.pop_back();
        why = text.substr(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
    }
    return Error(
        "xdg-dbus-proxy did not start" +
            (timedOut ? " within " + std::to_string(timeoutMs / 1000) + " s" : std::string()) +
            (why.empty() ? "" : ": " + why) + " (log: " + log_ + ")",
        EIO);
}

void DbusProxy::stop() {
    if (gate_) gate_->stop();
    sync_.reset();  // it exits when the other end of its --fd closes
    reapHelper(pid_, 1000);
    for (const auto& s : sockets_)
        ::unlink(s.c_str());
    if (!identityRoot_.empty()) ::rmdir(identityRoot_.c_str());
}

DbusProxy::~DbusProxy() {
    stop();
}

pid_t DbusProxy::frontPid() const {
    return gate_ ? gate_->pid() : pid_;
}

}  // namespace lb
