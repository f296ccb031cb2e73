#include "main/activityview.h"

#include <QComboBox>
#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QStackedWidget>
#include <QStandardItemModel>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

#include "backend/layerboxclient.h"
#include "backend/profilejson.h"
#include "backend/profiles.h"
#include "main/instancemodel.h"

namespace {

QString who(const ActivityGroupItem& g) {
    if (g.command.isEmpty() && g.pid == 0) return ActivityView::tr("not known");
    if (g.pid == 0) return g.command;  // several candidates ("a or b"), or gone ("?")
    return ActivityView::tr("%1 (pid %2)").arg(g.command).arg(g.pid);
}

QString clock(qint64 unixMs) {
    return QDateTime::fromMSecsSinceEpoch(unixMs).toString(QStringLiteral("HH:mm:ss"));
}

}  // namespace

ActivityView::ActivityView(LayerboxClient* client, InstanceModel* instances, QWidget* parent)
    : QWidget(parent)
    , client_(client)
    , instances_(instances)
    , instanceBox_(new QComboBox(this))
    , summary_(new QLabel(this))
    , allow_(new QPushButton(QIcon::fromTheme("security-low"), tr("Allo&w This..."), this))
    , stack_(new QStackedWidget(this))
    , placeholderPage_(new QWidget(this))
    , placeholder_(new QLabel(placeholderPage_))
    , turnOn_(new QPushButton(QIcon::fromTheme("document-properties"), tr("Turn On in Pro&file..."),
                              placeholderPage_))
    , view_(new QTreeView(this))
    , model_(new QStandardItemModel(0, ColumnCount, this))
    , timer_(new QTimer(this)) {
    setObjectName("activityView");

    instanceBox_->setObjectName("activityInstance");
    instanceBox_->setAccessibleName(tr("Sandbox whose activity is shown"));
    instanceBox_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    instanceBox_->setVisible(false);  // only when the profile has several sandboxes running
    summary_->setObjectName("activitySummary");
    summary_->setTextFormat(Qt::PlainText);
    // One line that never widens the window: the whole text is in the tooltip.
    summary_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    allow_->setObjectName("allowButton");
    allow_->setAccessibleName(tr("Allow the selected refusal in the profile"));
    allow_->setEnabled(false);

    model_->setHorizontalHeaderLabels(
        {tr("Refused"), tr("Process"), tr("Last"), tr("Allowed by changing")});
    view_->setObjectName("activityList");
    view_->setAccessibleName(tr("What the sandbox refused"));
    view_->setModel(model_);
    view_->setRootIsDecorated(false);
    view_->setUniformRowHeights(true);
    view_->setAlternatingRowColors(true);
    view_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view_->setSelectionMode(QAbstractItemView::SingleSelection);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->header()->setStretchLastSection(false);
    view_->header()->setSectionResizeMode(WhatColumn, QHeaderView::Stretch);
    view_->header()->setSectionResizeMode(ProcessColumn, QHeaderView::ResizeToContents);
    view_->header()->setSectionResizeMode(LastColumn, QHeaderView::ResizeToContents);
    view_->header()->setSectionResizeMode(AllowColumn, QHeaderView::Interactive);
    view_->header()->resizeSection(AllowColumn, 170);
    view_->header()->setMinimumSectionSize(60);

    placeholder_->setObjectName("activityPlaceholder");
    placeholder_->setAlignment(Qt::AlignCenter);
    placeholder_->setWordWrap(true);
    placeholder_->setTextFormat(Qt::PlainText);
    placeholder_->setForegroundRole(QPalette::PlaceholderText);
    turnOn_->setObjectName("turnOnButton");
    turnOn_->setAccessibleName(tr("Turn on the activity log in the profile"));
    turnOn_->setToolTip(
        tr("Open the profile editor at Security \u203a Record what the sandbox "
           "refuses, with the change shown before it is saved"));
    auto* pl = new QVBoxLayout(placeholderPage_);
    pl->addStretch(1);
    pl->addWidget(placeholder_);
    pl->addWidget(turnOn_, 0, Qt::AlignHCenter);
    pl->addStretch(1);
    // The text wraps to whatever height there is: it must not make the window taller (a
    // 1024x600 screen).
    placeholderPage_->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Ignored);
    stack_->addWidget(placeholderPage_);
    stack_->addWidget(view_);

    auto* row = new QHBoxLayout;
    row->addWidget(instanceBox_);
    row->addWidget(summary_, 1);
    row->addWidget(allow_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);  // inside a tab, as the Running view
    layout->addLayout(row);
    layout->addWidget(stack_, 1);

    connect(allow_, &QPushButton::clicked, this, &ActivityView::allowSelected);
    connect(view_, &QTreeView::activated, this, [this]() { allowSelected(); });
    connect(turnOn_, &QPushButton::clicked, this,
            [this]() { emit allowRequested(profile_, activityLogOn()); });
    connect(view_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &ActivityView::updateButton);
    connect(instanceBox_, &QComboBox::activated, this,
            [this](int i) { showInstance(instanceBox_->itemData(i).toString()); });
    connect(instances_, &InstanceModel::instancesChanged, this, &ActivityView::updateInstances);

    timer_->setInterval(1000);
    connect(timer_, &QTimer::timeout, this, [this]() {
        if (isVisible() && !instance_.isEmpty() && !offIds_.contains(instance_)) refresh();
    });
    timer_->start();
    setState(State::NoProfile);
}

