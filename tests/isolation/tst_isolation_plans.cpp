// The pure plans of the isolation concerns, without privileges: what will be mounted, filtered,
// mapped and put in the environment, for a given profile and host.
#include <QtTest>

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include <algorithm>

#include "base/hostinfo.h"
#include "base/paths.h"
#include "isolation/environment.h"
#include "isolation/file_grants.h"
#include "isolation/mounts.h"
#include "isolation/seccomp.h"
#include "isolation/seccomp_cache.h"
#include "isolation/userns.h"
#include "profile/profile.h"

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

class TstIsolationPlans : public QObject {
    Q_OBJECT

private slots:
    // Files given to a sandbox (issue 20): what a profile sees without a grant, what may never
    // be granted, the command's marked files, and where a grant's mount goes.
    void grantVisibility() {
        Profile p;
        p.name = "t";
        const std::string home = "/home/u";
        QVERIFY(visibleInside(p, home, "/usr/bin/tool"));  // the system folders' overlays
        QVERIFY(visibleInside(p, home, "/opt/app/run"));
        QVERIFY(!visibleInside(p, home, "/home/u/Downloads/x.sh"));  // private home
        QVERIFY(!visibleInside(p, home, "/tmp/x"));                  // private /tmp
        QVERIFY(!visibleInside(p, home, "/var/tmp/x"));
        QVERIFY(!visibleInside(p, home, "/data/x"));  // not a system folder
        p.filesystem.binds.push_back({"~/Pictures", "~/Pictures", true});
        p.filesystem.binds.push_back({"/srv/other", "~/Elsewhere", false});
        QVERIFY(visibleInside(p, home, "/home/u/Pictures/a.png"));
        QVERIFY(!visibleInside(p, home, "/home/u/Elsewhere/a.png"));  // another file is there
        p.filesystem.hide.push_back("/usr/secret");
        QVERIFY(!visibleInside(p, home, "/usr/secret/x"));
        const std::vector<std::string> own{"/home/u/.local/share/layerbox",
                                           "/run/user/1000/layerbox"};
        QCOMPARE(grantRefused(p, home, own, "/home/u/a"), std::string());
        QVERIFY(grantRefused(p, home, own, "/usr/secret/x").find("hides") != std::string::npos);
        QVERIFY(grantRefused(p, home, own, "/home/u/.local/share/layerbox/sandboxes/x/grants")
                    .find("never granted") != std::string::npos);
        // The runtime state: the compiled seccomp filters of later launches.
        QVERIFY(grantRefused(p, home, own, "/run/user/1000/layerbox/seccomp/0123456789abcdef.bpf")
                    .find("never granted") != std::string::npos);
        p.filesystem.home = HomeMode::Overlay;
        QVERIFY(visibleInside(p, home, "/home/u/Downloads/x.sh"));
    }

    void fileArgsOfACommand() {
        auto a = planFileArgs({"gimp", "@@", "/a.png", "file:///b%20c.png", "https://x.org/", "@@",
                               "--", "@@rw", "/d.txt", "@@"});
        QVERIFY(a);
        QCOMPARE(a->argv, (std::vector<std::string>{"gimp", "/a.png", "/b c.png", "https://x.org/",
                                                    "--", "/d.txt"}));
        QCOMPARE(a->files.size(), size_t(3));
        QCOMPARE(a->files[0], (std::pair<std::string, bool>{"/a.png", false}));
        QCOMPARE(a->files[1], (std::pair<std::string, bool>{"/b c.png", false}));
        QCOMPARE(a->files[2], (std::pair<std::string, bool>{"/d.txt", true}));
        auto none = planFileArgs({"gimp", "@@", "@@"});  // a menu entry started without files
        QVERIFY(none);
        QCOMPARE(none->argv, std::vector<std::string>{"gimp"});
        QVERIFY(none->files.empty());
        QVERIFY(!planFileArgs({"gimp", "@@", "/a.png"}));
    }

