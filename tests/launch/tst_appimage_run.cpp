// AppImages (issue 24), for real: an AppImage built here (a copy of /bin/true as its ELF runtime,
// then a squashfs made by mksquashfs with AppRun, a .desktop and an icon) runs in the `default`
// profile as an unprivileged user: its AppRun runs with APPIMAGE, APPDIR and ARGV0, cannot write
// into the image, and leaves nothing behind (no squashfuse process, no mount, no change in
// `layerbox diff`). Type 1, a program that is not an AppImage and a corrupt one are refused in
// one line.
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QtTest>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testsupport.h"

using namespace lbtest;

class TstAppImageRun : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestHome> home_;

    QString h(const QString& rel) const { return home_->home() + "/" + rel; }

    RunResult lbIn(const QString& cwd, const QStringList& args) {
        return home_->layerboxIn(cwd, args, 120000);
    }

    // Build `path`: the ELF runtime (a copy of /bin/true, whose section headers end the file),
    // with the AppImage magic when `magic`, followed by a squashfs of an AppDir whose AppRun is
    // `appRun`.
    void buildAppImage(const QString& path, const QByteArray& appRun, bool magic = true) {
        QTemporaryDir appDir;
        QVERIFY(appDir.isValid());
        const QString d = appDir.path();
        QVERIFY(writeFile(d + "/AppRun", appRun));
        QVERIFY(::chmod((d + "/AppRun").toUtf8().constData(), 0755) == 0);
        QVERIFY(writeFile(d + "/hello.desktop",
                          "[Desktop Entry]\nType=Application\nName=Hello AppImage\nExec=hello %F\n"
                          "Icon=hello\nCategories=Utility;\n"));
        QVERIFY(
            writeFile(d + "/hello.png",
                      QByteArray::fromBase64("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUl"
                                             "EQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")));
        QVERIFY(QFile::link("hello.png", d + "/.DirIcon"));
        QVERIFY(QDir().mkpath(d + "/usr/share/hello"));
        QVERIFY(writeFile(d + "/usr/share/hello/data.txt", "data of the image\n"));
        const QString sqfs = d + ".sqfs";
        QProcess mk;
        mk.start("mksquashfs", {d, sqfs, "-noappend", "-quiet", "-all-root"});
        QVERIFY2(mk.waitForFinished(60000) && mk.exitCode() == 0,
                 qPrintable("mksquashfs (squashfs-tools) failed: " + mk.errorString() +
                            mk.readAllStandardError()));
        QByteArray runtime = readFile("/bin/true");
        QVERIFY(runtime.size() > 64);
        if (magic) runtime.replace(8, 3, QByteArray("AI\x02", 3));
        QVERIFY(writeFile(path, runtime + readFile(sqfs)));
        QFile::remove(sqfs);
        QVERIFY(::chmod(path.toUtf8().constData(), 0755) == 0);
    }

    // Any process of this user still holding a squashfuse mount (the test's own included).
    QStringList squashfuseMounts() {
        QStringList out;
        for (const auto& e : QDir("/proc").entryList(QDir::Dirs)) {
            bool ok = false;
            e.toLongLong(&ok);
            if (!ok || QFileInfo("/proc/" + e).ownerId() != ::getuid()) continue;
            for (const auto& line : readFile("/proc/" + e + "/mountinfo").split('\n'))
                if (line.contains("fuse.squashfuse")) out << e + ": " + QString::fromUtf8(line);
        }
        return out;
    }

    static QByteArray appRunScript() {
        return "#!/bin/sh\n"
               "echo \"APPDIR=$APPDIR\"\n"
               "echo \"APPIMAGE=$APPIMAGE\"\n"
               "echo \"ARGV0=$ARGV0\"\n"
               "echo \"ARGS=$*\"\n"
               "cat \"$APPDIR/usr/share/hello/data.txt\"\n"
               "grep -q ' /run/appimage .*fuse.squashfuse' /proc/self/mountinfo && echo mounted\n"
               "touch \"$APPDIR/new\" 2>/dev/null || echo 'image: read-only'\n"
               "echo x >> \"$APPDIR/AppRun\" 2>/dev/null || echo 'AppRun: read-only'\n"
               "echo x >> \"$APPIMAGE\" 2>/dev/null || echo 'AppImage file: read-only'\n"
               "echo done > \"$HOME/ran\"\n";
    }

