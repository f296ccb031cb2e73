#include "editor/editorpage.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QResizeEvent>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include "backend/profilejson.h"
#include "editor/stringlistedit.h"

namespace {

// A word-wrapped label whose preferred height is the one it needs at its actual width (a plain
// QLabel guesses a width of about 80 characters, which leaves gaps in wide forms).
class WrappingLabel : public QLabel {
public:
    using QLabel::QLabel;
    QSize sizeHint() const override {
        const QSize base = QLabel::sizeHint();
        return {base.width(), width() > 100 ? heightForWidth(width()) : base.height()};
    }
    QSize minimumSizeHint() const override {
        return {0, width() > 100 ? heightForWidth(width()) : QLabel::minimumSizeHint().height()};
    }

protected:
    void resizeEvent(QResizeEvent* e) override {
        QLabel::resizeEvent(e);
        if (e->oldSize().width() != e->size().width()) updateGeometry();
    }
};

QStringList toStrings(const QJsonValue& v) {
    QStringList out;
    for (const QJsonValue& s : v.toArray())
        out << (s.isString() ? s.toString() : QString::number(s.toDouble()));
    return out;
}

QJsonValue fromStrings(const QStringList& list) {
    QJsonArray a;
    for (const QString& s : list)
        a.append(s);
    return a;
}

QString plainLabel(QString label) {
    label.remove(QLatin1Char('&'));
    if (label.endsWith(QLatin1Char(':'))) label.chop(1);
    return label;
}

// The text an empty field shows: the caller's words, else the default the core's field table
// gives (written once, in the core's profile structs), so the GUI never restates a number.
QString placeholderFor(const QString& pointer, const QString& given) {
    if (!given.isEmpty()) return given;
    const profilejson::FieldInfo* f = profilejson::field(pointer);
    if (!f || f->defaultJson.isEmpty()) return {};
    QString v = f->defaultJson;
    if (v.size() >= 2 && v.startsWith(QLatin1Char('"')) && v.endsWith(QLatin1Char('"')))
        v = v.mid(1, v.size() - 2);
    return EditorPage::tr("Default: %1").arg(v);
}

// "/filesystem/binds/2/host" under "/filesystem/binds" -> index 2
int indexBelow(const QString& base, const QString& pointer) {
    const QString rest = pointer.mid(base.size() + 1);
    bool ok = false;
    const int n = rest.section(QLatin1Char('/'), 0, 0).toInt(&ok);
    return ok ? n : -1;
}

}  // namespace

EditorPage::EditorPage(const QString& title, const QString& iconName, QWidget* parent)
    : QWidget(parent)
    , title_(title)
    , icon_(QIcon::fromTheme(iconName))
    , layout_(new QVBoxLayout(this)) {
    layout_->setContentsMargins(12, 12, 12, 12);
    layout_->setSpacing(12);
}

void EditorPage::finish() {
    layout_->addStretch(1);
}

QFormLayout* EditorPage::addSection(const QString& title, const QString& intro) {
    auto* box = new QGroupBox(title, this);
    auto* form = new QFormLayout(box);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setRowWrapPolicy(QFormLayout::DontWrapRows);
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignTop);
    form->setHorizontalSpacing(12);
    form->setVerticalSpacing(8);
    if (!intro.isEmpty()) {
        auto* l = new WrappingLabel(intro, box);
        l->setWordWrap(true);
        l->setAlignment(Qt::AlignLeft | Qt::AlignTop);
        l->setForegroundRole(QPalette::PlaceholderText);
        form->addRow(l);
    }
    layout_->addWidget(box);
    return form;
}

