// What the launch writes and reads back: instance records, the messages between the runner and
// the sandbox's processes (one codec per payload), the outcome of a launch and the status events
// built from it; the terminal line that offers new files (immediate recovery).
#include <QtTest>

#include <sys/socket.h>
#include <unistd.h>

#include "base/units.h"
#include "launch/channel.h"
#include "launch/instances.h"
#include "launch/live_recover.h"
#include "launch/outcome.h"
#include "launch/status_events.h"
#include "layers/grant_store.h"

using namespace lb;

class TstLaunchCodecs : public QObject {
    Q_OBJECT

private slots:
    void instanceRecordsRoundTrip() {
        InstanceRecord r;
        r.id = "abcd1234";
        r.profile = "p";
        r.runnerPid = 10;
        r.pid = 12;
        r.command = {"sh", "-c", "echo 'a\nb' %"};
        r.startedUnix = 1795800000;
        r.scope = "app-layerbox-p-abcd1234.scope";
        r.limitsEnforced = {"memory_max"};
        auto back = decodeRecord(encodeRecord(r));
        QVERIFY(back);
        QCOMPARE(back->command, r.command);
        QCOMPARE(back->scope, r.scope);
        QCOMPARE(back->limitsEnforced, r.limitsEnforced);
        QVERIFY(back->limitsRecorded.empty());
        QVERIFY(!decodeRecord("garbage"));
        QVERIFY(!decodeRecord("id=x\nrunner_pid=notanumber\nprofile=p\n"));
        QCOMPARE(isoTime(0), std::string("1970-01-01T00:00:00Z"));
    }

    void execRequestsRoundTrip() {
        ExecRequest r{"/home/a", {"sh", "-c", "x y"}, {"A=1", "B=2"}, true};
        auto back = decodeExecRequest(encodeExecRequest(r));
        QVERIFY(back);
        QCOMPARE(back->argv, r.argv);
        QCOMPARE(back->env, r.env);
        QCOMPARE(back->cwd, r.cwd);
        QVERIFY(back->pty);
        QVERIFY(!decodeExecRequest("nope"));
        // Any byte travels, separators and NUL included; nothing is dropped or cut.
        ExecRequest odd{std::string("/a\x1e\x1f"
                                    "b",
                                    5),
                        {"x\ny", std::string("a\0b", 3), ""},
                        {"K=v\x1d"},
                        false};
        back = decodeExecRequest(encodeExecRequest(odd));
        QVERIFY(back);
        QCOMPARE(back->cwd, odd.cwd);
        QCOMPARE(back->argv, odd.argv);
        QCOMPARE(back->env, odd.env);
        QVERIFY(!back->pty);
        // Truncated or padded input is refused.
        std::string enc = encodeExecRequest(odd);
        QVERIFY(!decodeExecRequest(enc.substr(0, enc.size() - 1)));
        QVERIFY(!decodeExecRequest(enc + "x"));
        QVERIFY(!decodeExecRequest("99999999:x"));
    }

    void payloadCodecs() {
        QCOMPARE(decodeNumber(encodeNumber(-42)), std::optional<int64_t>(-42));
        QVERIFY(!decodeNumber(""));
        QVERIFY(!decodeNumber("12x"));
        for (ExitStatus e : {ExitStatus{false, 0}, ExitStatus{false, 255}, ExitStatus{true, 9}})
            QCOMPARE(decodeExitStatus(encodeExitStatus(e)), std::optional<ExitStatus>(e));
        QVERIFY(!decodeExitStatus("code"));
        QVERIFY(!decodeExitStatus("code 256"));
        QVERIFY(!decodeExitStatus("exit 1"));
        QCOMPARE(ExitStatus({true, 15}).shellStatus(), 143);
        QCOMPARE(ExitStatus({true, 15}).describe(), std::string("killed by signal 15"));
        QCOMPARE(ExitStatus({false, 3}).describe(), std::string("exited with status 3"));

        JoinResult exited;
        exited.kind = JoinResult::Kind::Exited;
        exited.exit = {false, 7};
        JoinResult execFailed;
        execFailed.kind = JoinResult::Kind::ExecFailed;
        execFailed.execErrno = ENOENT;
        JoinResult failed;
        failed.error = "could not fork: out of memory";
        for (const auto& r : {exited, execFailed, failed})
            QCOMPARE(decodeJoinResult(encodeJoinResult(r)), std::optional<JoinResult>(r));
        QVERIFY(!decodeJoinResult("execfail 0"));
        QVERIFY(!decodeJoinResult("huh"));

        auto j = decodeJoined(encodeJoined({"12", "code 3"}));
        QVERIFY(j);
        QCOMPARE(j->token, std::string("12"));
        QCOMPARE(j->body, std::string("code 3"));
        QVERIFY(!decodeJoined("x1 body"));
        QVERIFY(!decodeJoined(""));
    }

