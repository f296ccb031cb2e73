#include "backend/activitylog.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>

#include "backend/layerboxclient.h"
#include "backend/profilejson.h"
#include "profile/profile.h"

namespace {

QString tr(const char* text) {
    return QCoreApplication::translate("Allowance", text);
}

QStringList strings(const QJsonValue& v) {
    QStringList out;
    for (const QJsonValue& s : v.toArray())
        out << s.toString();
    return out;
}

Allowance none(const QString& why) {
    Allowance a;
    a.why = why;
    return a;
}

Allowance change(Allowance::Op op, const QString& pointer, const QJsonValue& item,
                 const QString& page, const QString& what) {
    Allowance a;
    a.edits = {{op, pointer, item}};
    a.page = page;
    a.what = what;
    return a;
}

QString restart() {
    return tr(
        "the profile allows it now; a sandbox keeps the profile it started with: start "
        "it again");
}

// A D-Bus name the proxy hid. The proxy does not say which bus: "Allow this" offers the
// session bus's `talk` (docs/architecture.md, Activity log).
Allowance dbusAllowance(const QString& name, const QJsonObject& profile) {
    for (const QString& p :
         strings(profilejson::valueAt(profile, QStringLiteral("/desktop/dbus/talk"))))
        if (lb::dbusNameCovers(p.toStdString(), name.toStdString()))
            return none(restart() +
                        tr(" (if the call went to the system bus, add the name to System bus "
                           "names, desktop.dbus.system_talk)"));
    return change(Allowance::Op::AddToList, QStringLiteral("/desktop/dbus/talk"), name,
                  QStringLiteral("desktopPage"), tr("talking to the D-Bus name %1").arg(name));
}

// "192.168.1.1:53", "192.168.1.1:53/udp", "[fd00::1]:443", "192.168.1.1/icmp", "10.0.0.1/47"
// (network/drop_log.h's describeDrop): a firewall rule that accepts exactly that.
Allowance netAllowance(const QString& object, const QJsonObject& profile) {
    static const QRegularExpression withPort(
        QStringLiteral("^(?:\\[([0-9A-Fa-f:.]+)\\]|([0-9.]+)):([0-9]{1,5})(?:/([a-z0-9]+))?$"));
    static const QRegularExpression noPort(QStringLiteral("^([0-9A-Fa-f:.]+)/([a-z0-9]+)$"));
    QString address, proto;
    int port = 0;
    if (const auto m = withPort.match(object); m.hasMatch()) {
        address = m.captured(1).isEmpty() ? m.captured(2) : m.captured(1);
        port = m.captured(3).toInt();
        proto = m.captured(4).isEmpty() ? QStringLiteral("tcp") : m.captured(4);
    } else if (const auto n = noPort.match(object); n.hasMatch()) {
        address = n.captured(1);
        proto = n.captured(2);
    } else {
        return none(tr("the log does not say where the connection went"));
    }
    const bool v6 = address.contains(QLatin1Char(':'));
    QJsonObject rule{{"action", "allow"},
                     {"to", address + (v6 ? QStringLiteral("/128") : QStringLiteral("/32"))}};
    // Ports only mean something to TCP and UDP; another protocol (by number) is allowed whole.
    if (proto == QLatin1String("tcp") || proto == QLatin1String("udp")) {
        if (port > 0) rule.insert("ports", port);
        rule.insert("proto", proto);
    } else if (proto == QLatin1String("icmp")) {
        rule.insert("proto", proto);
    } else {
        rule.insert("proto", "any");
    }
    const QJsonArray rules =
        profilejson::valueAt(profile, QStringLiteral("/network/firewall/rules")).toArray();
    if (!rules.isEmpty() && rules.first() == rule) return none(restart());
    // First: the profile's rules are read in order and the first that matches decides, so a
    // rule of the user's that refuses it must not come before.
    return change(Allowance::Op::PrependToList, QStringLiteral("/network/firewall/rules"), rule,
                  QStringLiteral("networkPage"),
                  tr("connections to %1 (a firewall rule, first in the list)").arg(object));
}

// A system call the filter denied (sandbox/isolation/seccomp.cpp's planSeccomp: which field
// relaxes which rule). What is offered takes every rule for that call out of the filter; the
// calls below are never offered, because a rule refuses only some uses of them, or because
// allowing them would open more than the user sees.
Allowance syscallAllowance(const QString& call, const QJsonObject& profile) {
    auto at = [&profile](const char* p) {
        return profilejson::valueAt(profile, QString::fromLatin1(p));
    };
    if (call == QLatin1String("ioctl"))
        return none(
            tr("only the ioctl requests that type into your terminal from inside "
               "(TIOCSTI, TIOCLINUX) are refused; allowing every ioctl would allow "
               "them, and no field allows only the others"));
    if (call == QLatin1String("socket"))
        return none(
            tr("a socket family was refused, and the log does not say which: see "
               "Security \u203a Socket families (packet, Bluetooth or crypto sockets "
               "are never allowed)"));
    static const QSet<QString> mounts{"mount",     "umount",     "umount2",      "pivot_root",
                                      "open_tree", "move_mount", "fsopen",       "fsconfig",
                                      "fsmount",   "fspick",     "mount_setattr"};
    if (mounts.contains(call))
        return none(tr("the sandbox's mounts are fixed at launch and its programs have no "
                       "capability to mount: allowing %1 would not make it work (give it "
                       "folders with Files \u203a Binds)")
                        .arg(call));
    if (call == QLatin1String("clone3"))
        return none(
            tr("clone3 is refused so that programs use clone, whose flags the filter "
               "can check (libc falls back by itself); allowing it would let new "
               "namespaces past the filter"));

    Allowance a;
    a.page = QStringLiteral("securityPage");
    a.what = tr("the system call %1").arg(call);
    // The profile's own denials are added after its allowances: it must leave them too.
    if (strings(at("/security/deny_syscalls")).contains(call))
        a.edits << Allowance::Edit{Allowance::Op::RemoveFromList,
                                   QStringLiteral("/security/deny_syscalls"), call};
    static const QSet<QString> namespaces{"unshare", "setns", "clone", "chroot"};
    static const QSet<QString> wx{"mmap", "mprotect", "pkey_mprotect", "shmat"};
    if (!filterCalls().contains(call)) {
        // Only the profile's own denial: leaving it is all.
    } else if (namespaces.contains(call)) {
        if (!at("/security/nested_sandboxes").toBool()) {
            a.edits << Allowance::Edit{Allowance::Op::Set,
                                       QStringLiteral("/security/nested_sandboxes"), true};
            a.what = tr("new namespaces (%1): nested sandboxes, as browsers build them").arg(call);
        }
    } else if (wx.contains(call)) {
        if (at("/security/memory_deny_write_execute").toBool()) {
            a.edits << Allowance::Edit{
                Allowance::Op::Set, QStringLiteral("/security/memory_deny_write_execute"), false};
            a.what = tr("writable and executable memory (%1): just-in-time compilers").arg(call);
        }
    } else if (!strings(at("/security/allow_syscalls")).contains(call)) {
        a.edits << Allowance::Edit{Allowance::Op::AddToList,
                                   QStringLiteral("/security/allow_syscalls"), call};
    }
    return a.possible() ? a : none(restart());
}

}  // namespace

