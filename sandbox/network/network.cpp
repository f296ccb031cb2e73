#include "network/network.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <net/if.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/fsutil.h"
#include "network/dns_filter.h"
#include "network/drop_log.h"
#include "profile/profile.h"

namespace lb {

Status bringUpLoopback() {
    UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!s.valid()) return Error::fromErrno("socket(AF_INET)");
    struct ifreq ifr = {};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0)
        return Error::fromErrno("ioctl(SIOCGIFFLAGS, lo)");
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0)
        return Error::fromErrno("ioctl(SIOCSIFFLAGS, lo)");
    return Ok();
}

std::vector<std::pair<std::string, std::string>> planNetworkFiles(const NetworkConfig& net) {
    std::vector<std::pair<std::string, std::string>> files;
    // The host's own name must not show through /etc/hostname.
    files.emplace_back("/etc/hostname", net.hostname + "\n");
    std::string hosts = "127.0.0.1\tlocalhost\n127.0.1.1\t" + net.hostname +
                        "\n::1\tlocalhost ip6-localhost ip6-loopback\n";
    if (net.mode == NetMode::Nat && net.hostLoopback)
        hosts += std::string(kSlirpHost) + "\thost.layerbox.internal\n";
    files.emplace_back("/etc/hosts", hosts);
    if (net.mode == NetMode::Nat) {
        std::string resolv = "# written by Layerbox for this sandbox\n";
        if (net.filtersNames()) {
            // Layerbox's resolver (dns_filter.h); network.dns are the servers it asks.
            files.emplace_back("/etc/resolv.conf",
                               resolv + "nameserver " + kDnsFilterAddress + "\n");
            return files;
        }
        if (net.dns.empty()) {
            resolv += std::string("nameserver ") + kSlirpDns + "\n";
            if (net.ipv6) resolv += std::string("nameserver ") + kSlirpDns6 + "\n";
        }
        for (const auto& d : net.dns)
            resolv += "nameserver " + d + "\n";
        files.emplace_back("/etc/resolv.conf", resolv);
    }
    return files;
}

namespace {

bool isV6(const std::string& addr) {
    return addr.find(':') != std::string::npos;
}

// Blocked packets are rejected, not dropped: a TCP connect then fails at once with "No route to
// host" (EHOSTUNREACH) instead of hanging until its timeout.
constexpr const char* kBlock = "reject with icmpx type admin-prohibited";

std::string portMatch(const std::string& proto, int lo, int hi) {
    if (lo == 0) return {};
    std::string range =
        lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi);
    if (proto == "tcp" || proto == "udp") return proto + " dport " + range;
    return "meta l4proto { tcp, udp } th dport " + range;
}

std::string ruleLine(const FirewallRule& r, const std::string& block) {
    std::string line;
    if (!r.to.empty()) line += std::string(isV6(r.to) ? "ip6" : "ip") + " daddr " + r.to + " ";
    std::string ports = portMatch(r.proto, r.portMin, r.portMax);
    if (!ports.empty())
        line += ports + " ";
    else if (r.proto == "tcp" || r.proto == "udp")
        line += "meta l4proto " + r.proto + " ";
    else if (r.proto == "icmp")
        line += "meta l4proto { icmp, ipv6-icmp } ";
    line += r.action == "allow" ? "accept" : block;
    return line;
}

}  // namespace

