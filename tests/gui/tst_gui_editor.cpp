// The profile editor: the core's validation messages beside the controls, Save disabled while
// invalid, atomic and stale-checked saves, external edits noticed, unsaved changes never lost
// silently, and every control naming its JSON key.
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QTableWidget>
#include <QToolButton>
#include <QtTest>

#include <sys/stat.h>

#include "backend/layerboxclient.h"
#include "backend/profilejson.h"
#include "backend/profiles.h"
#include "dialogs/dialogasker.h"
#include "editor/editorpage.h"
#include "editor/profileeditor.h"
#include "editor/recordtable.h"
#include "guitest.h"
#include "profile/profile.h"
#include "profile/profile_store.h"
#include "testsupport.h"

using namespace lbtest;

namespace {

const QByteArray kProfile = R"({
  "version": 1,
  "name": "myapp",
  "title": "My app",
  "command": ["sh"],
  "network": { "mode": "nat" }
}
)";

ino_t inodeOf(const QString& path) {
    struct stat st;
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? st.st_ino : 0;
}

// The message the core gives for `value` at `pointer`, in a profile of its own.
QString coreMessage(const QString& pointer, const QJsonValue& value) {
    QJsonObject o{{"version", 1}};
    profilejson::setValueAt(o, pointer, value);
    const auto d = lb::validateProfileText(profilejson::toText(o).toStdString(), "x.json");
    for (const auto& diag : d)
        if (QString::fromStdString(diag.pointer).startsWith(pointer))
            return QString::fromStdString(diag.message);
    return {};
}

}  // namespace

class TstGuiEditor : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;
    std::unique_ptr<LayerboxClient> client_;
    QString path_;

    std::unique_ptr<ProfileEditor> open(const QString& name = "myapp") {
        auto e = std::make_unique<ProfileEditor>(client_.get(), name);
        e->show();
        return e;
    }
    template <class T>
    static T* control(ProfileEditor* e, const QString& pointer) {
        return e->findChild<T*>(pointer);
    }
    static QLabel* message(ProfileEditor* e, const QString& pointer) {
        return e->findChild<QLabel*>("message:" + pointer);
    }

