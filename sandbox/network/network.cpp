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

NftMatch daddr(const std::string& addr) {
    return {isV6(addr) ? NftField::Ip6Daddr : NftField::IpDaddr, {addr}};
}

std::vector<std::string> splitList(const std::string& list) {
    std::vector<std::string> out;
    for (size_t from = 0;;) {
        size_t comma = list.find(", ", from);
        out.push_back(list.substr(from, comma - from));
        if (comma == std::string::npos) return out;
        from = comma + 2;
    }
}

// A profile's rule: its destination, its protocol and ports, its verdict (`refuse`: the
// preset's refusal, with or without the drop log).
NftRule ruleOf(const FirewallRule& r, const NftRule& refuse) {
    NftRule rule = refuse;
    if (r.action == "allow") rule = NftRule{};
    if (!r.to.empty()) rule.matches.push_back(daddr(r.to));
    const bool tcpOrUdp = r.proto == "tcp" || r.proto == "udp";
    if (r.portMin != 0) {
        std::string range = r.portMin == r.portMax
                                ? std::to_string(r.portMin)
                                : std::to_string(r.portMin) + "-" + std::to_string(r.portMax);
        if (tcpOrUdp) {
            rule.matches.push_back(
                {r.proto == "tcp" ? NftField::TcpDport : NftField::UdpDport, {range}});
        } else {
            rule.matches.push_back({NftField::MetaL4proto, {"tcp", "udp"}});
            rule.matches.push_back({NftField::ThDport, {range}});
        }
    } else if (tcpOrUdp) {
        rule.matches.push_back({NftField::MetaL4proto, {r.proto}});
    } else if (r.proto == "icmp") {
        rule.matches.push_back({NftField::MetaL4proto, {"icmp", "ipv6-icmp"}});
    }
    return rule;
}

}  // namespace

