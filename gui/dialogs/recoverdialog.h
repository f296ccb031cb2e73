// After a sandbox whose profile has `recover_watch` exits, the runner reports the new files
// in the watched folders (`recoverable` event); this dialog offers to copy them out.
#pragma once

#include <QDialog>
#include <QJsonArray>

class QListWidget;
class QPushButton;

class RecoverDialog : public QDialog {
    Q_OBJECT

public:
    RecoverDialog(const QString& profile, const QJsonArray& files, QWidget* parent = nullptr);

    QString profile() const { return profile_; }
    QStringList checkedPaths() const;
    QListWidget* list() const { return list_; }

signals:
    // Empty `toDir`: the original place.
    void recoverRequested(const QString& profile, const QStringList& paths, const QString& toDir);

private:
    QString profile_;
    QListWidget* list_;
    QPushButton* recover_;
};