QWidget* EditorPage::wrap(QWidget* control, const QString& pointer, QLabel** message,
                          QWidget* trailing) {
    auto* box = new QWidget(this);
    auto* v = new QVBoxLayout(box);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(2);
    auto* h = new QHBoxLayout;
    h->setSpacing(8);
    h->addWidget(control, 1);
    if (trailing) h->addWidget(trailing);
    // Shown only for a value set here in a profile with a parent (showInherited).
    auto* reset = new QToolButton(box);
    reset->setObjectName(QStringLiteral("reset:") + pointer);
    reset->setIcon(QIcon::fromTheme(QStringLiteral("edit-undo")));
    reset->setText(tr("Reset"));
    reset->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    reset->setVisible(false);
    connect(reset, &QToolButton::clicked, this, [this, pointer]() { resetToInherited(pointer); });
    h->addWidget(reset, 0, Qt::AlignTop);
    v->addLayout(h);
    auto* m = new WrappingLabel(box);
    m->setObjectName(QStringLiteral("message:") + pointer);
    m->setWordWrap(true);
    m->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m->setTextFormat(Qt::PlainText);
    m->setVisible(false);
    QFont f = m->font();
    f.setBold(true);
    m->setFont(f);
    v->addWidget(m);
    *message = m;
    return box;
}

void EditorPage::bind(Binding b, const QString& label) {
    b.control->setObjectName(b.pointer);
    b.baseTip = profilejson::toolTip(b.pointer);
    b.control->setToolTip(b.baseTip);
    if (b.message)  // wrap() put the message and the Reset button in one box
        b.reset = b.message->parentWidget()->findChild<QToolButton*>(QStringLiteral("reset:") +
                                                                     b.pointer);
    if (b.reset)
        b.reset->setAccessibleName(
            tr("Reset %1 to the inherited value").arg(plainLabel(label).toLower()));
    b.control->setAccessibleName(plainLabel(label));
    if (const profilejson::FieldInfo* f = profilejson::field(b.pointer))
        b.control->setAccessibleDescription(f->description);
    bindings_.append(std::move(b));
}

QLineEdit* EditorPage::addScalar(QFormLayout* form, const QString& label, const QString& pointer,
                                 const QString& placeholder, QWidget* trailing) {
    auto* edit = new QLineEdit(this);
    edit->setPlaceholderText(placeholderFor(pointer, placeholder));
    edit->setClearButtonEnabled(true);
    Binding b;
    b.pointer = pointer;
    b.control = edit;
    b.load = [edit](const QJsonValue& v) {
        if (v.isDouble())
            edit->setText(QString::number(v.toInteger()));
        else
            edit->setText(v.toString());
    };
    b.save = [edit]() -> QJsonValue {
        static const QRegularExpression number(QStringLiteral("^-?[0-9]{1,15}$"));
        const QString t = edit->text().trimmed();
        if (t.isEmpty()) return QJsonValue(QJsonValue::Undefined);
        // A plain byte count or integer is a JSON number; "2G" and mistakes stay strings.
        if (number.match(t).hasMatch()) return QJsonValue(t.toLongLong());
        return t;
    };
    QLabel* message = nullptr;
    QWidget* row = wrap(edit, pointer, &message, trailing);
    b.message = message;
    bind(b, label);
    form->addRow(label, row);
    connect(edit, &QLineEdit::textChanged, this, &EditorPage::emitChanged);
    return edit;
}

QLineEdit* EditorPage::addText(QFormLayout* form, const QString& label, const QString& pointer,
                               const QString& placeholder, QWidget* trailing) {
    auto* edit = new QLineEdit(this);
    edit->setPlaceholderText(placeholderFor(pointer, placeholder));
    Binding b;
    b.pointer = pointer;
    b.control = edit;
    b.load = [edit](const QJsonValue& v) { edit->setText(v.toString()); };
    b.save = [edit]() -> QJsonValue {
        const QString t = edit->text().trimmed();
        return t.isEmpty() ? QJsonValue(QJsonValue::Undefined) : QJsonValue(t);
    };
    QLabel* message = nullptr;
    QWidget* row = wrap(edit, pointer, &message, trailing);
    b.message = message;
    bind(b, label);
    form->addRow(label, row);
    connect(edit, &QLineEdit::textChanged, this, &EditorPage::emitChanged);
    return edit;
}