void ActivityView::setRefreshInterval(int ms) {
    timer_->setInterval(ms);
}

void ActivityView::setProfile(const QString& name) {
    if (name == profile_) return;
    profile_ = name;
    instance_.clear();
    ++generation_;
    clearGroups();
    setState(name.isEmpty() ? State::NoProfile : State::NotRunning);
    updateInstances();
}

void ActivityView::showInstance(const QString& id) {
    if (id == instance_) return;
    instance_ = id;
    ++generation_;
    clearGroups();
    const int i = instanceBox_->findData(id);
    if (i >= 0) instanceBox_->setCurrentIndex(i);
    if (id.isEmpty()) {
        setState(profile_.isEmpty() ? State::NoProfile : State::NotRunning);
        return;
    }
    if (offIds_.contains(id)) {
        setState(State::Off);
        return;
    }
    setState(State::Reading);
    refresh();
}

// The profile's running sandboxes: the one shown stays while it runs; when it ends, its last
// groups stay (what it refused may be why it ended) until another one starts.
void ActivityView::updateInstances() {
    QStringList ids;
    for (int r = 0; r < instances_->rowCount(); ++r)
        if (const Instance* i = instances_->instanceAt(r); i && i->profile == profile_)
            ids << i->id;
    instanceBox_->clear();
    for (const QString& id : ids) {
        const Instance* i = instances_->instance(id);
        instanceBox_->addItem(tr("Sandbox %1 (pid %2)").arg(id).arg(i ? i->pid : 0), id);
    }
    instanceBox_->setVisible(ids.size() > 1);
    if (!instance_.isEmpty() && ids.contains(instance_)) {
        instanceBox_->setCurrentIndex(instanceBox_->findData(instance_));
        return;
    }
    if (!instance_.isEmpty() && ids.isEmpty() &&
        (state_ == State::Shown || state_ == State::Ended) && !groups_.isEmpty()) {
        ++generation_;
        setState(State::Ended);
        return;
    }
    if (ids.isEmpty() && state_ == State::Ended) return;
    showInstance(ids.isEmpty() ? QString() : ids.first());
}

