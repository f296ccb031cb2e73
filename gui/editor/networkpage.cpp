#include "editor/networkpage.h"

#include <QComboBox>
#include <QFormLayout>
#include <QJsonArray>
#include <QLabel>

#include "backend/hostcapabilities.h"
#include "backend/profiles.h"

NetworkPage::NetworkPage(QWidget* parent)
    : EditorPage(tr("Network"), QStringLiteral("network-wired"), parent) {
    setObjectName("networkPage");
    QFormLayout* access = addSection(tr("Access"));
    mode_ =
        addChoice(access, tr("&Mode:"), QStringLiteral("/network/mode"),
                  {{"none", tr("None (loopback only)")}, {"nat", tr("NAT through slirp4netns")}});
    hostNote_ = addNote(access);
    hostNote_->setObjectName("networkNote");
    addCheck(access, tr("Let it reach services on this computer's &loopback (10.0.2.2)"),
             QStringLiteral("/network/host_loopback"));
    addCheck(access, tr("Give it IPv&6"), QStringLiteral("/network/ipv6"));
    addText(access, tr("Host &name:"), QStringLiteral("/network/hostname"),
            tr("Default: the profile name"));
    addNumber(access, tr("MT&U:"), QStringLiteral("/network/mtu"));
    addList(access, tr("&DNS servers:"), QStringLiteral("/network/dns"),
            tr("One address per line; default: slirp4netns' 10.0.2.3"));
    // Validated by the core like every field: its message appears next to the list.
    addList(access, tr("Allo&wed domains:"), QStringLiteral("/network/allow_domains"),
            tr("One per line: example.org, *.example.org; empty: every name"));
    addList(access, tr("Den&ied domains:"), QStringLiteral("/network/deny_domains"),
            tr("One per line; never resolved"));

    QFormLayout* ports =
        addSection(tr("Port forwards"), tr("Ports on this computer that lead into the sandbox "
                                           "(NAT only)."));
    addTable(ports, tr("&Ports:"), QStringLiteral("/network/ports"),
             {{"host", tr("Host port"), RecordTable::Column::Number},
              {"sandbox", tr("Sandbox port"), RecordTable::Column::Number},
              {"proto", tr("Protocol"), RecordTable::Column::Choice, {"tcp", "udp"}, "tcp"},
              {"host_addr", tr("Host address"), RecordTable::Column::Text}});

    QFormLayout* fw =
        addSection(tr("Firewall"), tr("Applied inside the sandbox's own network namespace."));
    addChoice(fw, tr("&Preset:"), QStringLiteral("/network/firewall/preset"),
              {{"internet-only", tr("Internet only (no LAN, no host)")},
               {"host-only", tr("Host only (just the services allowed below)")},
               {"open", tr("Open (no filtering)")}});
    addTable(fw, tr("&Rules:"), QStringLiteral("/network/firewall/rules"),
             {{"action", tr("Action"), RecordTable::Column::Choice, {"allow", "deny"}},
              {"to", tr("Destination (CIDR)"), RecordTable::Column::Text},
              {"ports", tr("Ports"), RecordTable::Column::Number},
              {"proto",
               tr("Protocol"),
               RecordTable::Column::Choice,
               {"any", "tcp", "udp", "icmp"},
               "any"}});
    finish();
    connect(mode_, &QComboBox::currentIndexChanged, this, &NetworkPage::updateNatOnly);
    connect(this, &EditorPage::changed, this, &NetworkPage::updateNatOnly);
}

void NetworkPage::load(const QJsonObject& profile) {
    EditorPage::load(profile);
    updateNatOnly();
}

void NetworkPage::updateNatOnly() {
    const bool nat = mode_->currentData().toString() == QLatin1String("nat");
    for (const profiles::NatOnlyField& f : profiles::natOnlyFields()) {
        QString why;
        if (!nat) {
            const QJsonValue v = currentValue(f.pointer);
            // A refused value stays editable, so that it can be removed (the validator's
            // message beside it says why it must go).
            const bool holdsRefused = f.refused && v.isArray() && !v.toArray().isEmpty();
            if (!holdsRefused)
                why = f.refused ? tr("Only with Mode NAT: with None the sandbox has loopback "
                                     "only, so the validator refuses this.")
                                : tr("Only with Mode NAT: with None the sandbox has loopback "
                                     "only, so this is not used.");
        }
        setUnavailable(f.pointer, why);
    }
}

void NetworkPage::setHost(const HostCapabilities& host) {
    if (!host.slirp4netns)
        hostNote_->setText(
            tr("slirp4netns is not installed on this host: NAT profiles will not "
               "start."));
    else if (!host.devNetTun)
        hostNote_->setText(
            tr("slirp4netns is installed but /dev/net/tun is not usable: NAT "
               "profiles will not start."));
    else
        hostNote_->setText(tr("slirp4netns and /dev/net/tun are available on this host."));
}
