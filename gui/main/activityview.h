// The Activity tab (issue 23): what a running sandbox of the selected profile refused, grouped
// and counted as `layerbox log` shows it ("dropped 14 connections to 192.168.1.1:53"), with
// the process, the count of entries the bounded log dropped, and the profile field that would
// allow each group. Read with `layerbox log ID --json` every second while the tab is shown
// (the runner rewrites the log at most every 300 ms); one read at a time. "Allow this" asks
// the main window to open the profile editor at that field with the change shown
// (ProfileEditor::offerChange): nothing is saved here. When the profile's log is off, or no
// sandbox of it runs, the tab says so and how to turn the log on.
#pragma once

#include <QHash>
#include <QSet>
#include <QWidget>

#include "backend/activitylog.h"
#include "main/logpanel.h"

class InstanceModel;
class LayerboxClient;
class QComboBox;
class QLabel;
class QPushButton;
class QStackedWidget;
class QStandardItemModel;
class QTimer;
class QTreeView;

class ActivityView : public QWidget {
    Q_OBJECT

public:
    enum Column { WhatColumn, ProcessColumn, LastColumn, AllowColumn, ColumnCount };
    enum class State {
        NoProfile,   // nothing selected
        NotRunning,  // no sandbox of the profile runs (and none was shown)
        Reading,     // the first read of a sandbox's log is under way
        Off,         // the sandbox keeps no log (security.activity_log was off)
        Shown,       // its groups are in the list (none yet: "nothing refused")
        Ended,       // the sandbox shown has ended: its last groups stay in the list
        Failed,      // `layerbox log` failed otherwise
    };

    ActivityView(LayerboxClient* client, InstanceModel* instances, QWidget* parent = nullptr);

    void setProfile(const QString& name);
    QString profile() const { return profile_; }
    // The sandbox whose log is shown (one of the profile's running ones).
    QString instanceId() const { return instance_; }
    void showInstance(const QString& id);
    State state() const { return state_; }

    // Read the log now, unless a read is under way.
    void refresh();
    bool refreshInFlight() const { return inFlight_; }
    void setRefreshInterval(int ms);

    QTreeView* view() const { return view_; }
    QStandardItemModel* model() const { return model_; }
    QLabel* summaryLabel() const { return summary_; }
    QLabel* placeholder() const { return placeholder_; }
    QPushButton* allowButton() const { return allow_; }
    QPushButton* turnOnButton() const { return turnOn_; }
    qint64 total() const { return total_; }
    qint64 dropped() const { return dropped_; }
    ActivityGroupItem groupAt(int row) const;
    Allowance allowanceAt(int row) const;
    void selectRow(int row);
    // "Allow this" on the selected group.
    void allowSelected();
    // The profile `name` was saved: what allows each group, and the off state, read again.
    void profileSaved(const QString& name);
    // The tab's height does not depend on its width for the window: a QTabWidget asks every
    // page, shown or not, and the long wrapped text of the empty tab then took the height the
    // profile summary needs on a 1024x600 screen. Inside, the text still wraps.
    bool hasHeightForWidth() const override { return false; }
    int heightForWidth(int) const override { return -1; }

signals:
    // Open the editor of `profile` with `change` shown, for the user to save or not.
    void allowRequested(const QString& profile, const Allowance& change);
    void log(LogPanel::Level level, const QString& source, const QString& text);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void updateInstances();
    void apply(const ActivitySnapshotItem& s);
    void setState(State s, const QString& text = {});
    void updateSummary();
    void updateButton();
    void clearGroups();
    void showAllowance(int row);
    bool logOnInProfile() const;

    LayerboxClient* client_;
    InstanceModel* instances_;
    QComboBox* instanceBox_;
    QLabel* summary_;
    QPushButton* allow_;
    QStackedWidget* stack_;
    QWidget* placeholderPage_;
    QLabel* placeholder_;
    QPushButton* turnOn_;
    QTreeView* view_;
    QStandardItemModel* model_;
    QTimer* timer_;

    QString profile_;
    QString instance_;
    State state_ = State::NoProfile;
    bool inFlight_ = false;
    int generation_ = 0;    // a read answered after the profile or sandbox changed is dropped
    QSet<QString> offIds_;  // sandboxes that keep no log: not asked again
    QList<ActivityGroupItem> groups_;  // in the rows' order
    QList<Allowance> allowances_;
    QHash<QString, int> rowOf_;  // group key -> row
    qint64 total_ = 0, dropped_ = 0;
    QString lastError_;
};