private slots:
    void initTestCase() {
        QVERIFY2(::getuid() != 0, "must run as an unprivileged user");
        QVERIFY2(QFileInfo(layerboxBin()).isExecutable(), qPrintable(layerboxBin()));
        QVERIFY2(!QStandardPaths::findExecutable("mksquashfs").isEmpty(),
                 "mksquashfs is needed (squashfs-tools, scripts/deps.sh)");
        QVERIFY2(!QStandardPaths::findExecutable("squashfuse").isEmpty(),
                 "squashfuse is needed (scripts/deps.sh)");
    }
    void init() {
        home_ = std::make_unique<TestHome>();
        QVERIFY(home_->isValid());
    }
    void cleanup() { home_.reset(); }

    // `layerbox run -- ./Hello.AppImage` from the folder it was downloaded to, persistent.
    void runsInTheDefaultProfile() {
        const QString image = h("Downloads/Hello.AppImage");
        buildAppImage(image, appRunScript());
        const auto before = processesNamed("squashfuse").size();
        auto r = lbIn(h("Downloads"), {"run", "--", "./Hello.AppImage", "one", "two words"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
        QCOMPARE(r.out, QString("APPDIR=/run/appimage\n"
                                "APPIMAGE=" +
                                image +
                                "\n"
                                "ARGV0=./Hello.AppImage\n"
                                "ARGS=one two words\n"
                                "data of the image\n"
                                "mounted\n"
                                "image: read-only\n"
                                "AppRun: read-only\n"
                                "AppImage file: read-only\n"));
        // Gone after exit: no daemon, no process holding the mount.
        QTRY_COMPARE_WITH_TIMEOUT(processesNamed("squashfuse").size(), before, 10000);
        // The sandbox's mount namespace goes with its setup process, which may still be taking
        // the layer's overlays down when `run` has returned (it waits for nothing of it).
        QTRY_VERIFY2_WITH_TIMEOUT(squashfuseMounts().isEmpty(),
                                  qPrintable(squashfuseMounts().join('\n')), 10000);
        // The image is untouched on the host.
        QCOMPARE(readFile(image).size(), QFileInfo(image).size());
        // diff shows the program's own file only, nothing of the image or its mount.
        auto diff = home_->layerbox({"diff", "default"});
        QCOMPARE(diff.exitCode, 0);
        QVERIFY2(diff.out.contains("ran"), qPrintable(diff.out));
        for (const char* no : {"appimage", "AppImage", "AppRun", "Downloads", "/run"})
            QVERIFY2(!diff.out.contains(no), qPrintable(diff.out));
    }

    // A profile whose command is an AppImage (as a menu entry would start it); an image without
    // the AppImage magic is recognised by its name.
    void profileCommandIsAnAppImage() {
        const QString image = h("Apps/NoMagic.AppImage");
        buildAppImage(image, "#!/bin/sh\necho \"$ARGV0 $* in $APPDIR\"\n", false);
        home_->writeProfile("hello",
                            QJsonDocument(QJsonObject{
                                              {"version", 1},
                                              {"command", QJsonArray{image, "--from"}},
                                              {"filesystem", QJsonObject{{"ephemeral", true}}},
                                          })
                                .toJson());
        auto r = home_->layerbox({"run", "--profile", "hello"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
        QCOMPARE(r.out, image + " --from in /run/appimage\n");
    }

    // The daemon lives outside the program's reach and dies with the sandbox, even when the
    // runner is killed.
    void killingTheRunnerEndsSquashfuse() {
        const QString image = h("Downloads/Sleep.AppImage");
        buildAppImage(image, "#!/bin/sh\necho ready\nexec sleep 600\n");
        const auto before = processesNamed("squashfuse").size();
        QProcess p;
        p.setProcessEnvironment(home_->env());
        p.start(layerboxBin(), {"run", "--ephemeral", "--no-pty", "--", image});
        QVERIFY(p.waitForStarted());
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += p.readAllStandardOutput()).contains("ready"), 30000);
        QCOMPARE(processesNamed("squashfuse").size(), before + 1);
        ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
        QVERIFY(finished(p, 10000));
        QTRY_COMPARE_WITH_TIMEOUT(processesNamed("squashfuse").size(), before, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(squashfuseMounts().isEmpty(), 10000);
    }

    // desktop install of a profile whose command is an AppImage: the entry inside the image
    // (name, categories, its field code) and its icon copied out; desktop remove takes both.
    void desktopInstallUsesTheImagesEntry() {
        const QString image = h("Apps/Hello.AppImage");
        buildAppImage(image, "#!/bin/sh\nexit 0\n");
        home_->writeProfile("hello", QJsonDocument(QJsonObject{
                                                       {"version", 1},
                                                       {"command", QJsonArray{image}},
                                                   })
                                         .toJson());
        auto r = home_->layerbox({"desktop", "install", "hello"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QString entry = home_->dataHome() + "/applications/layerbox-hello.desktop";
        const QString icon = home_->dataHome() + "/icons/layerbox-hello.png";
        QCOMPARE(r.out.trimmed(), entry);
        const QString text = QString::fromUtf8(readFile(entry));
        QVERIFY2(text.contains("\nName=Hello AppImage (sandboxed)\n"), qPrintable(text));
        QVERIFY2(text.contains("\nIcon=" + icon + "\n"), qPrintable(text));
        QVERIFY2(text.contains("\nCategories=Utility;\n"), qPrintable(text));
        QVERIFY2(text.contains(" run --profile hello -- " + image + " @@ %F @@\n"),
                 qPrintable(text));
        QVERIFY(readFile(icon).startsWith("\x89PNG"));
        auto rm = home_->layerbox({"desktop", "remove", "hello"});
        QVERIFY2(rm.exitCode == 0, qPrintable(rm.err));
        QVERIFY(!QFileInfo::exists(entry));
        QVERIFY(!QFileInfo::exists(icon));
    }

    void refusedInOneLine_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("says");
        QTest::newRow("type 1") << "type1"
                                << "is a type 1 AppImage";
        QTest::newRow("a program, not an AppImage") << "plain"
                                                    << "is not an AppImage";
        QTest::newRow("cut short") << "cut"
                                   << "is a corrupt AppImage";
        QTest::newRow("payload not squashfs") << "zip"
                                              << "no squashfs image at offset";
    }
    void refusedInOneLine() {
        QFETCH(QString, kind);
        QFETCH(QString, says);
        const QString image = h("Downloads/Bad.AppImage");
        QByteArray runtime = readFile("/bin/true");
        QByteArray data;
        if (kind == "type1") {
            data = runtime.replace(8, 3, QByteArray("AI\x01", 3)) + QByteArray(4096, 'i');
        } else if (kind == "plain") {
            data = runtime;
        } else if (kind == "cut") {
            data = runtime.left(runtime.size() - 200);
        } else {
            data = runtime + "PK\x03\x04 a zip file";
        }
        QVERIFY(writeFile(image, data));
        QVERIFY(::chmod(image.toUtf8().constData(), 0755) == 0);
        const auto before = processesNamed("squashfuse").size();
        auto r = lbIn(h("Downloads"), {"run", "--ephemeral", "--", "./Bad.AppImage"});
        QCOMPARE(r.exitCode, 125);
        QVERIFY2(r.err.contains(says), qPrintable(r.err));
        QVERIFY2(r.err.contains(image), qPrintable(r.err));
        QCOMPARE(r.err.trimmed().count('\n'), 0);
        QCOMPARE(processesNamed("squashfuse").size(), before);
    }
};

QTEST_GUILESS_MAIN(TstAppImageRun)
#include "tst_appimage_run.moc"
