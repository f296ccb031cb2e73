// Network: mode, host loopback, port forwards, firewall preset and rules, DNS, host name,
// MTU and IPv6. What only NAT uses is disabled, saying so, while the mode is "none".
#pragma once

#include "editor/editorpage.h"

class QComboBox;
class QLabel;

class NetworkPage : public EditorPage {
    Q_OBJECT

public:
    explicit NetworkPage(QWidget* parent = nullptr);
    void setHost(const HostCapabilities& host) override;
    void load(const QJsonObject& profile) override;

private:
    // Disable what only NAT uses while the mode is "none" (lb::natOnlyFields).
    void updateNatOnly();

    QComboBox* mode_;
    QLabel* hostNote_;
};