    void messagesOverTheChannel() {
        auto chan = makeChannel();
        QVERIFY(chan);
        int fds[2];
        QCOMPARE(::pipe(fds), 0);
        QVERIFY(sendMessage(chan->second.get(), Msg::ProgramExited, encodeExitStatus({false, 4}),
                            {fds[0]}));
        auto m = receiveMessage(chan->first.get());
        QVERIFY(m && m->has_value());
        QCOMPARE((*m)->type, Msg::ProgramExited);
        QCOMPARE((*m)->payload, std::string("code 4"));
        QVERIFY((*m)->fd.valid());
        QCOMPARE((*m)->senderPid, ::getpid());  // SO_PASSCRED on the runner's end
        QCOMPARE(msgName(Msg::ProgramExited), std::string_view("ProgramExited"));
        // A message of no known type is an error, not a guess.
        unsigned char bogus[] = {200, 'x'};
        QCOMPARE(::send(chan->second.get(), bogus, sizeof bogus, 0), ssize_t(2));
        auto bad = receiveMessage(chan->first.get());
        QVERIFY(!bad);
        QCOMPARE(bad.error().code(), EBADMSG);
        // The end of the stream.
        chan->second.reset();
        auto end = receiveMessage(chan->first.get());
        QVERIFY(end && !end->has_value());
        ::close(fds[0]);
        ::close(fds[1]);
    }

    void grantCodecsRoundTrip() {
        FileGrant g{"/home/u/a b:c.txt", true, 2049, 18446744073709551000ull};
        QCOMPARE(decodeFileGrant(encodeFileGrant(g)), std::optional<FileGrant>(g));
        QVERIFY(!decodeFileGrant(""));
        QVERIFY(!decodeFileGrant(encodeFileGrant({"relative", false, 1, 2})));
        for (auto k :
             {GrantReply::Kind::Done, GrantReply::Kind::NotGranted, GrantReply::Kind::Failed}) {
            GrantReply r{k, "why"};
            QCOMPARE(decodeGrantReply(encodeGrantReply(r)), std::optional<GrantReply>(r));
        }
        QVERIFY(!decodeGrantReply("garbage"));
        // The profile's record of its files: one line each, unreadable lines skipped.
        std::vector<GrantRecord> recs{{"/home/u/a b.txt", false}, {"/srv/d", true}};
        QCOMPARE(encodeGrants(recs), std::string("ro /home/u/a b.txt\nrw /srv/d\n"));
        QCOMPARE(decodeGrants(encodeGrants(recs) + "xx /nope\nro relative\n"), recs);
    }

    void outcomes() {
        auto o = Outcome::cannotRun("foo", ENOENT);
        QCOMPARE(o.status, kExitNotFound);
        QCOMPARE(o.error, std::string("cannot run \"foo\": No such file or directory (not in the "
                                      "sandbox's PATH; give its path: a host file given by its "
                                      "path is shown inside, read-only)"));
        // With what the runner knows of a program given by its path: why, and what to do.
        QVERIFY(Outcome::cannotRun("/d/x", ENOENT, {true, true}).error.find("interpreter") !=
                std::string::npos);
        QVERIFY(Outcome::cannotRun("/d/x", ENOENT, {false, false}).error.find("nor on the host") !=
                std::string::npos);
        QVERIFY(Outcome::cannotRun("/d/x", EACCES, {true, true}).error.find("chmod +x /d/x") !=
                std::string::npos);
        QVERIFY(!o.exitCode && !o.signal);
        QCOMPARE(Outcome::cannotRun("foo", EACCES).status, kExitNotExecutable);
        o = Outcome::sandboxKilled(9);
        QCOMPARE(o.status, 137);
        QCOMPARE(o.signal, std::optional<int>(9));
        QVERIFY(o.error.find("PID 1") != std::string::npos);
        o = Outcome::ended({false, 3});
        QCOMPARE(o.status, 3);
        QCOMPARE(o.exitCode, std::optional<int>(3));
        QVERIFY(o.error.empty());
        o = Outcome::setupFailed("building the file system: x");
        QCOMPARE(o.status, kExitSetupFailed);
        QCOMPARE(
            Outcome::ofJoin(JoinResult{JoinResult::Kind::ExecFailed, {}, ENOENT, {}}, "/bar").error,
            std::string("cannot run \"/bar\": No such file or directory (it is neither in the "
                        "sandbox nor on the host)"));
    }

