// The pure plan() of every concern, without privileges: what will be mounted, filtered,
// mapped, configured and asked of systemd, for a given profile and host.
#include <QtTest>

#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>

#include "environment.h"
#include "hostinfo.h"
#include "instances.h"
#include "join.h"
#include "mounts.h"
#include "network.h"
#include "profile.h"
#include "scope.h"
#include "slirp.h"
#include "syscall_filter.h"
#include "userns.h"

using namespace lb;

namespace {

HostInfo fakeHost() {
    HostInfo h;
    h.uid = 1000;
    h.gid = 1000;
    h.user = "alice";
    h.home = "/home/alice";
    h.shell = "/bin/bash";
    h.rootDirs = {"usr",  "etc", "opt", "var", "srv",   "home", "root", "tmp",
                  "proc", "sys", "dev", "run", "media", "mnt",  "boot", "work"};
    h.rootSymlinks = {{"bin", "usr/bin"},
                      {"lib", "usr/lib"},
                      {"lib64", "usr/lib64"},
                      {"initrd.img", "boot/initrd.img"}};
    h.dirsWithSubmounts = {"proc", "sys", "dev", "run"};
    return h;
}

const MountOp* find(const MountPlan& p, MountKind k, const std::string& target) {
    for (const auto& o : p.ops)
        if (o.kind == k && o.target == target) return &o;
    return nullptr;
}

size_t indexOf(const MountPlan& p, MountKind k, const std::string& target) {
    for (size_t i = 0; i < p.ops.size(); ++i)
        if (p.ops[i].kind == k && p.ops[i].target == target) return i;
    return SIZE_MAX;
}

bool hasRule(const SeccompPlan& p, const std::string& call, int err) {
    return std::any_of(p.rules.begin(), p.rules.end(), [&](const SeccompRule& r) {
        return r.syscall == call && r.errnoValue == err;
    });
}

}  // namespace

