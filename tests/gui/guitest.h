// Helpers for the GUI tests: a DialogAsker that answers from a script, so no modal dialog
// ever blocks an offscreen test, and small widget helpers.
#pragma once

#include <QAbstractItemModel>
#include <QHash>
#include <QList>
#include <QStringList>
#include <QtTest>
#include <optional>

#include "dialogs/dialogasker.h"

class ScriptedAsker : public DialogAsker {
public:
    ScriptedAsker() { DialogAsker::setInstance(this); }
    ~ScriptedAsker() override { DialogAsker::setInstance(nullptr); }

    // Queue an answer for the next question with this id.
    void answer(const QString& id, const QString& choice, bool checked = false) {
        answers_[id].append(Answer{choice, checked});
    }
    void answerText(const QString& id, const std::optional<QString>& text) {
        texts_[id].append(text);
    }
    void answerPath(const QString& id, const QString& path) { paths_[id].append(path); }

    Answer ask(QWidget*, const Question& q) override {
        asked << q.id;
        questions << q;
        if (answers_.value(q.id).isEmpty()) {
            unexpected << q.id;
            return {q.choices.isEmpty() ? QString() : q.choices.last().id, false};
        }
        return answers_[q.id].takeFirst();
    }
    std::optional<QString> askText(QWidget*, const TextQuestion& q) override {
        asked << q.id;
        if (texts_.value(q.id).isEmpty()) {
            unexpected << q.id;
            return std::nullopt;
        }
        return texts_[q.id].takeFirst();
    }
    QString askPath(QWidget*, const PathQuestion& q) override {
        asked << q.id;
        if (paths_.value(q.id).isEmpty()) {
            unexpected << q.id;
            return {};
        }
        return paths_[q.id].takeFirst();
    }

    QStringList asked;  // every question id, in order
    QList<Question> questions;
    QStringList unexpected;  // questions nobody had an answer for

private:
    QHash<QString, QList<Answer>> answers_;
    QHash<QString, QList<std::optional<QString>>> texts_;
    QHash<QString, QList<QString>> paths_;
};

namespace guitest {

// Every row below `parent` whose `role` data is set, depth first.
inline QStringList collect(const QAbstractItemModel* m, int role, const QModelIndex& parent = {}) {
    QStringList out;
    for (int r = 0; r < m->rowCount(parent); ++r) {
        const QModelIndex i = m->index(r, 0, parent);
        const QString v = i.data(role).toString();
        if (!v.isEmpty()) out << v;
        out << collect(m, role, i);
    }
    return out;
}

}  // namespace guitest
