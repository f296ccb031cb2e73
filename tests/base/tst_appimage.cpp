// base/appimage: the payload offset of a type 2 AppImage read from its ELF header (hostile
// headers included: offsets past the end, sums that overflow, type 1, no section headers), the
// program and environment an AppImage runs with, and where its mount goes in the plan.
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <string>

#include "base/appimage.h"
#include "base/fsutil.h"
#include "host/appimage_entry.h"
#include "isolation/mounts.h"

using namespace lb;

namespace {

// An ELF header of `cls` (1: 32-bit, 2: 64-bit) and byte order `data` (1: LSB, 2: MSB) with the
// section header table at `shoff`, `shnum` entries of `shentsize` bytes.
std::string elfHeader(int cls, int data, uint64_t shoff, uint16_t shentsize, uint16_t shnum,
                      std::string_view magic = {}) {
    std::string h(64, '\0');
    h[0] = 0x7f;
    h[1] = 'E';
    h[2] = 'L';
    h[3] = 'F';
    h[4] = static_cast<char>(cls);
    h[5] = static_cast<char>(data);
    h[6] = 1;
    for (size_t i = 0; i < magic.size(); ++i)
        h[8 + i] = magic[i];
    auto put = [&](size_t at, uint64_t v, size_t n) {
        for (size_t i = 0; i < n; ++i) {
            auto byte = static_cast<char>((v >> (8 * i)) & 0xff);
            h[data == 2 ? at + n - 1 - i : at + i] = byte;
        }
    };
    const bool is64 = cls == 2;
    if (is64) {
        put(0x28, shoff, 8);
        put(0x3a, shentsize, 2);
        put(0x3c, shnum, 2);
    } else {
        put(0x20, shoff, 4);
        put(0x2e, shentsize, 2);
        put(0x30, shnum, 2);
    }
    return h;
}

}  // namespace

class TstAppImage : public QObject {
    Q_OBJECT

private slots:
    void payloadOffset_data() {
        QTest::addColumn<QByteArray>("head");
        QTest::addColumn<qulonglong>("size");
        QTest::addColumn<qulonglong>("offset");  // 0: an error
        QTest::addColumn<QString>("says");
        auto b = [](const std::string& s) { return QByteArray(s.data(), qsizetype(s.size())); };
        QTest::newRow("64-bit little-endian")
            << b(elfHeader(2, 1, 1000, 64, 10, "AI\x02")) << 5000ull << 1640ull << "";
        QTest::newRow("64-bit without the magic")
            << b(elfHeader(2, 1, 1000, 64, 10)) << 5000ull << 1640ull << "";
        QTest::newRow("32-bit big-endian")
            << b(elfHeader(1, 2, 0x1234, 40, 3)) << 10000ull << 4780ull << "";
        QTest::newRow("type 1") << b(elfHeader(2, 1, 1000, 64, 10, "AI\x01")) << 5000ull << 0ull
                                << "type 1 AppImage";
        QTest::newRow("not ELF") << QByteArray("#!/bin/sh\necho hello, this is a script\n") << 40ull
                                 << 0ull << "not an ELF file";
        QTest::newRow("empty") << QByteArray() << 0ull << 0ull << "not an ELF file";
        QTest::newRow("header cut short")
            << b(elfHeader(2, 1, 1000, 64, 10).substr(0, 40)) << 40ull << 0ull << "cut short";
        QTest::newRow("file shorter than the header")
            << b(elfHeader(2, 1, 1000, 64, 10)) << 50ull << 0ull << "cut short";
        QTest::newRow("unknown class")
            << b(elfHeader(3, 1, 1000, 64, 10)) << 5000ull << 0ull << "unknown ELF class";
        QTest::newRow("unknown byte order")
            << b(elfHeader(2, 7, 1000, 64, 10)) << 5000ull << 0ull << "byte order";
        QTest::newRow("no section headers")
            << b(elfHeader(2, 1, 0, 64, 0)) << 5000ull << 0ull << "no section headers";
        QTest::newRow("zero entry size")
            << b(elfHeader(2, 1, 1000, 0, 10)) << 5000ull << 0ull << "no section headers";
        QTest::newRow("offset overflows") << b(elfHeader(2, 1, UINT64_MAX - 100, 0xffff, 0xffff))
                                          << 5000ull << 0ull << "overflows";
        QTest::newRow("offset past the end")
            << b(elfHeader(2, 1, 1ull << 62, 64, 10)) << 5000ull << 0ull << "past the end";
        QTest::newRow("table ends past the end")
            << b(elfHeader(2, 1, 4990, 64, 1)) << 5000ull << 0ull << "past the end";
        QTest::newRow("nothing after the table (a plain program)")
            << b(elfHeader(2, 1, 4360, 64, 10)) << 5000ull << 0ull << "no payload follows";
        QTest::newRow("three bytes after the table")
            << b(elfHeader(2, 1, 4357, 64, 10)) << 5000ull << 0ull << "no payload follows";
    }
    void payloadOffset() {
        QFETCH(QByteArray, head);
        QFETCH(qulonglong, size);
        QFETCH(qulonglong, offset);
        QFETCH(QString, says);
        auto r = planAppImagePayload(std::string_view(head.constData(), size_t(head.size())), size,
                                     "/x/Some.AppImage");
        if (offset) {
            QVERIFY2(r.ok(), r.ok() ? "" : r.error().message().c_str());
            QCOMPARE(qulonglong(*r), offset);
            return;
        }
        QVERIFY(!r.ok());
        const std::string& m = r.error().message();
        QVERIFY2(m.find(says.toStdString()) != std::string::npos, m.c_str());
        QVERIFY2(m.find("\"/x/Some.AppImage\"") == 0, m.c_str());  // names the file first
        QVERIFY2(m.find('\n') == std::string::npos, m.c_str());
    }

