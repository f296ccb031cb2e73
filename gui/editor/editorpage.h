// One section of the profile editor. Every page binds its controls to JSON pointers: load()
// shows a profile's values (merged with its parents, defaults filled in), save() writes them
// back, and a validation message for a pointer is shown beside the control that sets it.
// Controls are named after their pointer (objectName "/network/mtu"), their message labels
// "message:/network/mtu", and their tooltip names the key.
#pragma once

#include <QIcon>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QWidget>
#include <functional>

#include "editor/recordtable.h"

struct HostCapabilities;
class QCheckBox;
class QComboBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QToolButton;
class QVBoxLayout;
class StringListEdit;

class EditorPage : public QWidget {
    Q_OBJECT

public:
    EditorPage(const QString& title, const QString& iconName, QWidget* parent = nullptr);

    QString title() const { return title_; }
    QIcon icon() const { return icon_; }

    virtual void load(const QJsonObject& profile);
    virtual void save(QJsonObject& profile) const;
    // Facts about the host, for the notes beside dependent settings.
    virtual void setHost(const HostCapabilities& host);

    // Show `message` beside the control that sets `pointer` (or a parent of it); false when no
    // control of this page does.
    bool showDiagnostic(const QString& pointer, const QString& message);
    void clearDiagnostics();
    int diagnosticCount() const { return diagnostics_; }
    // The control bound to `pointer` or to its closest parent on this page.
    QWidget* controlFor(const QString& pointer) const;
    QStringList pointers() const;

    // Inheritance, for a profile that extends another: `parentLabel` names the parent ("" when
    // there is none), `parentValues` is its resolved profile (the core's merge, defaults
    // filled in). showInherited() marks each control whose key Save would not write
    // (`overrides`: the core's overridesAgainst of the current values) as inherited (italic,
    // tooltip), and shows a Reset button beside each one that is set here.
    void setInheritance(const QString& parentLabel, const QJsonObject& parentValues);
    void showInherited(const QJsonObject& overrides);
    bool isInherited(const QString& pointer) const;
    // Show the parent's value in the control of `pointer` (Save then writes no key for it).
    void resetToInherited(const QString& pointer);
    QToolButton* resetButton(const QString& pointer) const;
    // What the control of `pointer` would write now (undefined when it writes nothing).
    QJsonValue currentValue(const QString& pointer) const;
    // Show `value` in the control bound to exactly `pointer` (as if typed: changed() follows);
    // false when no control of this page is bound to it.
    bool setValue(const QString& pointer, const QJsonValue& value);

signals:
    void changed();

protected:
    // A titled group with a form inside, added to the page.
    QFormLayout* addSection(const QString& title, const QString& intro = {});
    QLineEdit* addText(QFormLayout* form, const QString& label, const QString& pointer,
                       const QString& placeholder = {}, QWidget* trailing = nullptr);
    // Integers and sizes: a number is written as a number, anything else as the string typed,
    // which the validator then explains.
    QLineEdit* addNumber(QFormLayout* form, const QString& label, const QString& pointer,
                         const QString& placeholder = {}, QWidget* trailing = nullptr);
    QLineEdit* addSize(QFormLayout* form, const QString& label, const QString& pointer,
                       const QString& placeholder = {}, QWidget* trailing = nullptr);
    QCheckBox* addCheck(QFormLayout* form, const QString& text, const QString& pointer);
    QComboBox* addChoice(QFormLayout* form, const QString& label, const QString& pointer,
                         const QList<QPair<QString, QString>>& valuesAndLabels,
                         const QPair<QString, QString>& boolMeans = {});
    // `emptyIsUnset`: an empty list removes the key (for a field where [] and absent differ).
    StringListEdit* addList(QFormLayout* form, const QString& label, const QString& pointer,
                            const QString& placeholder = {}, bool emptyIsUnset = false);
    RecordTable* addTable(QFormLayout* form, const QString& label, const QString& pointer,
                          QList<RecordTable::Column> columns, bool mapMode = false);
    // Any other control: the page connects its change signal to emitChanged().
    void addCustom(QFormLayout* form, const QString& label, const QString& pointer,
                   QWidget* control, std::function<void(const QJsonValue&)> load,
                   std::function<QJsonValue()> save);
    // A read-only row that shows a key without writing it (name, extends).
    QLabel* addInfo(QFormLayout* form, const QString& label, const QString& pointer);
    // A note under the section's fields (host facts, hints).
    QLabel* addNote(QFormLayout* form, const QString& text = {});
    void finish();  // call at the end of the constructor

    void emitChanged();
    // Disable the control of `pointer` with `why` in its tooltip; an empty `why` enables it.
    void setUnavailable(const QString& pointer, const QString& why);

private:
    struct Binding {
        QString pointer;
        QWidget* control = nullptr;
        QLabel* message = nullptr;
        std::function<void(const QJsonValue&)> load;
        std::function<QJsonValue()> save;
        std::function<void(const QString&, const QString&)> mark;  // sub-pointer, message
        QToolButton* reset = nullptr;
        QString baseTip, inheritedNote, unavailableNote;
    };
    QWidget* wrap(QWidget* control, const QString& pointer, QLabel** message,
                  QWidget* trailing = nullptr);
    Binding* bindingAt(const QString& pointer);
    const Binding* bindingAt(const QString& pointer) const;
    static void updateToolTip(const Binding& b);
    void bind(Binding b, const QString& label);
    const Binding* bindingFor(const QString& pointer) const;
    QLineEdit* addScalar(QFormLayout* form, const QString& label, const QString& pointer,
                         const QString& placeholder, QWidget* trailing);

    QString title_;
    QIcon icon_;
    QVBoxLayout* layout_;
    QList<Binding> bindings_;
    bool loading_ = false;
    int diagnostics_ = 0;
    QString parentLabel_;
    QJsonObject parentValues_;
};
