// The activity log's D-Bus source (launch/activity_log.h): with security.activity_log the proxy
// runs with --log and its output comes to the runner through a pipe (never a file a program
// could fill: the runner reads and forgets). xdg-dbus-proxy prints each message it forwards
// ("C4: -> org.example.Name call org.example.Name.Ping at /x") and, right after a call it
// refuses, "*HIDDEN*" (the name is not visible) or "*DENIED*" (visible, not to be called).
//
// The proxy does not say which client made the call. The runner finds it from outside: the
// sandbox's processes holding a socket whose peer is one of the proxy's, or of the OpenURI gate's
// where one stands in front of it (sock_diag's peer inodes, /proc/PID/fd). With one such process
// that is it; with several, all are named. The
// kernel puts both sockets of a connection in the connecting side's network namespace, so the
// dump is asked of a sock_diag socket the setup process made in the sandbox's (and sent with
// NamespacesReady).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace lb {

struct DbusRefusal {
    std::string name;    // the destination: "org.example.Name"
    std::string member;  // "org.example.Name.Ping"
    std::string path;
    bool hidden = true;  // *HIDDEN* (else *DENIED*)
};

// Pure: feed the proxy's lines in order; returns a refusal on the verdict line that follows a
// call. `lastCall` carries the previous call line between calls.
std::optional<DbusRefusal> parseProxyLogLine(const std::string& line, std::string& lastCall);
// Pure: is this one of the proxy's --log lines (else an error message worth keeping)?
bool isProxyLogLine(const std::string& line);

// The processes among `candidates` holding a unix socket connected to one of `proxy`'s.
// `sandboxDiag`: a NETLINK_SOCK_DIAG socket made in the sandbox's network namespace (or -1).
std::vector<pid_t> busClients(pid_t proxy, const std::vector<pid_t>& candidates, int sandboxDiag);

}  // namespace lb
