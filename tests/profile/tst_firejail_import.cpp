// Importing Firejail profiles (issue 24): golden tests of Firejail's reading and order rules on
// made-up profiles (noblacklist before and after its blacklist, a .local override, nested
// includes, conditions, whitelists), every profile of the installed firejail-profiles package
// converted and validated (the summary goes to build/artifacts/firejail-import-summary.md), and
// `layerbox profile import-firejail` end to end.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>
#include <map>

#include "base/fsutil.h"
#include "profile/firejail/firejail_convert.h"
#include "profile/firejail/firejail_reader.h"
#include "profile/profile.h"
#include "testsupport.h"

using namespace lb;
using namespace lb::firejail;

class TstFirejailImport : public QObject {
    Q_OBJECT

private slots:
    void init();
    void noblacklistOrder();
    void localOverride();
    void nestedIncludes();
    void conditions();
    void whitelists();
    void protocolAndMemory();
    void readErrors();
    void includeCacheParsesSharedFilesOnce();
    void everyInstalledProfile();
    void importCommand();

private:
    std::unique_ptr<QTemporaryDir> dir_;
    Environment env_;
    void write(const QString& rel, const QByteArray& text) {
        QString p = dir_->path() + "/" + rel;
        QDir().mkpath(QFileInfo(p).path());
        QVERIFY(lbtest::writeFile(p, text));
    }
    Conversion run(const std::string& name) {
        auto r = readProfile(env_, name);
        if (!r) qFatal("%s", r.error().message().c_str());
        auto c = convert(*r, env_, {"t-" + name, name});
        if (!c) qFatal("%s", c.error().message().c_str());
        // Every result is a valid profile.
        auto diags = validateProfileText(c->profileJson, "t-" + name + ".json", "t-" + name);
        if (!diags.empty()) qFatal("%s", diags.front().text().c_str());
        return *c;
    }
    static QStringList lines(const ReadResult& r) {
        QStringList out;
        for (const auto& l : r.lines)
            out << QString::fromStdString(l.file + ":" + std::to_string(l.line) + ": " + l.text);
        for (const auto& l : r.skipped)
            out << QString::fromStdString("skipped " + l.file + ":" + std::to_string(l.line));
        for (const auto& f : r.files)
            out << QString::fromStdString("read " + f);
        for (const auto& f : r.missingLocal)
            out << QString::fromStdString("missing " + f);
        return out;
    }
    static QStringList q(const std::vector<std::string>& v) {
        QStringList out;
        for (const auto& s : v)
            out << QString::fromStdString(s);
        return out;
    }
    static QString outcomeOf(const Conversion& c, const std::string& text) {
        for (const auto& it : c.report)
            if (it.text == text) return outcomeName(it.outcome);
        return "absent";
    }
};

void TstFirejailImport::init() {
    dir_ = std::make_unique<QTemporaryDir>();
    QVERIFY(dir_->isValid());
    std::string d = dir_->path().toStdString();
    env_ = {};
    env_.home = d + "/home";
    env_.userDir = d + "/home/.config/firejail";
    env_.systemDir = d + "/etc";
    env_.runUser = "/run/user/4242";
    env_.pathDirs = {"/usr/local/bin", "/usr/bin"};
    env_.xdgDirs["DOWNLOADS"] = env_.home + "/Downloads";
    env_.config = {{"browser-disable-u2f", true}, {"browser-allow-drm", false}};
    QDir().mkpath(QString::fromStdString(env_.home + "/Downloads"));
}

// fs.c: a noblacklist spares only the blacklists read after it.
void TstFirejailImport::noblacklistOrder() {
    write("etc/a.profile",
          "# comment\n"
          "noblacklist /opt/fjt/keep\n"
          "blacklist   /opt/fjt/keep   # spared: the noblacklist came first\n"
          "blacklist /opt/fjt/gone\n"
          "noblacklist /opt/fjt/gone\n"
          "noblacklist /opt/fjt/g*\n"
          "blacklist /opt/fjt/glob\n"
          "blacklist ${PATH}/fjt-tool\n");
    auto c = run("a");
    QCOMPARE(q(c.hidden),
             QStringList({"/opt/fjt/gone", "/usr/local/bin/fjt-tool", "/usr/bin/fjt-tool"}));
    QCOMPARE(outcomeOf(c, "blacklist /opt/fjt/keep"), QString("mapped"));
}