void ActivityView::refresh() {
    if (inFlight_ || instance_.isEmpty() || state_ == State::Ended) return;
    inFlight_ = true;
    const int generation = generation_;
    const QString id = instance_;
    LayerboxClient::Options opts;
    opts.reportFailure = false;  // said here, once
    opts.timeoutMs = 15000;
    client_->run(
        LayerboxClient::logArgs(id), this,
        [this, generation, id](const CommandResult& r) {
            inFlight_ = false;
            if (generation != generation_) return;
            if (activityLogOff(r)) {
                offIds_.insert(id);
                setState(State::Off);
                return;
            }
            QString parseError;
            const QJsonValue v = r.ok() ? r.json(&parseError) : QJsonValue();
            const auto s = v.isObject() ? ActivitySnapshotItem::from(v.toObject()) : std::nullopt;
            if (s) {
                lastError_.clear();
                apply(*s);
                return;
            }
            // The sandbox may just have ended (the next `ps` removes it): not an error then.
            if (!instances_->instance(id)) return;
            const QString error =
                r.ok() ? (parseError.isEmpty() ? tr("unreadable answer") : parseError)
                       : r.errorLine();
            if (error != lastError_) emit log(LogPanel::Level::Error, r.commandLine(), error);
            lastError_ = error;
            if (groups_.isEmpty()) setState(State::Failed, error);
        },
        opts);
}

bool ActivityView::logOnInProfile() const {
    QString error;
    const QString merged = profiles::mergedJson(profile_, true, &error);
    return error.isEmpty() &&
           profilejson::valueAt(profilejson::parseObject(merged.toUtf8()), "/security/activity_log")
               .toBool();
}

void ActivityView::apply(const ActivitySnapshotItem& s) {
    total_ = s.total;
    dropped_ = s.dropped;
    // What would allow each group, from the profile as it is now (it may have been changed
    // since the sandbox started: an allowed group then shows the field it is already in).
    QString error;
    const QJsonObject values =
        profilejson::parseObject(profiles::mergedJson(profile_, true, &error).toUtf8());
    for (const ActivityGroupItem& g : s.groups) {
        const Allowance a = allowanceFor(g, values);
        int row = rowOf_.value(g.key(), -1);
        if (row < 0) {
            row = model_->rowCount();
            QList<QStandardItem*> items;
            for (int c = 0; c < ColumnCount; ++c)
                items << new QStandardItem;
            model_->appendRow(items);
            rowOf_.insert(g.key(), row);
            groups_ << g;
            allowances_ << a;
        }
        groups_[row] = g;
        allowances_[row] = a;
        model_->item(row, WhatColumn)->setText(g.text);
        model_->item(row, WhatColumn)->setToolTip(g.text);
        model_->item(row, ProcessColumn)->setText(who(g));
        model_->item(row, ProcessColumn)
            ->setToolTip(g.kind == QLatin1String("net")
                             ? tr("The kernel does not say which process made a connection "
                                  "the firewall refused.")
                             : who(g));
        model_->item(row, LastColumn)->setText(clock(g.lastMs));
        model_->item(row, LastColumn)
            ->setToolTip(g.count > 1 ? tr("first at %1").arg(clock(g.firstMs)) : QString());
        showAllowance(row);
    }
    setState(State::Shown);
    updateButton();
}

void ActivityView::showAllowance(int row) {
    const Allowance& a = allowances_[row];
    model_->item(row, AllowColumn)
        ->setText(a.possible() ? a.fieldName() : tr("nothing: %1").arg(a.why));
    model_->item(row, AllowColumn)
        ->setToolTip(a.possible() ? tr("Allow this: %1").arg(a.what)
                                  : tr("No profile field allows it: %1").arg(a.why));
}

void ActivityView::profileSaved(const QString& name) {
    if (name != profile_) return;
    if (state_ == State::NotRunning || state_ == State::Off) {
        setState(state_);
        return;
    }
    QString error;
    const QJsonObject values =
        profilejson::parseObject(profiles::mergedJson(profile_, true, &error).toUtf8());
    for (int row = 0; row < groups_.size(); ++row) {
        allowances_[row] = allowanceFor(groups_[row], values);
        showAllowance(row);
    }
    updateButton();
}

void ActivityView::clearGroups() {
    model_->removeRows(0, model_->rowCount());
    groups_.clear();
    allowances_.clear();
    rowOf_.clear();
    total_ = dropped_ = 0;
    lastError_.clear();
}