std::string planFirewall(const NetworkConfig& net, bool logDrops, const HostNetworks& host) {
    if (net.mode != NetMode::Nat) return {};  // loopback only: nothing leaves anyway
    // With the activity log each refusal is copied to the sandbox's NFLOG group first
    // (network/drop_log.h); the verdict is the same.
    const std::string block =
        (logDrops ? "log group " + std::to_string(kDropLogGroup) + " " : std::string()) + kBlock;
    const bool hostOnly = net.firewall == "host-only";
    const bool internetOnly = net.firewall == "internet-only";
    std::string s = "table inet layerbox {\n";
    // The host's own addresses and on-link networks (host_networks.h): read by the runner
    // before the fork, loaded with the rules, kept current while the sandbox runs.
    if (internetOnly) {
        auto set = [](const char* name, const char* type, const std::vector<std::string>& in) {
            std::string line =
                std::string("  set ") + name + " { type " + type + "; flags interval; ";
            // No empty element list: nftables refuses it.
            if (!in.empty()) line += "elements = { " + joinStrings(in) + " }; ";
            return line + "}\n";
        };
        s += set("host_v4", "ipv4_addr", host.v4) + set("host_v6", "ipv6_addr", host.v6);
    }
    // The addresses Layerbox's resolver answered, each for its TTL (dns_filter.h).
    const bool names = net.filtersNames();
    if (names) s += std::string("  set ") + kDnsSetV4 + "\n  set " + kDnsSetV6 + "\n";
    s += "  chain output {\n";
    s += "    type filter hook output priority filter; policy accept;\n";
    s += "    oifname \"lo\" accept\n";
    // IPv6 is configured by slirp4netns' router advertisement: router and neighbour discovery
    // (to multicast and link-local addresses, which the presets refuse) must pass. tap0 has no
    // other peer than slirp4netns, and these messages carry nothing to a service.
    if (net.ipv6)
        s += "    icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } "
             "accept\n";
    // Replies of services the sandbox offers through port forwards go to the gateway.
    for (const auto& p : net.ports)
        s += "    ip daddr " + std::string(kSlirpHost) + " " + p.proto + " sport " +
             std::to_string(p.sandbox) + " accept\n";
    // Name resolution through the configured servers (with a domain list the resolver asks
    // them, from the host: the sandbox reaches only the resolver, on its loopback).
    if (!hostOnly && !names) {
        std::vector<std::string> dns = net.dns;
        if (dns.empty()) {
            dns.push_back(kSlirpDns);
            if (net.ipv6) dns.push_back(kSlirpDns6);
        }
        for (const auto& d : dns)
            s += std::string("    ") + (isV6(d) ? "ip6" : "ip") + " daddr " + d +
                 " meta l4proto { tcp, udp } th dport 53 accept\n";
    }
    // The profile's rules, in order: the first that matches decides.
    for (const auto& r : net.rules)
        s += "    " + ruleLine(r, block) + "\n";
    if (internetOnly) {
        // No LAN, link-local, CGNAT, unique-local or multicast, and not the host (10.0.2.2,
        // inside 10/8): untrusted software cannot reach the router, other machines or local
        // services.
        s += std::string("    ip daddr { ") + kInternetOnlyRanges4 + " } " + block + "\n";
        s += std::string("    ip6 daddr { ") + kInternetOnlyRanges6 + " } " + block + "\n";
        // Nor the host through any of its own addresses (a public one on eth0, a docker
        // bridge, a VPN, IPv6), nor a LAN that uses other ranges: slirp4netns connects from the
        // host's own network stack, where all of them are local or on-link.
        s += "    ip daddr @host_v4 " + block + "\n";
        s += "    ip6 daddr @host_v6 " + block + "\n";
    }
    if (names) {
        // A connection that was allowed when it started stays allowed after its address's
        // time is up (the answer's TTL limits new connections, not open ones). Only after the
        // preset's refusals: a host address added meanwhile still cuts it.
        s += "    ct state established,related accept\n";
        // No other resolver: DNS, DNS over TLS (853) to any server, even to an allowed
        // name's address, unless one of the profile's rules above allowed it.
        s += std::string("    meta l4proto { tcp, udp } th dport { 53, 853 } ") + block + "\n";
        s += std::string("    ip daddr @dns_v4 accept\n    ip6 daddr @dns_v6 accept\n");
        // Every other number, whether the program knew it or guessed it.
        s += "    " + block + "\n";
    }
    if (hostOnly) s += "    " + block + "\n";  // nothing else leaves
    s += "  }\n}\n";
    return s;
}

std::string withoutDropLog(const std::string& script) {
    std::string plain = script;
    const std::string logStmt = "log group " + std::to_string(kDropLogGroup) + " ";
    for (size_t at; (at = plain.find(logStmt)) != std::string::npos;)
        plain.erase(at, logStmt.size());
    return plain;
}

namespace {

// libnftables is loaded only when a firewall is loaded (network "nat"), by the runner while
// the setup process creates the namespaces: linking it would make every `layerbox` start pay
// for it and its dependencies.
struct Nft {
    decltype(&nft_ctx_new) ctxNew = nullptr;
    decltype(&nft_ctx_free) ctxFree = nullptr;
    decltype(&nft_ctx_buffer_output) bufferOutput = nullptr;
    decltype(&nft_ctx_buffer_error) bufferError = nullptr;
    decltype(&nft_run_cmd_from_buffer) run = nullptr;
    decltype(&nft_ctx_get_error_buffer) errorBuffer = nullptr;
};

Result<Nft> loadNft() {
    void* h = ::dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return Error(
            std::string(
                "libnftables is not installed (needed for the firewall; see layerbox doctor): ") +
                ::dlerror(),
            ENOENT);
    Nft n;
    n.ctxNew = reinterpret_cast<decltype(n.ctxNew)>(::dlsym(h, "nft_ctx_new"));
    n.ctxFree = reinterpret_cast<decltype(n.ctxFree)>(::dlsym(h, "nft_ctx_free"));
    n.bufferOutput =
        reinterpret_cast<decltype(n.bufferOutput)>(::dlsym(h, "nft_ctx_buffer_output"));
    n.bufferError = reinterpret_cast<decltype(n.bufferError)>(::dlsym(h, "nft_ctx_buffer_error"));
    n.run = reinterpret_cast<decltype(n.run)>(::dlsym(h, "nft_run_cmd_from_buffer"));
    n.errorBuffer =
        reinterpret_cast<decltype(n.errorBuffer)>(::dlsym(h, "nft_ctx_get_error_buffer"));
    if (!n.ctxNew || !n.ctxFree || !n.bufferOutput || !n.bufferError || !n.run || !n.errorBuffer)
        return Error("libnftables lacks the functions Layerbox needs", ENOSYS);
    return n;
}

Result<Nft> nftLibrary() {
    static Result<Nft> lib = loadNft();  // loaded once per process
    return lib;
}

}  // namespace