// The .local a profile includes first is read before the rest: its ignore drops later lines,
// its noblacklist spares later blacklists. The user's folder is searched before the system's.
void TstFirejailImport::localOverride() {
    write("etc/b.profile",
          "include b.local\n"
          "include globals.local\n"  // missing: skipped, as Firejail does
          "blacklist /opt/fjt/x\n"
          "blacklist /opt/fjt/y\n"
          "nosound\n"
          "net none\n");
    write("etc/b.local", "blacklist /opt/fjt/system-local\n");
    write("home/.config/firejail/b.local", "ignore nosound\nnoblacklist /opt/fjt/x\n");
    auto c = run("b");
    QCOMPARE(q(c.hidden), QStringList({"/opt/fjt/y"}));
    QVERIFY(c.profileJson.find("\"audio\": \"pulseaudio\"") != std::string::npos);
    QVERIFY(c.profileJson.find("\"mode\": \"none\"") != std::string::npos);
    QCOMPARE(outcomeOf(c, "nosound"), QString("skipped"));
    // A whole profile in the user's folder shadows the system's.
    write("home/.config/firejail/b.profile", "blacklist /opt/fjt/user\n");
    QCOMPARE(q(run("b").hidden), QStringList({"/opt/fjt/user"}));
}

void TstFirejailImport::nestedIncludes() {
    write("etc/c.profile", "include c1.inc\nblacklist /opt/fjt/after\n");
    write("etc/c1.inc", "include c1.local\nnoblacklist /opt/fjt/spared\ninclude c2.inc\n");
    write("etc/c2.inc", "include ${CFG}/c3.inc\nblacklist /opt/fjt/spared\n");
    write("etc/c3.inc", "blacklist /opt/fjt/deep\n");
    auto r = readProfile(env_, "c");
    QVERIFY(r);
    QCOMPARE(r->files.size(), size_t(4));
    auto c = run("c");
    QCOMPARE(q(c.hidden), QStringList({"/opt/fjt/deep", "/opt/fjt/after"}));
}

// A condition sees the directives read before it (Firejail acts on each as it reads it).
void TstFirejailImport::conditions() {
    write("etc/d.profile",
          "?HAS_NOSOUND: blacklist /opt/fjt/before\n"
          "nosound\n"
          "?HAS_NOSOUND: blacklist /opt/fjt/after\n"
          "?HAS_APPIMAGE: blacklist /opt/fjt/appimage\n"
          "?BROWSER_DISABLE_U2F: blacklist /opt/fjt/u2f\n"
          "?BROWSER_ALLOW_DRM: blacklist /opt/fjt/drm\n");
    auto c = run("d");
    QCOMPARE(q(c.hidden), QStringList({"/opt/fjt/after", "/opt/fjt/u2f"}));
    QCOMPARE(outcomeOf(c, "?HAS_NOSOUND: blacklist /opt/fjt/before"), QString("skipped"));
}

