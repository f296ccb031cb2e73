// Profile JSON on the GUI side: the field table (for tooltips and key order), JSON pointers,
// and writing a profile the way the built-in ones are written. Validation, merging and
// `extends` stay in the core (lb::validateProfileText, lb::overridesAgainst, ...).
#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>

namespace profilejson {

struct FieldInfo {
    QString pointer;      // "/network/mode", list items as "/filesystem/binds/N/host"
    QString kind;         // "none|nat", "size", "list of path", ...
    QString defaultJson;  // "\"none\"", empty when there is none
    QString description;
};

// lb::profileFieldTable(), parsed once.
const QList<FieldInfo>& fields();
// The entry for a pointer; list indexes may be numbers ("/filesystem/binds/3/host").
const FieldInfo* field(const QString& pointer);
// "/filesystem/binds/3/host" -> "/filesystem/binds/N/host"
QString genericPointer(const QString& pointer);
// Tooltip text for the control that sets `pointer`: the key, what it does, its default.
QString toolTip(const QString& pointer);

QJsonValue valueAt(const QJsonObject& root, const QString& pointer);
// Sets a value, creating parent objects; an undefined value removes the key (and parents
// left empty).
void setValueAt(QJsonObject& root, const QString& pointer, const QJsonValue& value);

// Apply to `file` every difference between `before` and `after` (objects compared key by
// key, anything else as a whole): keys nobody touched keep their presence and value in the
// file.
void applyChanges(QJsonObject& file, const QJsonObject& before, const QJsonObject& after);

// Pretty text with the keys in the order of the field table ("version", "name" first),
// short lists and objects on one line, a final newline.
QString toText(const QJsonObject& profile);

// Parse an object from text; an empty object with `error` set when that fails.
QJsonObject parseObject(const QByteArray& text, QString* error = nullptr);

}  // namespace profilejson
