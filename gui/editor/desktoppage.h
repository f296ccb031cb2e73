// Desktop: display servers, sound, GPU, theme and the filtered D-Bus.
#pragma once

#include "editor/editorpage.h"

class QLabel;

class DesktopPage : public EditorPage {
    Q_OBJECT

public:
    explicit DesktopPage(QWidget* parent = nullptr);
    void setHost(const HostCapabilities& host) override;

private:
    QLabel* hostNote_;
};