private slots:
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
        home_->apply();
        client_ = std::make_unique<LayerboxClient>();
        home_->writeProfile("myapp", kProfile);
        path_ = home_->profileDir() + "/myapp.json";
    }
    void cleanup() {
        client_.reset();
        home_.reset();
    }

    void loadsTheProfile() {
        auto e = open();
        QVERIFY(!e->isReadOnly());
        QCOMPARE(control<QLineEdit>(e.get(), "/title")->text(), QString("My app"));
        QCOMPARE(control<QLineEdit>(e.get(), "/command")->text(), QString("sh"));
        QCOMPARE(control<QComboBox>(e.get(), "/network/mode")->currentData().toString(),
                 QString("nat"));
        // Defaults are shown for what the file does not say.
        QCOMPARE(control<QLineEdit>(e.get(), "/network/mtu")->text(), QString("65520"));
        QCOMPARE(control<QComboBox>(e.get(), "/filesystem/home")->currentData().toString(),
                 QString("private"));
        QVERIFY(!e->isModified());
        QVERIFY(!e->saveButton()->isEnabled());
        QVERIFY(e->problems().isEmpty());
    }

    // Every control of every page names the JSON key it sets, is named after it, has an
    // accessible name, and the key is one the core knows.
    void everyControlNamesItsKey() {
        auto e = open();
        int controls = 0;
        for (EditorPage* page : e->pages()) {
            for (const QString& pointer : page->pointers()) {
                QWidget* w = page->controlFor(pointer);
                QVERIFY(w);
                QCOMPARE(w->objectName(), pointer);
                QVERIFY2(w->toolTip().contains(pointer), qPrintable(pointer));
                QVERIFY2(!w->accessibleName().isEmpty(), qPrintable(pointer));
                QVERIFY2(profilejson::field(pointer), qPrintable(pointer));
                ++controls;
            }
        }
        QVERIFY(controls >= 45);
        // Every settable leaf of the format has a control (lists of objects as one table).
        for (const auto& f : profilejson::fields()) {
            if (f.kind == "object" || f.pointer.contains("/N/") || f.pointer == "/version" ||
                f.pointer == "/name" || f.pointer == "/extends")
                continue;
            bool found = false;
            for (EditorPage* page : e->pages())
                found = found || page->pointers().contains(f.pointer);
            QVERIFY2(found, qPrintable(f.pointer));
        }
    }

    // An invalid value shows the core's message beside its control and disables Save; fixing
    // it enables Save again.
    void invalidValueDisablesSave_data() {
        QTest::addColumn<QString>("pointer");
        QTest::addColumn<QString>("bad");
        QTest::addColumn<QJsonValue>("badJson");
        QTest::addColumn<QString>("good");
        QTest::newRow("memory 2 GB") << "/resources/memory_max"
                                     << "2 GB" << QJsonValue("2 GB") << "2G";
        QTest::newRow("mtu out of range") << "/network/mtu"
                                          << "70000" << QJsonValue(70000) << "1500";
        QTest::newRow("mtu not a number") << "/network/mtu"
                                          << "big" << QJsonValue("big") << "9000";
        QTest::newRow("cpu percent zero") << "/resources/cpu_percent"
                                          << "0" << QJsonValue(0) << "150";
        QTest::newRow("hostname") << "/network/hostname"
                                  << "-bad-" << QJsonValue("-bad-") << "good";
    }
    void invalidValueDisablesSave() {
        QFETCH(QString, pointer);
        QFETCH(QString, bad);
        QFETCH(QJsonValue, badJson);
        QFETCH(QString, good);
        const QString expected = coreMessage(pointer, badJson);
        QVERIFY2(!expected.isEmpty(), "the core accepts the bad value?");

        auto e = open();
        auto* edit = control<QLineEdit>(e.get(), pointer);
        QVERIFY(edit);
        QLabel* msg = message(e.get(), pointer);
        QVERIFY(msg);
        QVERIFY(msg->isHidden());

        // A valid change first: Save is enabled.
        control<QLineEdit>(e.get(), "/title")->setText("Renamed");
        QTRY_VERIFY(e->saveButton()->isEnabled());

        edit->setText(bad);
        QTRY_VERIFY(!e->saveButton()->isEnabled());
        QTRY_VERIFY(!msg->isHidden());
        QVERIFY2(msg->text().contains(expected), qPrintable(msg->text() + " / " + expected));
        QCOMPARE(e->problems().size(), 1);
        QVERIFY(e->problems().first().startsWith(pointer));
        QVERIFY(!e->save());  // refused while invalid
        QCOMPARE(readFile(path_), kProfile);

        edit->setText(good);
        QTRY_VERIFY(e->saveButton()->isEnabled());
        QVERIFY(msg->isHidden());
        QVERIFY(e->problems().isEmpty());
    }

    // A bind with a relative host path: the message is shown under the binds table and the
    // row is marked.
    void invalidBindHostPath() {
        auto e = open();
        auto* binds = control<RecordTable>(e.get(), "/filesystem/binds");
        QVERIFY(binds);
        binds->addRow();
        binds->setCellText(0, 0, "relative/path");
        QTRY_VERIFY(!message(e.get(), "/filesystem/binds")->isHidden());
        const QString expected =
            coreMessage("/filesystem/binds", QJsonArray{QJsonObject{{"host", "relative/path"}}});
        QVERIFY(!expected.isEmpty());
        QVERIFY2(message(e.get(), "/filesystem/binds")->text().contains(expected),
                 qPrintable(message(e.get(), "/filesystem/binds")->text()));
        QVERIFY(!e->saveButton()->isEnabled());
        QVERIFY(!binds->table()->item(0, 0)->icon().isNull());

        binds->setCellText(0, 0, "~/Music");
        QTRY_VERIFY(e->saveButton()->isEnabled());
        QVERIFY(message(e.get(), "/filesystem/binds")->isHidden());
        QVERIFY(binds->table()->item(0, 0)->icon().isNull());
        QVERIFY(e->save());
        auto loaded = lb::loadProfile(lb::ProfileStore(lb::Paths::fromEnvironment()), "myapp");
        QVERIFY(loaded.ok());
        QCOMPARE(loaded->filesystem.binds.size(), size_t(1));
        QVERIFY(QString::fromStdString(loaded->filesystem.binds[0].host).endsWith("/Music"));
        const QJsonObject o = profilejson::parseObject(readFile(path_));
        QCOMPARE(profilejson::valueAt(o, "/filesystem/binds/0/host").toString(),
                 QString("~/Music"));
    }

    // Rules across fields (checked on the merged profile) land on the right control too.
    void crossFieldRule() {
        auto e = open();
        control<QLineEdit>(e.get(), "/resources/memory_max")->setText("1G");
        control<QLineEdit>(e.get(), "/resources/memory_high")->setText("2G");
        QTRY_VERIFY(!message(e.get(), "/resources/memory_high")->isHidden());
        QVERIFY(message(e.get(), "/resources/memory_high")->text().contains("memory_max"));
        QVERIFY(!e->saveButton()->isEnabled());
    }

    // Saving writes the whole file at once (a new file renamed over the old one) and keeps
    // what the form does not show.
    void saveIsAtomic() {
        home_->writeProfile("myapp", R"({"$comment": "keep me", "version": 1, "name": "myapp",
                                        "title": "My app", "command": ["sh"]})");
        auto e = open();
        const ino_t before = inodeOf(path_);
        QSignalSpy saved(e.get(), &ProfileEditor::saved);
        control<QLineEdit>(e.get(), "/title")->setText("Renamed");
        control<QLineEdit>(e.get(), "/resources/memory_max")->setText("512M");
        QTRY_VERIFY(e->saveButton()->isEnabled());
        e->saveButton()->click();
        QCOMPARE(saved.count(), 1);
        QVERIFY(!e->isModified());
        QVERIFY(!e->saveButton()->isEnabled());
        QVERIFY(inodeOf(path_) != before);  // replaced, not rewritten in place
        const QStringList leftovers =
            QDir(home_->profileDir()).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot);
        QCOMPARE(leftovers.filter(QRegularExpression("^[^.].*\\.json$")),
                 QStringList{"myapp.json"});
        const QJsonObject o = profilejson::parseObject(readFile(path_));
        QCOMPARE(o.value("title").toString(), QString("Renamed"));
        QCOMPARE(o.value("$comment").toString(), QString("keep me"));
        QCOMPARE(profilejson::valueAt(o, "/resources/memory_max").toString(), QString("512M"));
        // Only what changed is written: no defaults spelled out.
        QVERIFY(!o.contains("network"));
        QVERIFY(
            lb::validateProfileText(readFile(path_).toStdString(), "myapp.json", "myapp").empty());
    }

    // A profile with a parent is saved as its differences from the parent.
    void extendsIsSavedAsOverrides() {
        home_->writeProfile("work", R"({"version": 1, "name": "work", "extends": "browser"})");
        auto e = open("work");
        QCOMPARE(control<QLineEdit>(e.get(), "/resources/memory_max")->text(), QString("4G"));
        control<QLineEdit>(e.get(), "/resources/memory_max")->setText("6G");
        QTRY_VERIFY(e->saveButton()->isEnabled());
        QVERIFY(e->save());
        const QJsonObject o =
            profilejson::parseObject(readFile(home_->profileDir() + "/work.json"));
        QCOMPARE(o.value("extends").toString(), QString("browser"));
        QCOMPARE(o.value("resources").toObject(), (QJsonObject{{"memory_max", "6G"}}));
        QCOMPARE(o.keys(), (QStringList{"extends", "name", "resources", "version"}));
    }

    // Editing a built-in profile saves the user's own copy, which extends it.
    void builtinIsSavedAsYourCopy() {
        auto e = open("firefox");
        QVERIFY(!e->isReadOnly());
        control<QComboBox>(e.get(), "/desktop/audio")->setCurrentIndex(0);  // none
        QTRY_VERIFY(e->saveButton()->isEnabled());
        QVERIFY(e->save());
        const QString mine = home_->profileDir() + "/firefox.json";
        const QJsonObject o = profilejson::parseObject(readFile(mine));
        QCOMPARE(o.value("extends").toString(), QString("firefox"));
        QCOMPARE(profilejson::valueAt(o, "/desktop/audio").toString(), QString("none"));
        auto loaded = lb::loadProfile(lb::ProfileStore(lb::Paths::fromEnvironment()), "firefox");
        QVERIFY(loaded.ok());
        QVERIFY(!loaded->builtin);
        QCOMPARE(loaded->desktop.audio, std::string("none"));
        QCOMPARE(loaded->command, std::vector<std::string>{"firefox-esr"});
        // A second save is relative to the built-in again, not to itself.
        control<QCheckBox>(e.get(), "/desktop/gpu")->setChecked(false);
        QTRY_VERIFY(e->saveButton()->isEnabled());
        QVERIFY(e->save());
        loaded = lb::loadProfile(lb::ProfileStore(lb::Paths::fromEnvironment()), "firefox");
        QVERIFY(loaded.ok());
        QCOMPARE(loaded->desktop.audio, std::string("none"));
        QVERIFY(!loaded->desktop.gpu);
    }

    // The file changes on disk while the editor is open: it asks, and reloads or keeps; kept
    // edits are not written over the other version without asking again.
    void externalEditIsNoticed_data() {
        QTest::addColumn<bool>("atomicWrite");
        QTest::addColumn<bool>("unsaved");
        QTest::newRow("rewritten in place, clean") << false << false;
        QTest::newRow("replaced by rename, clean") << true << false;
        QTest::newRow("rewritten in place, unsaved edits") << false << true;
        QTest::newRow("replaced by rename, unsaved edits") << true << true;
    }
    void externalEditIsNoticed() {
        QFETCH(bool, atomicWrite);
        QFETCH(bool, unsaved);
        const QByteArray theirs = R"({"version": 1, "name": "myapp", "title": "Theirs"})";
        auto writeTheirs = [&]() {
            if (atomicWrite) {
                QSaveFile f(path_);
                QVERIFY(f.open(QIODevice::WriteOnly));
                f.write(theirs);
                QVERIFY(f.commit());
            } else {
                QFile f(path_);
                QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
                f.write(theirs);
            }
        };

        // Reload: the editor shows their version.
        {
            ScriptedAsker asker;
            asker.answer(questions::kFileChanged, "reload");
            auto e = open();
            if (unsaved) control<QLineEdit>(e.get(), "/title")->setText("Mine");
            writeTheirs();
            QTRY_VERIFY(asker.asked.contains(questions::kFileChanged));
            QCOMPARE(control<QLineEdit>(e.get(), "/title")->text(), QString("Theirs"));
            QVERIFY(!e->isModified());
            QVERIFY(asker.unexpected.isEmpty());
        }
        home_->writeProfile("myapp", kProfile);
        // Keep: the editor keeps its version; Save asks before replacing theirs.
        {
            ScriptedAsker asker;
            asker.answer(questions::kFileChanged, "keep");
            asker.answer(questions::kOverwriteProfile, "cancel");
            asker.answer(questions::kOverwriteProfile, "overwrite");
            auto e = open();
            if (unsaved) control<QLineEdit>(e.get(), "/title")->setText("Mine");
            writeTheirs();
            QTRY_VERIFY(asker.asked.contains(questions::kFileChanged));
            QCOMPARE(control<QLineEdit>(e.get(), "/title")->text(),
                     unsaved ? QString("Mine") : QString("My app"));
            QVERIFY(e->isModified());
            QVERIFY(e->saveButton()->isEnabled());
            QVERIFY(!e->save());                // cancelled
            QCOMPARE(readFile(path_), theirs);  // not silently overwritten
            QVERIFY(e->save());                 // replaced, having asked
            QCOMPARE(asker.asked.count(questions::kOverwriteProfile), 2);
            QCOMPARE(profilejson::parseObject(readFile(path_)).value("title").toString(),
                     unsaved ? QString("Mine") : QString("My app"));
            QVERIFY(asker.unexpected.isEmpty());
        }
    }

    // The editor's own save does not count as a change on disk.
    void ownSaveIsNotAnExternalEdit() {
        ScriptedAsker asker;
        auto e = open();
        control<QLineEdit>(e.get(), "/title")->setText("Mine");
        QTRY_VERIFY(e->saveButton()->isEnabled());
        QVERIFY(e->save());
        QTest::qWait(300);  // give the file watcher its chance to (wrongly) complain
        QVERIFY(asker.asked.isEmpty());
    }

    // Closing with unsaved changes asks; cancel keeps the window open, discard closes it
    // without writing, save writes and closes.
    void closeAsks_data() {
        QTest::addColumn<QString>("choice");
        QTest::addColumn<bool>("closes");
        QTest::addColumn<QString>("titleOnDisk");
        QTest::newRow("cancel") << "cancel" << false << "My app";
        QTest::newRow("discard") << "discard" << true << "My app";
        QTest::newRow("save") << "save" << true << "Mine";
    }
    void closeAsks() {
        QFETCH(QString, choice);
        QFETCH(bool, closes);
        QFETCH(QString, titleOnDisk);
        ScriptedAsker asker;
        asker.answer(questions::kSaveChanges, choice);
        auto e = open();
        QVERIFY(QTest::qWaitForWindowExposed(e.get()));
        control<QLineEdit>(e.get(), "/title")->setText("Mine");
        QCOMPARE(e->close(), closes);
        QCOMPARE(e->isVisible(), !closes);
        QCOMPARE(asker.asked, QStringList{questions::kSaveChanges});
        QCOMPARE(profilejson::parseObject(readFile(path_)).value("title").toString(), titleOnDisk);
        if (!closes) QCOMPARE(control<QLineEdit>(e.get(), "/title")->text(), QString("Mine"));
    }

    // While a field is invalid the prompt offers no Save, so it must not ask to save; Enter
    // keeps the editor open.
    void closeWhileInvalidDoesNotOfferSave() {
        ScriptedAsker asker;
        asker.answer(questions::kSaveChanges, "cancel");
        auto e = open();
        QVERIFY(QTest::qWaitForWindowExposed(e.get()));
        control<QLineEdit>(e.get(), "/network/mtu")->setText("big");
        QTRY_VERIFY(!e->saveButton()->isEnabled());
        QVERIFY(!e->close());
        QCOMPARE(asker.asked, QStringList{questions::kSaveChanges});
        const Question& q = asker.questions.first();
        QStringList ids;
        for (const Choice& c : q.choices)
            ids << c.id;
        QCOMPARE(ids, (QStringList{"discard", "cancel"}));
        QCOMPARE(q.defaultChoice, QString("cancel"));
        QVERIFY2(!q.text.startsWith("Save"), qPrintable(q.text));
        QVERIFY2(q.text.contains("cannot be saved"), qPrintable(q.text));
    }

    // While a field is invalid the JSON page shows what Save would write: the file with the
    // changed fields, not the expanded profile.
    void jsonWhileInvalidIsTheFile() {
        auto e = open();
        auto* json = e->findChild<QPlainTextEdit*>("jsonPreview");
        QVERIFY(json);
        control<QLineEdit>(e.get(), "/network/mtu")->setText("big");
        QTRY_VERIFY(!e->saveButton()->isEnabled());
        const QJsonObject shown = profilejson::parseObject(json->toPlainText().toUtf8());
        QCOMPARE(shown.keys(), (QStringList{"command", "name", "network", "title", "version"}));
        QCOMPARE(shown.value("network").toObject(), (QJsonObject{{"mode", "nat"}, {"mtu", "big"}}));
        QVERIFY(e->findChild<QLabel*>("jsonPath")->text().contains("once the problems are fixed"));
        // Valid again: the same shape, and Save writes exactly that.
        control<QLineEdit>(e.get(), "/network/mtu")->setText("9000");
        QTRY_VERIFY(e->saveButton()->isEnabled());
        const QString pending = json->toPlainText();
        QVERIFY(e->save());
        QCOMPARE(QString::fromUtf8(readFile(path_)), pending);
    }

    void closeWithoutChangesDoesNotAsk() {
        ScriptedAsker asker;
        auto e = open();
        QVERIFY(e->close());
        QVERIFY(asker.asked.isEmpty());
    }

    // What this host can enforce is shown beside the settings that depend on it.
    void showsHostCapabilities() {
        auto e = open();
        QVERIFY(!e->findChild<QLabel*>("limitsNote")->text().isEmpty());
        QVERIFY(!e->findChild<QLabel*>("driverNote")->text().isEmpty());
        auto* tag = e->findChild<QLabel*>("enforced:memory_max");
        QTRY_VERIFY_WITH_TIMEOUT(!tag->text().isEmpty(), 30000);  // doctor has answered
        QVERIFY2(tag->text() == "enforced here" || tag->text() == "not enforced here",
                 qPrintable(tag->text()));
        QVERIFY2(!e->findChild<QLabel*>("driverNote")->text().contains("Asking"),
                 qPrintable(e->findChild<QLabel*>("driverNote")->text()));
    }

    // A file that does not parse is shown, not edited (and not overwritten).
    // What only NAT uses (the core's list, the one its validator refuses from) is disabled,
    // saying why, while the mode is "none"; a refused value stays editable so it can go.
    void natOnlyFieldsFollowTheMode() {
        const auto natOnly = profiles::natOnlyFields();
        QVERIFY(natOnly.size() >= 3);
        auto e = open();
        auto* mode = control<QComboBox>(e.get(), "/network/mode");
        for (const auto& f : natOnly)
            QVERIFY2(e->findChild<QWidget*>(f.pointer)->isEnabled(), qPrintable(f.pointer));
        mode->setCurrentIndex(mode->findData("none"));
        for (const auto& f : natOnly) {
            QWidget* w = e->findChild<QWidget*>(f.pointer);
            QVERIFY2(!w->isEnabled(), qPrintable(f.pointer));
            QVERIFY2(w->toolTip().contains("Only with Mode NAT"), qPrintable(w->toolTip()));
            QVERIFY2(w->toolTip().contains(f.pointer), qPrintable(f.pointer));  // still named
        }
        QVERIFY(control<QLineEdit>(e.get(), "/network/hostname")->isEnabled());
        mode->setCurrentIndex(mode->findData("nat"));
        for (const auto& f : natOnly)
            QVERIFY2(e->findChild<QWidget*>(f.pointer)->isEnabled(), qPrintable(f.pointer));
        QVERIFY(!control<QWidget>(e.get(), "/network/ports")->toolTip().contains("Only with"));

        // Port forwards with "none": the table stays editable and says what is wrong.
        home_->writeProfile("fwd", R"({"version": 1, "name": "fwd", "network": {"mode": "none",
            "ports": [{"host": 8080, "sandbox": 80}]}})");
        auto f = open("fwd");
        auto* ports = control<RecordTable>(f.get(), "/network/ports");
        QVERIFY(ports->isEnabled());
        QVERIFY(!message(f.get(), "/network/ports")->isHidden());
        QVERIFY(!control<QWidget>(f.get(), "/network/allow_domains")->isEnabled());
        ports->table()->selectRow(0);
        ports->removeSelectedRows();
        QVERIFY(!ports->isEnabled());
        f->validateNow();
        QVERIFY(f->problems().isEmpty());
    }

    // A profile that extends another shows which values it inherits, and each value set here
    // can be reset to the parent's: Save then writes no key for it.
    void inheritedValuesAreMarkedAndReset() {
        home_->writeProfile("work", R"({"version": 1, "name": "work", "extends": "browser",
            "resources": {"memory_max": "6G"}})");
        auto e = open("work");
        EditorPage* resources = e->page("resourcesPage");
        EditorPage* network = e->page("networkPage");
        QVERIFY(resources && network);
        auto* max = control<QLineEdit>(e.get(), "/resources/memory_max");
        QCOMPARE(max->text(), QString("6G"));
        QVERIFY(!resources->isInherited("/resources/memory_max"));
        QVERIFY(!max->font().italic());
        QVERIFY(!resources->resetButton("/resources/memory_max")->isHidden());
        // memory_high comes from browser (3G); the mode from browser too.
        QVERIFY(resources->isInherited("/resources/memory_high"));
        QVERIFY(control<QLineEdit>(e.get(), "/resources/memory_high")->font().italic());
        QVERIFY(control<QLineEdit>(e.get(), "/resources/memory_high")
                    ->toolTip()
                    .contains("Inherited from browser"));
        QVERIFY(resources->resetButton("/resources/memory_high")->isHidden());
        QVERIFY(network->isInherited("/network/mode"));

        // A change makes a value local; Reset takes the parent's back.
        control<QLineEdit>(e.get(), "/network/mtu")->setText("1500");
        e->validateNow();
        QVERIFY(!network->isInherited("/network/mtu"));
        QVERIFY(!network->resetButton("/network/mtu")->isHidden());
        network->resetButton("/network/mtu")->click();
        QCOMPARE(control<QLineEdit>(e.get(), "/network/mtu")->text(), QString("65520"));
        resources->resetButton("/resources/memory_max")->click();
        QCOMPARE(max->text(), QString("4G"));
        e->validateNow();
        QVERIFY(resources->isInherited("/resources/memory_max"));
        QVERIFY(max->font().italic());
        QVERIFY(resources->resetButton("/resources/memory_max")->isHidden());
        QVERIFY(e->saveButton()->isEnabled());
        QVERIFY(e->save());
        const QJsonObject o =
            profilejson::parseObject(readFile(home_->profileDir() + "/work.json"));
        QCOMPARE(o.keys(), (QStringList{"extends", "name", "version"}));

        // A profile with no parent inherits nothing: no marks, no Reset.
        auto own = open();
        EditorPage* ownNet = own->page("networkPage");
        QVERIFY(!ownNet->isInherited("/network/mtu"));
        QVERIFY(!control<QLineEdit>(own.get(), "/network/mtu")->font().italic());
        QVERIFY(ownNet->resetButton("/network/mode")->isHidden());
    }

    // Bind paths can be chosen with a folder or file picker (a path in the home written as
    // ~/...), into the selected row when its host path is empty, else into a new row.
    void bindPathPicker() {
        const QString dir = QDir::homePath() + "/Projects/site";
        QVERIFY(QDir().mkpath(dir));
        ScriptedAsker asker;
        asker.answerPath(questions::kBindFolder, dir);
        asker.answerPath(questions::kBindFile, "/usr/share/common-licenses/GPL-2");
        auto e = open();
        e->showPage("filesPage");
        auto* binds = control<RecordTable>(e.get(), "/filesystem/binds");
        auto* folder = e->findChild<QPushButton*>("pickBindFolder");
        auto* file = e->findChild<QPushButton*>("pickBindFile");
        QVERIFY(folder && file);
        folder->click();
        QCOMPARE(asker.asked, QStringList{questions::kBindFolder});
        QCOMPARE(binds->rowCount(), 1);
        QCOMPARE(binds->cellText(0, 0), QString("~/Projects/site"));
        e->validateNow();
        QVERIFY2(e->problems().isEmpty(), qPrintable(e->problems().join("; ")));
        QCOMPARE(profilejson::valueAt(profilejson::parseObject(e->pendingText().toUtf8()),
                                      "/filesystem/binds/0/host")
                     .toString(),
                 QString("~/Projects/site"));
        // The current row has a host path: a file goes into a new row, outside the home as is.
        binds->table()->setCurrentCell(0, 0);
        file->click();
        QCOMPARE(binds->rowCount(), 2);
        QCOMPARE(binds->cellText(1, 0), QString("/usr/share/common-licenses/GPL-2"));
        // An empty row that is selected gets the path.
        binds->addRow();
        binds->table()->setCurrentCell(2, 0);
        asker.answerPath(questions::kBindFolder, QDir::homePath());
        folder->click();
        QCOMPARE(binds->rowCount(), 3);
        QCOMPARE(binds->cellText(2, 0), QString("~"));
        // Cancelled: nothing changes.
        asker.answerPath(questions::kBindFolder, QString());
        folder->click();
        QCOMPARE(binds->rowCount(), 3);
        QVERIFY(asker.unexpected.isEmpty());
    }

    void brokenFileIsReadOnly() {
        home_->writeProfile("myapp", "{ not json");
        auto e = open();
        QVERIFY(e->isReadOnly());
        QVERIFY(!e->saveButton()->isEnabled());
        QVERIFY(e->statusLabel()->text().contains("cannot be edited"));
        QVERIFY(!e->save());
        QCOMPARE(readFile(path_), QByteArray("{ not json"));
    }
};

QTEST_MAIN(TstGuiEditor)
#include "tst_gui_editor.moc"