class TstPlans : public QObject {
    Q_OBJECT

private slots:
    void mountsLayout() {
        Profile p;
        p.name = "t";
        StorageLayout s{"/data/sandboxes/t", false, {}, Driver::Native};
        auto plan = planMounts(p, fakeHost(), s);
        QCOMPARE(plan.ops.front().kind, MountKind::RootTmpfs);
        // Each system directory is an overlay of the host's; unknown top-level dirs are absent.
        for (const char* d : {"/usr", "/etc", "/opt", "/var", "/srv"}) {
            auto* o = find(plan, MountKind::Overlay, d);
            QVERIFY2(o, d);
            QCOMPARE(o->overlay.lowers, std::vector<std::string>{d});
            QCOMPARE(o->overlay.upper, std::string("upper") + d);
            QCOMPARE(o->overlay.work, std::string("work/native") + d);
        }
        QVERIFY(!find(plan, MountKind::Overlay, "/work"));
        QVERIFY(!find(plan, MountKind::Overlay, "/root"));
        QVERIFY(!find(plan, MountKind::Overlay, "/media"));
        // Top-level links into system dirs are kept, others are not.
        QVERIFY(find(plan, MountKind::Symlink, "/bin"));
        QVERIFY(!find(plan, MountKind::Symlink, "/initrd.img"));
        // Private home from the storage, tmpfs for /tmp, /var/tmp, /run; a private /dev.
        auto* home = find(plan, MountKind::Bind, "/home/alice");
        QVERIFY(home && home->fromStorage && !home->readOnly);
        QCOMPARE(home->source, std::string("upper/home/alice"));
        QVERIFY(find(plan, MountKind::Tmpfs, "/tmp"));
        QVERIFY(find(plan, MountKind::Tmpfs, "/var/tmp"));
        QVERIFY(find(plan, MountKind::Dir, "/run/user/1000"));
        QCOMPARE(plan.runtimeDir, std::string("/run/user/1000"));
        for (const char* d :
             {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"}) {
            auto* b = find(plan, MountKind::Bind, d);
            QVERIFY2(b && b->device, d);
        }
        QVERIFY(!find(plan, MountKind::Bind, "/dev/sda"));
        QVERIFY(find(plan, MountKind::Devpts, "/dev/pts"));
        // /proc comes in phase 2 and the root is made read-only last.
        QCOMPARE(find(plan, MountKind::Proc, "/proc")->phase(), 2);
        QCOMPARE(plan.ops.back().kind, MountKind::RemountRootReadOnly);
        QVERIFY(find(plan, MountKind::ProcReadOnly, "/proc/sys"));
        QVERIFY(!plan.usesFuse);
        // The host's name does not show through.
        auto* hn = find(plan, MountKind::GeneratedFile, "/etc/hostname");
        QVERIFY(hn);
        QCOMPARE(hn->content, std::string("\n"));  // profile's hostname unset in this bare struct
    }

    void mountsFollowTheProfile() {
        Profile p;
        p.name = "t";
        p.filesystem.home = HomeMode::Overlay;
        p.filesystem.binds = {{"~/Downloads", "~/Downloads", true, true, false},
                              {"/srv/data", "/data", false, false, true}};
        p.filesystem.hide = {"~/.ssh"};
        p.filesystem.devices = {"/dev/kvm"};
        StorageLayout s{"/d", false, {"/layers/a/root", "/layers/b/root"}, Driver::Fuse};
        auto host = fakeHost();
        host.dirsWithSubmounts.insert("opt");
        auto plan = planMounts(p, host, s);
        auto* usr = find(plan, MountKind::Overlay, "/usr");
        QCOMPARE(usr->overlay.lowers,
                 (std::vector<std::string>{"/layers/a/root/usr", "/layers/b/root/usr", "/usr"}));
        QCOMPARE(usr->overlay.driver, Driver::Fuse);
        QCOMPARE(usr->overlay.work, std::string("work/fuse/usr"));
        auto* home = find(plan, MountKind::Overlay, "/home/alice");
        QCOMPARE(home->overlay.lowers.back(), std::string("/home/alice"));
        auto* dl = find(plan, MountKind::Bind, "/home/alice/Downloads");
        QVERIFY(dl && !dl->readOnly && dl->createSource);
        QCOMPARE(dl->source, std::string("/home/alice/Downloads"));
        auto* data = find(plan, MountKind::Bind, "/data");
        QVERIFY(data && data->readOnly && data->optional);
        QVERIFY(find(plan, MountKind::Bind, "/dev/kvm")->device);
        // Hidden paths come after the binds and the home, so nothing can remount over them.
        QVERIFY(indexOf(plan, MountKind::Hide, "/home/alice/.ssh") >
                indexOf(plan, MountKind::Bind, "/data"));
        QVERIFY(plan.usesFuse);
        // The data of all sandboxes is hidden, in case the real home shows through.
        QVERIFY(find(plan, MountKind::Hide, "/home/alice/.local/share/layerbox"));
        // A system dir carrying submounts needs fuse even when native was chosen.
        s.driver = Driver::Native;
        auto plan2 = planMounts(p, host, s);
        QCOMPARE(find(plan2, MountKind::Overlay, "/opt")->overlay.driver, Driver::Fuse);
        QCOMPARE(find(plan2, MountKind::Overlay, "/opt")->overlay.work,
                 std::string("work/fuse/opt"));
        QCOMPARE(find(plan2, MountKind::Overlay, "/usr")->overlay.driver, Driver::Native);
        // tmpfs home: nothing kept.
        p.filesystem.home = HomeMode::Tmpfs;
        auto plan3 = planMounts(p, host, s);
        QVERIFY(find(plan3, MountKind::Tmpfs, "/home/alice"));
    }

    void seccompDefault() {
        SecurityConfig sec;
        auto p = planSeccomp(sec);
        for (const char* c :
             {"mount", "umount2", "pivot_root", "unshare", "setns", "chroot", "keyctl", "add_key",
              "bpf", "userfaultfd", "ptrace", "perf_event_open", "syslog", "acct"})
            QVERIFY2(hasRule(p, c, EPERM), c);
        for (const char* c : {"clone3", "open_tree", "fsopen", "move_mount", "io_uring_setup"})
            QVERIFY2(hasRule(p, c, ENOSYS), c);
        // TIOCSTI and TIOCLINUX match on the low 32 bits only.
        int ioctlRules = 0;
        for (const auto& r : p.rules)
            if (r.syscall == "ioctl") {
                ++ioctlRules;
                QCOMPARE(r.conds.size(), size_t(1));
                QCOMPARE(r.conds[0].mask, uint64_t(0xFFFFFFFFu));
                QVERIFY(r.conds[0].value == TIOCSTI || r.conds[0].value == TIOCLINUX);
            }
        QCOMPARE(ioctlRules, 2);
        // clone with CLONE_NEWUSER, not clone in general.
        auto clone = std::find_if(p.rules.begin(), p.rules.end(),
                                  [](const SeccompRule& r) { return r.syscall == "clone"; });
        QVERIFY(clone != p.rules.end());
        QCOMPARE(clone->conds[0].value, uint64_t(CLONE_NEWUSER));
        // Socket families: unix, inet, inet6, netlink pass; packet sockets do not.
        bool packetDenied = false;
        for (const auto& r : p.rules)
            if (r.syscall == "socket" &&
                ((r.conds[0].op == SeccompCond::MaskedEq && r.conds[0].value == AF_PACKET) ||
                 (r.conds[0].op == SeccompCond::GreaterEq && r.conds[0].value <= AF_PACKET)))
                packetDenied = true;
        QVERIFY(packetDenied);
        for (const auto& r : p.rules)
            if (r.syscall == "socket" && r.conds[0].op == SeccompCond::MaskedEq)
                QVERIFY(r.conds[0].value != AF_UNIX && r.conds[0].value != AF_INET &&
                        r.conds[0].value != AF_INET6 && r.conds[0].value != AF_NETLINK);
        QVERIFY(p.multiarch);
        auto bpf = compileSeccomp(p);
        QVERIFY2(bpf.ok(), bpf.ok() ? "" : bpf.error().message().c_str());
        QVERIFY(bpf->size() > 100);
    }

    void seccompProfileChoices() {
        SecurityConfig sec;
        sec.nestedSandboxes = true;
        sec.devel = true;
        sec.allowSyscalls = {"keyctl"};
        sec.denySyscalls = {"uname"};
        auto p = planSeccomp(sec);
        // nested sandboxes relax exactly the namespace rules...
        for (const char* c : {"unshare", "setns", "clone", "chroot"})
            QVERIFY2(!hasRule(p, c, EPERM), c);
        QVERIFY(hasRule(p, "mount", EPERM));
        QVERIFY(hasRule(p, "clone3", ENOSYS));
        // ...devel allows debugging...
        QVERIFY(!hasRule(p, "ptrace", EPERM));
        QVERIFY(!hasRule(p, "perf_event_open", EPERM));
        // ...and the profile's own lists apply last.
        QVERIFY(!hasRule(p, "keyctl", EPERM));
        QVERIFY(hasRule(p, "uname", EPERM));
        sec.seccomp = "strict";
        auto strict = planSeccomp(sec);
        QVERIFY(hasRule(strict, "ptrace", EPERM));  // devel is ignored under strict
        QVERIFY(hasRule(strict, "modify_ldt", EPERM));
        QVERIFY(!strict.multiarch);
        QVERIFY(compileSeccomp(strict).ok());
    }

    void idMaps() {
        auto m = planIdMaps(1000, 100);
        QCOMPARE(m.outer.uidMap, std::string("0 1000 1\n"));
        QCOMPARE(m.outer.gidMap, std::string("0 100 1\n"));
        QCOMPARE(m.inner.uidMap, std::string("1000 0 1\n"));
        QCOMPARE(m.inner.gidMap, std::string("100 0 1\n"));
    }

    void environment() {
        EnvironmentConfig cfg;
        cfg.keep = {"LANG", "LC_*", "TERM"};
        cfg.set = {{"FOO", "bar"}, {"HOME", "/override"}};
        EnvContext ctx{"/home/alice", "alice",    "/bin/bash",        "/run/user/1000",
                       "p",           "abcd1234", {{"DISPLAY", ":0"}}};
        auto env = planEnvironment(cfg,
                                   {"LANG=C.UTF-8", "LC_TIME=en_GB", "SSH_AUTH_SOCK=/x",
                                    "TERM=xterm", "DBUS_SESSION_BUS_ADDRESS=y", "LCX=1"},
                                   ctx);
        auto has = [&](const std::string& kv) {
            return std::find(env.begin(), env.end(), kv) != env.end();
        };
        QVERIFY(has("LANG=C.UTF-8"));
        QVERIFY(has("LC_TIME=en_GB"));
        QVERIFY(has("TERM=xterm"));
        QVERIFY(has("DISPLAY=:0"));
        QVERIFY(has("FOO=bar"));
        QVERIFY(has("HOME=/override"));  // the profile's "set" wins
        QVERIFY(has("XDG_RUNTIME_DIR=/run/user/1000"));
        QVERIFY(has("LAYERBOX_INSTANCE=abcd1234"));
        for (const auto& kv : env) {
            QVERIFY(!kv.starts_with("SSH_AUTH_SOCK="));
            QVERIFY(!kv.starts_with("DBUS_SESSION_BUS_ADDRESS="));
            QVERIFY(!kv.starts_with("LCX="));
        }
        QVERIFY(std::is_sorted(env.begin(), env.end()));
    }

    void firewall() {
        NetworkConfig net;
        QCOMPARE(planFirewall(net), std::string());  // none: nothing to filter
        net.mode = NetMode::Nat;
        net.firewall = "internet-only";
        auto s = planFirewall(net);
        for (const char* range : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
                                  "100.64.0.0/10", "fc00::/7", "fe80::/10"})
            QVERIFY2(s.find(range) != std::string::npos, range);
        QVERIFY(s.find("ip daddr 10.0.2.3 meta l4proto { tcp, udp } th dport 53 accept") !=
                std::string::npos);
        QVERIFY(s.find("oifname \"lo\" accept") != std::string::npos);
        // Rules come before the preset, in order; port forwards' replies pass.
        net.rules = {{"deny", "10.0.2.2/32", 8000, 8100, "tcp"},
                     {"allow", "192.168.1.10/32", 631, 631, "any"}};
        net.ports = {{8080, 80, "tcp", "127.0.0.1"}};
        s = planFirewall(net);
        auto deny = s.find("ip daddr 10.0.2.2/32 tcp dport 8000-8100 reject");
        auto allow =
            s.find("ip daddr 192.168.1.10/32 meta l4proto { tcp, udp } th dport 631 accept");
        auto preset = s.find("192.168.0.0/16");
        QVERIFY(deny != std::string::npos && allow != std::string::npos);
        QVERIFY(deny < allow && allow < preset);
        QVERIFY(s.find("ip daddr 10.0.2.2 tcp sport 80 accept") != std::string::npos);
        net.firewall = "host-only";
        net.rules.clear();
        s = planFirewall(net);
        QVERIFY(s.find("dport 53") == std::string::npos);
        QVERIFY(s.rfind("reject with icmpx type admin-prohibited\n  }") != std::string::npos);
        net.firewall = "open";
        s = planFirewall(net);
        QVERIFY(s.find("reject") == std::string::npos);
    }