std::optional<ActivitySnapshotItem> ActivitySnapshotItem::from(const QJsonObject& o) {
    if (!o.value("groups").isArray() || !o.value("total").isDouble()) return std::nullopt;
    ActivitySnapshotItem s;
    s.id = o.value("id").toString();
    s.profile = o.value("profile").toString();
    s.total = o.value("total").toInteger();
    s.dropped = o.value("dropped").toInteger();
    for (const QJsonValue& v : o.value("groups").toArray()) {
        const QJsonObject g = v.toObject();
        ActivityGroupItem i;
        i.kind = g.value("kind").toString();
        i.command = g.value("command").toString();
        i.object = g.value("object").toString();
        i.text = g.value("text").toString();
        i.pid = g.value("pid").toInteger();
        i.count = g.value("count").toInteger();
        i.firstMs = g.value("first_ms").toInteger();
        i.lastMs = g.value("last_ms").toInteger();
        if (!i.kind.isEmpty()) s.groups << i;
    }
    return s;
}

bool activityLogOff(const CommandResult& r) {
    return r.started && !r.ok() && r.errorLine().contains(QLatin1String("keeps no activity log"));
}

QJsonValue Allowance::Edit::apply(const QJsonValue& current) const {
    QJsonArray list = current.toArray();
    auto removeItem = [this, &list]() {
        for (qsizetype i = list.size() - 1; i >= 0; --i)
            if (list.at(i) == item) list.removeAt(i);
    };
    switch (op) {
        case Op::Set:
            return item;
        case Op::AddToList:
            if (!list.contains(item)) list.append(item);
            return list;
        case Op::PrependToList:
            removeItem();
            list.prepend(item);
            return list;
        case Op::RemoveFromList:
            removeItem();
            return list;
    }
    return current;
}

