#include "backend/profiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <cerrno>

#include "base/paths.h"
#include "profile/nat_only.h"
#include "profile/profile.h"
#include "profile/profile_permissions.h"
#include "profile/profile_store.h"

namespace profiles {

namespace {

QString q(const std::string& s) {
    return QString::fromStdString(s);
}

std::string s(const QString& q) {
    return q.toStdString();
}

lb::ProfileStore store() {
    return lb::ProfileStore(lb::Paths::fromEnvironment());
}

ProfileInfo infoOf(const lb::ProfileStore& st, const lb::ProfileRef& ref) {
    ProfileInfo i;
    i.name = q(ref.name);
    i.path = q(ref.path);
    i.builtin = ref.builtin;
    i.overridesBuiltin = ref.overridesBuiltin;
    auto loaded = lb::loadProfile(st, ref.path);
    if (!loaded) {
        i.valid = false;
        i.error = q(loaded.error().message());
        return i;
    }
    const lb::Profile& p = *loaded;
    i.title = q(p.title);
    i.description = q(p.description);
    i.icon = q(p.icon);
    i.desktopEntry = q(p.desktopEntry);
    i.extends = q(p.extends);
    for (const auto& a : p.command)
        i.command << q(a);
    i.nat = p.network.mode == lb::NetMode::Nat;
    i.firewall = q(p.network.firewall);
    i.ports = int(p.network.ports.size());
    for (const auto& d : p.network.allowDomains)
        i.allowDomains << QString::fromStdString(d);
    for (const auto& d : p.network.denyDomains)
        i.denyDomains << QString::fromStdString(d);
    i.wayland = p.desktop.wayland;
    i.x11 = QString::fromLatin1(lb::x11ModeName(p.desktop.x11));
    i.gpu = p.desktop.gpu;
    i.audio = q(p.desktop.audio);
    i.clipboard = q(p.desktop.clipboard);
    i.portals = p.desktop.dbus.talksToPortals();
    i.openUri = q(p.desktop.openUri);
    i.home = QString::fromLatin1(lb::homeModeName(p.filesystem.home));
    for (const lb::Bind& b : p.filesystem.binds)
        i.binds.append({q(b.host), q(b.sandbox), b.rw});
    for (const std::string& h : p.filesystem.hide)
        i.hide << q(h);
    i.hasRecoverWatch = !p.filesystem.recoverWatch.empty();
    if (p.resources.memoryMax) i.memoryMax = qint64(*p.resources.memoryMax);
    i.tasksMax = p.resources.tasksMax;
    i.lifetime = q(p.lifetime.until);
    i.cpuPercent = p.resources.cpuPercent;
    return i;
}

}  // namespace

int formatVersion() {
    return lb::kProfileVersion;
}

bool isValidName(const QString& name) {
    return lb::isValidProfileName(s(name));
}

QString nameFrom(const QString& word) {
    return QString::fromStdString(lb::profileNameFrom(s(word)));
}

QList<ProfileInfo> list() {
    const lb::ProfileStore st = store();
    QList<ProfileInfo> out;
    for (const lb::ProfileRef& ref : st.list())
        out.append(infoOf(st, ref));
    return out;
}

std::optional<Ref> find(const QString& name, QString* error) {
    auto ref = store().find(s(name));
    if (!ref) {
        if (error) *error = q(ref.error().message());
        return std::nullopt;
    }
    return Ref{q(ref->name), q(ref->path), ref->builtin};
}

QString userProfileDir() {
    return q(lb::Paths::fromEnvironment().userProfileDir());
}

QString userPath(const QString& name) {
    return q(store().userPath(s(name)));
}

QString builtinPath(const QString& name) {
    return q(lb::Paths::fromEnvironment().builtinProfileDir) + QLatin1Char('/') + name +
           QStringLiteral(".json");
}

QString sandboxDir(const QString& name) {
    return q(lb::Paths::fromEnvironment().sandboxDir(s(name)));
}

QString tagOf(const QString& path) {
    return q(lb::ProfileStore::tagOf(s(path)));
}

QList<Diagnostic> validate(const QString& text, const QString& displayName, const QString& stem) {
    QList<Diagnostic> out;
    for (const lb::Diagnostic& d : lb::validateProfileText(s(text), s(displayName), s(stem)))
        out.append({q(d.pointer), q(d.message), q(d.text())});
    return out;
}

QString mergedJson(const QString& nameOrPath, bool fillDefaults, QString* error) {
    auto r = lb::mergedProfileJson(store(), s(nameOrPath), fillDefaults);
    if (!r) {
        if (error) *error = q(r.error().message());
        return {};
    }
    return q(*r);
}

QString overridesAgainst(const QString& parent, const QString& effectiveJson, QString* error) {
    auto r = lb::overridesAgainst(store(), s(parent), s(effectiveJson));
    if (!r) {
        if (error) *error = q(r.error().message());
        return {};
    }
    return q(*r);
}

QString extendsOf(const QString& text) {
    return q(lb::extendsOfText(s(text)));
}

SaveResult save(const QString& name, const QString& text, const QString& expectedTag) {
    SaveResult r;
    lb::Status st = store().save(s(name), s(text), s(expectedTag));
    r.ok = st.ok();
    if (!st) {
        r.stale = st.error().code() == ESTALE || st.error().code() == EEXIST;
        r.error = q(st.error().message());
    }
    return r;
}

QString importName(const QString& file, const QString& text) {
    return q(lb::importName(s(QFileInfo(file).fileName()), s(text)));
}

QStringList permissionsBeyondDefault(const QString& text, const QString& name, QString* error) {
    auto fail = [error](const QString& why) {
        if (error) *error = why;
        return QStringList();
    };
    // Loaded as the core loads any profile (its parents resolved, ~ expanded), from a private
    // copy under the name it will have: nothing is saved before the user agrees.
    auto renamed = lb::renamedProfileText(s(text), s(name));
    if (!renamed) return fail(q(renamed.error().message()));
    QTemporaryDir dir;
    if (!dir.isValid()) return fail(QStringLiteral("cannot create a temporary folder"));
    const QString path = dir.filePath(name + QStringLiteral(".json"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(QByteArray::fromStdString(*renamed)) < 0)
        return fail(QStringLiteral("cannot write %1: %2").arg(path, f.errorString()));
    f.close();
    const lb::ProfileStore st = store();
    auto profile = lb::loadProfile(st, s(path));
    if (!profile) return fail(q(profile.error().message()));
    auto base = lb::loadProfile(st, s(builtinPath(QStringLiteral("default"))));
    if (!base) return fail(q(base.error().message()));
    QStringList out;
    for (const std::string& line : lb::permissionsBeyond(*profile, *base, s(QDir::homePath())))
        out << q(line);
    return out;
}

QList<NatOnlyField> natOnlyFields() {
    QList<NatOnlyField> out;
    for (const lb::NatOnlyField& f : lb::natOnlyFields())
        out.append({q(f.pointer), !f.refusedWithout.empty()});
    return out;
}

QStringList fieldTable() {
    QStringList out;
    for (const std::string& line : lb::profileFieldTable())
        out << q(line);
    return out;
}

}  // namespace profiles