    void networkFiles() {
        NetworkConfig net;
        net.hostname = "box";
        auto files = planNetworkFiles(net);
        QCOMPARE(files.size(), size_t(2));  // no resolv.conf without network
        QCOMPARE(files[0].second, std::string("box\n"));
        QVERIFY(files[1].second.find("127.0.1.1\tbox\n") != std::string::npos);
        net.mode = NetMode::Nat;
        net.ipv6 = true;
        files = planNetworkFiles(net);
        QCOMPARE(files[2].first, std::string("/etc/resolv.conf"));
        QVERIFY(files[2].second.find("nameserver 10.0.2.3\nnameserver fd00::3\n") !=
                std::string::npos);
        net.dns = {"9.9.9.9"};
        QVERIFY(planNetworkFiles(net)[2].second.find("nameserver 9.9.9.9\n") != std::string::npos);
    }

    void slirpArgs() {
        NetworkConfig net;
        net.mode = NetMode::Nat;
        net.mtu = 1500;
        SlirpFeatures f;
        f.path = "/usr/bin/slirp4netns";
        f.sandbox = f.seccomp = f.disableHostLoopback = f.apiSocket = f.ipv6 = f.mtu = f.readyFd =
            f.exitFd = true;
        auto a = planSlirpArgs(net, f, 4242, 5, 6, "/run/x.sock");
        std::vector<std::string> want = {"/usr/bin/slirp4netns",
                                         "--configure",
                                         "--mtu=1500",
                                         "--disable-host-loopback",
                                         "--enable-sandbox",
                                         "--enable-seccomp",
                                         "--ready-fd=5",
                                         "--exit-fd=6",
                                         "--api-socket=/run/x.sock",
                                         "4242",
                                         "tap0"};
        QCOMPARE(a, want);
        net.hostLoopback = true;
        net.ipv6 = true;
        a = planSlirpArgs(net, f, 1, 5, 6, "/s");
        QVERIFY(std::find(a.begin(), a.end(), "--disable-host-loopback") == a.end());
        QVERIFY(std::find(a.begin(), a.end(), "--enable-ipv6") != a.end());
        f.sandbox = false;  // an older slirp4netns without the flag
        a = planSlirpArgs(net, f, 1, 5, 6, "/s");
        QVERIFY(std::find(a.begin(), a.end(), "--enable-sandbox") == a.end());
    }

