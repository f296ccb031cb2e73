// The new-profile wizard writes a profile that validates and loads, for every trust level.
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QtTest>

#include "dialogs/newprofilewizard.h"
#include "guitest.h"
#include "profile/profile.h"
#include "profile/profile_store.h"
#include "testsupport.h"

using namespace lbtest;

class TstGuiWizard : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;

    static lb::ProfileStore store() { return lb::ProfileStore(lb::Paths::fromEnvironment()); }

    static void addTrustLevels() {
        QTest::addColumn<int>("trust");
        QTest::addColumn<QString>("network");
        QTest::addColumn<QString>("firewall");
        QTest::addColumn<bool>("gpu");
        QTest::newRow("offline") << int(NewProfileWizard::Offline) << "none"
                                 << "internet-only" << false;
        QTest::newRow("internet only") << int(NewProfileWizard::InternetOnly) << "nat"
                                       << "internet-only" << false;
        QTest::newRow("full desktop") << int(NewProfileWizard::FullDesktop) << "nat"
                                      << "open" << true;
    }

private slots:
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
        home_->apply();
    }
    void cleanup() { home_.reset(); }

    // Driving the wizard as a user would: a program file, a trust level, Create.
    void createsValidProfile_data() { addTrustLevels(); }
    void createsValidProfile() {
        QFETCH(int, trust);
        QFETCH(QString, network);
        QFETCH(QString, firewall);
        QFETCH(bool, gpu);
        ScriptedAsker asker;
        const QString program = home_->home() + "/Downloads/tool";
        QVERIFY(writeFile(program, "#!/bin/sh\necho hi\n"));

        NewProfileWizard wizard;
        QSignalSpy created(&wizard, &NewProfileWizard::profileCreated);
        wizard.show();
        QVERIFY(QTest::qWaitForWindowExposed(&wizard));
        wizard.programPath()->setText(program);
        QVERIFY(wizard.fromProgram()->isChecked());
        QCOMPARE(wizard.profileName()->text(), QString("tool"));  // suggested from the file
        wizard.profileName()->setText("app");
        QVERIFY(wizard.currentPage()->isComplete());
        wizard.next();
        QCOMPARE(wizard.currentId(), int(NewProfileWizard::TrustPageId));
        wizard.trustButton(NewProfileWizard::Trust(trust))->setChecked(true);
        wizard.next();
        QCOMPARE(wizard.currentId(), int(NewProfileWizard::SummaryPageId));
        QVERIFY(wizard.preview()->toPlainText().contains("\"name\": \"app\""));
        wizard.button(QWizard::FinishButton)->click();
        QCOMPARE(created.count(), 1);
        QCOMPARE(wizard.createdName(), QString("app"));
        QVERIFY(asker.unexpected.isEmpty());

        const QString path = home_->profileDir() + "/app.json";
        const QByteArray text = readFile(path);
        QVERIFY2(!text.isEmpty(), qPrintable(path));
        const auto diags = lb::validateProfileText(text.toStdString(), "app.json", "app");
        QVERIFY2(diags.empty(), diags.empty() ? "" : diags.front().text().c_str());

        auto loaded = lb::loadProfile(store(), "app");
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().message().c_str());
        const lb::Profile& p = *loaded;
        QCOMPARE(p.builtin, false);
        QCOMPARE(p.command, std::vector<std::string>{program.toStdString()});
        QCOMPARE(QString(p.network.mode == lb::NetMode::Nat ? "nat" : "none"), network);
        QCOMPARE(QString::fromStdString(p.network.firewall), firewall);
        QCOMPARE(p.desktop.gpu, gpu);
        QVERIFY(p.desktop.wayland);
        // A program in the home is not in the sandbox unless its folder is bound.
        QCOMPARE(p.filesystem.binds.size(), size_t(1));
        QCOMPARE(QString::fromStdString(p.filesystem.binds[0].host), home_->home() + "/Downloads");
        QVERIFY(!p.filesystem.binds[0].rw);
        // Secrets stay hidden at every level.
        QCOMPARE(p.filesystem.hide.size(), size_t(2));
    }

    // The text for an installed application (desktop entry) validates at every level too.
    void applicationProfileText_data() { addTrustLevels(); }
    void applicationProfileText() {
        QFETCH(int, trust);
        NewProfileWizard::Choice c;
        c.name = "editor";
        c.title = "Text Editor";
        c.icon = "accessories-text-editor";
        c.desktopEntry = "org.gnome.TextEditor.desktop";
        c.command = {"gnome-text-editor", "--new-window"};
        c.trust = NewProfileWizard::Trust(trust);
        const QString text = NewProfileWizard::profileText(c);
        const auto diags = lb::validateProfileText(text.toStdString(), "editor.json", "editor");
        QVERIFY2(diags.empty(), diags.empty() ? "" : diags.front().text().c_str());
        home_->writeProfile("editor", text.toUtf8());
        auto loaded = lb::loadProfile(store(), "editor");
        QVERIFY(loaded.ok());
        QCOMPARE(loaded->desktopEntry, std::string("org.gnome.TextEditor.desktop"));
        QVERIFY(loaded->filesystem.binds.empty());  // system programs need no bind
        // Nothing that says what the profile allows, which would go stale when it is edited
        // (and reach the menu entry's Comment).
        QCOMPARE(loaded->description, std::string());
    }

    // A name that is taken or malformed keeps the first page incomplete.
    void refusesBadNames_data() {
        QTest::addColumn<QString>("name");
        QTest::newRow("empty") << "";
        QTest::newRow("capitals") << "MyApp";
        QTest::newRow("space") << "my app";
        QTest::newRow("yours already") << "mine";
        QTest::newRow("built-in") << "firefox";
    }
    void refusesBadNames() {
        QFETCH(QString, name);
        home_->writeProfile("mine", R"({"version": 1, "name": "mine"})");
        NewProfileWizard wizard;
        wizard.programPath()->setText("/usr/bin/env");
        wizard.profileName()->setText("fine-name");
        QWizardPage* first = wizard.page(NewProfileWizard::ApplicationPageId);
        QVERIFY(first->isComplete());
        wizard.profileName()->setText(name);
        QVERIFY(!first->isComplete());
        QVERIFY(!wizard.findChild<QLabel*>("nameMessage")->text().isEmpty() || name.isEmpty());
    }
};

QTEST_MAIN(TstGuiWizard)
#include "tst_gui_wizard.moc"