// protocol is one list augmented across lines and includes (profile_list_augment): "x" and "+x"
// add, "-x" removes, "=x" starts over. Families Layerbox never allows are dropped (stricter).
// memory-deny-write-execute maps to the profile field of the same meaning.
void TstFirejailImport::protocolAndMemory() {
    auto security = [this](const std::string& name) {
        auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(run(name).profileJson));
        return doc.object()["security"].toObject();
    };
    write("etc/p.profile",
          "include p.inc\n"
          "protocol -netlink,+inet6\n"
          "memory-deny-write-execute\n");
    write("etc/p.inc", "protocol unix,inet,netlink,packet\n");
    auto sec = security("p");
    QCOMPARE(sec["socket_families"].toVariant().toStringList(),
             QStringList({"unix", "inet", "inet6"}));
    QCOMPARE(sec["memory_deny_write_execute"].toBool(), true);
    auto c = run("p");
    QCOMPARE(outcomeOf(c, "protocol unix,inet,netlink,packet"), QString("stricter"));
    QCOMPARE(outcomeOf(c, "protocol -netlink,+inet6"), QString("mapped"));
    QCOMPARE(outcomeOf(c, "memory-deny-write-execute"), QString("mapped"));
    // "=" starts over; no protocol line at all leaves the field out (every family).
    write("etc/q.profile", "protocol unix,inet\nprotocol =inet6\n");
    QCOMPARE(security("q")["socket_families"].toVariant().toStringList(), QStringList({"inet6"}));
    write("etc/r.profile", "net none\n");
    QVERIFY(!security("r").contains("socket_families"));
    // A browser's own sandbox (caps.keep sys_admin,sys_chroot, as chromium-common.profile):
    // no capability, but new user namespaces; not with restrict-namespaces, nor by default.
    write("etc/cb.profile", "caps.keep sys_admin,sys_chroot\n");
    QCOMPARE(security("cb")["nested_sandboxes"].toBool(), true);
    write("etc/cr.profile", "caps.keep sys_admin,sys_chroot\nrestrict-namespaces\n");
    QVERIFY(!security("cr").contains("nested_sandboxes"));
    write("etc/cn.profile", "caps.keep net_raw\n");
    QVERIFY(!security("cn").contains("nested_sandboxes"));
    // private-etc lines are joined into one list; a name with '/' is left out (stricter).
    write("etc/s.profile", "private-etc fonts,passwd\nprivate-etc ssl,fonts,a/b\n");
    auto s = run("s");
    auto fs = QJsonDocument::fromJson(QByteArray::fromStdString(s.profileJson))
                  .object()["filesystem"]
                  .toObject();
    QCOMPARE(fs["private_etc"].toVariant().toStringList(), QStringList({"fonts", "passwd", "ssl"}));
    QCOMPARE(outcomeOf(s, "private-etc fonts,passwd"), QString("mapped"));
    QCOMPARE(outcomeOf(s, "private-etc ssl,fonts,a/b"), QString("stricter"));
    QVERIFY(!QJsonDocument::fromJson(QByteArray::fromStdString(run("r").profileJson))
                 .object()["filesystem"]
                 .toObject()
                 .contains("private_etc"));
}

// Home whitelists become binds (the rest of the home is private); nowhitelist spares later
// whitelists; read-only makes a bind read-only; a blacklist inside a bind hides; a blacklist
// elsewhere in the home is stricter (the private home does not have it).
void TstFirejailImport::whitelists() {
    write("etc/e.profile",
          "nowhitelist ${HOME}/.nope\n"
          "whitelist ${HOME}/.nope\n"
          "mkdir ${HOME}/.app\n"
          "whitelist ${HOME}/.app\n"
          "whitelist-ro ${DOWNLOADS}\n"
          "whitelist ${MUSIC}\n"
          "blacklist ${HOME}/.app/secret\n"
          "blacklist ${HOME}/.ssh\n"
          "whitelist /usr/share/fjt\n"
          "x11 none\n"
          "dbus-user filter\n"
          "dbus-user.talk org.example.A\n"
          "dbus-user.own org.example.B\n"
          "seccomp !chroot,bogus_call,ptrace\n"
          "env FOO=bar baz\n");
    auto c = run("e");
    QCOMPARE(q(c.binds), QStringList({"~/.app ~/.app rw", "~/Downloads ~/Downloads ro"}));
    QCOMPARE(q(c.hidden), QStringList({"~/.app/secret"}));
    QCOMPARE(outcomeOf(c, "whitelist ${HOME}/.nope"), QString("mapped"));
    QCOMPARE(outcomeOf(c, "whitelist ${MUSIC}"), QString("stricter"));
    QCOMPARE(outcomeOf(c, "blacklist ${HOME}/.ssh"), QString("stricter"));
    QCOMPARE(outcomeOf(c, "whitelist /usr/share/fjt"), QString("not-mapped"));
    const QJsonObject j =
        QJsonDocument::fromJson(QByteArray::fromStdString(c.profileJson)).object();
    QCOMPARE(j["filesystem"]["binds"][0]["create"].toBool(), true);
    QCOMPARE(j["desktop"]["x11"].toString(), QString("off"));
    QCOMPARE(j["desktop"]["dbus"]["talk"][0].toString(), QString("org.example.A"));
    QCOMPARE(j["desktop"]["dbus"]["own"][0].toString(), QString("org.example.B"));
    QCOMPARE(j["security"]["allow_syscalls"][0].toString(), QString("chroot"));
    QCOMPARE(j["security"]["deny_syscalls"][0].toString(), QString("ptrace"));
    QCOMPARE(j["environment"]["set"]["FOO"].toString(), QString("bar baz"));
}

