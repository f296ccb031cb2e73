// The activity log as the GUI reads it: `layerbox log ID --json` (docs/cli-json.md), grouped and
// counted by the sandbox's runner, and what in a profile would allow a refusal of it ("Allow
// this"): a D-Bus name to talk to, a firewall rule, a system call taken out of the filter, or
// why no profile field can (also when the profile allows it already: a running sandbox keeps
// the profile it started with).
#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

struct CommandResult;

// One group of the log: what was refused, by which process, how often.
struct ActivityGroupItem {
    QString kind;     // syscall | dbus | net (others may come: shown, never allowed)
    QString command;  // the process's name; empty for net (the kernel does not say)
    QString object;   // "keyctl", "org.example.Name", "192.168.1.1:53"
    QString text;     // the core's words: "dropped 2 connections to 192.168.1.1:53"
    qint64 pid = 0;
    qint64 count = 0;
    qint64 firstMs = 0, lastMs = 0;  // Unix milliseconds
    // The same group in the next answer has the same key.
    QString key() const { return kind + QLatin1Char('\n') + command + QLatin1Char('\n') + object; }
};

struct ActivitySnapshotItem {
    QString id, profile;
    qint64 total = 0;    // every refusal seen
    qint64 dropped = 0;  // not kept in the bounded log (rate limit, or beyond its groups)
    QList<ActivityGroupItem> groups;
    // The documented object, or std::nullopt when `o` is not one.
    static std::optional<ActivitySnapshotItem> from(const QJsonObject& o);
};

// `layerbox log` refused because the sandbox keeps no log (its profile had
// security.activity_log off when it started).
bool activityLogOff(const CommandResult& result);

// The change to a profile that would allow what a group was refused: edits of fields (JSON
// pointers of the profile format), each an operation, so that they apply to the values the
// editor holds when the user asks.
struct Allowance {
    enum class Op {
        AddToList,      // append `item` to the list at `pointer` (when it is not there)
        PrependToList,  // put `item` first in the list (firewall rules: the first match wins)
        RemoveFromList,
        Set,  // set `pointer` to `item`
    };
    struct Edit {
        Op op = Op::Set;
        QString pointer;  // "/desktop/dbus/talk"
        QJsonValue item;
        // The field's value after the edit, from its value now.
        QJsonValue apply(const QJsonValue& current) const;
    };
    QList<Edit> edits;  // empty: no profile field allows it, `why` says why
    QString page;       // the editor page that holds the fields ("desktopPage")
    QString what;       // "talking to the D-Bus name org.example.Name", for the question
    QString why;

    bool possible() const { return !edits.isEmpty(); }
    // The profile's values with every edit made.
    QJsonObject applyTo(QJsonObject profile) const;
    // "desktop.dbus.talk" (the keys as profiles/README.md names them).
    QString fieldName() const;
};

// What would allow `group` in the profile `profile` (its merged values, defaults filled in:
// the editor's or profiles::mergedJson's).
Allowance allowanceFor(const ActivityGroupItem& group, const QJsonObject& profile);
// Turning the log itself on.
Allowance activityLogOn();
// Every system call a rule of Layerbox's own filter names (sandbox/isolation/seccomp.cpp's
// planSeccomp, under any profile): tst_gui_activity checks the list against it.
const QStringList& filterCalls();