    void grantMountsGoAfterTheBinds() {
        Profile p;
        p.name = "t";
        p.filesystem.binds.push_back({"/srv/x", "/srv/x", false});
        p.filesystem.hide.push_back("/srv/hidden");
        StorageLayout s{"/data/sandboxes/t", false, {}, Driver::Native};
        auto g = planGrantMount({"/home/u/Downloads/a.sh", false, 1, 2});
        QVERIFY(g.grant && g.readOnly);
        QCOMPARE(g.source, g.target);
        auto plan = planMounts(p, fakeHost(), s, {}, {g});
        size_t bindAt = indexOf(plan, MountKind::Bind, "/srv/x");
        size_t grantAt = indexOf(plan, MountKind::Bind, "/home/u/Downloads/a.sh");
        size_t hideAt = indexOf(plan, MountKind::Hide, "/srv/hidden");
        QVERIFY(bindAt < grantAt && grantAt < hideAt && hideAt != SIZE_MAX);
        QCOMPARE(plan.ops[grantAt].describe(), std::string("grant /home/u/Downloads/a.sh ro"));
        QVERIFY(planGrantMount({"/x", true, 1, 2}).readOnly == false);
    }

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

    // filesystem.private_etc: /etc is a tmpfs with only the listed host entries, read-only and
    // checked like a profile's bind; no overlay (and no upper layer) for /etc; Layerbox's own
    // files still come over it.
    void privateEtc() {
        Profile p;
        p.name = "t";
        p.filesystem.privateEtc = std::vector<std::string>{"fonts", "passwd"};
        StorageLayout s{"/data/sandboxes/t", false, {"/layers/a/root"}, Driver::Native};
        auto plan = planMounts(p, fakeHost(), s);
        QVERIFY(!find(plan, MountKind::Overlay, "/etc"));
        QVERIFY(find(plan, MountKind::Overlay, "/usr"));
        size_t etc = indexOf(plan, MountKind::Tmpfs, "/etc");
        QVERIFY(etc != SIZE_MAX);
        for (const char* e : {"/etc/fonts", "/etc/passwd"}) {
            size_t i = indexOf(plan, MountKind::Bind, e);
            QVERIFY2(i != SIZE_MAX && i > etc, e);
            const auto& b = plan.ops[i];
            QVERIFY(b.readOnly && b.optional && b.checkSource);
            QCOMPARE(b.source, std::string(e));
        }
        QVERIFY(!find(plan, MountKind::Bind, "/etc/shadow"));
        QVERIFY(indexOf(plan, MountKind::GeneratedFile, "/etc/hosts") > etc);
        for (const auto& d : plan.storageDirs)
            QVERIFY2(d.find("/etc") == std::string::npos, d.c_str());
        // An empty list: /etc holds only Layerbox's own files.
        p.filesystem.privateEtc = std::vector<std::string>{};
        auto empty = planMounts(p, fakeHost(), s);
        QVERIFY(find(empty, MountKind::Tmpfs, "/etc"));
        QVERIFY(!find(empty, MountKind::Bind, "/etc/passwd"));
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
        // One fuse-overlayfs serves every fuse overlay: one work directory, upper/<dir> kept.
        QVERIFY(usr->overlay.shared);
        QCOMPARE(usr->overlay.work, std::string(kSharedFuseWork));
        QCOMPARE(usr->overlay.upper, std::string("upper/usr"));
        auto* home = find(plan, MountKind::Overlay, "/home/alice");
        QCOMPARE(home->overlay.lowers.back(), std::string("/home/alice"));
        QVERIFY(home->overlay.shared);
        for (const auto& o : plan.ops)
            if (o.kind == MountKind::Overlay) QVERIFY2(o.overlay.shared, o.target.c_str());
        QCOMPARE(std::count(plan.storageDirs.begin(), plan.storageDirs.end(),
                            std::string(kSharedFuseWork)),
                 1);
        for (const auto& d : plan.storageDirs)
            QVERIFY2(d.rfind("work/fuse/", 0) != 0, d.c_str());
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
                 std::string(kSharedFuseWork));
        QVERIFY(find(plan2, MountKind::Overlay, "/opt")->overlay.shared);
        QCOMPARE(find(plan2, MountKind::Overlay, "/usr")->overlay.driver, Driver::Native);
        QVERIFY(!find(plan2, MountKind::Overlay, "/usr")->overlay.shared);
        // A fuse overlay nested in another (a home below /var) keeps a daemon of its own.
        {
            auto h = fakeHost();
            h.home = "/var/lib/alice";
            s.driver = Driver::Fuse;
            auto nested = planMounts(p, h, s);
            QVERIFY(find(nested, MountKind::Overlay, "/usr")->overlay.shared);
            for (const char* t : {"/var", "/var/lib/alice"}) {
                auto* o = find(nested, MountKind::Overlay, t);
                QVERIFY2(o && !o->overlay.shared, t);
                QCOMPARE(o->overlay.work, "work/fuse" + std::string(t));
            }
            s.driver = Driver::Native;
        }
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

