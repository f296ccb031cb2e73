#include "backend/desktopentries.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QRegularExpression>
#include <QStandardPaths>
#include <algorithm>

#include "common/textformat.h"

namespace {

QString unescape(const QString& v) {
    QString out;
    for (int i = 0; i < v.size(); ++i) {
        if (v.at(i) == QLatin1Char('\\') && i + 1 < v.size()) {
            const QChar c = v.at(++i);
            if (c == QLatin1Char('s'))
                out += QLatin1Char(' ');
            else if (c == QLatin1Char('n'))
                out += QLatin1Char('\n');
            else if (c == QLatin1Char('t'))
                out += QLatin1Char('\t');
            else
                out += c;
        } else {
            out += v.at(i);
        }
    }
    return out;
}

}  // namespace

QStringList DesktopEntry::command() const {
    QStringList out;
    for (const QString& a : textformat::splitCommand(exec)) {
        if (a.size() == 2 && a.startsWith(QLatin1Char('%'))) continue;  // %f %F %u %U %i %c %k
        QString arg = a;
        arg.replace(QStringLiteral("%%"), QStringLiteral("%"));
        out << arg;
    }
    return out;
}

QString DesktopEntry::suggestedProfileName() const {
    QString base = id;
    if (base.endsWith(QLatin1String(".desktop"))) base.chop(8);
    // Reverse-DNS ids: the last part names the application.
    if (base.count(QLatin1Char('.')) >= 2) base = base.section(QLatin1Char('.'), -1);
    base = base.toLower();
    base.replace(QRegularExpression(QStringLiteral("[^a-z0-9_-]+")), QStringLiteral("-"));
    while (base.startsWith(QLatin1Char('-')) || base.startsWith(QLatin1Char('_')))
        base.remove(0, 1);
    return base.left(64);
}

namespace desktopentries {

std::optional<DesktopEntry> parse(const QString& file) {
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text)) return std::nullopt;
    DesktopEntry e;
    e.file = file;
    e.id = QFileInfo(file).fileName();
    bool inMain = false;
    bool hidden = false;
    QString type;
    while (!f.atEnd()) {
        const QString line = QString::fromUtf8(f.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#'))) continue;
        if (line.startsWith(QLatin1Char('['))) {
            inMain = line == QLatin1String("[Desktop Entry]");
            continue;
        }
        if (!inMain) continue;
        const int eq = line.indexOf(QLatin1Char('='));
        if (eq <= 0) continue;
        const QString key = line.left(eq).trimmed();
        const QString value = unescape(line.mid(eq + 1).trimmed());
        if (key == QLatin1String("Name"))
            e.name = value;
        else if (key == QLatin1String("Comment"))
            e.comment = value;
        else if (key == QLatin1String("Exec"))
            e.exec = value;
        else if (key == QLatin1String("Icon"))
            e.icon = value;
        else if (key == QLatin1String("Type"))
            type = value;
        else if (key == QLatin1String("Terminal"))
            e.terminal = value == QLatin1String("true");
        else if (key == QLatin1String("NoDisplay") || key == QLatin1String("Hidden"))
            hidden = hidden || value == QLatin1String("true");
    }
    if (type != QLatin1String("Application") || hidden || e.exec.isEmpty()) return std::nullopt;
    if (e.name.isEmpty()) e.name = e.id;
    return e;
}

std::optional<DesktopEntry> find(const QString& id) {
    if (id.isEmpty()) return std::nullopt;
    for (const QString& dir :
         QStandardPaths::standardLocations(QStandardPaths::ApplicationsLocation)) {
        const QString path = dir + QLatin1Char('/') + id;
        if (QFileInfo::exists(path)) return parse(path);
    }
    return std::nullopt;
}

QList<DesktopEntry> applications() {
    QList<DesktopEntry> out;
    QHash<QString, bool> seen;
    for (const QString& dir :
         QStandardPaths::standardLocations(QStandardPaths::ApplicationsLocation)) {
        const QStringList files = QDir(dir).entryList({QStringLiteral("*.desktop")}, QDir::Files);
        for (const QString& name : files) {
            if (seen.contains(name)) continue;  // the first directory wins
            seen.insert(name, true);
            if (auto e = parse(dir + QLatin1Char('/') + name)) out.append(*e);
        }
    }
    std::sort(out.begin(), out.end(), [](const DesktopEntry& a, const DesktopEntry& b) {
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