NftTable planFirewallTable(const NetworkConfig& net, bool logDrops, const HostNetworks& host) {
    NftTable t;
    if (net.mode != NetMode::Nat) return t;  // loopback only: nothing leaves anyway
    // Blocked packets are rejected, not dropped: a TCP connect then fails at once with "No
    // route to host" (EHOSTUNREACH) instead of hanging until its timeout. With the activity
    // log each refusal is copied to the sandbox's NFLOG group first (network/drop_log.h); the
    // verdict is the same.
    NftRule refuse;
    refuse.accept = false;
    if (logDrops) refuse.logGroup = kDropLogGroup;
    auto refusing = [&](std::vector<NftMatch> m) {
        NftRule r = refuse;
        r.matches = std::move(m);
        return r;
    };
    auto accepting = [](std::vector<NftMatch> m) { return NftRule{std::move(m), -1, true}; };
    const bool hostOnly = net.firewall == "host-only";
    const bool internetOnly = net.firewall == "internet-only";
    // The host's own addresses and on-link networks (host_networks.h): read by the runner
    // before the fork, loaded with the rules, kept current while the sandbox runs.
    if (internetOnly) {
        t.sets.push_back({"host_v4", false, true, false, host.v4});
        t.sets.push_back({"host_v6", true, true, false, host.v6});
    }
    // The addresses Layerbox's resolver answered, each for its TTL (dns_filter.h, kDnsSetV4).
    const bool names = net.filtersNames();
    if (names) {
        t.sets.push_back({"dns_v4", false, false, true, {}});
        t.sets.push_back({"dns_v6", true, false, true, {}});
    }
    auto& out = t.output;
    out.push_back(accepting({{NftField::OifName, {"lo"}}}));
    // IPv6 is configured by slirp4netns' router advertisement: router and neighbour discovery
    // (to multicast and link-local addresses, which the presets refuse) must pass. tap0 has no
    // other peer than slirp4netns, and these messages carry nothing to a service.
    if (net.ipv6)
        out.push_back(
            accepting({{NftField::Icmpv6Type,
                        {"nd-router-solicit", "nd-neighbor-solicit", "nd-neighbor-advert"}}}));
    // Replies of services the sandbox offers through port forwards go to the gateway.
    for (const auto& p : net.ports)
        out.push_back(accepting({daddr(kSlirpHost),
                                 {p.proto == "udp" ? NftField::UdpSport : NftField::TcpSport,
                                  {std::to_string(p.sandbox)}}}));
    // Name resolution through the configured servers (with a domain list the resolver asks
    // them, from the host: the sandbox reaches only the resolver, on its loopback).
    if (!hostOnly && !names) {
        std::vector<std::string> dns = net.dns;
        if (dns.empty()) {
            dns.push_back(kSlirpDns);
            if (net.ipv6) dns.push_back(kSlirpDns6);
        }
        for (const auto& d : dns)
            out.push_back(accepting(
                {daddr(d), {NftField::MetaL4proto, {"tcp", "udp"}}, {NftField::ThDport, {"53"}}}));
    }
    // The profile's rules, in order: the first that matches decides.
    for (const auto& r : net.rules)
        out.push_back(ruleOf(r, refuse));
    if (internetOnly) {
        // No LAN, link-local, CGNAT, unique-local or multicast, and not the host (10.0.2.2,
        // inside 10/8): untrusted software cannot reach the router, other machines or local
        // services.
        out.push_back(refusing({{NftField::IpDaddr, splitList(kInternetOnlyRanges4)}}));
        out.push_back(refusing({{NftField::Ip6Daddr, splitList(kInternetOnlyRanges6)}}));
        // Nor the host through any of its own addresses (a public one on eth0, a docker
        // bridge, a VPN, IPv6), nor a LAN that uses other ranges: slirp4netns connects from the
        // host's own network stack, where all of them are local or on-link.
        out.push_back(refusing({{NftField::IpDaddr, {"@host_v4"}}}));
        out.push_back(refusing({{NftField::Ip6Daddr, {"@host_v6"}}}));
    }
    if (names) {
        // A connection that was allowed when it started stays allowed after its address's
        // time is up (the answer's TTL limits new connections, not open ones). Only after the
        // preset's refusals: a host address added meanwhile still cuts it.
        out.push_back(accepting({{NftField::CtState, {"established,related"}}}));
        // No other resolver: DNS, DNS over TLS (853) to any server, even to an allowed
        // name's address, unless one of the profile's rules above allowed it.
        out.push_back(refusing(
            {{NftField::MetaL4proto, {"tcp", "udp"}}, {NftField::ThDport, {"53", "853"}}}));
        out.push_back(accepting({{NftField::IpDaddr, {"@dns_v4"}}}));
        out.push_back(accepting({{NftField::Ip6Daddr, {"@dns_v6"}}}));
        // Every other number, whether the program knew it or guessed it.
        out.push_back(refuse);
    }
    if (hostOnly) out.push_back(refuse);  // nothing else leaves
    return t;
}

std::string planFirewall(const NetworkConfig& net, bool logDrops, const HostNetworks& host) {
    NftTable t = planFirewallTable(net, logDrops, host);
    return t.empty() ? std::string() : formatNftTable(t);
}

std::string withoutDropLog(const std::string& script) {
    std::string plain = script;
    const std::string logStmt = "log group " + std::to_string(kDropLogGroup) + " ";
    for (size_t at; (at = plain.find(logStmt)) != std::string::npos;)
        plain.erase(at, logStmt.size());
    return plain;
}

