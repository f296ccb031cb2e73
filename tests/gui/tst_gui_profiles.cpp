// The main window's profile list: built-in profiles apart from the user's, search, and
// Duplicate, Rename, Delete (asking), Import and Export, which the GUI asks of the core
// (`layerbox profile ...`): one set of rules, answered here through the dialogs' seam.
#include <QAbstractButton>
#include <QAction>
#include <QComboBox>
#include <QDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QScreen>
#include <QTabWidget>
#include <QToolButton>
#include <QTreeView>
#include <QtTest>

#include "backend/profilejson.h"
#include "guitest.h"
#include "layers/grant_store.h"
#include "main/logpanel.h"
#include "main/mainwindow.h"
#include "main/profilelistmodel.h"
#include "main/profilesummary.h"
#include "profile/profile.h"
#include "profile/profile_store.h"
#include "testsupport.h"

using namespace lbtest;

class TstGuiProfiles : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;

    static lb::ProfileStore store() { return lb::ProfileStore(lb::Paths::fromEnvironment()); }
    // Profile names shown under a group, through the search filter.
    static QStringList shown(MainWindow& w, ProfileListModel::Group g) {
        QStringList out;
        const QAbstractItemModel* m = w.profileView()->model();
        const QModelIndex group = w.profileFilter()->mapFromSource(w.profileModel()->groupIndex(g));
        for (int r = 0; r < m->rowCount(group); ++r)
            out << m->index(r, 0, group).data(ProfileListModel::NameRole).toString();
        return out;
    }
    void trigger(MainWindow& w, const QString& action) {
        QAction* a = w.action(action);
        QVERIFY2(a, qPrintable(action));
        QVERIFY2(a->isEnabled(), qPrintable(action + " is disabled"));
        a->trigger();
    }

