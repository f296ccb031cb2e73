#include "dialogs/doctordialog.h"

#include <QDialogButtonBox>
#include <QGroupBox>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "backend/hostcapabilities.h"
#include "backend/layerboxclient.h"

namespace {

QIcon statusIcon(QWidget* w, const QString& status) {
    if (status == QLatin1String("ok"))
        return QIcon::fromTheme("emblem-default",
                                w->style()->standardIcon(QStyle::SP_DialogApplyButton));
    if (status == QLatin1String("warning"))
        return QIcon::fromTheme("dialog-warning",
                                w->style()->standardIcon(QStyle::SP_MessageBoxWarning));
    return QIcon::fromTheme("dialog-error",
                            w->style()->standardIcon(QStyle::SP_MessageBoxCritical));
}

}  // namespace

DoctorDialog::DoctorDialog(LayerboxClient* client, QWidget* parent)
    : QDialog(parent)
    , client_(client)
    , checks_(new QTreeWidget(this))
    , host_(new QTreeWidget(this))
    , status_(new QLabel(this)) {
    setObjectName("doctorDialog");
    setWindowTitle(tr("Check this system"));

    status_->setObjectName("doctorStatus");
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    checks_->setObjectName("doctorChecks");
    checks_->setAccessibleName(tr("Checks"));
    checks_->setColumnCount(2);
    checks_->setHeaderLabels({tr("Check"), tr("How to fix")});
    checks_->setRootIsDecorated(false);
    checks_->setWordWrap(true);
    checks_->setUniformRowHeights(false);
    checks_->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    checks_->header()->setSectionResizeMode(1, QHeaderView::Stretch);

    host_->setObjectName("hostFacts");
    host_->setAccessibleName(tr("What the GUI sees of this host"));
    host_->setColumnCount(2);
    host_->setHeaderLabels({tr("Host"), tr("Found")});
    host_->setRootIsDecorated(false);
    host_->setWordWrap(true);
    host_->setUniformRowHeights(false);
    host_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    host_->header()->setSectionResizeMode(1, QHeaderView::Stretch);

    auto* checksBox = new QGroupBox(tr("layerbox doctor"), this);
    auto* cl = new QVBoxLayout(checksBox);
    cl->addWidget(status_);
    cl->addWidget(checks_, 1);
    auto* hostBox = new QGroupBox(tr("What the GUI sees"), this);
    auto* hl = new QVBoxLayout(hostBox);
    hl->addWidget(host_);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    refresh_ = buttons->addButton(tr("Check &again"), QDialogButtonBox::ActionRole);
    refresh_->setObjectName("doctorRefresh");
    refresh_->setIcon(QIcon::fromTheme("view-refresh"));
    connect(refresh_, &QPushButton::clicked, this, &DoctorDialog::refresh);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(checksBox, 3);
    layout->addWidget(hostBox, 2);
    layout->addWidget(buttons);
    resize(900, 600);

    refresh();
}

void DoctorDialog::refresh() {
    if (running_) return;
    running_ = true;
    refresh_->setEnabled(false);
    status_->setText(tr("Checking..."));
    checks_->clear();
    host_->clear();
    LayerboxClient::Options opts;
    opts.reportFailure = false;
    client_->run(
        LayerboxClient::doctorArgs(), this,
        [this](const CommandResult& r) {
            running_ = false;
            refresh_->setEnabled(true);
            // doctor exits non-zero when a check fails but still prints its report.
            const QJsonObject o = r.json().toObject();
            if (!r.started || !o.value("checks").isArray()) {
                status_->setText(tr("layerbox doctor did not answer: %1").arg(r.errorLine()));
                emit log(LogPanel::Level::Error, r.commandLine(), r.errorLine());
                return;
            }
            fillHostFacts(HostCapabilities::fromDoctor(o));
            int failures = 0, warnings = 0;
            for (const QJsonValue& v : o.value("checks").toArray()) {
                const QJsonObject c = v.toObject();
                const QString st = c.value("status").toString();
                failures += st == QLatin1String("failure");
                warnings += st == QLatin1String("warning");
                auto* item = new QTreeWidgetItem(checks_);
                item->setIcon(0, statusIcon(this, st));
                item->setText(0, c.value("summary").toString());
                item->setToolTip(0, c.value("id").toString());
                item->setText(1, c.value("fix").toString());
                item->setToolTip(1, c.value("fix").toString());
                item->setData(0, Qt::UserRole, c.value("id").toString());
                item->setData(0, Qt::UserRole + 1, st);
            }
            status_->setText(
                failures > 0 ? (failures == 1 ? tr("1 check failed.")
                                              : tr("%1 checks failed.").arg(failures))
                : warnings > 0
                    ? (warnings == 1 ? tr("Layerbox works here, with 1 warning.")
                                     : tr("Layerbox works here, with %1 warnings.").arg(warnings))
                    : tr("Everything Layerbox needs works on this system."));
        },
        opts);
}

void DoctorDialog::fillHostFacts(const HostCapabilities& h) {
    host_->clear();
    if (!h.known) return;
    auto add = [this](const QString& what, bool good, const QString& found) {
        auto* item = new QTreeWidgetItem(host_);
        item->setIcon(0, statusIcon(this, good ? QStringLiteral("ok") : QStringLiteral("warning")));
        item->setText(0, what);
        item->setText(1, found);
        item->setToolTip(1, found);
    };
    add(tr("User namespaces"), h.userNamespaces,
        h.userNamespaces ? tr("allowed for normal users") : tr("not allowed"));
    add(tr("Storage"), !h.overlayDriver.isEmpty() || (h.fuseOverlayfs && h.devFuse),
        h.storageSummary());
    add(tr("Resource limits"), !h.controllers.isEmpty(), h.limitsSummary());
    add(tr("Network (slirp4netns)"), h.slirp4netns && h.devNetTun,
        h.slirp4netns ? (h.devNetTun ? tr("installed, /dev/net/tun usable")
                                     : tr("installed, but /dev/net/tun is not usable"))
                      : tr("not installed: only profiles without network can run"));
    QStringList displays;
    if (h.wayland) displays << QStringLiteral("Wayland");
    if (h.x11) displays << QStringLiteral("X11");
    add(tr("Display"), !displays.isEmpty(),
        displays.isEmpty() ? tr("none in this session") : displays.join(QStringLiteral(", ")));
    add(tr("GPU"), h.gpu, h.gpu ? tr("/dev/dri present") : tr("no /dev/dri"));
    host_->resizeColumnToContents(0);
}
