// The GUI's view of the profile library (layerbox_profile: base + profile, all the GUI links):
// finding, loading, validating and saving profiles, in Qt types. The core's rules stay in the
// core: these are thin calls. What changes more than one file, or a sandbox's data (import,
// duplicate, rename, delete), is not here: the GUI runs `layerbox profile ...` for it
// (LayerboxClient).
#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

namespace profiles {

// The profile format version this GUI writes.
int formatVersion();
// [a-z0-9][a-z0-9_-]{0,63}: profile and layer names.
bool isValidName(const QString& name);
// A profile name made from a program's or desktop entry's name (lb::profileNameFrom).
QString nameFrom(const QString& word);

// A profile as loaded (extends resolved, defaults filled in): what the profile list and the
// summary show.
struct ProfileInfo {
    QString name;
    QString path;  // the file the name resolves to
    bool builtin = false;
    bool overridesBuiltin = false;  // a user profile shadowing a built-in one
    bool valid = true;
    QString error;  // why it does not load
    QString title, description, icon, desktopEntry, extends;
    QStringList command;
    // What it lets the program do.
    bool nat = false;
    QString firewall;                       // preset
    int ports = 0;                          // port forwards
    QStringList allowDomains, denyDomains;  // network.allow_domains / deny_domains
    bool wayland = false, gpu = false;
    QString x11;           // off | host | isolated
    QString audio;         // none | pulseaudio | pipewire | both
    QString clipboard;     // none | in | out | both (x11 isolated only)
    bool portals = false;  // dbus talk covers the desktop portal
    QString openUri;       // desktop.open_uri: deny | ask | allow
    QString home;          // private | tmpfs | overlay
    struct Bind {
        QString host;
        QString sandbox;  // where the sandbox sees it
        bool rw = false;
    };
    QList<Bind> binds;
    QStringList hide;  // paths hidden from the program
    bool hasRecoverWatch = false;
    std::optional<qint64> memoryMax;
    std::optional<int> tasksMax, cpuPercent;
    QString lifetime = QStringLiteral("all");  // lifetime.until: all | main
};

// Every profile, yours first shadowing the built-in ones, sorted by name.
QList<ProfileInfo> list();

// Where a name resolves: std::nullopt (with the core's one-line reason) when it does not.
struct Ref {
    QString name;
    QString path;
    bool builtin = false;
};
std::optional<Ref> find(const QString& name, QString* error = nullptr);

QString userProfileDir();
QString userPath(const QString& name);
QString builtinPath(const QString& name);
// Where a profile's sandbox keeps its data (its changes, its home): for "has it run?".
QString sandboxDir(const QString& name);

// The tag of a file's contents, for a save that must not overwrite someone else's edit.
QString tagOf(const QString& path);

struct Diagnostic {
    QString pointer;  // "/resources/memory_max"; empty for syntax errors
    QString message;
    QString text;  // the whole line: "x.json: /resources/memory_max: ..."
};
// The core's validator on one file's text; `stem`, when given, must match its "name".
QList<Diagnostic> validate(const QString& text, const QString& displayName,
                           const QString& stem = {});

// The merged JSON text of a profile (by name or path); `fillDefaults` adds every default of
// the schema. Empty, with `error` set, when it does not load.
QString mergedJson(const QString& nameOrPath, bool fillDefaults, QString* error);
// The smallest text that, extending `parent`, gives `effectiveJson`.
QString overridesAgainst(const QString& parent, const QString& effectiveJson, QString* error);
// The value of "extends" in a profile's text, or empty.
QString extendsOf(const QString& text);

struct SaveResult {
    bool ok = false;
    bool stale = false;  // changed on disk since it was read (or created meanwhile)
    QString error;
};
// Write your profile NAME atomically, validated first. `expectedTag`: the tag of the file as
// it was read ("" = it must not exist yet), "*" to replace whatever is there.
SaveResult save(const QString& name, const QString& text, const QString& expectedTag);

// The name `layerbox profile import FILE` gives a file with this text (lb::importName: its
// file name, else its own "name"); empty when neither is a valid name.
QString importName(const QString& file, const QString& text);
// For the review before an import saves a profile: what the profile `text` (to be saved as
// `name`) lets its program reach beyond the built-in "default" profile (lb::permissionsBeyond),
// one line each. Empty, with `error` set, when it does not load.
QStringList permissionsBeyondDefault(const QString& text, const QString& name, QString* error);

// Network fields that mean something only with "mode": "nat" (lb::natOnlyFields); `refused`:
// the validator refuses a value for it with "none" (else the value is unused).
struct NatOnlyField {
    QString pointer;
    bool refused = false;
};
QList<NatOnlyField> natOnlyFields();

// Every field of the format as "pointer\tkind\tdefault\tdescription" (the core's table).
QStringList fieldTable();

}  // namespace profiles