void TstFirejailImport::readErrors() {
    write("etc/f.profile", "include missing.inc\n");
    write("etc/g.profile", "?NO_SUCH: nosound\n");
    write("etc/h.profile", "?HAS_X11: include x.inc\n");  // x11 not set: not looked at
    write("etc/j.profile", "x11 none\n?HAS_X11: include x.inc\n");
    write("etc/i.profile", "include i.profile\n");  // includes itself: too deep
    QVERIFY(readProfile(env_, "h"));
    for (const char* n : {"f", "g", "i"}) {
        auto r = readProfile(env_, n);
        QVERIFY2(!r, n);
        QVERIFY2(r.error().message().find(std::string(n) + ".profile:1:") != std::string::npos,
                 r.error().message().c_str());
    }
    auto j = readProfile(env_, "j");
    QVERIFY(!j);
    QVERIFY2(j.error().message().find("j.profile:2:") != std::string::npos,
             j.error().message().c_str());
    auto r = readProfile(env_, "firefix");
    QVERIFY(!r);
}

// Every profile of the installed firejail-profiles package: at least 98 % convert, every
// result validates; the count of each directive's outcomes goes to the summary.
// import --all and desktop setup read many profiles with one IncludeCache: the same result,
// but each included file parsed once (a change on disk meanwhile is not seen, which shows it).
void TstFirejailImport::includeCacheParsesSharedFilesOnce() {
    write("etc/shared.inc", "blacklist /opt/fjt/shared\ninclude deeper.inc\n");
    write("etc/deeper.inc", "?HAS_NET: blacklist /opt/fjt/net\nblacklist /opt/fjt/deeper\n");
    write("etc/p1.profile", "include p1.local\nnet none\ninclude shared.inc\n");
    write("etc/p2.profile", "include shared.inc\nblacklist /opt/fjt/p2\n");
    IncludeCache cache;
    for (const char* p : {"p1", "p2"}) {
        auto plain = readProfile(env_, p);
        auto cached = readProfile(env_, p, &cache);
        QVERIFY(plain && cached);
        QCOMPARE(lines(*cached), lines(*plain));
    }
    // Included files only (not the profiles asked for), a missing .local too; each once.
    QStringList kept;
    for (const auto& [path, f] : cache.files)
        kept << QString::fromStdString(baseName(path)) + (f.failed ? " (missing)" : "");
    kept.sort();
    QCOMPARE(kept, QStringList({"deeper.inc", "p1.local (missing)", "shared.inc"}));
    // The condition in the shared file is decided per profile, not cached.
    QVERIFY(lines(readProfile(env_, "p1", &cache).value()).join('\n').contains("/opt/fjt/net"));
    QVERIFY(!lines(readProfile(env_, "p2", &cache).value())
                 .join('\n')
                 .contains("blacklist /opt/fjt/net"));
    write("etc/shared.inc", "blacklist /opt/fjt/changed\n");
    QVERIFY(lines(readProfile(env_, "p2", &cache).value()).join('\n').contains("/opt/fjt/shared"));
    QVERIFY(lines(readProfile(env_, "p2").value()).join('\n').contains("/opt/fjt/changed"));
}