private slots:
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
        home_->apply();
        home_->writeProfile("mine", R"({"version": 1, "name": "mine", "title": "Mine",
            "description": "A test profile", "command": ["sh"]})");
        home_->writeProfile("browser", R"({"version": 1, "name": "browser", "extends": "browser",
            "resources": {"memory_max": "8G"}})");
    }
    void cleanup() { home_.reset(); }

    // The summary says what is in force, from the resolved profile: a profile whose home
    // setting is "overlay" but which binds ~ read-write gives the program your real home.
    void summaryTellsTheHomeInForce() {
        home_->writeProfile("rwhome", R"({"version": 1, "name": "rwhome", "extends": "default",
            "filesystem": {"home": "overlay", "binds": [{"host": "~", "mode": "rw"}]}})");
        home_->writeProfile("rohome", R"({"version": 1, "name": "rohome", "extends": "default",
            "filesystem": {"home": "overlay", "hide": ["~/.ssh"],
                           "binds": [{"host": "~", "mode": "ro"}]}})");
        home_->writeProfile("plain", R"({"version": 1, "name": "plain", "extends": "default",
            "filesystem": {"home": "overlay", "binds": [{"host": "~/Downloads", "mode": "rw",
                                                         "create": true}]}})");
        MainWindow w;
        auto* home = w.summary()->findChild<QLabel*>("summaryFact2");
        QVERIFY(home);
        w.selectProfile("rwhome");
        QVERIFY2(home->text().startsWith(
                     "Your real home, read-write: the program changes your files directly"),
                 qPrintable(home->text()));
        w.selectProfile("rohome");
        QVERIFY2(home->text().startsWith("Your real home, read-only (hidden: ~/.ssh"),
                 qPrintable(home->text()));
        w.selectProfile("plain");  // a folder below the home does not replace it
        QCOMPARE(home->text(), QString("Yours, read-only; changes kept apart"));
        // The network line states an allow-list (issue 16).
        home_->writeProfile("only", R"({"version": 1, "name": "only", "extends": "browser",
            "network": {"allow_domains": ["*.example.org"], "deny_domains": ["ads.example.org"]}})");
        QTRY_VERIFY(w.profileModel()->entry("only"));
        w.selectProfile("only");
        auto* net = w.summary()->findChild<QLabel*>("summaryFact0");
        QVERIFY(net);
        QCOMPARE(net->text(), QString("Internet only (no LAN, no host); only *.example.org; never "
                                      "ads.example.org"));
        // The desktop line says whether the portal may open links with your programs.
        home_->writeProfile("links", R"({"version": 1, "name": "links", "extends": "default",
            "desktop": {"open_uri": "allow", "dbus": {"talk": ["org.freedesktop.portal.*"]}}})");
        home_->writeProfile("nolinks", R"({"version": 1, "name": "nolinks", "extends": "default",
            "desktop": {"dbus": {"talk": ["org.freedesktop.portal.Desktop"]}}})");
        home_->writeProfile("asklinks", R"({"version": 1, "name": "asklinks", "extends": "default",
            "desktop": {"open_uri": "ask", "dbus": {"talk": ["org.freedesktop.portal.*"]}}})");
        QTRY_VERIFY(w.profileModel()->entry("links") && w.profileModel()->entry("nolinks") &&
                    w.profileModel()->entry("asklinks"));
        auto* desk = w.summary()->findChild<QLabel*>("summaryFact1");
        QVERIFY(desk);
        w.selectProfile("links");
        QCOMPARE(desk->text(), QString("portals (opens links with your programs)"));
        w.selectProfile("nolinks");
        QCOMPARE(desk->text(), QString("portals (opening links denied)"));
        w.selectProfile("asklinks");
        QCOMPARE(desk->text(), QString("portals (asks you before opening a link)"));
        w.selectProfile("plain");
        QCOMPARE(desk->text(), QString("None"));
        // The GPU is not promised to the X11 windows of an isolated display (no OpenGL there).
        home_->writeProfile("gpuiso", R"({"version": 1, "name": "gpuiso", "extends": "default",
            "desktop": {"x11": "isolated", "gpu": true}})");
        home_->writeProfile("gpuhost", R"({"version": 1, "name": "gpuhost", "extends": "default",
            "desktop": {"wayland": true, "gpu": true}})");
        QTRY_VERIFY(w.profileModel()->entry("gpuiso") && w.profileModel()->entry("gpuhost"));
        w.selectProfile("gpuiso");
        QCOMPARE(desk->text(), QString("X11 (a display of its own), clipboard: its own, GPU (not "
                                       "for its X11 windows: their display has no OpenGL)"));
        w.selectProfile("gpuhost");
        QVERIFY2(desk->text().endsWith("GPU"), qPrintable(desk->text()));
    }

    void builtinsApartFromYours() {
        MainWindow w;
        const QStringList user = shown(w, ProfileListModel::UserGroup);
        const QStringList builtin = shown(w, ProfileListModel::BuiltinGroup);
        QCOMPARE(user, (QStringList{"browser", "mine"}));
        QVERIFY(builtin.contains("default"));
        QVERIFY(builtin.contains("firefox"));
        QVERIFY(!builtin.contains("mine"));
        QVERIFY(!builtin.contains("browser"));  // yours overrides it
        QVERIFY(w.profileModel()->entry("browser")->overridesBuiltin);
        // Built-in profiles cannot be renamed or deleted; yours can.
        w.selectProfile("default");
        QVERIFY(!w.action("actionRename")->isEnabled());
        QVERIFY(!w.action("actionDelete")->isEnabled());
        QVERIFY(w.action("actionDuplicate")->isEnabled());
        w.selectProfile("mine");
        QVERIFY(w.action("actionRename")->isEnabled());
        QVERIFY(w.action("actionDelete")->isEnabled());
        // Group rows are not profiles.
        QVERIFY(w.profileModel()
                    ->groupIndex(ProfileListModel::UserGroup)
                    .data(ProfileListModel::IsGroupRole)
                    .toBool());
    }

    void searchFilters_data() {
        QTest::addColumn<QString>("search");
        QTest::addColumn<QStringList>("user");
        QTest::addColumn<QStringList>("builtin");
        QTest::newRow("empty") << "" << QStringList{"browser", "mine"} << QStringList();
        QTest::newRow("by name") << "fire" << QStringList() << QStringList{"firefox"};
        QTest::newRow("by title, any case") << "MINE" << QStringList{"mine"} << QStringList();
        QTest::newRow("by description") << "test profile" << QStringList{"mine"} << QStringList();
        QTest::newRow("nothing") << "no-such-thing" << QStringList() << QStringList();
    }
    void searchFilters() {
        QFETCH(QString, search);
        QFETCH(QStringList, user);
        QFETCH(QStringList, builtin);
        MainWindow w;
        QTest::keyClicks(w.searchField(), search);
        QCOMPARE(shown(w, ProfileListModel::UserGroup), user);
        if (search.isEmpty())
            QVERIFY(shown(w, ProfileListModel::BuiltinGroup).size() >= 9);
        else
            QCOMPARE(shown(w, ProfileListModel::BuiltinGroup), builtin);
        w.searchField()->clear();
        QCOMPARE(shown(w, ProfileListModel::UserGroup), (QStringList{"browser", "mine"}));
    }

    void duplicate() {
        ScriptedAsker asker;
        asker.answerText(questions::kDuplicateName, QString("mine-copy"));
        asker.answerText(questions::kDuplicateName, QString("fox"));
        asker.answerText(questions::kDuplicateName, QString("default"));
        asker.answer(questions::kActionFailed, "ok");
        MainWindow w;
        w.selectProfile("mine");
        trigger(w, "actionDuplicate");
        QTRY_VERIFY(w.profileModel()->entry("mine-copy"));
        QCOMPARE(w.selectedProfile(), QString("mine-copy"));
        auto copy = lb::loadProfile(store(), "mine-copy");
        QVERIFY(copy.ok());
        QCOMPARE(copy->title, std::string("Mine"));
        QCOMPARE(copy->name, std::string("mine-copy"));
        QVERIFY(w.logPanel()->text().contains("mine-copy: copied from mine"));
        // A built-in one becomes yours.
        w.selectProfile("firefox");
        trigger(w, "actionDuplicate");
        QTRY_VERIFY(w.profileModel()->entry("fox"));
        QVERIFY(!w.profileModel()->entry("fox")->builtin);
        auto fox = lb::loadProfile(store(), "fox");
        QVERIFY(fox.ok());
        QCOMPARE(fox->command, std::vector<std::string>{"firefox-esr"});
        // A name any profile has is refused by the core, and said.
        trigger(w, "actionDuplicate");
        QTRY_VERIFY(w.logPanel()->text().contains("a profile named \"default\" exists already"));
        QVERIFY(!QFile::exists(home_->profileDir() + "/default.json"));
        QCOMPARE(asker.asked.last(), questions::kActionFailed);
        QVERIFY(asker.unexpected.isEmpty());
    }

    void rename() {
        ScriptedAsker asker;
        asker.answerText(questions::kRenameName, QString("Bad Name"));
        asker.answerText(questions::kRenameName, QString("renamed"));
        const QString data = home_->dataHome() + "/layerbox/sandboxes/mine";
        QVERIFY(writeFile(data + "/upper/etc/marker", "x"));
        MainWindow w;
        w.selectProfile("mine");
        trigger(w, "actionRename");
        QTRY_VERIFY(w.logPanel()->text().contains("not a valid profile name"));
        QVERIFY(w.profileModel()->entry("mine"));
        trigger(w, "actionRename");
        QTRY_VERIFY(!w.profileModel()->entry("mine"));
        QVERIFY(w.profileModel()->entry("renamed"));
        QCOMPARE(w.selectedProfile(), QString("renamed"));
        QVERIFY(!QFile::exists(home_->profileDir() + "/mine.json"));
        auto p = lb::loadProfile(store(), "renamed");
        QVERIFY(p.ok());
        QCOMPARE(p->title, std::string("Mine"));
        // Its sandbox's data moved with it.
        QVERIFY(QFile::exists(home_->dataHome() + "/layerbox/sandboxes/renamed/upper/etc/marker"));
        QVERIFY(!QFile::exists(data));
        QVERIFY(w.logPanel()->text().contains("renamed: renamed from mine"));
    }

    // A parent others extend is neither renamed nor deleted: the core says which extend it.
    void parentOfOthersStays() {
        ScriptedAsker asker;
        asker.answerText(questions::kRenameName, QString("root"));
        asker.answer(questions::kDeleteProfile, "delete");
        asker.answer(questions::kActionFailed, "ok");
        asker.answer(questions::kActionFailed, "ok");
        home_->writeProfile("base", R"({"version": 1, "name": "base"})");
        home_->writeProfile("kid", R"({"version": 1, "name": "kid", "extends": "base"})");
        MainWindow w;
        w.selectProfile("base");
        trigger(w, "actionRename");
        QTRY_VERIFY(w.logPanel()->text().contains(
            "cannot rename profile \"base\": it is extended by profile kid"));
        trigger(w, "actionDelete");
        QTRY_VERIFY(w.logPanel()->text().contains(
            "cannot remove profile \"base\": it is extended by profile kid"));
        QVERIFY(QFile::exists(home_->profileDir() + "/base.json"));
        QVERIFY(w.profileModel()->entry("base"));
        QVERIFY(asker.unexpected.isEmpty());
    }

    void deleteAsks() {
        ScriptedAsker asker;
        asker.answer(questions::kDeleteProfile, "cancel");
        asker.answer(questions::kDeleteProfile, "delete");
        MainWindow w;
        w.selectProfile("mine");
        trigger(w, "actionDelete");
        QCOMPARE(asker.asked, QStringList{questions::kDeleteProfile});
        QTest::qWait(200);
        QVERIFY(QFile::exists(home_->profileDir() + "/mine.json"));
        trigger(w, "actionDelete");
        QCOMPARE(asker.asked.size(), 2);
        QTRY_VERIFY(!QFile::exists(home_->profileDir() + "/mine.json"));
        QTRY_VERIFY(!w.profileModel()->entry("mine"));
        // No sandbox data yet, so no offer to delete it.
        QVERIFY(asker.questions.first().checkBox.isEmpty());
        // Enter does not delete: Cancel is the default button.
        QCOMPARE(asker.questions.first().defaultChoice, QString("cancel"));
        QVERIFY(asker.unexpected.isEmpty());
    }

    // With its sandbox: the box is offered, and ticked the core deletes the data too.
    void deleteWithItsSandbox_data() {
        QTest::addColumn<bool>("ticked");
        QTest::newRow("profile only") << false;
        QTest::newRow("and its sandbox") << true;
    }
    void deleteWithItsSandbox() {
        QFETCH(bool, ticked);
        ScriptedAsker asker;
        asker.answer(questions::kDeleteProfile, "delete", ticked);
        const QString data = home_->dataHome() + "/layerbox/sandboxes/mine";
        QVERIFY(writeFile(data + "/upper/etc/marker", "x"));
        MainWindow w;
        w.selectProfile("mine");
        trigger(w, "actionDelete");
        QVERIFY(!asker.questions.first().checkBox.isEmpty());
        QTRY_VERIFY(!w.profileModel()->entry("mine"));
        QVERIFY(!QFile::exists(home_->profileDir() + "/mine.json"));
        QCOMPARE(QFile::exists(data), !ticked);
        QVERIFY(w.logPanel()->text().contains(ticked ? "mine: profile and sandbox deleted"
                                                     : "mine: profile deleted"));
    }

    // Deleting your copy of a built-in profile brings the built-in back.
    void deleteOverrideRestoresBuiltin() {
        ScriptedAsker asker;
        asker.answer(questions::kDeleteProfile, "delete");
        MainWindow w;
        w.selectProfile("browser");
        trigger(w, "actionDelete");
        QTRY_VERIFY(w.profileModel()->entry("browser") &&
                    w.profileModel()->entry("browser")->builtin);
        QVERIFY(shown(w, ProfileListModel::BuiltinGroup).contains("browser"));
    }

    void exportImportRoundTrip() {
        ScriptedAsker asker;
        const QString file = home_->home() + "/exported/mine.json";
        QDir().mkpath(home_->home() + "/exported");
        asker.answerPath(questions::kExportFile, file);
        asker.answer(questions::kDeleteProfile, "delete");
        asker.answerPath(questions::kImportFile, file);
        asker.answerPath(questions::kImportFile, file);
        asker.answer(questions::kImportReview, "import");
        asker.answer(questions::kImportReview, "import");
        asker.answer(questions::kReplaceProfile, "cancel");
        const std::string before = lb::mergedProfileJson(store(), "mine", true).value();

        MainWindow w;
        w.selectProfile("mine");
        trigger(w, "actionExport");
        QTRY_VERIFY(w.logPanel()->text().contains("mine: exported to " + file));
        const QByteArray exported = readFile(file);
        QVERIFY(lb::validateProfileText(exported.toStdString(), "mine.json", "mine").empty());

        trigger(w, "actionDelete");
        QTRY_VERIFY(!w.profileModel()->entry("mine"));
        trigger(w, "actionImport");
        QTRY_VERIFY(w.profileModel()->entry("mine"));
        QCOMPARE(w.selectedProfile(), QString("mine"));
        QCOMPARE(lb::mergedProfileJson(store(), "mine", true).value(), before);
        // Importing over one of yours asks first.
        trigger(w, "actionImport");
        QTRY_VERIFY(asker.asked.contains(questions::kReplaceProfile));
        QCOMPARE(asker.questions.last().text,
                 QString("You already have a profile named \u201cmine\u201d."));
        QVERIFY(asker.unexpected.isEmpty());
    }

    // The core names an imported profile: after its file, else by its own "name", else the
    // GUI asks; a name of yours is replaced only when you say so.
    void importNames() {
        ScriptedAsker asker;
        const QString ownName = home_->home() + "/My Profile (1).json";
        const QString noName = home_->home() + "/Shared Profile.json";
        const QString over = home_->home() + "/mine.json";
        QVERIFY(writeFile(ownName, R"({"version": 1, "name": "theirs", "title": "Theirs"})"));
        QVERIFY(writeFile(noName, R"({"version": 1, "title": "Shared"})"));
        QVERIFY(writeFile(over, R"({"version": 1, "name": "whatever", "title": "New mine"})"));
        asker.answerPath(questions::kImportFile, ownName);
        asker.answerPath(questions::kImportFile, noName);
        asker.answerText(questions::kImportName, QString("Still Bad"));
        asker.answerText(questions::kImportName, QString("shared"));
        asker.answerPath(questions::kImportFile, over);
        asker.answer(questions::kReplaceProfile, "replace");
        for (int i = 0; i < 3; ++i)
            asker.answer(questions::kImportReview, "import");
        MainWindow w;
        trigger(w, "actionImport");
        QTRY_VERIFY(w.profileModel()->entry("theirs"));
        // The review names it as the import then does (one rule, lb::importName).
        QCOMPARE(asker.questions.first().text,
                 QString("Import \u201ctheirs\u201d from My Profile (1).json?"));
        trigger(w, "actionImport");
        QTRY_VERIFY(w.profileModel()->entry("shared"));
        QCOMPARE(asker.asked.count(questions::kImportName), 2);  // asked again after "Still Bad"
        QCOMPARE(w.selectedProfile(), QString("shared"));
        QCOMPARE(lb::loadProfile(store(), "shared")->title, std::string("Shared"));
        trigger(w, "actionImport");  // mine.json: named after the file, which is yours
        QTRY_COMPARE(w.profileModel()->entry("mine")->title, QString("New mine"));
        QVERIFY(!w.profileModel()->entry("whatever"));
        QVERIFY(asker.unexpected.isEmpty());
    }

    // Before an import saves anything, it says what the profile lets the program reach beyond
    // the built-in default (from the core's resolved profile); Cancel saves nothing.
    void importIsReviewed() {
        ScriptedAsker asker;
        const QString file = home_->home() + "/work.json";
        QVERIFY(writeFile(file, R"({"version": 1, "name": "work", "extends": "default",
            "network": {"mode": "nat"},
            "filesystem": {"binds": [{"host": "~/Projects", "mode": "rw", "create": true}]},
            "desktop": {"x11": "isolated", "dbus": {"talk": ["org.example.Work"]}}})"));
        asker.answerPath(questions::kImportFile, file);
        asker.answer(questions::kImportReview, "cancel");
        asker.answerPath(questions::kImportFile, file);
        asker.answer(questions::kImportReview, "import");
        MainWindow w;
        trigger(w, "actionImport");
        QCOMPARE(asker.asked, (QStringList{questions::kImportFile, questions::kImportReview}));
        const Question review = asker.questions.last();
        QCOMPARE(review.text, QString("Import \u201cwork\u201d from work.json?"));
        for (const char* granted :
             {"network: NAT (internet only: no LAN, no host)",
              "files: ~/Projects read-write (written in place)",
              "display: an X11 display of its own", "D-Bus: talk to org.example.Work"})
            QVERIFY2(review.informativeText.contains(granted), qPrintable(review.informativeText));
        QVERIFY(!review.informativeText.contains("sound"));
        QCOMPARE(review.defaultChoice, QString("cancel"));  // Enter grants nothing unread
        QTest::qWait(0);
        QVERIFY(!w.profileModel()->entry("work"));
        QVERIFY(!QFile::exists(home_->profileDir() + "/work.json"));
        trigger(w, "actionImport");
        QTRY_VERIFY(w.profileModel()->entry("work"));
        // A profile that grants nothing more says so.
        const QString tight = home_->home() + "/tight.json";
        QVERIFY(writeFile(tight, R"({"version": 1, "extends": "default", "title": "Tight"})"));
        asker.answerPath(questions::kImportFile, tight);
        asker.answer(questions::kImportReview, "import");
        trigger(w, "actionImport");
        QTRY_VERIFY(w.profileModel()->entry("tight"));
        QVERIFY2(asker.questions.last().informativeText.contains("reach nothing more"),
                 qPrintable(asker.questions.last().informativeText));
        QVERIFY(asker.unexpected.isEmpty());
    }

    // Import from Firejail: a dry run's report (mapped / stricter / not mapped) and what the
    // profile grants are shown before the profile is saved, under the CLI's name for it.
    void importFromFirejailIsReviewed() {
        ScriptedAsker asker;
        const QString file = home_->home() + "/Mail Reader.profile";
        QVERIFY(writeFile(file,
                          "net none\nnosound\nnoroot\ncaps.drop all\n"
                          "whitelist ${DOWNLOADS}\nmachine-id\n"));
        asker.answerPath(questions::kImportFirejailFile, file);
        asker.answer(questions::kImportReview, "cancel");
        asker.answerPath(questions::kImportFirejailFile, file);
        asker.answer(questions::kImportReview, "import");
        MainWindow w;
        trigger(w, "actionImportFirejail");
        QTRY_VERIFY(asker.asked.contains(questions::kImportReview));
        const Question review = asker.questions.last();
        // The name `layerbox profile import-firejail` gives it.
        QCOMPARE(review.text, QString("Import \u201cmail-reader\u201d from Mail Reader.profile?"));
        QVERIFY2(review.informativeText.contains("Firejail's directives: "),
                 qPrintable(review.informativeText));
        QVERIFY2(review.details.contains("net none"), qPrintable(review.details));
        QVERIFY2(review.details.contains("mapped"), qPrintable(review.details));
        QVERIFY(!QFile::exists(home_->profileDir() + "/mail-reader.json"));
        trigger(w, "actionImportFirejail");
        QTRY_VERIFY(w.profileModel()->entry("mail-reader"));
        QCOMPARE(w.selectedProfile(), QString("mail-reader"));
        QVERIFY(lb::loadProfile(store(), "mail-reader").ok());
        QVERIFY(asker.unexpected.isEmpty());
    }

    // Export of a profile with a parent is self-contained.
    void exportIsSelfContained() {
        ScriptedAsker asker;
        const QString file = home_->home() + "/firefox-export.json";
        asker.answerPath(questions::kExportFile, file);
        MainWindow w;
        w.selectProfile("firefox");
        trigger(w, "actionExport");
        QTRY_VERIFY(QFile::exists(file));
        const QJsonObject o = profilejson::parseObject(readFile(file));
        QVERIFY(!o.isEmpty());
        QVERIFY(!o.contains("extends"));
        QCOMPARE(profilejson::valueAt(o, "/resources/memory_max").toString(), QString("8G"));
    }

    void importRefusesInvalidProfiles() {
        ScriptedAsker asker;
        const QString file = home_->home() + "/bad.json";
        const QString orphan = home_->home() + "/orphan.json";
        QVERIFY(writeFile(file, R"({"version": 1, "resources": {"memory_max": "2 GB"}})"));
        QVERIFY(writeFile(orphan, R"({"version": 1, "extends": "nope"})"));
        asker.answerPath(questions::kImportFile, file);
        asker.answerPath(questions::kImportFile, orphan);
        asker.answer(questions::kActionFailed, "ok");
        asker.answer(questions::kActionFailed, "ok");
        MainWindow w;
        trigger(w, "actionImport");
        QTRY_VERIFY2(w.logPanel()->text().contains("is not a size"),
                     qPrintable(w.logPanel()->text()));
        // Said where it was done too, not only in the log dock (which may be hidden).
        QTRY_VERIFY(asker.asked.contains(questions::kActionFailed));
        QCOMPARE(asker.questions.last().title, QString("Cannot import bad.json"));
        QVERIFY2(asker.questions.last().informativeText.contains("is not a size"),
                 qPrintable(asker.questions.last().informativeText));
        QVERIFY(!w.profileModel()->entry("bad"));
        // Its parent must exist (the GUI used not to check).
        trigger(w, "actionImport");
        QTRY_VERIFY2(w.logPanel()->text().contains("orphan.json: /extends: no profile named "
                                                   "\"nope\""),
                     qPrintable(w.logPanel()->text()));
        QVERIFY(!QFile::exists(home_->profileDir() + "/orphan.json"));
        QVERIFY(asker.unexpected.isEmpty());
    }

    // Alt+letter reaches one thing: no two menus, tabs or buttons of the window share one.
    void mnemonicsAreUnique() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QHash<QChar, QStringList> by;
        auto add = [&by](const QString& text) {
            for (int i = 0; i + 1 < text.size(); ++i) {
                if (text[i] != QLatin1Char('&')) continue;
                if (text[i + 1] == QLatin1Char('&')) {
                    ++i;
                    continue;
                }
                by[text[i + 1].toLower()] << text;
                return;
            }
        };
        for (QAction* a : w.menuBar()->actions())
            add(a->text());
        for (QTabWidget* t : w.findChildren<QTabWidget*>())
            for (int i = 0; i < t->count(); ++i)
                add(t->tabText(i));
        for (QAbstractButton* b : w.findChildren<QAbstractButton*>())
            if (!qobject_cast<QToolButton*>(b)) add(b->text());
        QStringList clashes;
        for (auto it = by.cbegin(); it != by.cend(); ++it)
            if (it.value().size() > 1)
                clashes << QString("Alt+%1: %2").arg(it.key(), it.value().join(", "));
        QVERIFY2(clashes.isEmpty(), qPrintable(clashes.join("; ")));
        QVERIFY(!by.isEmpty());
    }

    // Keyboard only: arrows go from profile to profile over the group headers, a search with
    // one match selects it, Enter launches the selected profile.
    void keyboardWalksTheList() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        const QStringList all = w.visibleProfiles();
        QVERIFY(all.size() > 3);
        QCOMPARE(all.first(), QString("browser"));  // yours first: browser, mine
        QTreeView* list = w.profileView();
        list->setFocus();
        w.selectProfile("mine");
        QTest::keyClick(list, Qt::Key_Down);  // over the "built-in" header
        QCOMPARE(w.selectedProfile(), all.at(2));
        QVERIFY(!list->selectionModel()->selectedIndexes().isEmpty());
        QTest::keyClick(list, Qt::Key_Up);
        QCOMPARE(w.selectedProfile(), QString("mine"));
        QTest::keyClick(list, Qt::Key_Up);
        QTest::keyClick(list, Qt::Key_Up);  // at the top: stays on a profile
        QCOMPARE(w.selectedProfile(), QString("browser"));
        QVERIFY(!list->selectionModel()->selectedIndexes().isEmpty());
        QTest::keyClick(list, Qt::Key_End);
        QCOMPARE(w.selectedProfile(), all.last());

        // One match: selected.
        w.searchField()->setText("test profile");
        QCOMPARE(w.visibleProfiles(), QStringList{"mine"});
        QCOMPARE(w.selectedProfile(), QString("mine"));
        w.searchField()->clear();

        // Enter launches (a profile without a command asks for one: the launch dialog).
        ScriptedAsker asker;
        asker.answerText(questions::kLaunchCommand, std::nullopt);
        home_->writeProfile("nocmd", R"({"version": 1, "name": "nocmd"})");
        QTRY_VERIFY(w.profileModel()->entry("nocmd"));
        w.selectProfile("nocmd");
        list->setFocus();
        QTest::keyClick(list, Qt::Key_Return);
        QCOMPARE(asker.asked, QStringList{questions::kLaunchCommand});
    }

    // A small laptop screen, 1024x600: the main window and the editor fit (issue 22).
    void fitsA1024x600Screen() {
        // Files given to the profile's sandbox (`layerbox run -- ~/Downloads/x.sh` leaves one):
        // their list made the window's minimum 613 px high once.
        const lb::Paths paths = lb::Paths::fromEnvironment();
        for (const char* f : {"/tmp/a.pdf", "/tmp/b.png", "/tmp/c.txt", "/tmp/d.odt", "/tmp/e"})
            QVERIFY(lb::recordGrant(paths, "browser", {f, false}).ok());
        MainWindow w;
        QTRY_VERIFY(w.profileModel()->entry("browser"));
        w.selectProfile("browser");  // the longest summary of the built-in profiles
        QTRY_COMPARE(w.summary()->grantsList()->count(), 5);
        // What the window can shrink to, not only what a resize gave (a window manager will not
        // make a window smaller than its minimum; the test's resize alone missed 613 px).
        const QSize least = w.minimumSizeHint().expandedTo(w.minimumSize());
        QVERIFY2(least.width() <= 1024 && least.height() <= 600,
                 qPrintable(QString("minimum %1x%2").arg(least.width()).arg(least.height())));
        w.resize(1024, 600);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(w.width() <= 1024 && w.height() <= 600,
                 qPrintable(QString("%1x%2").arg(w.width()).arg(w.height())));
        QVERIFY(w.summary()->grantsList()->isVisible());
        // The Running view's empty text wraps inside the window (it ran off the right edge).
        auto* empty = w.findChild<QLabel*>("runningPlaceholder");
        QVERIFY(empty && empty->isVisible());
        const QRect emptyRect(empty->mapTo(&w, QPoint(0, 0)), empty->size());
        QVERIFY2(emptyRect.right() < w.width() && emptyRect.bottom() < w.height(),
                 qPrintable(QString("%1,%2 %3x%4")
                                .arg(emptyRect.x())
                                .arg(emptyRect.y())
                                .arg(emptyRect.width())
                                .arg(emptyRect.height())));
        QTRY_VERIFY2(empty->height() >= empty->heightForWidth(empty->width()),
                     qPrintable(QString("%1 of %2 px")
                                    .arg(empty->height())
                                    .arg(empty->heightForWidth(empty->width()))));
        // Every line of the summary is shown: each fact has the height its wrapped text needs
        // and ends inside the summary, which ends inside the window.
        ProfileSummary* summary = w.summary();
        QVERIFY(summary->isVisible());
        const QRect inWindow(summary->mapTo(&w, QPoint(0, 0)), summary->size());
        QVERIFY2(inWindow.bottom() < w.height(), qPrintable(QString::number(inWindow.bottom())));
        // (The log dock gives up height for it once the window has its size: QTRY.)
        for (int i = 0; i < 6; ++i) {
            auto* fact = summary->findChild<QLabel*>(QString("summaryFact%1").arg(i));
            QVERIFY(fact && fact->isVisible());
            QTRY_VERIFY2(fact->height() >= fact->heightForWidth(fact->width()),
                         qPrintable(QString("%1: %2 of %3 px for \"%4\"")
                                        .arg(i)
                                        .arg(fact->height())
                                        .arg(fact->heightForWidth(fact->width()))
                                        .arg(fact->text())));
            QVERIFY2(fact->geometry().bottom() < summary->height(), qPrintable(fact->text()));
        }
    }

    // The first run on a small screen: the window fits it (the default 1200x780 did not fit
    // 1024x600, and what lay beyond the screen's edge could not be reached).
    void firstRunFitsTheScreen() {
        MainWindow w;  // a new home: no saved geometry
        const QSize screen = w.screen()->availableGeometry().size();
        QVERIFY2(screen.width() < 1200 || screen.height() < 780,
                 "the test screen is as large as the default window: nothing to check");
        QVERIFY2(w.width() <= screen.width() && w.height() <= screen.height(),
                 qPrintable(QString("%1x%2 on %3x%4")
                                .arg(w.width())
                                .arg(w.height())
                                .arg(screen.width())
                                .arg(screen.height())));
    }

    // Keyboard users see where they are: a 2-pixel ring on the focused profile (contrasting
    // with the selection) and on the focused button.
    void focusIsVisible() {
        MainWindow w;
        QTRY_VERIFY(w.profileModel()->entry("mine"));
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        w.selectProfile("mine");
        QTreeView* list = w.profileView();
        const QRect item = list->visualRect(list->currentIndex());
        QVERIFY(item.isValid());
        const QPoint ringAt(item.left() + 1, item.center().y());
        auto pixel = [](QWidget* widget, QPoint at) {
            return widget->grab().toImage().pixelColor(at * widget->devicePixelRatioF());
        };
        list->setFocus();
        QTRY_VERIFY(list->hasFocus());
        QCOMPARE(pixel(list->viewport(), ringAt), list->palette().color(QPalette::HighlightedText));
        auto* edit = w.summary()->findChild<QWidget*>("summaryEdit");
        QVERIFY(edit && edit->isEnabled());
        const QPoint edge(1, edit->height() / 2);
        const QColor highlight = edit->palette().color(QPalette::Highlight);
        QVERIFY(pixel(edit, edge) != highlight);
        QVERIFY(pixel(list->viewport(), ringAt) ==
                list->palette().color(QPalette::HighlightedText));
        edit->setFocus();
        QTRY_VERIFY(edit->hasFocus());
        QCOMPARE(pixel(edit, edge), highlight);
        QVERIFY(pixel(list->viewport(), ringAt) !=
                list->palette().color(QPalette::HighlightedText));
    }

    // Help has the documentation, the system check and the keyboard shortcuts.
    void helpMenu() {
        MainWindow w;
        auto* help = w.menuBar()->findChild<QMenu*>("menuHelp");
        QVERIFY(help);
        QStringList names;
        for (QAction* a : help->actions())
            if (!a->isSeparator()) names << a->objectName();
        QCOMPARE(names,
                 (QStringList{"actionDocs", "actionShortcuts", "actionDoctor", "actionAbout"}));
        QVERIFY(MainWindow::docsFile().endsWith("/doc/layerbox/README.md"));
        ScriptedAsker asker;
        asker.answer(questions::kShortcuts, "ok");
        trigger(w, "actionShortcuts");
        QCOMPARE(asker.asked, QStringList{questions::kShortcuts});
        const QString text = asker.questions.first().text;
        for (const char* a : {"actionNew", "actionLaunch", "actionFind", "actionShowLog"})
            QVERIFY2(text.contains(w.action(a)->shortcut().toString(QKeySequence::NativeText)), a);
        QVERIFY(text.contains("Launch the selected profile"));
    }

    // Run Sandboxed pre-selects the profile that lets the program do least, not the one
    // selected in the window, and says what each one lets it reach.
    void runSandboxedDefaultsToTheSafest() {
        const QString file = home_->home() + "/script.sh";
        QVERIFY(writeFile(file, "#!/bin/sh\n"));
        MainWindow w;
        w.selectProfile("browser");  // network, a read-write ~/Downloads
        w.runSandboxed(file);
        QDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = w.findChild<QDialog*>("runFileDialog")) != nullptr);
        auto* combo = dialog->findChild<QComboBox*>("runProfile");
        QVERIFY(combo);
        QCOMPARE(combo->currentData().toString(), QString("default"));
        QVERIFY2(combo->currentText().contains("safest: nothing of yours, no network"),
                 qPrintable(combo->currentText()));
        const int b = combo->findData("browser");
        QVERIFY(b > 0);
        QVERIFY2(combo->itemText(b).contains("files of yours read-write, internet"),
                 qPrintable(combo->itemText(b)));
        dialog->reject();
    }

    void externalChangesShowUp() {
        MainWindow w;
        home_->writeProfile("later", R"({"version": 1, "name": "later"})");
        QTRY_VERIFY(w.profileModel()->entry("later"));
    }
};

QTEST_MAIN(TstGuiProfiles)
#include "tst_gui_profiles.moc"