    void exitedEventCarriesTheReason() {
        int fds[2];
        QCOMPARE(::pipe(fds), 0);
        StatusEvents events(fds[1]);
        events.exited("abcd1234", Outcome::cannotRun("/foo", ENOENT));
        events.exited("abcd1234", Outcome::ended({true, 15}));
        events.exited({}, Outcome::setupFailed("x"));
        ::close(fds[1]);
        char buf[4096];
        ssize_t n = ::read(fds[0], buf, sizeof buf);
        ::close(fds[0]);
        QVERIFY(n > 0);
        QString all = QString::fromUtf8(buf, static_cast<int>(n));
        auto lines = all.split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines[0], QString("{\"event\":\"exited\",\"instance\":\"abcd1234\",\"status\":127,"
                                   "\"error\":\"cannot run \\\"/foo\\\": No such file or "
                                   "directory (it is neither in the sandbox nor on the host)\"}"));
        QCOMPARE(lines[1], QString("{\"event\":\"exited\",\"instance\":\"abcd1234\",\"status\":143,"
                                   "\"signal\":15}"));
        QCOMPARE(lines[2], QString("{\"event\":\"exited\",\"status\":125,\"error\":\"x\"}"));
    }

    // The line on stderr for a burst of new files: one file exactly as before bursts (tests and
    // users copy it); up to three named, with one exact command; more counted, with the
    // commands for their folder only when it is inside a watched folder.
    void offerLines() {
        const std::vector<std::string> watched{"/h/Downloads", "/h/Documents"};
        QCOMPARE(offerLine("dl", {{"/h/Downloads/x.pdf", 1}}, watched),
                 std::string("new file /h/Downloads/x.pdf (1B): layerbox recover dl "
                             "/h/Downloads/x.pdf"));
        QCOMPARE(offerLine("dl", {{"/h/Downloads/my file.pdf", 1}}, watched),
                 std::string("new file /h/Downloads/my file.pdf (1B): layerbox recover dl "
                             "'/h/Downloads/my file.pdf'"));
        QCOMPARE(
            offerLine("dl", {{"/h/Downloads/a", 1}, {"/h/Downloads/b", 1}, {"/h/Downloads/s/c", 1}},
                      watched),
            std::string("3 new files in /h/Downloads (3B): a, b and s/c: layerbox recover dl "
                        "/h/Downloads/a /h/Downloads/b /h/Downloads/s/c"));
        std::vector<RecoverableFile> five;
        for (const char* n : {"a", "b", "c", "d", "e"})
            five.push_back({std::string("/h/Downloads/w/") + n, 1});
        QCOMPARE(offerLine("dl", five, watched),
                 std::string("5 new files in /h/Downloads/w (5B): a, b and 3 more: layerbox diff "
                             "dl /h/Downloads/w lists them, layerbox recover dl /h/Downloads/w "
                             "copies that folder"));
        five.back().path = "/h/Documents/e";  // two watched folders: never the home as a whole
        QCOMPARE(offerLine("dl", five, watched),
                 std::string("5 new files in /h (5B): Downloads/w/a, Downloads/w/b and 3 more: "
                             "layerbox diff dl lists them"));
    }
};

QTEST_GUILESS_MAIN(TstLaunchCodecs)
#include "tst_launch_codecs.moc"