QLineEdit* EditorPage::addNumber(QFormLayout* form, const QString& label, const QString& pointer,
                                 const QString& placeholder, QWidget* trailing) {
    return addScalar(form, label, pointer, placeholder, trailing);
}

QLineEdit* EditorPage::addSize(QFormLayout* form, const QString& label, const QString& pointer,
                               const QString& placeholder, QWidget* trailing) {
    return addScalar(form, label, pointer, placeholder, trailing);
}

QCheckBox* EditorPage::addCheck(QFormLayout* form, const QString& text, const QString& pointer) {
    auto* check = new QCheckBox(text, this);
    Binding b;
    b.pointer = pointer;
    b.control = check;
    b.load = [check](const QJsonValue& v) { check->setChecked(v.toBool()); };
    b.save = [check]() -> QJsonValue { return check->isChecked(); };
    QLabel* message = nullptr;
    QWidget* row = wrap(check, pointer, &message);
    b.message = message;
    bind(b, text);
    form->addRow(QString(), row);
    connect(check, &QCheckBox::toggled, this, &EditorPage::emitChanged);
    return check;
}

QComboBox* EditorPage::addChoice(QFormLayout* form, const QString& label, const QString& pointer,
                                 const QList<QPair<QString, QString>>& choices,
                                 const QPair<QString, QString>& boolMeans) {
    auto* combo = new QComboBox(this);
    for (const auto& [value, text] : choices)
        combo->addItem(text, value);
    combo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    Binding b;
    b.pointer = pointer;
    b.control = combo;
    b.load = [combo, boolMeans](const QJsonValue& v) {
        // A field's older boolean form (desktop.x11: true) shows as the choice it means.
        const QString value = v.isBool() && !boolMeans.first.isEmpty()
                                  ? (v.toBool() ? boolMeans.first : boolMeans.second)
                                  : v.toString();
        int i = combo->findData(value);
        if (i < 0 && !value.isEmpty()) {  // a value this GUI does not know: keep it
            combo->addItem(value, value);
            i = combo->count() - 1;
        }
        combo->setCurrentIndex(qMax(0, i));
    };
    b.save = [combo]() -> QJsonValue { return combo->currentData().toString(); };
    QLabel* message = nullptr;
    auto* holder = new QWidget(this);
    auto* h = new QHBoxLayout(holder);
    h->setContentsMargins(0, 0, 0, 0);
    h->addWidget(combo);
    h->addStretch();
    QWidget* row = wrap(holder, pointer, &message);
    b.message = message;
    bind(b, label);
    form->addRow(label, row);
    connect(combo, &QComboBox::currentIndexChanged, this, &EditorPage::emitChanged);
    return combo;
}

StringListEdit* EditorPage::addList(QFormLayout* form, const QString& label, const QString& pointer,
                                    const QString& placeholder, bool emptyIsUnset) {
    auto* edit = new StringListEdit(this);
    edit->setPlaceholderText(placeholderFor(pointer, placeholder));
    Binding b;
    b.pointer = pointer;
    b.control = edit;
    b.load = [edit](const QJsonValue& v) { edit->setValues(toStrings(v)); };
    b.save = [edit, emptyIsUnset]() -> QJsonValue {
        if (emptyIsUnset && edit->values().isEmpty()) return QJsonValue(QJsonValue::Undefined);
        return fromStrings(edit->values());
    };
    QLabel* message = nullptr;
    QWidget* row = wrap(edit, pointer, &message);
    b.message = message;
    bind(b, label);
    form->addRow(label, row);
    connect(edit, &StringListEdit::valuesChanged, this, &EditorPage::emitChanged);
    return edit;
}

