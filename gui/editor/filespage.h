// Files: storage driver and persistence, layers, home, binds, hidden paths, recovery folders
// and devices.
#pragma once

#include "editor/editorpage.h"

class QLabel;

class FilesPage : public EditorPage {
    Q_OBJECT

public:
    explicit FilesPage(QWidget* parent = nullptr);
    void setHost(const HostCapabilities& host) override;
    // From `layerbox layer list --json`; `error` when that failed.
    void setAvailableLayers(const QStringList& layers, const QString& error = {});

private:
    QLabel* driverNote_;
    QLabel* layersNote_;
};
