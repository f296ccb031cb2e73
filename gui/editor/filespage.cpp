#include "editor/filespage.h"

#include <QFormLayout>
#include <QLabel>

#include "backend/hostcapabilities.h"

FilesPage::FilesPage(QWidget* parent) : EditorPage(tr("Files"), QStringLiteral("folder"), parent) {
    setObjectName("filesPage");
    QFormLayout* storage = addSection(
        tr("Storage"), tr("The program sees the system read-only; what it writes lands in the "
                          "sandbox's own layer, where you can review, recover or discard it."));
    addChoice(storage, tr("&Driver:"), QStringLiteral("/filesystem/driver"),
              {{"auto", tr("Automatic")},
               {"native", tr("Kernel overlay (native)")},
               {"fuse", tr("fuse-overlayfs")}});
    driverNote_ = addNote(storage);
    driverNote_->setObjectName("driverNote");
    addCheck(storage, tr("Throw every change away when the program &exits"),
             QStringLiteral("/filesystem/ephemeral"));
    addList(storage, tr("&Layers:"), QStringLiteral("/filesystem/layers"),
            tr("One committed layer per line, top first"));
    layersNote_ = addNote(storage);
    layersNote_->setObjectName("layersNote");

    QFormLayout* files = addSection(tr("Home and your files"));
    addChoice(files, tr("&Home:"), QStringLiteral("/filesystem/home"),
              {{"private", tr("Private, kept between runs")},
               {"tmpfs", tr("Empty, thrown away at exit")},
               {"overlay", tr("Your home, read-only, changes kept apart")}});
    addTable(files, tr("&Binds:"), QStringLiteral("/filesystem/binds"),
             {{"host", tr("Host path"), RecordTable::Column::Text},
              {"sandbox", tr("Sandbox path"), RecordTable::Column::Text},
              {"mode", tr("Mode"), RecordTable::Column::Choice, {"ro", "rw"}, "ro"},
              {"create", tr("Create"), RecordTable::Column::Bool},
              {"optional", tr("Optional"), RecordTable::Column::Bool}});
    addNote(files, tr("Host paths start with / or ~/ (your home). An empty sandbox path means the "
                      "same path inside. rw writes straight to the host folder."));
    addList(files, tr("H&ide:"), QStringLiteral("/filesystem/hide"),
            tr("One path per line, e.g. ~/.ssh"));
    addList(files, tr("&Offer new files from:"), QStringLiteral("/filesystem/recover_watch"),
            tr("Folders whose new files are offered back as soon as they are written, e.g. "
               "~/Downloads"));
    addList(files, tr("Reco&ver at once from:"), QStringLiteral("/filesystem/recover_auto"),
            tr("Watched folders whose new files are copied to your home without asking"));
    addList(files, tr("De&vices:"), QStringLiteral("/filesystem/devices"),
            tr("Extra device nodes, e.g. /dev/kvm"));
    // Empty means all of /etc (the key is left out), never an empty /etc.
    addList(files, tr("Private /e&tc:"), QStringLiteral("/filesystem/private_etc"),
            tr("Only these entries of /etc, e.g. fonts, ssl, passwd; empty: all of /etc"), true);
    finish();
}

void FilesPage::setHost(const HostCapabilities& host) {
    driverNote_->setText(host.storageSummary());
}

void FilesPage::setAvailableLayers(const QStringList& layers, const QString& error) {
    if (!error.isEmpty())
        layersNote_->setText(tr("Committed layers could not be listed: %1").arg(error));
    else if (layers.isEmpty())
        layersNote_->setText(
            tr("No committed layers yet: use Commit as layer in the Changes "
               "tab."));
    else
        layersNote_->setText(tr("Available: %1").arg(layers.join(QStringLiteral(", "))));
}