void ActivityView::setState(State s, const QString& text) {
    state_ = s;
    const QString quoted = QStringLiteral("\u201c%1\u201d").arg(profile_);
    const QString how =
        tr("Turn on Security \u203a \u201cRecord what the sandbox refuses\u201d "
           "(security.activity_log) in its profile, then start it again.");
    bool offer = false;
    QString say;
    switch (s) {
        case State::NoProfile:
            say = tr("Select a profile to see what its running sandbox refuses.");
            break;
        case State::NotRunning:
            say = tr("%1 is not running. While a sandbox of it runs, this shows what it "
                     "refused: connections its firewall dropped, D-Bus names its filter hid, "
                     "system calls its filter denied. (Files it cannot see are not recorded: "
                     "a hidden path opens as an empty file, nothing is refused.)")
                      .arg(quoted);
            if (!profile_.isEmpty() && !logOnInProfile()) {
                say += QStringLiteral("\n\n") + tr("Its activity log is off.") + QLatin1Char(' ') +
                       how;
                offer = true;
            }
            break;
        case State::Reading:
            say = tr("Reading the activity log of sandbox %1\u2026").arg(instance_);
            break;
        case State::Off:
            say = tr("Sandbox %1 of %2 keeps no activity log: its profile had it off when it "
                     "started.")
                      .arg(instance_, quoted);
            if (logOnInProfile()) {
                say += QLatin1Char(' ') + tr("It is on now: start the sandbox again.");
            } else {
                say += QLatin1Char(' ') + how;
                offer = true;
            }
            break;
        case State::Failed:
            say = tr("Cannot read the activity log of sandbox %1: %2").arg(instance_, text);
            break;
        case State::Shown:
        case State::Ended:
            break;
    }
    const bool list = s == State::Shown || s == State::Ended;
    placeholder_->setText(say);
    turnOn_->setVisible(offer);
    stack_->setCurrentWidget(list ? static_cast<QWidget*>(view_) : placeholderPage_);
    updateSummary();
    updateButton();
}

void ActivityView::updateSummary() {
    QString text;
    if (state_ == State::Shown || state_ == State::Ended) {
        const QString refused =
            total_ == 0 ? tr("nothing refused so far") : tr("%1 refused").arg(total_);
        text = state_ == State::Ended ? tr("Sandbox %1 has ended: %2").arg(instance_, refused)
                                      : tr("Sandbox %1: %2").arg(instance_, refused);
        text += QStringLiteral(" \u00b7 ") + tr("%1 dropped from the bounded log").arg(dropped_);
    }
    summary_->setText(text);
    summary_->setToolTip(
        text.isEmpty() ? QString()
                       : text + QStringLiteral("\n\n") +
                             tr("The runner keeps the 512 most recent refusals (at most 100 a "
                                "second) and counts the rest as dropped; the groups count "
                                "every refusal. Files hidden from the program are not recorded: "
                                "nothing is refused when it opens one."));
}

ActivityGroupItem ActivityView::groupAt(int row) const {
    return row >= 0 && row < groups_.size() ? groups_[row] : ActivityGroupItem();
}

Allowance ActivityView::allowanceAt(int row) const {
    return row >= 0 && row < allowances_.size() ? allowances_[row] : Allowance();
}

void ActivityView::selectRow(int row) {
    view_->selectionModel()->select(
        model_->index(row, 0), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    view_->setCurrentIndex(model_->index(row, 0));
}

void ActivityView::updateButton() {
    const QModelIndexList rows = view_->selectionModel()->selectedRows();
    const int row = rows.isEmpty() ? -1 : rows.first().row();
    const Allowance a = allowanceAt(row);
    const bool list = state_ == State::Shown || state_ == State::Ended;
    allow_->setEnabled(list && a.possible());
    allow_->setToolTip(!list || row < 0 ? tr("Select what was refused to allow it in the profile")
                       : a.possible()   ? tr("Open the profile editor at %1 with the change "
                                               "shown; nothing is saved until you agree")
                                            .arg(a.fieldName())
                                      : tr("No profile field allows it: %1").arg(a.why));
}

void ActivityView::allowSelected() {
    const QModelIndexList rows = view_->selectionModel()->selectedRows();
    if (rows.isEmpty()) return;
    const Allowance a = allowanceAt(rows.first().row());
    if (a.possible()) emit allowRequested(profile_, a);
}

void ActivityView::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    refresh();  // at once, not at the next tick
}
