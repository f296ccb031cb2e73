// D-Bus, only ever through xdg-dbus-proxy with --filter: the program reaches the names the
// profile lists (talk, own, see, call; system_talk on the system bus) and nothing else. An
// unfiltered session bus would let it ask the systemd user manager, among others, to run
// anything outside the sandbox.
//
// The runner starts one proxy for both buses before it forks the setup process (the sockets
// must exist to be bound), and waits for its readiness byte on --fd. The proxy listens in the
// user's runtime directory next to the instance's record ($XDG_RUNTIME_DIR/layerbox/instances/
// ID.bus and ID.system-bus, a 0700 directory); those sockets are bound into the sandbox at
// /run/user/UID/bus and /run/dbus/system_bus_socket. The proxy ends with the sandbox: the runner
// closes the other end of its --fd pipe (and kills it if it lingers), and PR_SET_PDEATHSIG
// ends it if the runner dies. If it dies first, the runner says so once (event "dbus-lost").
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "base/error.h"
#include "base/fsutil.h"
#include "desktop/desktop.h"

namespace lb {

struct DbusConfig;
class OpenUriGate;

// The buses' addresses on the host: $DBUS_SESSION_BUS_ADDRESS (or $XDG_RUNTIME_DIR/bus),
// $DBUS_SYSTEM_BUS_ADDRESS (or /run/dbus/system_bus_socket). Empty when there is none.
std::string sessionBusAddress(const DesktopHost& host);
std::string systemBusAddress(const DesktopHost& host);
// The socket path of a "unix:path=..." address; empty for other transports.
std::string busSocketPath(const std::string& address);

// Where the sandbox finds the buses.
inline constexpr const char* kSandboxSystemBus = "/run/dbus/system_bus_socket";

// What the desktop portal learns of the sandbox (portals.h). No appId: no identity.
struct PortalSetup {
    std::string appId;
    bool allowOpenUri = false;  // desktop.open_uri "allow"
    bool askOpenUri = false;  // desktop.open_uri "ask": the gate answers OpenURI (open_uri_gate.h)
    std::string sandbox;      // the profile's name, for the gate's question
    bool network = false;
};

// The proxy's command line, its sockets' binds and the bus addresses inside (pure). No bus at
// all when the profile asks for none. A profile that talks to the desktop portal gets its
// identity and the document portal's files; OpenURI only with allowOpenUri. With askOpenUri
// the sandbox's session bus is the gate's socket, in front of the proxy (which still refuses
// OpenURI), and its runtime directory holds `flatpak-info`, so that xdg-open calls OpenURI.
DesktopPlan planDbus(const DbusConfig& dbus, const DesktopHost& host, const DesktopContext& ctx,
                     const PortalSetup& portal = {});

class DbusProxy {
public:
    // Start it with --fd=N (N: the write end of a pipe whose read end we keep); its output goes
    // to `logPath`. `activity` (security.activity_log): with --log, its output to a pipe the
    // runner reads (takeActivityPipe; desktop/dbus_activity.h) instead, so that a program
    // making calls can never fill a file.
    static Result<std::unique_ptr<DbusProxy>> start(const DbusProxyPlan& plan,
                                                    const std::string& logPath,
                                                    bool activity = false);
    UniqueFd takeActivityPipe() { return std::move(activity_); }
    ~DbusProxy();
    // Wait for the byte it writes once every socket listens.
    Status waitReady(int timeoutMs);
    pid_t pid() const { return pid_; }
    // The process the sandbox's programs connect to: the OpenURI gate where one stands in
    // front of the proxy, else the proxy (desktop/dbus_activity.h finds a caller by it).
    pid_t frontPid() const;
    const std::string& logPath() const { return log_; }
    // Close our end of the pipe: it exits. Returns once it has (or after SIGKILL); removes
    // its sockets.
    void stop();
    // It ended on its own (reaped by the caller).
    void markExited() { pid_ = 0; }

private:
    pid_t pid_ = 0;
    UniqueFd sync_;
    UniqueFd activity_;  // the read end of its output, with --log
    std::string log_;
    std::vector<std::string> sockets_;
    std::string identityRoot_;
    std::unique_ptr<OpenUriGate> gate_;
};

}  // namespace lb
