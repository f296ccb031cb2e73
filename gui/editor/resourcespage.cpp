#include "editor/resourcespage.h"

#include <QFormLayout>
#include <QLabel>

#include "backend/hostcapabilities.h"

ResourcesPage::ResourcesPage(QWidget* parent)
    : EditorPage(tr("Resources"), QStringLiteral("computer"), parent) {
    setObjectName("resourcesPage");
    auto tag = [this](const QString& key) {
        auto* l = new QLabel(this);
        l->setObjectName(QStringLiteral("enforced:") + key);
        l->setForegroundRole(QPalette::PlaceholderText);
        l->setMinimumWidth(l->fontMetrics().horizontalAdvance(tr("not enforced here")) + 4);
        enforced_.insert(key, l);
        return l;
    };
    QFormLayout* mem =
        addSection(tr("Memory"), tr("Sizes like 512M or 2G (powers of 1024). Empty: no limit."));
    addSize(mem, tr("&Limit:"), QStringLiteral("/resources/memory_max"), tr("No limit"),
            tag("memory_max"));
    addSize(mem, tr("&Throttle above:"), QStringLiteral("/resources/memory_high"), tr("No limit"),
            tag("memory_high"));
    addSize(mem, tr("S&wap limit:"), QStringLiteral("/resources/memory_swap_max"), tr("No limit"),
            tag("memory_swap_max"));

    QFormLayout* cpu = addSection(tr("Processor, processes and disk"));
    addNumber(cpu, tr("&CPU time (%):"), QStringLiteral("/resources/cpu_percent"),
              tr("No limit; 100 = one core"), tag("cpu_percent"));
    addNumber(cpu, tr("CPU w&eight:"), QStringLiteral("/resources/cpu_weight"), tr("Default: 100"),
              tag("cpu_weight"));
    addNumber(cpu, tr("&Processes and threads:"), QStringLiteral("/resources/tasks_max"),
              tr("No limit"), tag("tasks_max"));
    addNumber(cpu, tr("&I/O weight:"), QStringLiteral("/resources/io_weight"), tr("Default: 100"),
              tag("io_weight"));

    // Issue 21: a program that restarts itself (a browser) lives on in its successor.
    QFormLayout* life = addSection(
        tr("Lifetime"), tr("Stop closes the windows first, then sends SIGTERM, then kills: the "
                           "stop timeout is the time for each step."));
    addChoice(life, tr("Sandbox live&s until:"), QStringLiteral("/lifetime/until"),
              {{"all", tr("Every process has ended (a program may restart itself)")},
               {"main", tr("The program's first process ends")}});
    addNumber(life, tr("&Grace for the rest (s):"), QStringLiteral("/lifetime/grace"),
              tr("Default: 2"));
    addNumber(life, tr("Stop time&out (s):"), QStringLiteral("/lifetime/stop_timeout"),
              tr("Default: 10"));

    QFormLayout* policy = addSection(tr("When limits cannot be applied"));
    addCheck(policy, tr("&Refuse to start instead of running without them"),
             QStringLiteral("/resources/require_limits"));
    summary_ = addNote(policy);
    summary_->setObjectName("limitsNote");
    finish();
}

void ResourcesPage::setHost(const HostCapabilities& host) {
    summary_->setText(host.limitsSummary());
    for (auto it = enforced_.begin(); it != enforced_.end(); ++it) {
        if (!host.known) {
            it.value()->clear();
            it.value()->setToolTip({});
            continue;
        }
        const bool yes = host.enforces(it.key());
        it.value()->setText(yes ? tr("enforced here") : tr("not enforced here"));
        it.value()->setToolTip(
            yes ? tr("The %1 controller is delegated to you on this host.")
                      .arg(host.controllerFor(it.key()))
                : tr("The %1 cgroup controller is not delegated to you on this host: the limit "
                     "is recorded but not enforced.")
                      .arg(host.controllerFor(it.key())));
    }
}