void TstFirejailImport::everyInstalledProfile() {
    Environment env = Environment::fromSystem();
    env.home = dir_->path().toStdString() + "/home";  // nobody's real home
    env.userDir = env.home + "/.config/firejail";
    auto names = installedProfiles(env);
    QVERIFY2(names.size() > 1000,
             "firejail-profiles is not installed (scripts/deps.sh installs it)");
    std::map<std::string, std::map<std::string, int>> perDirective;
    int ok = 0;
    QStringList failed;
    IncludeCache cache;  // as import --all reads them: the same result for every profile
    for (const auto& n : names) {
        auto r = readProfile(env, n);
        auto rc = readProfile(env, n, &cache);
        QCOMPARE(bool(rc), bool(r));
        if (r) QCOMPARE(lines(*rc), lines(*r));
        if (!r) {
            failed << QString::fromStdString(n + ": " + r.error().message());
            continue;
        }
        std::string name = "fj-" + profileNameFrom(n);
        name.resize(std::min<size_t>(name.size(), 64));
        auto c = convert(*r, env, {name, n});
        QVERIFY2(c, n.c_str());
        auto diags = validateProfileText(c->profileJson, name + ".json", name);
        QVERIFY2(diags.empty(), (n + ": " + (diags.empty() ? "" : diags[0].text())).c_str());
        ++ok;
        for (const auto& it : c->report)
            ++perDirective[it.directive][outcomeName(it.outcome)];
    }
    const double share = 100.0 * ok / names.size();
    qInfo("%d of %zu profiles imported (%.1f %%); failed: %s", ok, names.size(), share,
          qPrintable(failed.join("; ")));
    QVERIFY(share >= 98.0);

    QString md =
        "# Importing Firejail's profiles: summary\n\n"
        "Generated by tests/profile/tst_firejail_import.cpp (everyInstalledProfile) "
        "from the firejail-profiles package installed on the test machine.\n\n" +
        QString(
            "%1 of %2 profiles import (%3 %); a result always passes `layerbox "
            "profile validate`.\n")
            .arg(ok)
            .arg(names.size())
            .arg(share, 0, 'f', 1);
    if (!failed.isEmpty())
        md += "\nNot imported (Firejail refuses them too):\n\n- " + failed.join("\n- ") + "\n";
    md +=
        "\nDirective uses over all profiles (includes resolved), by outcome:\n\n"
        "| directive | mapped | stricter | not mapped | skipped |\n|---|---:|---:|---:|---:|\n";
    for (const auto& [d, counts] : perDirective) {
        auto n = [&](const char* k) {
            auto it = counts.find(k);
            return QString::number(it == counts.end() ? 0 : it->second);
        };
        md += QString("| %1 | %2 | %3 | %4 | %5 |\n")
                  .arg(QString::fromStdString(d).replace("|", "\\|"), n("mapped"), n("stricter"),
                       n("not-mapped"), n("skipped"));
    }
    QString artifacts = QDir(lbtest::testBinDir() + "/../artifacts").absolutePath();
    QDir().mkpath(artifacts);
    QVERIFY(lbtest::writeFile(artifacts + "/firejail-import-summary.md", md.toUtf8()));
}

// The command: the report, --json, the saved profile, a refused second import, --as.
void TstFirejailImport::importCommand() {
    lbtest::TestHome home;
    QVERIFY(home.isValid());
    const QString file = dir_->path() + "/etc/myapp.profile";
    write("etc/myapp.profile", "blacklist /opt/fjt/x\nnet none\nnosound\nbogus-directive\n");
    auto r = home.layerbox({"profile", "import-firejail", file});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(r.out.contains("mapped  myapp.profile:1: blacklist /opt/fjt/x -> hidden (1 path)"));
    QVERIFY(r.out.contains("not-mapped  myapp.profile:4: bogus-directive"));
    QVERIFY(QFile::exists(home.profileDir() + "/myapp.json"));
    auto v = home.layerbox({"profile", "validate", "myapp"});
    QVERIFY2(v.exitCode == 0, qPrintable(v.err));
    auto again = home.layerbox({"profile", "import-firejail", file, "--json"});
    QCOMPARE(again.exitCode, 1);
    QCOMPARE(lbtest::lastJson(again.out)["exists"].toBool(), true);
    auto j = home.layerbox({"profile", "import-firejail", file, "--as", "other", "--json"});
    QVERIFY2(j.exitCode == 0, qPrintable(j.err));
    const QJsonObject o = lbtest::lastJson(j.out);
    QCOMPARE(o["name"].toString(), QString("other"));
    QCOMPARE(o["saved"].toBool(), true);
    QCOMPARE(o["profile"]["filesystem"]["hide"][0].toString(), QString("/opt/fjt/x"));
    QVERIFY(o["report"].toArray().size() >= 4);
    auto dry = home.layerbox({"profile", "import-firejail", file, "--as", "dry", "--dry-run"});
    QCOMPARE(dry.exitCode, 0);
    QVERIFY(!QFile::exists(home.profileDir() + "/dry.json"));
}

QTEST_GUILESS_MAIN(TstFirejailImport)
#include "tst_firejail_import.moc"
