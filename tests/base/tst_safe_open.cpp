// base/safe_open: opening below a directory a program may have shaped, with planted links in
// every position, and finding helper programs on PATH.
#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/safe_open.h"

using namespace lb;

class TstSafeOpen : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> dir_;
    std::string t_;
    UniqueFd root_;
    std::string p(const std::string& rel) const { return t_ + "/" + rel; }
    void mkdirs(const std::string& rel) { QVERIFY(makeDirs(p(rel))); }
    void link(const std::string& target, const std::string& rel) {
        QCOMPARE(::symlink(target.c_str(), p(rel).c_str()), 0);
    }

private slots:
    void init() {
        dir_ = std::make_unique<QTemporaryDir>(QDir::tempPath() + "/lbsafeopen-XXXXXX");
        QVERIFY(dir_->isValid());
        t_ = dir_->path().toStdString();
        mkdirs("root");
        mkdirs("outside");
        root_.reset(::open(p("root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        QVERIFY(root_.valid());
    }
    void cleanup() { dir_.reset(); }

    void opensWhatIsBelow() {
        mkdirs("root/a/b");
        auto fd = openBeneath(root_.get(), "a/b", {.flags = O_RDONLY | O_DIRECTORY});
        QVERIFY2(fd, fd ? "" : fd.error().message().c_str());
        struct stat a, b;
        QCOMPARE(::fstat(fd->get(), &a), 0);
        QCOMPARE(::stat(p("root/a/b").c_str(), &b), 0);
        QCOMPARE(a.st_ino, b.st_ino);
        QVERIFY(openBeneath(root_.get(), "/a//./b"));  // a leading "/" and "." are fine
    }

    void plantedLinksAreRefused_data() {
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("err");
        QTest::newRow("middle, absolute") << "abs/x" << ELOOP;
        QTest::newRow("middle, relative") << "rel/x" << ELOOP;
        QTest::newRow("last") << "abs" << ELOOP;
        QTest::newRow("last, inside") << "inside" << ELOOP;
        QTest::newRow("dotdot") << "../outside" << EXDEV;
    }
    void plantedLinksAreRefused() {
        QFETCH(QString, path);
        QFETCH(int, err);
        mkdirs("outside/x");
        mkdirs("root/real");
        link(p("outside"), "root/abs");
        link("../outside", "root/rel");
        link("real", "root/inside");
        for (Create c : {Create::No, Create::Dirs}) {
            auto fd = openBeneath(root_.get(), path.toStdString(), {.create = c});
            QVERIFY(!fd);
            QCOMPARE(fd.error().code(), err);
        }
    }

    void createsOneComponentAtATime() {
        // A link in the middle of a path to create: mkdirat("a/b/c") would follow it and make
        // outside/b/c; one component at a time refuses it and makes nothing outside.
        mkdirs("root/a");
        link(p("outside"), "root/a/link");
        auto fd = openBeneath(root_.get(), "a/link/b/c", {.create = Create::Dirs});
        QVERIFY(!fd);
        QCOMPARE(fd.error().code(), ELOOP);
        QVERIFY(!pathExists(p("outside/b")));
        // What is missing is made, with the mode asked for the last component.
        auto made = openBeneath(root_.get(), "a/x/y/z", {.create = Create::Dirs, .mode = 0700});
        QVERIFY2(made, made ? "" : made.error().message().c_str());
        struct stat st;
        QCOMPARE(::stat(p("root/a/x/y/z").c_str(), &st), 0);
        QCOMPARE(st.st_mode & 0777, mode_t(0700));
        // A file: its directories, then the empty file.
        auto f = openBeneath(root_.get(), "f/g/file", {.create = Create::File, .mode = 0600});
        QVERIFY(f);
        QCOMPARE(::lstat(p("root/f/g/file").c_str(), &st), 0);
        QVERIFY(S_ISREG(st.st_mode));
        // A dangling link where the file should be is not followed to make its target.
        link(p("outside/made-through-link"), "root/f/g/dangling");
        QVERIFY(!openBeneath(root_.get(), "f/g/dangling", {.create = Create::File}));
        QVERIFY(!pathExists(p("outside/made-through-link")));
    }

    void inRootLinksStayInside() {
        // The new root: an absolute link resolves inside it, never to the host's path.
        mkdirs("root/run");
        link("/run", "root/varrun");
        link(p("outside"), "root/hostpath");  // absolute host path: inside, it does not exist
        auto fd = openBeneath(root_.get(), "varrun/x",
                              {.create = Create::Dirs, .resolve = Resolve::InRoot});
        QVERIFY2(fd, fd ? "" : fd.error().message().c_str());
        QVERIFY(isDirectory(p("root/run/x")));
        auto h = openBeneath(root_.get(), "hostpath/y",
                             {.create = Create::Dirs, .resolve = Resolve::InRoot});
        QVERIFY(!pathExists(p("outside/y")));
        QVERIFY(!h || isDirectory(p("root") + p("outside") + "/y"));
    }

    void findExecutableUsesAbsoluteEntriesOnly() {
        // A program planted in the current directory: an empty, "." or relative entry would
        // find it.
        mkdirs("cwd/bin");
        for (const char* f : {"cwd/lbtool", "cwd/bin/lbtool", "abs/lbtool"}) {
            QVERIFY(makeDirs(dirName(p(f))));
            QVERIFY(writeFileAtomic(p(f), "#!/bin/sh\n", 0755));
        }
        char* old = ::getcwd(nullptr, 0);
        QCOMPARE(::chdir(p("cwd").c_str()), 0);
        QCOMPARE(findExecutable("lbtool", ":.:bin"), std::string());
        QCOMPARE(findExecutable("lbtool", (":.:bin:" + p("abs")).c_str()), p("abs/lbtool"));
        QCOMPARE(::chdir(old), 0);
        std::free(old);
        QCOMPARE(findExecutable("sh", ""), std::string("/usr/bin/sh"));  // the fallbacks
        QCOMPARE(findExecutable("../bin/sh", "/usr/bin"), std::string());
        QVERIFY(writeFileAtomic(p("abs/notexec"), "x", 0644));
        QCOMPARE(findExecutable("notexec", p("abs").c_str()), std::string());
    }
};

QTEST_GUILESS_MAIN(TstSafeOpen)
#include "tst_safe_open.moc"