    void scope() {
        ResourceConfig r;
        r.memoryMax = 2ull << 30;
        r.cpuPercent = 150;
        r.tasksMax = 100;
        r.ioWeight = 20;
        auto p = planScope("my-app", "abcd1234", r);
        QCOMPARE(p.unit, std::string("app-layerbox-my\\x2dapp-abcd1234.scope"));
        QCOMPARE(p.slice, std::string("app-layerbox.slice"));
        auto get = [&](const char* n) {
            for (const auto& l : p.limits)
                if (l.name == n) return l.value;
            return uint64_t(0);
        };
        QCOMPARE(get("MemoryMax"), 2ull << 30);
        QCOMPARE(get("CPUQuotaPerSecUSec"), uint64_t(1500000));
        QCOMPARE(get("TasksMax"), uint64_t(100));
        r = {};
        r.cpuPercent = 1;  // rounds up to systemd's 10 ms granularity, never to zero
        QCOMPARE(planScope("a", "b", r).limits[0].value, uint64_t(10000));
        auto rep = planLimitsReport(p, {"memory", "pids"});
        QCOMPARE(rep.enforced, (std::vector<std::string>{"memory_max", "tasks_max"}));
        QCOMPARE(rep.recorded, (std::vector<std::string>{"cpu_percent", "io_weight"}));
    }