RecordTable* EditorPage::addTable(QFormLayout* form, const QString& label, const QString& pointer,
                                  QList<RecordTable::Column> columns, bool mapMode) {
    for (RecordTable::Column& c : columns)
        if (c.tip.isEmpty())
            c.tip = profilejson::toolTip(pointer +
                                         (mapMode ? QString() : QStringLiteral("/N/") + c.key));
    auto* table = new RecordTable(std::move(columns), mapMode, this);
    Binding b;
    b.pointer = pointer;
    b.control = table;
    b.load = [table](const QJsonValue& v) { table->setValue(v); };
    b.save = [table]() -> QJsonValue { return table->value(); };
    b.mark = [table, pointer, mapMode](const QString& sub, const QString& message) {
        if (sub.isEmpty()) {
            table->clearMarks();
            return;
        }
        if (mapMode) return;
        table->markRow(table->rowOfValue(indexBelow(pointer, sub)), message);
    };
    QLabel* message = nullptr;
    QWidget* row = wrap(table, pointer, &message);
    b.message = message;
    bind(b, label);
    table->table()->setAccessibleName(plainLabel(label));
    form->addRow(label, row);
    connect(table, &RecordTable::valueChanged, this, &EditorPage::emitChanged);
    return table;
}

void EditorPage::addCustom(QFormLayout* form, const QString& label, const QString& pointer,
                           QWidget* control, std::function<void(const QJsonValue&)> load,
                           std::function<QJsonValue()> save) {
    Binding b;
    b.pointer = pointer;
    b.control = control;
    b.load = std::move(load);
    b.save = std::move(save);
    QLabel* message = nullptr;
    QWidget* row = wrap(control, pointer, &message);
    b.message = message;
    bind(b, label);
    form->addRow(label, row);
}

QLabel* EditorPage::addInfo(QFormLayout* form, const QString& label, const QString& pointer) {
    auto* info = new QLabel(this);
    info->setObjectName(pointer);
    info->setToolTip(profilejson::toolTip(pointer));
    info->setAccessibleName(plainLabel(label));
    info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(label, info);
    return info;
}

QLabel* EditorPage::addNote(QFormLayout* form, const QString& text) {
    auto* note = new WrappingLabel(text, this);
    note->setWordWrap(true);
    note->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    note->setForegroundRole(QPalette::PlaceholderText);
    note->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(QString(), note);
    return note;
}

void EditorPage::emitChanged() {
    if (!loading_) emit changed();
}

void EditorPage::load(const QJsonObject& profile) {
    loading_ = true;
    for (const Binding& b : bindings_)
        b.load(profilejson::valueAt(profile, b.pointer));
    loading_ = false;
}

void EditorPage::save(QJsonObject& profile) const {
    for (const Binding& b : bindings_)
        profilejson::setValueAt(profile, b.pointer, b.save());
}

void EditorPage::setHost(const HostCapabilities&) {}

const EditorPage::Binding* EditorPage::bindingFor(const QString& pointer) const {
    const Binding* best = nullptr;  // the longest pointer that is `pointer` or a parent of it
    for (const Binding& b : bindings_) {
        const bool matches =
            pointer == b.pointer || pointer.startsWith(b.pointer + QLatin1Char('/'));
        if (matches && (!best || b.pointer.size() > best->pointer.size())) best = &b;
    }
    return best;
}

bool EditorPage::showDiagnostic(const QString& pointer, const QString& message) {
    const Binding* best = bindingFor(pointer);
    if (!best) return false;
    QString text = message;
    if (pointer != best->pointer) {
        const QString rest = pointer.mid(best->pointer.size() + 1);
        bool isIndex = false;
        const int n = rest.section(QLatin1Char('/'), 0, 0).toInt(&isIndex);
        const QString field = rest.section(QLatin1Char('/'), 1);
        if (isIndex)
            text = field.isEmpty() ? tr("Item %1: %2").arg(n + 1).arg(message)
                                   : tr("Item %1, %2: %3").arg(n + 1).arg(field, message);
        else
            text = tr("%1: %2").arg(rest, message);
    }
    QString shown = best->message->text();
    shown = shown.isEmpty() ? QStringLiteral("\u26a0 ") + text
                            : shown + QLatin1Char('\n') + QStringLiteral("\u26a0 ") + text;
    best->message->setText(shown);
    best->message->setVisible(true);
    best->control->setProperty("invalid", true);
    if (best->mark) best->mark(pointer, message);
    ++diagnostics_;
    return true;
}

