#include "common/textformat.h"

#include <QLocale>
#include <QRegularExpression>
#include <algorithm>
#include <vector>

namespace textformat {

QString bytes(qint64 n) {
    if (n < 0) return {};
    return QLocale().formattedDataSize(n, 1, QLocale::DataSizeIecFormat);
}

QString duration(qint64 s) {
    if (s < 0) s = 0;
    const qint64 h = s / 3600, m = (s / 60) % 60, sec = s % 60;
    if (h > 0)
        return QStringLiteral("%1:%2:%3")
            .arg(h)
            .arg(m, 2, 10, QLatin1Char('0'))
            .arg(sec, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(m).arg(sec, 2, 10, QLatin1Char('0'));
}

QString command(const QStringList& argv) {
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_@%+=:,./~-]+$"));
    QStringList out;
    for (const QString& a : argv) {
        if (plain.match(a).hasMatch()) {
            out << a;
        } else {
            QString q = a;
            q.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
            out << QLatin1Char('\'') + q + QLatin1Char('\'');
        }
    }
    return out.join(QLatin1Char(' '));
}

QStringList splitCommand(const QString& text) {
    // Single quotes are literal, double quotes allow \" and \\, a backslash outside quotes
    // escapes the next character: enough for the quoting command() produces and people type.
    QStringList out;
    QString cur;
    bool inWord = false;
    for (int i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c == QLatin1Char('\'')) {
            inWord = true;
            int end = text.indexOf(QLatin1Char('\''), i + 1);
            if (end < 0) end = text.size();
            cur += text.mid(i + 1, end - i - 1);
            i = end;
        } else if (c == QLatin1Char('"')) {
            inWord = true;
            for (++i; i < text.size() && text.at(i) != QLatin1Char('"'); ++i) {
                if (text.at(i) == QLatin1Char('\\') && i + 1 < text.size() &&
                    (text.at(i + 1) == QLatin1Char('"') || text.at(i + 1) == QLatin1Char('\\')))
                    ++i;
                cur += text.at(i);
            }
        } else if (c == QLatin1Char('\\') && i + 1 < text.size()) {
            inWord = true;
            cur += text.at(++i);
        } else if (c.isSpace()) {
            if (inWord) out << cur;
            cur.clear();
            inWord = false;
        } else {
            inWord = true;
            cur += c;
        }
    }
    if (inWord) out << cur;
    return out;
}

QString lineChanges(const QString& before, const QString& after, int context) {
    const QStringList a = before.split(QLatin1Char('\n'));
    const QStringList b = after.split(QLatin1Char('\n'));
    // Longest common subsequence of lines (profiles are a few hundred lines at most).
    const qsizetype n = a.size(), m = b.size();
    std::vector<std::vector<int>> lcs(n + 1, std::vector<int>(m + 1, 0));
    for (qsizetype i = n - 1; i >= 0; --i)
        for (qsizetype j = m - 1; j >= 0; --j)
            lcs[i][j] =
                a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    struct Line {
        QChar mark;
        QString text;
    };
    QList<Line> lines;
    qsizetype i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && a[i] == b[j]) {
            lines.append({QLatin1Char(' '), a[i]});
            ++i;
            ++j;
        } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
            lines.append({QLatin1Char('-'), a[i++]});
        } else {
            lines.append({QLatin1Char('+'), b[j++]});
        }
    }
    QStringList out;
    qsizetype lastShown = -1;
    for (qsizetype k = 0; k < lines.size(); ++k) {
        bool near = false;
        for (qsizetype d = qMax<qsizetype>(0, k - context);
             d <= qMin<qsizetype>(lines.size() - 1, k + context) && !near; ++d)
            near = lines[d].mark != QLatin1Char(' ');
        if (!near) continue;
        if (k > lastShown + 1) out << QStringLiteral("  \u2026");
        out << QString(lines[k].mark) + QLatin1Char(' ') + lines[k].text;
        lastShown = k;
    }
    if (lastShown >= 0 && lastShown + 1 < lines.size()) out << QStringLiteral("  \u2026");
    return out.join(QLatin1Char('\n'));
}

}  // namespace textformat
