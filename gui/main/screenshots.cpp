#include "main/screenshots.h"

#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QLineEdit>
#include <QListWidget>
#include <QPixmap>
#include <QRadioButton>
#include <QTabWidget>
#include <QTimer>
#include <QTreeView>

#include "backend/profiles.h"
#include "dialogs/doctordialog.h"
#include "dialogs/newprofilewizard.h"
#include "editor/editorpage.h"
#include "editor/profileeditor.h"
#include "main/changesmodel.h"
#include "main/changesview.h"
#include "main/instancemodel.h"
#include "main/mainwindow.h"
#include "main/profilelistmodel.h"
#include "main/runningview.h"

ScreenshotRunner::ScreenshotRunner(MainWindow* window, const QString& dir, QObject* parent)
    : QObject(parent), window_(window), dir_(dir) {}

void ScreenshotRunner::step(int delayMs, std::function<void()> action) {
    steps_.append({delayMs, std::move(action)});
}

void ScreenshotRunner::next() {
    if (steps_.isEmpty()) {
        emit done();
        return;
    }
    auto [delay, action] = steps_.takeFirst();
    QTimer::singleShot(delay, this, [this, action]() {
        action();
        next();
    });
}

void ScreenshotRunner::grab(QWidget* w, const QString& name) {
    if (!w) return;
    const QString file = dir_ + QLatin1Char('/') + name + QStringLiteral(".png");
    if (w->grab().save(file)) ++saved_;
    qInfo("screenshot: %s", qPrintable(file));
}

void ScreenshotRunner::start() {
    QDir().mkpath(dir_);
    MainWindow* w = window_;
    // The first user profile is the one shown; the script's sample profiles make it a
    // browser with changes.
    // The user's profile that has a sandbox (so its changes can be previewed), else the
    // first one.
    auto profile = [w]() {
        const QStringList user = w->profileModel()->userNames();
        for (const QString& n : user)
            if (QFileInfo::exists(profiles::sandboxDir(n))) return n;
        return user.isEmpty() ? QStringLiteral("default") : user.first();
    };
    step(2500, [=, this]() {
        w->selectProfile(profile());
        w->tabs()->setCurrentIndex(0);
        if (w->runningView()->model()->rowCount() > 0)
            w->runningView()->selectInstance(w->runningView()->model()->instanceAt(0)->id);
    });
    step(800, [=, this]() { grab(w, QStringLiteral("main-window")); });
    step(200, [=, this]() { grab(w->tabs(), QStringLiteral("running")); });
    step(200, [=, this]() { w->tabs()->setCurrentIndex(1); });
    step(1200, [=, this]() {
        ChangesView* c = w->changesView();
        // Preview the first text file there is.
        QModelIndex found;
        std::function<void(const QModelIndex&)> walk = [&](const QModelIndex& parent) {
            const int rows = c->view()->model()->rowCount(parent);
            for (int r = 0; r < rows && !found.isValid(); ++r) {
                const QModelIndex i = c->view()->model()->index(r, 0, parent);
                if (i.data(ChangesModel::PathRole).toString().endsWith(QLatin1String(".txt")))
                    found = i;
                walk(i);
            }
        };
        walk({});
        if (found.isValid()) c->selectPaths({found.data(ChangesModel::PathRole).toString()});
    });
    step(600, [=, this]() { grab(w, QStringLiteral("changes")); });
    // What the running sandbox refused (the Activity tab reads `layerbox log ID --json`).
    step(200, [=, this]() { w->tabs()->setCurrentIndex(2); });
    step(2500, [=, this]() { grab(w, QStringLiteral("activity")); });
    // A small laptop screen (1024x600): everything must still be there and usable.
    auto size = std::make_shared<QSize>();
    step(200, [=, this]() {
        *size = w->size();
        w->resize(1024, 600);
        w->tabs()->setCurrentIndex(0);
    });
    step(600, [=, this]() { grab(w, QStringLiteral("main-window-1024x600")); });
    step(200, [=, this]() { w->resize(*size); });

    // The profile editor, page by page, then with mistakes in it.
    auto editor = std::make_shared<QPointer<ProfileEditor>>();
    step(200, [=, this]() { *editor = w->editProfile(profile()); });
    const QStringList pages{"generalPage",  "filesPage",   "networkPage",     "resourcesPage",
                            "securityPage", "desktopPage", "environmentPage", "jsonPage"};
    for (const QString& p : pages) {
        step(400, [=, this]() {
            if (*editor) (*editor)->showPage(p);
        });
        step(400, [=, this]() {
            if (*editor)
                grab(*editor,
                     QStringLiteral("editor-") + QString(p).remove(QStringLiteral("Page")));
        });
    }
    step(200, [=, this]() {
        if (!*editor) return;
        (*editor)->showPage(QStringLiteral("resourcesPage"));
        if (auto* m = (*editor)->findChild<QLineEdit*>(QStringLiteral("/resources/memory_max")))
            m->setText(QStringLiteral("2 GB"));
        if (auto* t = (*editor)->findChild<QLineEdit*>(QStringLiteral("/resources/tasks_max")))
            t->setText(QStringLiteral("0"));
        (*editor)->validateNow();
    });
    step(500, [=, this]() {
        if (*editor) grab(*editor, QStringLiteral("editor-invalid"));
    });
    step(200, [=, this]() {
        if (!*editor) return;
        (*editor)->revert();
        (*editor)->close();
    });

    // The new-profile wizard.
    auto wizard = std::make_shared<QPointer<NewProfileWizard>>();
    step(300, [=, this]() {
        *wizard = new NewProfileWizard(w);
        (*wizard)->setAttribute(Qt::WA_DeleteOnClose);
        if ((*wizard)->applicationList()->count() > 0)
            (*wizard)->applicationList()->setCurrentRow(0);
        else
            (*wizard)->programPath()->setText(QDir::homePath() + QStringLiteral("/Downloads/game"));
        (*wizard)->show();
    });
    step(600, [=, this]() {
        if (*wizard) grab(*wizard, QStringLiteral("wizard-application"));
    });
    step(200, [=, this]() {
        if (!*wizard) return;
        (*wizard)->next();
        (*wizard)->trustButton(NewProfileWizard::InternetOnly)->setChecked(true);
    });
    step(500, [=, this]() {
        if (*wizard) grab(*wizard, QStringLiteral("wizard-trust"));
    });
    step(200, [=, this]() {
        if (*wizard) (*wizard)->next();
    });
    step(500, [=, this]() {
        if (*wizard) grab(*wizard, QStringLiteral("wizard-summary"));
    });
    step(200, [=, this]() {
        if (*wizard) (*wizard)->reject();
    });

    // layerbox doctor.
    auto doctor = std::make_shared<QPointer<DoctorDialog>>();
    step(300, [=, this]() {
        *doctor = new DoctorDialog(w->client(), w);
        (*doctor)->setAttribute(Qt::WA_DeleteOnClose);
        (*doctor)->show();
    });
    step(1500, [=, this]() {
        if (*doctor) grab(*doctor, QStringLiteral("doctor"));
    });
    step(200, [=, this]() {
        if (*doctor) (*doctor)->close();
    });
    next();
}