    void squashfsMagic() {
        QVERIFY(checkSquashfsMagic("hsqs", 10, "a").ok());
        QVERIFY(checkSquashfsMagic("hsqsmore", 10, "a").ok());
        for (std::string_view bad : {"", "hsq", "sqsh",
                                     "\x7f"
                                     "ELF"}) {
            auto s = checkSquashfsMagic(bad, 1640, "/x/A.AppImage");
            QVERIFY(!s.ok());
            QVERIFY2(
                s.error().message().find("no squashfs image at offset 1640") != std::string::npos,
                s.error().message().c_str());
        }
    }

    void meantAsAppImage() {
        const std::string plain = elfHeader(2, 1, 1000, 64, 10);
        QVERIFY(looksLikeAppImage(plain, "/d/Some.AppImage"));
        QVERIFY(looksLikeAppImage(plain, "/d/some.appimage"));
        QVERIFY(!looksLikeAppImage(plain, "/d/some"));
        QVERIFY(!looksLikeAppImage(plain, "/d/.AppImage"));
        QVERIFY(!looksLikeAppImage(plain, "/d/Some.AppImage.sh/tool"));
        QVERIFY(looksLikeAppImage(elfHeader(2, 1, 1000, 64, 10, "AI\x02"), "/d/tool"));
        QVERIFY(looksLikeAppImage(elfHeader(2, 1, 1000, 64, 10, "AI\x01"), "/d/tool"));
        QVERIFY(!looksLikeAppImage(elfHeader(2, 1, 1000, 64, 10, "AI\x03"), "/d/tool"));
        QVERIFY(!looksLikeAppImage("#!/bin/sh\n\nAI\x02", "/d/tool"));
    }

    void runsAppRunWithTheRuntimesEnvironment() {
        std::vector<std::string> argv = {"./Some.AppImage", "--flag", "file"};
        std::vector<std::string> env = {"PATH=/usr/bin", "APPDIR=/elsewhere", "HOME=/home/u"};
        planAppImageRun(argv, env, "/home/u/Downloads/Some.AppImage", "/home/u/Downloads");
        QCOMPARE(argv, (std::vector<std::string>{"/run/appimage/AppRun", "--flag", "file"}));
        auto has = [&](const std::string& kv) {
            return std::count(env.begin(), env.end(), kv) == 1;
        };
        QVERIFY(has("APPIMAGE=/home/u/Downloads/Some.AppImage"));
        QVERIFY(has("APPDIR=/run/appimage"));  // replaced, not added twice
        QVERIFY(has("ARGV0=./Some.AppImage"));
        QVERIFY(has("OWD=/home/u/Downloads"));
        QVERIFY(has("PATH=/usr/bin") && has("HOME=/home/u"));
        QCOMPARE(env.size(), size_t(6));
    }

