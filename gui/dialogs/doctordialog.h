// `layerbox doctor --json`: what works on this host and how to fix what does not, with the
// host facts of the same answer (HostCapabilities) underneath.
#pragma once

#include <QDialog>

#include "main/logpanel.h"

class LayerboxClient;
struct HostCapabilities;
class QLabel;
class QPushButton;
class QTreeWidget;

class DoctorDialog : public QDialog {
    Q_OBJECT

public:
    explicit DoctorDialog(LayerboxClient* client, QWidget* parent = nullptr);

    void refresh();
    bool isRunning() const { return running_; }
    QTreeWidget* checks() const { return checks_; }
    QTreeWidget* hostFacts() const { return host_; }
    QLabel* status() const { return status_; }

signals:
    void log(LogPanel::Level level, const QString& source, const QString& text);

private:
    void fillHostFacts(const HostCapabilities& h);

    LayerboxClient* client_;
    QTreeWidget* checks_;
    QTreeWidget* host_;
    QLabel* status_;
    QPushButton* refresh_;
    bool running_ = false;
};
