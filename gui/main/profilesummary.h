// The selected profile at a glance: icon, title, what it is, and what it lets the program do
// (network, display, home, shared folders, limits), with Launch and Edit.
#pragma once

#include <QList>
#include <QWidget>

#include "backend/layerboxclient.h"

class QLabel;
class QListWidget;
class QPushButton;
struct ProfileEntry;

class ProfileSummary : public QWidget {
    Q_OBJECT

public:
    explicit ProfileSummary(QWidget* parent = nullptr);

    // nullptr: nothing selected.
    void setProfile(const ProfileEntry* entry);
    // What the program gets as its home, from the resolved profile: the home setting, unless a
    // bind puts a host folder (your real home, say) there or above it.
    static QString homeText(const ProfileEntry& entry, const QString& home);
    QPushButton* launchButton() const { return launch_; }
    QPushButton* editButton() const { return edit_; }
    // "Files given": what `layerbox grants PROFILE --json` lists, each with Revoke.
    void setGrants(const QList<FileGrantItem>& grants);
    QListWidget* grantsList() const { return grants_; }
    QPushButton* revokeButton() const { return revoke_; }
    // Its height is the one its wrapped text needs at its width: the window's layout asked
    // for a height computed at another width, and a short window (1024x600) cut the last line
    // of a fact.
    QSize sizeHint() const override;

signals:
    void launchRequested();
    void editRequested();
    void revokeRequested(const QString& path);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void fitHeight();
    void showProfile(const ProfileEntry* entry);

    QLabel* icon_;
    QLabel* title_;
    QLabel* subtitle_;
    QLabel* description_;
    QLabel* facts_[6];
    QLabel* factNames_[6];
    QPushButton* launch_;
    QPushButton* edit_;
    QLabel* grantsName_;
    QListWidget* grants_;
    QPushButton* revoke_;
};
