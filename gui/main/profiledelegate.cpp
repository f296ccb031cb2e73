#include "main/profiledelegate.h"

#include <QApplication>
#include <QPainter>
#include <QPainterPath>

#include "common/focusstyle.h"
#include "main/profilelistmodel.h"

namespace {
constexpr int kIcon = 32;
constexpr int kPad = 8;
}  // namespace

QSize ProfileDelegate::sizeHint(const QStyleOptionViewItem& option,
                                const QModelIndex& index) const {
    const QFontMetrics fm(option.font);
    if (index.data(ProfileListModel::IsGroupRole).toBool()) return {200, fm.height() + 2 * kPad};
    return {240, qMax(kIcon, 2 * fm.height() + 2) + 2 * kPad - 2};
}

void ProfileDelegate::paint(QPainter* p, const QStyleOptionViewItem& option,
                            const QModelIndex& index) const {
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QWidget* w = opt.widget;
    QStyle* style = w ? w->style() : QApplication::style();
    const QPalette& pal = opt.palette;
    p->save();

    if (index.data(ProfileListModel::IsGroupRole).toBool()) {
        QFont f = opt.font;
        f.setBold(true);
        f.setPointSizeF(f.pointSizeF() * 0.9);
        p->setFont(f);
        p->setPen(pal.color(QPalette::PlaceholderText));
        const QRect r = opt.rect.adjusted(kPad / 2, kPad, -kPad, 0);
        p->drawText(r, Qt::AlignLeft | Qt::AlignTop, opt.text.toUpper());
        p->restore();
        return;
    }

    // Background, selection and focus as the style draws them.
    opt.text.clear();
    opt.icon = QIcon();
    style->drawPrimitive(QStyle::PE_PanelItemViewItem, &opt, p, w);

    const bool selected = opt.state & QStyle::State_Selected;
    // The keyboard's place, clearly: a ring that stands out on the selection too.
    if (opt.state & QStyle::State_HasFocus)
        FocusRingStyle::paintRing(
            p, opt.rect, pal.color(selected ? QPalette::HighlightedText : QPalette::Highlight));
    const QColor text = pal.color(selected ? QPalette::HighlightedText : QPalette::Text);
    QColor muted =
        selected ? pal.color(QPalette::HighlightedText) : pal.color(QPalette::PlaceholderText);
    if (selected) muted.setAlphaF(0.8);

    const QRect r = opt.rect.adjusted(kPad / 2, kPad - 1, -kPad, -kPad + 1);
    const QIcon icon = index.data(Qt::DecorationRole).value<QIcon>();
    const QRect iconRect(r.left(), r.top() + (r.height() - kIcon) / 2, kIcon, kIcon);
    icon.paint(p, iconRect, Qt::AlignCenter, selected ? QIcon::Selected : QIcon::Normal);

    // Badges on the right: running, pending changes, invalid.
    QFont small = opt.font;
    small.setPointSizeF(small.pointSizeF() * 0.8);
    const QFontMetrics sfm(small);
    int right = r.right();
    const int paused = index.data(ProfileListModel::PausedRole).toInt();
    const int running = index.data(ProfileListModel::RunningRole).toInt() - paused;
    const int changes = index.data(ProfileListModel::ChangesRole).toInt();
    const bool valid = index.data(ProfileListModel::ValidRole).toBool();
    auto badge = [&](const QString& label, bool strong) {
        const int tw = sfm.horizontalAdvance(label) + 10;
        const QRect b(right - tw, r.top() + (r.height() - sfm.height() - 4) / 2, tw,
                      sfm.height() + 4);
        QPainterPath path;
        path.addRoundedRect(b, b.height() / 2.0, b.height() / 2.0);
        p->setRenderHint(QPainter::Antialiasing, true);
        if (strong) {
            p->fillPath(path, selected ? pal.color(QPalette::HighlightedText)
                                       : pal.color(QPalette::Highlight));
            p->setPen(selected ? pal.color(QPalette::Highlight)
                               : pal.color(QPalette::HighlightedText));
        } else {
            QColor frame = muted;
            frame.setAlphaF(0.6);
            p->setPen(frame);
            p->drawPath(path);
            p->setPen(muted);
        }
        p->setFont(small);
        p->drawText(b, Qt::AlignCenter, label);
        right = b.left() - 4;
    };
    if (!valid) badge(ProfileDelegate::tr("invalid"), false);
    if (changes > 0)
        badge(changes == 1 ? ProfileDelegate::tr("1 change")
                           : ProfileDelegate::tr("%1 changes").arg(changes),
              false);
    if (paused > 0)
        badge(paused == 1 ? ProfileDelegate::tr("paused")
                          : ProfileDelegate::tr("%1 paused").arg(paused),
              false);
    if (running > 0)
        badge(running == 1 ? ProfileDelegate::tr("running")
                           : ProfileDelegate::tr("%1 running").arg(running),
              true);

    // Title and second line.
    const int textLeft = iconRect.right() + kPad + 2;
    const QRect textRect(textLeft, r.top(), qMax(0, right - textLeft - 4), r.height());
    QFont titleFont = opt.font;
    titleFont.setWeight(QFont::DemiBold);
    const QFontMetrics tfm(titleFont);
    const QFontMetrics fm(opt.font);
    const int block = tfm.height() + fm.height();
    const int top = textRect.top() + (textRect.height() - block) / 2;
    p->setFont(titleFont);
    p->setPen(text);
    p->drawText(
        QRect(textRect.left(), top, textRect.width(), tfm.height()),
        Qt::AlignLeft | Qt::AlignVCenter,
        tfm.elidedText(index.data(Qt::DisplayRole).toString(), Qt::ElideRight, textRect.width()));
    QString second = index.data(ProfileListModel::DescriptionRole).toString();
    const QString name = index.data(ProfileListModel::NameRole).toString();
    second = second.isEmpty() ? name : name + QStringLiteral(" \u2014 ") + second;
    p->setFont(opt.font);
    p->setPen(muted);
    p->drawText(QRect(textRect.left(), top + tfm.height(), textRect.width(), fm.height()),
                Qt::AlignLeft | Qt::AlignVCenter,
                fm.elidedText(second, Qt::ElideRight, textRect.width()));
    p->restore();
}
