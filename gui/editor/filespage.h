// Files: storage driver and persistence, layers, home, binds, hidden paths, recovery folders
// and devices. Bind paths can be picked with a folder or file chooser.
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

    // Put a picked host path in the binds table (a path in your home as ~/...).
    void addBindPath(const QString& path);

private:
    void pickBindPath(bool folder);

    RecordTable* binds_;
    QLabel* driverNote_;
    QLabel* layersNote_;
};