namespace {

// libnftables is loaded only when a script is loaded: the runtime updates of the sets
// (host_networks.h, dns_filter.h), never at launch (the launch's firewall is a netlink batch of
// Layerbox's own, nft_batch.h): linking it would make every `layerbox` start pay for it and its
// dependencies.
struct Nft {
    decltype(&nft_ctx_new) ctxNew = nullptr;
    decltype(&nft_ctx_free) ctxFree = nullptr;
    decltype(&nft_ctx_buffer_output) bufferOutput = nullptr;
    decltype(&nft_ctx_buffer_error) bufferError = nullptr;
    decltype(&nft_run_cmd_from_buffer) run = nullptr;
    decltype(&nft_ctx_get_error_buffer) errorBuffer = nullptr;
    decltype(&nft_ctx_get_output_buffer) outputBuffer = nullptr;
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
    n.outputBuffer =
        reinterpret_cast<decltype(n.outputBuffer)>(::dlsym(h, "nft_ctx_get_output_buffer"));
    if (!n.ctxNew || !n.ctxFree || !n.bufferOutput || !n.bufferError || !n.run || !n.errorBuffer ||
        !n.outputBuffer)
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

namespace {

// One nftables command line or script, its output (list commands) or its first error line.
Result<std::string> runNft(const std::string& script) {
    LB_ASSIGN(Nft lib, nftLibrary());
    struct nft_ctx* nft = lib.ctxNew(NFT_CTX_DEFAULT);
    if (!nft) return Error("nft_ctx_new failed", ENOMEM);
    lib.bufferOutput(nft);
    lib.bufferError(nft);
    int rc = lib.run(nft, script.c_str());
    const char* buffered = lib.errorBuffer(nft);  // reading it also empties it
    std::string err = trim(buffered ? buffered : "");
    const char* output = lib.outputBuffer(nft);
    std::string out = output ? output : "";
    lib.ctxFree(nft);
    if (rc != 0) {
        auto nl = err.find('\n');
        return Error("loading the firewall (nftables): " +
                         (err.empty() ? std::string("failed") : err.substr(0, nl)),
                     EINVAL);
    }
    return out;
}

}  // namespace

Status applyFirewall(const std::string& script) {
    if (script.empty()) return Ok();
    LB_TRY(runNft(script));
    return Ok();
}

Result<std::string> listFirewall() {
    return runNft("list ruleset");
}

}  // namespace lb

namespace lb {

Result<std::unique_ptr<FirewallLoad>> FirewallLoad::start(int usernsFd, int netnsFd,
                                                          const NftTable& table,
                                                          bool dropLogOptional) {
    // Encoded here, before the fork: the child only sends bytes.
    LB_ASSIGN(NftBatch batch, planNftBatch(table));
    NftBatch plain;
    if (dropLogOptional) {
        LB_ASSIGN(plain, planNftBatch(withoutLogging(table)));
    }
    return fork(usernsFd, netnsFd, [&]() -> std::string {
        auto st = applyNftBatch(batch);
        if (st) return {};
        // A kernel without NFLOG (nfnetlink_log) refuses the activity log's "log group"
        // statements: the same firewall without them, and a warning. Only when the kernel
        // refused a rule that logs (the batch is one transaction: that left nothing behind);
        // any other failure, and one whose outcome is unknown, stays an error.
        const bool logRefused = st.error().message().find(" log group ") != std::string::npos;
        if (dropLogOptional && logRefused && plain.bytes != batch.bytes && applyNftBatch(plain))
            return "W" + st.error().message();
        return "E" + st.error().message();
    });
}

Result<std::unique_ptr<FirewallLoad>> FirewallLoad::startScript(int usernsFd, int netnsFd,
                                                                const std::string& script) {
    LB_TRY(loadFirewallLibrary());  // before the fork: the child only calls into it
    return fork(usernsFd, netnsFd, [&]() -> std::string {
        auto st = applyFirewall(script);
        return st ? std::string() : "E" + st.error().message();
    });
}

Result<std::unique_ptr<FirewallLoad>> FirewallLoad::fork(int usernsFd, int netnsFd,
                                                         const std::function<std::string()>& load) {
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
        // Only this short-lived child does: the runner itself keeps no capability. The netlink
        // socket (the batch's, or libnftables' context's) is made after setns: in the
        // sandbox's network namespace.
        std::string report;
        if (::setns(usernsFd, CLONE_NEWUSER) != 0)
            report = "E" + Error::fromErrno("setns(the sandbox's user namespace)").message();
        else if (::setns(netnsFd, CLONE_NEWNET) != 0)
            report = "E" + Error::fromErrno("setns(the sandbox's network namespace)").message();
        else
            report = load();
        if (!report.empty()) (void)!::write(writeEnd.get(), report.data(), report.size());
        ::_exit(report.empty() || report[0] == 'W' ? 0 : 1);
    }
    auto load_ = std::unique_ptr<FirewallLoad>(new FirewallLoad);
    load_->pid_ = child;
    load_->report_ = std::move(readEnd);
    return load_;
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
    LB_ASSIGN(auto load, FirewallLoad::startScript(usernsFd, netnsFd, script));
    return load->wait();
}

}  // namespace lb
