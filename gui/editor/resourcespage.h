// Resources: memory, CPU, tasks and I/O limits, each marked with whether this host enforces
// it (the cgroup controllers delegated to the user's systemd manager).
#pragma once

#include <QHash>

#include "editor/editorpage.h"

class QLabel;

class ResourcesPage : public EditorPage {
    Q_OBJECT

public:
    explicit ResourcesPage(QWidget* parent = nullptr);
    void setHost(const HostCapabilities& host) override;

private:
    QLabel* summary_;
    QHash<QString, QLabel*> enforced_;  // key -> "enforced here" label
};
