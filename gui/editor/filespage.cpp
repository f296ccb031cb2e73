#include "editor/filespage.h"

#include <QDir>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>

#include "backend/hostcapabilities.h"
#include "dialogs/dialogasker.h"

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
    binds_ = addTable(files, tr("&Binds:"), QStringLiteral("/filesystem/binds"),
                      {{"host", tr("Host path"), RecordTable::Column::Text},
                       {"sandbox", tr("Sandbox path"), RecordTable::Column::Text},
                       {"mode", tr("Mode"), RecordTable::Column::Choice, {"ro", "rw"}, "ro"},
                       {"create", tr("Create"), RecordTable::Column::Bool},
                       {"optional", tr("Optional"), RecordTable::Column::Bool}});
    QPushButton* folder = binds_->addButton(QIcon::fromTheme("folder-open"), tr("F&older\u2026"));
    folder->setObjectName("pickBindFolder");
    folder->setToolTip(
        tr("Choose a folder to bind (in the selected row when its host path "
           "is empty, else in a new row)"));
    connect(folder, &QPushButton::clicked, this, [this]() { pickBindPath(true); });
    QPushButton* file = binds_->addButton(QIcon::fromTheme("document-open"), tr("Fi&le\u2026"));
    file->setObjectName("pickBindFile");
    file->setToolTip(tr("Choose a file to bind"));
    connect(file, &QPushButton::clicked, this, [this]() { pickBindPath(false); });
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

void FilesPage::pickBindPath(bool folder) {
    PathQuestion q;
    q.id = folder ? questions::kBindFolder : questions::kBindFile;
    q.kind = folder ? PathQuestion::Directory : PathQuestion::OpenFile;
    q.title = folder ? tr("Folder to bind") : tr("File to bind");
    q.initial = QDir::homePath();
    const QString path = DialogAsker::instance().askPath(this, q);
    if (!path.isEmpty()) addBindPath(path);
}

void FilesPage::addBindPath(const QString& path) {
    const QString clean = QDir::cleanPath(path);
    const QString home = QDir::cleanPath(QDir::homePath());
    QString shown = clean;
    // The profile's own form for the user's home: the same profile works for another user.
    if (clean == home)
        shown = QStringLiteral("~");
    else if (clean.startsWith(home + QLatin1Char('/')))
        shown = QStringLiteral("~/") + clean.mid(home.size() + 1);
    binds_->putInCurrentOrNewRow(0, shown);
}
