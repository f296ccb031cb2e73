// Numbers and commands as people read them.
#pragma once

#include <QString>
#include <QStringList>

namespace textformat {

// 104857600 -> "100 MiB"
QString bytes(qint64 bytes);
// 3725 -> "1:02:05", 65 -> "1:05"
QString duration(qint64 seconds);
// {"sh", "-c", "sleep 2"} -> sh -c 'sleep 2'
QString command(const QStringList& argv);
// The inverse, for a command typed by the user (shell-like quoting, no expansion).
QStringList splitCommand(const QString& text);
// The lines that differ between two texts, as a unified diff shows them ("- old", "+ new"),
// with `context` unchanged lines ("  same") around each change and "  \u2026" for what is
// left out; empty when the texts are the same.
QString lineChanges(const QString& before, const QString& after, int context = 2);

}  // namespace textformat
