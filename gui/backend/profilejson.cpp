#include "backend/profilejson.h"

#include <QCoreApplication>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStringList>
#include <algorithm>

#include "backend/profiles.h"

namespace profilejson {

const QList<FieldInfo>& fields() {
    static const QList<FieldInfo> table = [] {
        QList<FieldInfo> out;
        for (const QString& line : profiles::fieldTable()) {
            const QStringList parts = line.split(QLatin1Char('\t'));
            if (parts.size() < 4) continue;
            out.append({parts[0], parts[1], parts[2], parts.mid(3).join(QLatin1Char('\t'))});
        }
        return out;
    }();
    return table;
}

QString genericPointer(const QString& pointer) {
    QStringList parts = pointer.split(QLatin1Char('/'));
    for (QString& p : parts) {
        bool isIndex = false;
        p.toInt(&isIndex);
        if (isIndex) p = QStringLiteral("N");
    }
    return parts.join(QLatin1Char('/'));
}

const FieldInfo* field(const QString& pointer) {
    static const QHash<QString, int> index = [] {
        QHash<QString, int> h;
        for (int i = 0; i < fields().size(); ++i)
            h.insert(fields()[i].pointer, i);
        return h;
    }();
    auto it = index.constFind(genericPointer(pointer));
    return it == index.constEnd() ? nullptr : &fields()[*it];
}

QString toolTip(const QString& pointer) {
    const FieldInfo* f = field(pointer);
    QString tip = QStringLiteral("<p><code>%1</code></p>").arg(pointer.toHtmlEscaped());
    if (!f) return tip;
    tip += QStringLiteral("<p>%1</p>").arg(f->description.toHtmlEscaped());
    if (!f->defaultJson.isEmpty())
        tip += QStringLiteral("<p>%1</p>")
                   .arg(QCoreApplication::translate("ProfileJson", "Default: %1")
                            .arg(f->defaultJson.toHtmlEscaped()));
    return tip;
}

namespace {

QStringList splitPointer(const QString& pointer) {
    QStringList parts = pointer.split(QLatin1Char('/'));
    if (!parts.isEmpty() && parts.first().isEmpty()) parts.removeFirst();
    return parts;
}

QJsonValue valueIn(const QJsonValue& v, const QStringList& parts, int i) {
    if (i == parts.size()) return v;
    if (v.isObject()) return valueIn(v.toObject().value(parts[i]), parts, i + 1);
    if (v.isArray()) {
        bool ok = false;
        const int n = parts[i].toInt(&ok);
        const QJsonArray a = v.toArray();
        if (!ok || n < 0 || n >= a.size()) return QJsonValue(QJsonValue::Undefined);
        return valueIn(a.at(n), parts, i + 1);
    }
    return QJsonValue(QJsonValue::Undefined);
}

void setIn(QJsonObject& obj, const QStringList& parts, int i, const QJsonValue& value) {
    const QString& key = parts[i];
    if (i == parts.size() - 1) {
        if (value.isUndefined())
            obj.remove(key);
        else
            obj.insert(key, value);
        return;
    }
    QJsonObject child = obj.value(key).toObject();
    setIn(child, parts, i + 1, value);
    if (child.isEmpty() && value.isUndefined())
        obj.remove(key);
    else
        obj.insert(key, child);
}

// Position of a key among its siblings: the order of the field table.
int rank(const QString& parentPointer, const QString& key) {
    if (key == QLatin1String("$schema")) return -3;
    if (key == QLatin1String("$comment")) return -2;
    const QString full = genericPointer(parentPointer + QLatin1Char('/') + key);
    static const QHash<QString, int> order = [] {
        QHash<QString, int> h;
        for (int i = 0; i < fields().size(); ++i)
            h.insert(fields()[i].pointer, i);
        return h;
    }();
    return order.value(full, 100000);
}

QString scalarText(const QJsonValue& v) {
    QByteArray t = QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(t.mid(1, t.size() - 2));
}

QStringList orderedKeys(const QJsonObject& o, const QString& pointer) {
    QStringList keys = o.keys();
    std::stable_sort(keys.begin(), keys.end(), [&](const QString& a, const QString& b) {
        const int ra = rank(pointer, a), rb = rank(pointer, b);
        return ra != rb ? ra < rb : a < b;
    });
    return keys;
}

QString inlineText(const QJsonValue& v, const QString& pointer) {
    if (v.isArray()) {
        const QJsonArray a = v.toArray();
        if (a.isEmpty()) return QStringLiteral("[]");
        QStringList items;
        for (int i = 0; i < a.size(); ++i)
            items << inlineText(a.at(i), pointer + QLatin1Char('/') + QString::number(i));
        return QLatin1Char('[') + items.join(QStringLiteral(", ")) + QLatin1Char(']');
    }
    if (v.isObject()) {
        const QJsonObject o = v.toObject();
        if (o.isEmpty()) return QStringLiteral("{}");
        QStringList items;
        for (const QString& k : orderedKeys(o, pointer))
            items << scalarText(k) + QStringLiteral(": ") +
                         inlineText(o.value(k), pointer + QLatin1Char('/') + k);
        return QStringLiteral("{ ") + items.join(QStringLiteral(", ")) + QStringLiteral(" }");
    }
    return scalarText(v);
}

constexpr int kWidth = 100;

void write(QString& out, const QJsonValue& v, const QString& pointer, int indent, int used,
           bool root) {
    if (!root && !v.isArray() && !v.isObject()) {
        out += scalarText(v);
        return;
    }
    if (!root) {
        const QString one = inlineText(v, pointer);
        if (used + one.size() + 1 <= kWidth) {
            out += one;
            return;
        }
    }
    const QString pad(indent + 2, QLatin1Char(' '));
    if (v.isArray()) {
        const QJsonArray a = v.toArray();
        out += QLatin1String("[\n");
        for (int i = 0; i < a.size(); ++i) {
            out += pad;
            write(out, a.at(i), pointer + QLatin1Char('/') + QString::number(i), indent + 2,
                  indent + 2, false);
            out += i + 1 < a.size() ? QLatin1String(",\n") : QLatin1String("\n");
        }
        out += QString(indent, QLatin1Char(' ')) + QLatin1Char(']');
        return;
    }
    const QJsonObject o = v.toObject();
    if (o.isEmpty()) {
        out += QLatin1String("{}");
        return;
    }
    out += QLatin1String("{\n");
    const QStringList keys = orderedKeys(o, pointer);
    for (int i = 0; i < keys.size(); ++i) {
        const QString head = pad + scalarText(keys[i]) + QStringLiteral(": ");
        out += head;
        write(out, o.value(keys[i]), pointer + QLatin1Char('/') + keys[i], indent + 2, head.size(),
              false);
        out += i + 1 < keys.size() ? QLatin1String(",\n") : QLatin1String("\n");
    }
    out += QString(indent, QLatin1Char(' ')) + QLatin1Char('}');
}

}  // namespace

QJsonValue valueAt(const QJsonObject& root, const QString& pointer) {
    return valueIn(root, splitPointer(pointer), 0);
}

void setValueAt(QJsonObject& root, const QString& pointer, const QJsonValue& value) {
    const QStringList parts = splitPointer(pointer);
    if (parts.isEmpty()) return;
    setIn(root, parts, 0, value);
}

void applyChanges(QJsonObject& file, const QJsonObject& before, const QJsonObject& after) {
    QStringList keys = before.keys() + after.keys();
    keys.removeDuplicates();
    for (const QString& k : keys) {
        const QJsonValue b = before.value(k), a = after.value(k);
        if (a == b) continue;
        if (a.isObject() && b.isObject() && file.value(k).isObject()) {
            QJsonObject sub = file.value(k).toObject();
            applyChanges(sub, b.toObject(), a.toObject());
            file.insert(k, sub);
        } else if (a.isObject() && b.isObject() && !file.contains(k)) {
            QJsonObject sub;
            applyChanges(sub, b.toObject(), a.toObject());
            if (!sub.isEmpty()) file.insert(k, sub);
        } else if (a.isUndefined()) {
            file.remove(k);
        } else {
            file.insert(k, a);
        }
    }
}

QString toText(const QJsonObject& profile) {
    QString out;
    write(out, profile, QString(), 0, 0, true);
    out += QLatin1Char('\n');
    return out;
}

QJsonObject parseObject(const QByteArray& text, QString* error) {
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(text, &pe);
    if (!doc.isObject()) {
        if (error)
            *error = doc.isNull() ? pe.errorString()
                                  : QCoreApplication::translate("ProfileJson",
                                                                "a profile must be an object");
        return {};
    }
    return doc.object();
}

}  // namespace profilejson
