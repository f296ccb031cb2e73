// Network: mode, host loopback, port forwards, firewall preset and rules, DNS, host name,
// MTU and IPv6.
#pragma once

#include "editor/editorpage.h"

class QLabel;

class NetworkPage : public EditorPage {
    Q_OBJECT

public:
    explicit NetworkPage(QWidget* parent = nullptr);
    void setHost(const HostCapabilities& host) override;

private:
    QLabel* hostNote_;
};