void EditorPage::clearDiagnostics() {
    for (const Binding& b : bindings_) {
        b.message->clear();
        b.message->setVisible(false);
        b.control->setProperty("invalid", false);
        if (b.mark) b.mark(QString(), QString());
    }
    diagnostics_ = 0;
}

QWidget* EditorPage::controlFor(const QString& pointer) const {
    const Binding* best = bindingFor(pointer);
    return best ? best->control : nullptr;
}

QStringList EditorPage::pointers() const {
    QStringList out;
    for (const Binding& b : bindings_)
        out << b.pointer;
    return out;
}

EditorPage::Binding* EditorPage::bindingAt(const QString& pointer) {
    for (Binding& b : bindings_)
        if (b.pointer == pointer) return &b;
    return nullptr;
}

const EditorPage::Binding* EditorPage::bindingAt(const QString& pointer) const {
    for (const Binding& b : bindings_)
        if (b.pointer == pointer) return &b;
    return nullptr;
}

void EditorPage::updateToolTip(const Binding& b) {
    QString tip = b.baseTip;
    for (const QString& note : {b.unavailableNote, b.inheritedNote})
        if (!note.isEmpty()) tip = note + QStringLiteral("\n\n") + tip;
    b.control->setToolTip(tip);
}

void EditorPage::setUnavailable(const QString& pointer, const QString& why) {
    Binding* b = bindingAt(pointer);
    if (!b) return;
    b->unavailableNote = why;
    b->control->setEnabled(why.isEmpty());
    updateToolTip(*b);
}

QJsonValue EditorPage::currentValue(const QString& pointer) const {
    const Binding* b = bindingAt(pointer);
    return b ? b->save() : QJsonValue(QJsonValue::Undefined);
}

bool EditorPage::setValue(const QString& pointer, const QJsonValue& value) {
    const Binding* b = bindingAt(pointer);
    if (!b) return false;
    b->load(value);
    emitChanged();
    return true;
}

void EditorPage::setInheritance(const QString& parentLabel, const QJsonObject& parentValues) {
    parentLabel_ = parentLabel;
    parentValues_ = parentValues;
    if (parentLabel_.isEmpty()) showInherited({});
}

void EditorPage::showInherited(const QJsonObject& overrides) {
    for (Binding& b : bindings_) {
        // No parent: every value is the profile's own, nothing to mark.
        const bool inherited =
            !parentLabel_.isEmpty() && profilejson::valueAt(overrides, b.pointer).isUndefined();
        const bool local = !parentLabel_.isEmpty() && !inherited;
        b.control->setProperty("inherited", inherited);
        QFont f = b.control->font();
        f.setItalic(inherited);
        b.control->setFont(f);
        b.inheritedNote =
            inherited ? tr("Inherited from %1.").arg(parentLabel_)
            : local   ? tr("Set here (overrides %1); Reset takes its value.").arg(parentLabel_)
                      : QString();
        if (b.reset) {
            b.reset->setVisible(local);
            b.reset->setToolTip(tr("Use the value inherited from %1 (this profile then stores "
                                   "no value of its own for it).")
                                    .arg(parentLabel_));
        }
        updateToolTip(b);
    }
}

bool EditorPage::isInherited(const QString& pointer) const {
    const Binding* b = bindingAt(pointer);
    return b && b->control->property("inherited").toBool();
}

void EditorPage::resetToInherited(const QString& pointer) {
    const Binding* b = bindingAt(pointer);
    if (!b || parentLabel_.isEmpty()) return;
    b->load(profilejson::valueAt(parentValues_, pointer));
    emitChanged();
}

QToolButton* EditorPage::resetButton(const QString& pointer) const {
    const Binding* b = bindingAt(pointer);
    return b ? b->reset : nullptr;
}