    // The mount comes after every other phase 1 operation (over the fresh /run, after the
    // binds and hidden paths) and before /proc; it is read-only and names the checked file.
    void mountIsPlannedLastInPhase1() {
        MountPlan plan;
        auto add = [&](MountKind k, const char* t) {
            MountOp o;
            o.kind = k;
            o.target = t;
            plan.ops.push_back(o);
        };
        add(MountKind::RootTmpfs, "/");
        add(MountKind::Tmpfs, "/run");
        add(MountKind::Hide, "/home/u/.ssh");
        add(MountKind::Proc, "/proc");
        add(MountKind::RemountRootReadOnly, "/");
        planAppImageMount(plan, "/d/A.AppImage", 1640, 7, 9);
        QVERIFY(plan.usesSquashfuse);
        QCOMPARE(plan.ops.size(), size_t(6));
        const MountOp& o = plan.ops[3];
        QCOMPARE(int(o.kind), int(MountKind::AppImage));
        QCOMPARE(o.target, std::string(kAppImageDir));
        QCOMPARE(o.source, std::string("/d/A.AppImage"));
        QCOMPARE(o.offset, uint64_t(1640));
        QCOMPARE(o.dev, uint64_t(7));
        QCOMPARE(o.ino, uint64_t(9));
        QVERIFY(o.readOnly);
        QCOMPARE(o.phase(), 1);
        QCOMPARE(int(plan.ops[4].kind), int(MountKind::Proc));
        QCOMPARE(o.describe(), std::string("appimage /d/A.AppImage offset 1640 -> /run/appimage "
                                           "ro (squashfuse)"));
    }

    // The menu entry's files inside an image, from unsquashfs's listing.
    void entryFilesInTheImage() {
        auto names = appImageTopLevel(
            "squashfs-root\nsquashfs-root/.DirIcon\nsquashfs-root/AppRun\n"
            "squashfs-root/zz.desktop\nsquashfs-root/app.desktop\nsquashfs-root/app.png\n"
            "squashfs-root/usr/share/x.desktop\nsquashfs-root/bad\x1bname\nnoise\n");
        QCOMPARE(names, (std::vector<std::string>{".DirIcon", "AppRun", "zz.desktop", "app.desktop",
                                                  "app.png"}));
        QCOMPARE(pickAppImageDesktop(names), std::string("app.desktop"));
        QCOMPARE(pickAppImageDesktop({"AppRun", ".desktop"}), std::string());
        QCOMPARE(pickAppImageIcon(names, "app"), std::string("app.png"));
        QCOMPARE(pickAppImageIcon(names, "other"), std::string(".DirIcon"));
        QCOMPARE(pickAppImageIcon(names, "../app"), std::string(".DirIcon"));
        QCOMPARE(pickAppImageIcon({"a.svg"}, "a"), std::string("a.svg"));
        QCOMPARE(pickAppImageIcon({"AppRun"}, "a"), std::string());
        QCOMPARE(iconExtension("\x89PNG\r\n\x1a\n...."), std::string("png"));
        QCOMPARE(iconExtension("<?xml version=\"1.0\"?>\n<svg xmlns=..."), std::string("svg"));
        QCOMPARE(iconExtension("<svg width=\"1\"/>"), std::string("svg"));
        QCOMPARE(iconExtension("#!/bin/sh\nrm -rf ~"), std::string());
        QCOMPARE(iconExtension(""), std::string());
    }

    // readAppImage on real files: a program that is not meant as an AppImage is left alone; one
    // named so without a payload, or with a payload that is not squashfs, is an error; a
    // program followed by squashfs is read with the offset where the program ended.
    void readsRealFiles() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string d = dir.path().toStdString();
        auto prog = readFile("/bin/true");
        QVERIFY(prog.ok());
        auto none = readAppImage("/bin/true");
        QVERIFY(none.ok() && !none->has_value());
        QVERIFY(writeFileAtomic(d + "/Plain.AppImage", *prog, 0755));
        auto plain = readAppImage(d + "/Plain.AppImage");
        QVERIFY(!plain.ok());
        QVERIFY2(plain.error().message().find("is not an AppImage") != std::string::npos,
                 plain.error().message().c_str());
        QVERIFY(writeFileAtomic(d + "/Zip.AppImage", *prog + "PK\x03\x04 not squashfs", 0755));
        auto zip = readAppImage(d + "/Zip.AppImage");
        QVERIFY(!zip.ok());
        QVERIFY2(zip.error().message().find("no squashfs image at offset " +
                                            std::to_string(prog->size())) != std::string::npos,
                 zip.error().message().c_str());
        QVERIFY(
            writeFileAtomic(d + "/Good.AppImage", *prog + "hsqs and the rest of an image", 0755));
        auto good = readAppImage(d + "/Good.AppImage");
        QVERIFY2(good.ok(), good.ok() ? "" : good.error().message().c_str());
        QVERIFY(good->has_value());
        QCOMPARE((*good)->offset, uint64_t(prog->size()));
        QCOMPARE((*good)->path, d + "/Good.AppImage");
        auto missing = readAppImage(d + "/None.AppImage");  // the launch says it is missing
        QVERIFY(missing.ok() && !missing->has_value());
    }
};

QTEST_APPLESS_MAIN(TstAppImage)
#include "tst_appimage.moc"
