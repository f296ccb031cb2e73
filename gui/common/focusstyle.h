// A clear focus ring for keyboard users: the style the GUI runs with (any platform style
// underneath) draws a 2-pixel ring in the palette's highlight colour around the focused push
// button, tool button, check box and combo box, which many styles mark only faintly (Fusion:
// a slightly different outline, only after a Tab). The profile list draws its own ring
// (ProfileDelegate) with focusRing().
#pragma once

#include <QColor>
#include <QProxyStyle>

class QPainter;
class QRect;

class FocusRingStyle : public QProxyStyle {
    Q_OBJECT

public:
    using QProxyStyle::QProxyStyle;

    // Install it as the application's style unless it already is (idempotent).
    static void install();
    // The ring: 2 pixels wide, just inside `r`.
    static void paintRing(QPainter* p, const QRect& r, const QColor& color);

    void drawControl(ControlElement element, const QStyleOption* option, QPainter* painter,
                     const QWidget* widget = nullptr) const override;
    void drawComplexControl(ComplexControl control, const QStyleOptionComplex* option,
                            QPainter* painter, const QWidget* widget = nullptr) const override;
    void drawPrimitive(PrimitiveElement element, const QStyleOption* option, QPainter* painter,
                       const QWidget* widget = nullptr) const override;
};
