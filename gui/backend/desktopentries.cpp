#include "backend/desktopentries.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QStandardPaths>
#include <algorithm>

#include "backend/profiles.h"
#include "base/desktop_entry.h"
#include "base/fsutil.h"
#include "base/paths.h"
#include "common/textformat.h"

namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

DesktopEntry fromCore(const lb::InstalledApplication& a) {
    DesktopEntry e;
    e.id = qs(a.id);
    e.file = qs(a.path);
    e.name = qs(a.name);
    e.comment = qs(a.comment);
    e.exec = qs(a.exec);
    e.icon = qs(a.icon);
    e.terminal = a.terminal;
    return e;
}

}  // namespace

QStringList DesktopEntry::command() const {
    QStringList out;
    for (const std::string& a : lb::execArguments(exec.toStdString()))
        out << qs(a);
    return out;
}

QString DesktopEntry::suggestedProfileName() const {
    QString base = id;
    if (base.endsWith(QLatin1String(".desktop"))) base.chop(8);
    // Reverse-DNS ids: the last part names the application.
    if (base.count(QLatin1Char('.')) >= 2) base = base.section(QLatin1Char('.'), -1);
    return profiles::nameFrom(base);
}

namespace desktopentries {

std::optional<DesktopEntry> parse(const QString& file) {
    const std::string path = QFile::encodeName(file).toStdString();
    auto text = lb::readFile(path);
    if (!text) return std::nullopt;
    auto keys = lb::parseDesktopEntry(*text);
    auto get = [&](const char* k) {
        auto it = keys.find(k);
        return it == keys.end() ? std::string() : lb::unescapeDesktopString(it->second);
    };
    if (get("Type") != "Application" || get("NoDisplay") == "true" || get("Hidden") == "true" ||
        get("Exec").empty())
        return std::nullopt;
    lb::InstalledApplication a;
    a.id = QFileInfo(file).fileName().toStdString();
    a.path = path;
    a.name = get("Name").empty() ? a.id : get("Name");
    a.comment = get("Comment");
    a.icon = get("Icon");
    a.exec = get("Exec");
    a.terminal = get("Terminal") == "true";
    return fromCore(a);
}

std::optional<DesktopEntry> find(const QString& id) {
    if (id.isEmpty()) return std::nullopt;
    const std::string path = lb::findDesktopEntry(id.toStdString(), lb::Paths::fromEnvironment());
    if (path.empty()) return std::nullopt;
    return parse(QString::fromStdString(path));
}

QList<DesktopEntry> applications() {
    QList<DesktopEntry> out;
    for (const auto& a : lb::installedApplications(lb::Paths::fromEnvironment()))
        out.append(fromCore(a));
    std::stable_sort(out.begin(), out.end(), [](const DesktopEntry& a, const DesktopEntry& b) {
        return a.name.localeAwareCompare(b.name) < 0;
    });
    return out;
}

QIcon icon(const QString& nameOrPath, const QIcon& fallback) {
    if (nameOrPath.isEmpty()) return fallback;
    if (QDir::isAbsolutePath(nameOrPath))
        return QFileInfo::exists(nameOrPath) ? QIcon(nameOrPath) : fallback;
    return QIcon::fromTheme(nameOrPath, fallback);
}

}  // namespace desktopentries
