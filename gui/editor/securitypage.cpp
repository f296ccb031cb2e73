#include "editor/securitypage.h"

#include <QFormLayout>

SecurityPage::SecurityPage(QWidget* parent)
    : EditorPage(tr("Security"), QStringLiteral("security-high"), parent) {
    setObjectName("securityPage");
    QFormLayout* filter = addSection(tr("System call filter"));
    addChoice(filter, tr("&Filter:"), QStringLiteral("/security/seccomp"),
              {{"default", tr("Default (as Flatpak)")},
               {"strict", tr("Strict (also io_uring, userfaultfd, ptrace)")}});
    addList(filter, tr("Also &deny:"), QStringLiteral("/security/deny_syscalls"),
            tr("One system call per line"));
    addList(filter, tr("&Allow:"), QStringLiteral("/security/allow_syscalls"),
            tr("System calls to take out of the filter, one per line"));

    QFormLayout* priv = addSection(tr("Privileges"));
    addCheck(priv, tr("Allow &nested sandboxes (browsers build their own)"),
             QStringLiteral("/security/nested_sandboxes"));
    addCheck(priv, tr("Allow de&buggers and profilers (ptrace, perf)"),
             QStringLiteral("/security/devel"));
    addCheck(priv, tr("Refuse &writable and executable memory (breaks JIT compilers)"),
             QStringLiteral("/security/memory_deny_write_execute"));
    addList(priv, tr("&Socket families:"), QStringLiteral("/security/socket_families"),
            tr("unix, inet, inet6, netlink: one per line"));
    QFormLayout* activity = addSection(tr("Activity"));
    addCheck(activity, tr("&Record what the sandbox refuses (layerbox log)"),
             QStringLiteral("/security/activity_log"));
    finish();
}