Status loadFirewallLibrary() {
    LB_TRY(nftLibrary());
    return Ok();
}

Status applyFirewall(const std::string& script) {
    if (script.empty()) return Ok();
    LB_ASSIGN(Nft lib, nftLibrary());
    struct nft_ctx* nft = lib.ctxNew(NFT_CTX_DEFAULT);
    if (!nft) return Error("nft_ctx_new failed", ENOMEM);
    lib.bufferOutput(nft);
    lib.bufferError(nft);
    int rc = lib.run(nft, script.c_str());
    const char* buffered = lib.errorBuffer(nft);  // reading it also empties it
    std::string err = trim(buffered ? buffered : "");
    lib.ctxFree(nft);
    if (rc != 0) {
        auto nl = err.find('\n');
        return Error("loading the firewall (nftables): " +
                         (err.empty() ? std::string("failed") : err.substr(0, nl)),
                     EINVAL);
    }
    return Ok();
}

}  // namespace lb

namespace lb {

Result<std::unique_ptr<FirewallLoad>> FirewallLoad::start(int usernsFd, int netnsFd,
                                                          const std::string& script,
                                                          bool dropLogOptional) {
    const std::string plain = dropLogOptional ? withoutDropLog(script) : script;
    int pipeFds[2];
    if (::pipe2(pipeFds, O_CLOEXEC) != 0) return Error::fromErrno("pipe2");
    UniqueFd readEnd(pipeFds[0]), writeEnd(pipeFds[1]);
    const pid_t parent = ::getpid();
    pid_t child = ::fork();
    if (child < 0) return Error::fromErrno("fork");
    if (child == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(1);
        // The runner owns the sandbox's outer user namespace (it created it through the setup
        // process), so it may enter it with every capability there, then its network namespace.
        // Only this short-lived child does: the runner itself keeps no capability. libnftables
        // is loaded by now (loadFirewallLibrary) or here; its context, with its netlink
        // socket, is made here, after setns: in the sandbox's network namespace.
        std::string report;
        if (::setns(usernsFd, CLONE_NEWUSER) != 0) {
            report = "E" + Error::fromErrno("setns(the sandbox's user namespace)").message();
        } else if (::setns(netnsFd, CLONE_NEWNET) != 0) {
            report = "E" + Error::fromErrno("setns(the sandbox's network namespace)").message();
        } else if (auto st = applyFirewall(script); !st) {
            // A kernel without NFLOG (nfnetlink_log) refuses the activity log's "log group"
            // statements: the same firewall without them, and a warning.
            if (plain != script && applyFirewall(plain))
                report = "W" + st.error().message();
            else
                report = "E" + st.error().message();
        }
        if (!report.empty()) (void)!::write(writeEnd.get(), report.data(), report.size());
        ::_exit(report.empty() || report[0] == 'W' ? 0 : 1);
    }
    auto load = std::unique_ptr<FirewallLoad>(new FirewallLoad);
    load->pid_ = child;
    load->report_ = std::move(readEnd);
    return load;
}

Status FirewallLoad::wait(std::string* warning) {
    if (pid_ <= 0) return Error("the firewall's helper process was already waited for", ECHILD);
    std::string report;
    char buf[512];
    ssize_t n;
    while ((n = ::read(report_.get(), buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) report.append(buf, static_cast<size_t>(n));
    report_.reset();
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = 0;
    if (!report.empty() && report[0] == 'E') return Error(report.substr(1), EPERM);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return Error("loading the firewall: the helper process failed", ECHILD);
    if (!report.empty() && warning) *warning = report.substr(1);
    return Ok();
}

FirewallLoad::~FirewallLoad() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
}

Status applyFirewallIn(int usernsFd, int netnsFd, const std::string& script) {
    LB_ASSIGN(auto load, FirewallLoad::start(usernsFd, netnsFd, script));
    return load->wait();
}

}  // namespace lb
