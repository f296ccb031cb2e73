#include "network/network.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <net/if.h>
#include <nftables/libnftables.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "base/fsutil.h"
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

std::string ruleLine(const FirewallRule& r) {
    std::string line;
    if (!r.to.empty()) line += std::string(isV6(r.to) ? "ip6" : "ip") + " daddr " + r.to + " ";
    std::string ports = portMatch(r.proto, r.portMin, r.portMax);
    if (!ports.empty())
        line += ports + " ";
    else if (r.proto == "tcp" || r.proto == "udp")
        line += "meta l4proto " + r.proto + " ";
    else if (r.proto == "icmp")
        line += "meta l4proto { icmp, ipv6-icmp } ";
    line += r.action == "allow" ? "accept" : kBlock;
    return line;
}

}  // namespace

std::string planFirewall(const NetworkConfig& net) {
    if (net.mode != NetMode::Nat) return {};  // loopback only: nothing leaves anyway
    const bool hostOnly = net.firewall == "host-only";
    const bool internetOnly = net.firewall == "internet-only";
    std::string s = "table inet layerbox {\n  chain output {\n";
    s += "    type filter hook output priority filter; policy accept;\n";
    s += "    oifname \"lo\" accept\n";
    // Replies of services the sandbox offers through port forwards go to the gateway.
    for (const auto& p : net.ports)
        s += "    ip daddr " + std::string(kSlirpHost) + " " + p.proto + " sport " +
             std::to_string(p.sandbox) + " accept\n";
    // Name resolution through the configured servers.
    if (!hostOnly) {
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
        s += "    " + ruleLine(r) + "\n";
    if (internetOnly) {
        // No LAN, link-local, CGNAT, unique-local or multicast, and not the host (10.0.2.2,
        // inside 10/8): untrusted software cannot reach the router, other machines or local
        // services.
        s += "    ip daddr { 0.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, 169.254.0.0/16, 172.16.0.0/12, "
             "192.168.0.0/16, 224.0.0.0/4, 240.0.0.0/4 } " +
             std::string(kBlock) + "\n";
        s += "    ip6 daddr { fc00::/7, fe80::/10, ff00::/8 } " + std::string(kBlock) + "\n";
    }
    if (hostOnly) s += std::string("    ") + kBlock + "\n";  // nothing else leaves
    s += "  }\n}\n";
    return s;
}

namespace {

// libnftables is loaded only when a firewall is loaded (network "nat"), by the setup process:
// linking it would make every `layerbox` start pay for it and its dependencies.
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

}  // namespace

Status applyFirewall(const std::string& script) {
    if (script.empty()) return Ok();
    LB_ASSIGN(Nft lib, loadNft());
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
