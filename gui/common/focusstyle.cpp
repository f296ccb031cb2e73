#include "common/focusstyle.h"

#include <QApplication>
#include <QPainter>
#include <QStyleOption>

void FocusRingStyle::install() {
    if (!qobject_cast<FocusRingStyle*>(QApplication::style()))
        QApplication::setStyle(new FocusRingStyle);  // the platform's style underneath
}

void FocusRingStyle::paintRing(QPainter* p, const QRect& r, const QColor& color) {
    p->save();
    p->setRenderHint(QPainter::Antialiasing, false);
    const int w = 2;
    p->fillRect(QRect(r.left(), r.top(), r.width(), w), color);
    p->fillRect(QRect(r.left(), r.bottom() - w + 1, r.width(), w), color);
    p->fillRect(QRect(r.left(), r.top(), w, r.height()), color);
    p->fillRect(QRect(r.right() - w + 1, r.top(), w, r.height()), color);
    p->restore();
}

void FocusRingStyle::drawControl(ControlElement element, const QStyleOption* option,
                                 QPainter* painter, const QWidget* widget) const {
    QProxyStyle::drawControl(element, option, painter, widget);
    const bool ringed = element == CE_PushButton || element == CE_CheckBox;
    if (ringed && (option->state & State_HasFocus))
        paintRing(painter, option->rect, option->palette.color(QPalette::Highlight));
}

void FocusRingStyle::drawComplexControl(ComplexControl control, const QStyleOptionComplex* option,
                                        QPainter* painter, const QWidget* widget) const {
    QProxyStyle::drawComplexControl(control, option, painter, widget);
    const bool ringed = control == CC_ToolButton || control == CC_ComboBox;
    if (ringed && (option->state & State_HasFocus))
        paintRing(painter, option->rect, option->palette.color(QPalette::Highlight));
}

void FocusRingStyle::drawPrimitive(PrimitiveElement element, const QStyleOption* option,
                                   QPainter* painter, const QWidget* widget) const {
    // Item views and the rest: the same ring instead of the style's dotted or faint one.
    if (element == PE_FrameFocusRect) {
        paintRing(painter, option->rect, option->palette.color(QPalette::Highlight));
        return;
    }
    QProxyStyle::drawPrimitive(element, option, painter, widget);
}