    // security.socket_families and memory_deny_write_execute, read through the same function
    // the activity log uses to answer (the errno a call gets from the plan).
    void seccompNarrowedByTheProfile() {
        auto errnoOf = [](const SeccompPlan& p, int nr, uint64_t a0, uint64_t a2 = 0) {
            const uint64_t args[6] = {a0, 0, a2, 0, 0, 0};
            return seccompErrno(p, AUDIT_ARCH_X86_64, nr, args);
        };
        SecurityConfig sec;
        auto def = planSeccomp(sec);
        for (int fam : {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK})
            QCOMPARE(errnoOf(def, __NR_socket, static_cast<uint64_t>(fam)), 0);
        QCOMPARE(errnoOf(def, __NR_socket, AF_PACKET), EAFNOSUPPORT);
        QCOMPARE(errnoOf(def, __NR_mmap, 0, PROT_READ | PROT_WRITE | PROT_EXEC), 0);

        sec.socketFamilies = {"inet6", "unix"};
        sec.memoryDenyWriteExecute = true;
        auto p = planSeccomp(sec);
        QCOMPARE(errnoOf(p, __NR_socket, AF_UNIX), 0);
        QCOMPARE(errnoOf(p, __NR_socket, AF_INET6), 0);
        QCOMPARE(errnoOf(p, __NR_socket, AF_UNSPEC), 0);  // the kernel refuses it itself
        QCOMPARE(errnoOf(p, __NR_socket, AF_INET), EAFNOSUPPORT);
        QCOMPARE(errnoOf(p, __NR_socket, AF_NETLINK), EAFNOSUPPORT);
        QCOMPARE(errnoOf(p, __NR_socket, AF_PACKET), EAFNOSUPPORT);
        QCOMPARE(errnoOf(p, __NR_socket, 0xFFFFFFFFull), EAFNOSUPPORT);
        // W+X refused in one mapping and in two steps; read+execute (the loader) and read+write
        // stay allowed.
        QCOMPARE(errnoOf(p, __NR_mmap, 0, PROT_READ | PROT_WRITE | PROT_EXEC), EPERM);
        QCOMPARE(errnoOf(p, __NR_mmap, 0, PROT_WRITE | PROT_EXEC), EPERM);
        QCOMPARE(errnoOf(p, __NR_mmap, 0, PROT_READ | PROT_EXEC), 0);
        QCOMPARE(errnoOf(p, __NR_mmap, 0, PROT_READ | PROT_WRITE), 0);
        QCOMPARE(errnoOf(p, __NR_mprotect, 0, PROT_READ | PROT_EXEC), EPERM);
        QCOMPARE(errnoOf(p, __NR_mprotect, 0, PROT_READ), 0);
        QCOMPARE(errnoOf(p, __NR_pkey_mprotect, 0, PROT_EXEC), EPERM);
        // The 32-bit ABI's mmap hides its flags in memory: that ABI is refused outright.
        QVERIFY(!p.multiarch);
        auto bpf = compileSeccomp(p);
        QVERIFY2(bpf.ok(), bpf.ok() ? "" : bpf.error().message().c_str());
        // No families at all: even unix sockets are refused.
        sec.socketFamilies.clear();
        QCOMPARE(errnoOf(planSeccomp(sec), __NR_socket, AF_UNIX), EAFNOSUPPORT);
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

    // The key a cached filter is kept under names everything its program depends on: another
    // rule, errno, condition, notify, the ABIs, libseccomp, kernel or build is another key.
    void seccompCacheKeyNamesEverything() {
        SecurityConfig sec;
        const SeccompPlan p = planSeccomp(sec);
        const SeccompBuildContext c{"abc", "2.5.4", "6.1.0 #1 x86_64"};
        const std::string k = planSeccompCacheKey(p, false, c);
        QCOMPARE(planSeccompCacheKey(p, false, c), k);
        QCOMPARE(seccompCacheFileName(k), seccompCacheFileName(k));
        QVERIFY(QByteArray::fromStdString(seccompCacheFileName(k)).endsWith(".bpf"));
        std::vector<std::string> others{
            planSeccompCacheKey(p, true, c),
            planSeccompCacheKey(p, false, {"abc", "2.5.5", c.kernel}),
            planSeccompCacheKey(p, false, {"abd", c.libseccomp, c.kernel}),
            planSeccompCacheKey(p, false, {c.buildId, c.libseccomp, "6.1.0 #2 x86_64"}),
            // A value cannot take the next one's place.
            planSeccompCacheKey(p, false, {c.buildId, c.libseccomp + "\nkernel " + c.kernel, ""})};
        SeccompPlan q = p;
        q.rules.back().errnoValue += 1;
        others.push_back(planSeccompCacheKey(q, false, c));
        q = p;
        q.multiarch = !q.multiarch;
        others.push_back(planSeccompCacheKey(q, false, c));
        q = p;
        for (auto& r : q.rules)
            if (!r.conds.empty()) {
                r.conds[0].value += 1;
                break;
            }
        others.push_back(planSeccompCacheKey(q, false, c));
        q = p;
        q.rules.pop_back();
        others.push_back(planSeccompCacheKey(q, false, c));
        for (const auto& o : others)
            QVERIFY(o != k);
    }

    // Where the cache may live: below /run/user/UID only (refused to every bind, with each
    // folder holding it); a runtime directory elsewhere (Layerbox's fallback below the cache
    // home) has none.
    void seccompCacheOnlyBelowTheUsersRun() {
        Paths paths;
        const std::string run = "/run/user/" + std::to_string(::getuid());
        QVERIFY2(QFileInfo(QString::fromStdString(run)).isDir(), run.c_str());
        paths.runtimeDir = run;
        QCOMPARE(seccompCacheDir(paths), run + "/layerbox/seccomp");
        QTemporaryDir inside(QString::fromStdString(run) + "/lbtest-XXXXXX");
        QVERIFY(inside.isValid());
        paths.runtimeDir = inside.path().toStdString();
        QCOMPARE(seccompCacheDir(paths), paths.runtimeDir + "/layerbox/seccomp");
        // A link inside that leads out of it, ".." out of it, a path elsewhere: no cache.
        QTemporaryDir outside;
        QVERIFY(outside.isValid());
        QVERIFY(QFile::link(outside.path(), inside.path() + "/out"));
        paths.runtimeDir = inside.path().toStdString() + "/out";
        QCOMPARE(seccompCacheDir(paths), std::string());
        paths.runtimeDir = run + "/..";
        QCOMPARE(seccompCacheDir(paths), std::string());
        paths.runtimeDir = outside.path().toStdString();
        QCOMPARE(seccompCacheDir(paths), std::string());
        paths.runtimeDir = "/nonexistent-layerbox/run";
        QCOMPARE(seccompCacheDir(paths), std::string());
    }

    // The cache keeps at most kMaxCachedFilters programs: the least recently written go, the
    // one just stored stays; what is not a program of the cache (another name) is left alone.
    void seccompCacheIsBounded() {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const std::string dir = tmp.path().toStdString() + "/seccomp";
        SecurityConfig sec;
        const SeccompPlan p = planSeccomp(sec);
        auto bpf = compileSeccomp(p, false);
        QVERIFY(bpf.ok());
        const size_t stored = kMaxCachedFilters + 8;
        std::vector<std::string> keys;
        for (size_t i = 0; i < stored; ++i) {
            keys.push_back(
                planSeccompCacheKey(p, false, {"build" + std::to_string(i), "2.5.4", "k"}));
            QVERIFY(storeCachedSeccomp(dir, keys.back(), *bpf).ok());
            // Written in this order, a second apart (as time goes between launches).
            const std::string f = dir + "/" + seccompCacheFileName(keys.back());
            struct timespec t[2] = {{0, UTIME_OMIT}, {1000000 + long(i), 0}};
            QCOMPARE(::utimensat(AT_FDCWD, f.c_str(), t, 0), 0);
        }
        QFile notes(QString::fromStdString(dir) + "/notes.txt");
        QVERIFY(notes.open(QIODevice::WriteOnly) && notes.write("mine\n") == 5);
        notes.close();
        QVERIFY(storeCachedSeccomp(dir, keys.back(), *bpf).ok());  // pruned again: kept
        // The newest programs are there, the oldest gone.
        const auto names = QDir(QString::fromStdString(dir)).entryList(QDir::Files);
        QCOMPARE(size_t(names.filter(".bpf").size()), kMaxCachedFilters);
        QVERIFY(names.contains("notes.txt"));
        for (size_t i = 0; i < stored; ++i)
            QCOMPARE(loadCachedSeccomp(dir, keys[i]).has_value(), i >= stored - kMaxCachedFilters);
    }

    // The cache gives back exactly what was compiled, under its key only; a file that is not
    // ours alone, a link, another key or a bad size is never used (compiled again instead).
    void seccompCacheGivesTheCompiledProgramOnly() {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const std::string dir = tmp.path().toStdString() + "/seccomp";
        SecurityConfig sec;
        const SeccompPlan p = planSeccomp(sec);
        bool hit = true;
        auto first = compileSeccompCached(p, false, dir, &hit);
        QVERIFY(first.ok());
        QVERIFY(!hit);
        auto fresh = compileSeccomp(p, false);
        QVERIFY(fresh.ok());
        QCOMPARE(*first, *fresh);
        auto again = compileSeccompCached(p, false, dir, &hit);
        QVERIFY(again.ok());
        QVERIFY(hit);
        QCOMPARE(*again, *fresh);
        struct stat st;
        QVERIFY(::stat(dir.c_str(), &st) == 0);
        QCOMPARE(st.st_mode & 0777, 0700u);
        QDir d(QString::fromStdString(dir));
        const QStringList files = d.entryList(QDir::Files);
        QCOMPARE(files.size(), 1);
        const QString file = d.filePath(files[0]);
        QVERIFY(::stat(file.toLocal8Bit().constData(), &st) == 0);
        QCOMPARE(st.st_mode & 0777, 0600u);

        // notify is another program, under another key.
        auto notify = compileSeccompCached(p, true, dir, &hit);
        QVERIFY(notify.ok());
        QVERIFY(!hit);
        QVERIFY(*notify != *fresh);

        // A planted program under the right file name but another key is not used.
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QByteArray stored = f.readAll();
        f.close();
        const int nul = stored.indexOf('\0');
        QVERIFY(nul > 0);
        // The kernel is named too: a runtime directory on disk (no logind) outlives a reboot.
        struct utsname u;
        QCOMPARE(::uname(&u), 0);
        const QByteArray kernel =
            QByteArray(u.release) + " " + QByteArray(u.version) + " " + QByteArray(u.machine);
        QVERIFY(stored.left(nul).contains("\nkernel " + QByteArray::number(kernel.size()) + ":" +
                                          kernel + "\n"));
        QByteArray planted = stored.left(nul);
        planted.replace("rule ", "rulf ");
        planted += '\0';
        planted += QByteArray(8, '\0');  // one "return kill" instruction's worth
        auto plant = [&](const QByteArray& bytes, QFile::Permissions perms) {
            QFile::remove(file);
            QFile w(file);
            QVERIFY(w.open(QIODevice::WriteOnly));
            w.write(bytes);
            w.close();
            QVERIFY(w.setPermissions(perms));
        };
        plant(planted, QFile::ReadOwner | QFile::WriteOwner);
        QVERIFY(compileSeccompCached(p, false, dir, &hit).ok());
        QVERIFY(!hit);
        // The right key with a program whose size is no whole number of instructions.
        plant(stored.left(nul + 1) + QByteArray(12, 'x'), QFile::ReadOwner | QFile::WriteOwner);
        QVERIFY(compileSeccompCached(p, false, dir, &hit).ok());
        QVERIFY(!hit);
        // The right bytes, but others may write the file.
        plant(stored, QFile::ReadOwner | QFile::WriteOwner | QFile::WriteOther);
        QVERIFY(!loadCachedSeccomp(dir, stored.left(nul).toStdString()).has_value());
        plant(stored, QFile::ReadOwner | QFile::WriteOwner | QFile::WriteGroup);
        QVERIFY(!loadCachedSeccomp(dir, stored.left(nul).toStdString()).has_value());
        // A link to the right bytes elsewhere.
        const QString elsewhere = tmp.path() + "/elsewhere.bpf";
        plant(stored, QFile::ReadOwner | QFile::WriteOwner);
        QVERIFY(QFile::rename(file, elsewhere));
        QVERIFY(QFile::link(elsewhere, file));
        QVERIFY(!loadCachedSeccomp(dir, stored.left(nul).toStdString()).has_value());
        QFile::remove(file);
        // The right bytes in place again: used.
        QVERIFY(QFile::rename(elsewhere, file));
        auto back = loadCachedSeccomp(dir, stored.left(nul).toStdString());
        QVERIFY(back.has_value());
        QCOMPARE(*back, *fresh);
        // A directory others may write is not trusted.
        QVERIFY(::chmod(dir.c_str(), 0777) == 0);
        QVERIFY(!loadCachedSeccomp(dir, stored.left(nul).toStdString()).has_value());
        // No directory: no cache, compiled all the same.
        QVERIFY(compileSeccompCached(p, false, "", &hit).ok());
        QVERIFY(!hit);
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
};

QTEST_GUILESS_MAIN(TstIsolationPlans)
#include "tst_isolation_plans.moc"
