// The main window's profile list: built-in profiles apart from the user's, search, and
// Duplicate, Rename, Delete (asking), Import and Export.
#include <QAction>
#include <QLineEdit>
#include <QTreeView>
#include <QtTest>

#include "backend/profilejson.h"
#include "guitest.h"
#include "main/logpanel.h"
#include "main/mainwindow.h"
#include "main/profilelistmodel.h"
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
        MainWindow w;
        w.selectProfile("mine");
        trigger(w, "actionDuplicate");
        QVERIFY(w.profileModel()->entry("mine-copy"));
        QCOMPARE(w.selectedProfile(), QString("mine-copy"));
        auto copy = lb::loadProfile(store(), "mine-copy");
        QVERIFY(copy.ok());
        QCOMPARE(copy->title, std::string("Mine"));
        QCOMPARE(copy->name, std::string("mine-copy"));
        // A built-in one becomes yours.
        w.selectProfile("firefox");
        trigger(w, "actionDuplicate");
        QVERIFY(w.profileModel()->entry("fox"));
        QVERIFY(!w.profileModel()->entry("fox")->builtin);
        auto fox = lb::loadProfile(store(), "fox");
        QVERIFY(fox.ok());
        QCOMPARE(fox->command, std::vector<std::string>{"firefox-esr"});
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
        QVERIFY(w.logPanel()->text().contains("not a valid profile name"));
        QVERIFY(w.profileModel()->entry("mine"));
        trigger(w, "actionRename");
        QVERIFY(!w.profileModel()->entry("mine"));
        QVERIFY(w.profileModel()->entry("renamed"));
        QVERIFY(!QFile::exists(home_->profileDir() + "/mine.json"));
        auto p = lb::loadProfile(store(), "renamed");
        QVERIFY(p.ok());
        QCOMPARE(p->title, std::string("Mine"));
        // Its sandbox's data moved with it.
        QVERIFY(QFile::exists(home_->dataHome() + "/layerbox/sandboxes/renamed/upper/etc/marker"));
        QVERIFY(!QFile::exists(data));
    }

    void deleteAsks() {
        ScriptedAsker asker;
        asker.answer(questions::kDeleteProfile, "cancel");
        asker.answer(questions::kDeleteProfile, "delete");
        MainWindow w;
        w.selectProfile("mine");
        trigger(w, "actionDelete");
        QCOMPARE(asker.asked, QStringList{questions::kDeleteProfile});
        QVERIFY(QFile::exists(home_->profileDir() + "/mine.json"));
        trigger(w, "actionDelete");
        QCOMPARE(asker.asked.size(), 2);
        QVERIFY(!QFile::exists(home_->profileDir() + "/mine.json"));
        QVERIFY(!w.profileModel()->entry("mine"));
        // No sandbox data yet, so no offer to delete it.
        QVERIFY(asker.questions.first().checkBox.isEmpty());
        QVERIFY(asker.unexpected.isEmpty());
    }

    // Deleting your copy of a built-in profile brings the built-in back.
    void deleteOverrideRestoresBuiltin() {
        ScriptedAsker asker;
        asker.answer(questions::kDeleteProfile, "delete");
        MainWindow w;
        w.selectProfile("browser");
        trigger(w, "actionDelete");
        QVERIFY(w.profileModel()->entry("browser"));
        QVERIFY(w.profileModel()->entry("browser")->builtin);
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
        asker.answer(questions::kReplaceProfile, "cancel");
        const std::string before = lb::mergedProfileJson(store(), "mine", true).value();

        MainWindow w;
        w.selectProfile("mine");
        trigger(w, "actionExport");
        const QByteArray exported = readFile(file);
        QVERIFY(lb::validateProfileText(exported.toStdString(), "mine.json", "mine").empty());

        trigger(w, "actionDelete");
        QVERIFY(!w.profileModel()->entry("mine"));
        trigger(w, "actionImport");
        QVERIFY(w.profileModel()->entry("mine"));
        QCOMPARE(w.selectedProfile(), QString("mine"));
        QCOMPARE(lb::mergedProfileJson(store(), "mine", true).value(), before);
        // Importing over one of yours asks first.
        trigger(w, "actionImport");
        QVERIFY(asker.asked.contains(questions::kReplaceProfile));
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
        const QJsonObject o = profilejson::parseObject(readFile(file));
        QVERIFY(!o.isEmpty());
        QVERIFY(!o.contains("extends"));
        QCOMPARE(profilejson::valueAt(o, "/resources/memory_max").toString(), QString("8G"));
    }

    void importRefusesInvalidProfiles() {
        ScriptedAsker asker;
        const QString file = home_->home() + "/bad.json";
        QVERIFY(writeFile(file, R"({"version": 1, "resources": {"memory_max": "2 GB"}})"));
        asker.answerPath(questions::kImportFile, file);
        MainWindow w;
        trigger(w, "actionImport");
        QVERIFY(!w.profileModel()->entry("bad"));
        QVERIFY2(w.logPanel()->text().contains("is not a size"), qPrintable(w.logPanel()->text()));
    }

    void externalChangesShowUp() {
        MainWindow w;
        home_->writeProfile("later", R"({"version": 1, "name": "later"})");
        QTRY_VERIFY(w.profileModel()->entry("later"));
    }
};

QTEST_MAIN(TstGuiProfiles)
#include "tst_gui_profiles.moc"
