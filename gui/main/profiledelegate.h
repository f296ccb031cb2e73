// Draws a profile as two lines (title; description or name) beside its icon, with a running
// badge and the number of pending changes on the right; group rows as section headers. Every
// colour comes from the palette, so it follows the light or dark system theme.
#pragma once

#include <QStyledItemDelegate>

class ProfileDelegate : public QStyledItemDelegate {
    Q_OBJECT

public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};