    void instanceRecordsRoundTrip() {
        InstanceRecord r;
        r.id = "abcd1234";
        r.profile = "p";
        r.runnerPid = 10;
        r.pid = 12;
        r.command = {"sh", "-c", "echo 'a\nb' %"};
        r.startedUnix = 1795800000;
        r.scope = "app-layerbox-p-abcd1234.scope";
        r.limitsEnforced = {"memory_max"};
        auto back = decodeRecord(encodeRecord(r));
        QVERIFY(back);
        QCOMPARE(back->command, r.command);
        QCOMPARE(back->scope, r.scope);
        QCOMPARE(back->limitsEnforced, r.limitsEnforced);
        QVERIFY(back->limitsRecorded.empty());
        QVERIFY(!decodeRecord("garbage"));
        QVERIFY(!decodeRecord("id=x\nrunner_pid=notanumber\nprofile=p\n"));
        QCOMPARE(isoTime(0), std::string("1970-01-01T00:00:00Z"));
    }

    void execRequestsRoundTrip() {
        ExecRequest r{"/home/a", {"sh", "-c", "x y"}, {"A=1", "B=2"}, true};
        auto back = decodeExecRequest(encodeExecRequest(r));
        QVERIFY(back);
        QCOMPARE(back->argv, r.argv);
        QCOMPARE(back->env, r.env);
        QCOMPARE(back->cwd, r.cwd);
        QVERIFY(back->pty);
        QVERIFY(!decodeExecRequest("nope"));
    }
};

QTEST_GUILESS_MAIN(TstPlans)
#include "tst_plans.moc"