QJsonObject Allowance::applyTo(QJsonObject profile) const {
    for (const Edit& e : edits)
        profilejson::setValueAt(profile, e.pointer,
                                e.apply(profilejson::valueAt(profile, e.pointer)));
    return profile;
}

QString Allowance::fieldName() const {
    QStringList keys;
    for (const Edit& e : edits)
        keys << e.pointer.mid(1).replace(QLatin1Char('/'), QLatin1Char('.'));
    return keys.join(QStringLiteral(", "));
}

const QStringList& filterCalls() {
    static const QStringList calls{"syslog",
                                   "uselib",
                                   "acct",
                                   "quotactl",
                                   "add_key",
                                   "keyctl",
                                   "request_key",
                                   "move_pages",
                                   "mbind",
                                   "get_mempolicy",
                                   "set_mempolicy",
                                   "migrate_pages",
                                   "bpf",
                                   "userfaultfd",
                                   "io_uring_setup",
                                   "io_uring_enter",
                                   "io_uring_register",
                                   "ioctl",
                                   "unshare",
                                   "setns",
                                   "clone",
                                   "chroot",
                                   "mount",
                                   "umount",
                                   "umount2",
                                   "pivot_root",
                                   "clone3",
                                   "open_tree",
                                   "move_mount",
                                   "fsopen",
                                   "fsconfig",
                                   "fsmount",
                                   "fspick",
                                   "mount_setattr",
                                   "ptrace",
                                   "process_vm_readv",
                                   "process_vm_writev",
                                   "pidfd_getfd",
                                   "kcmp",
                                   "perf_event_open",
                                   "personality",
                                   "modify_ldt",
                                   "name_to_handle_at",
                                   "vhangup",
                                   "memfd_secret",
                                   "socket",
                                   "mmap",
                                   "mprotect",
                                   "pkey_mprotect",
                                   "shmat"};
    return calls;
}

Allowance allowanceFor(const ActivityGroupItem& g, const QJsonObject& profile) {
    if (g.kind == QLatin1String("dbus")) return dbusAllowance(g.object, profile);
    if (g.kind == QLatin1String("net")) return netAllowance(g.object, profile);
    if (g.kind == QLatin1String("syscall")) return syscallAllowance(g.object, profile);
    return none(tr("no profile field is known for this kind of refusal (%1)").arg(g.kind));
}

Allowance activityLogOn() {
    return change(Allowance::Op::Set, QStringLiteral("/security/activity_log"), true,
                  QStringLiteral("securityPage"),
                  tr("recording what the sandbox refuses (the activity log), from its next "
                     "start"));
}
