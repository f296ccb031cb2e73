// The OpenURI gate's wire (open_uri_gate.h), for real but without a sandbox: the test starts the
// gate (a forked child, as the runner does), plays the program on one side and the bus (as
// xdg-dbus-proxy would be) on the other, byte by byte. It stops the gate (SIGSTOP) while it
// writes two messages, so that the gate reads them in one go: the case where descriptors could
// leave the message they belong to.
//  - A message's descriptors reach the other side with that message's first byte, both ways,
//    never with the message before it (GLib checks the count against the header and drops the
//    connection; the bus pairs them with whatever message comes next).
//  - Descriptors beside the messages (a message that announces none, or fewer than came) end
//    the connection; nothing of it is passed on.
//  - A program that does not wait for the bus's answers (authentication, Hello and its calls in
//    one write) hears the bus's "OK" and Hello reply before anything of the gate's, and the
//    gate's reply is addressed to it.
//  - A first message other than Hello ends the connection, as the bus would.
#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "base/dbus_wire.h"
#include "base/fsutil.h"
#include "desktop/open_uri_gate.h"
#include "wirebytes.h"

using namespace lb;

namespace {

// D-Bus messages written by hand (little-endian), the header fields as the specification
// numbers them.
struct Field {
    uint8_t code;
    char type;  // 'o', 's', 'g' or 'u'
    std::string text;
    uint32_t number = 0;
};

using Writer = lbtest::WireBytes;

std::string message(uint8_t type, uint32_t serial, const std::vector<Field>& fields,
                    const std::string& body = {}) {
    Writer w;
    w.b = std::string("l") + char(type) + '\0' + '\1';
    w.u32(uint32_t(body.size()));
    w.u32(serial);
    w.u32(0);  // the fields' length, set below
    const size_t start = w.b.size();
    for (const auto& f : fields) {
        w.pad(8);
        w.b.push_back(char(f.code));
        w.sig(std::string(1, f.type));
        if (f.type == 'g')
            w.sig(f.text);
        else if (f.type == 'u')
            w.u32(f.number);
        else
            w.str(f.text);
    }
    const uint32_t len = uint32_t(w.b.size() - start);
    std::memcpy(w.b.data() + 12, &len, 4);
    w.pad(8);
    return w.b + body;
}

std::string hello() {
    return message(1, 1,
                   {{1, 'o', "/org/freedesktop/DBus"},
                    {2, 's', "org.freedesktop.DBus"},
                    {3, 's', "Hello"},
                    {6, 's', "org.freedesktop.DBus"}});
}

std::string helloReply() {
    Writer body;
    body.str(":1.42");
    return message(
        2, 1, {{5, 'u', {}, 1}, {6, 's', ":1.42"}, {7, 's', "org.freedesktop.DBus"}, {8, 'g', "s"}},
        body.b);
}

// A call of `member` (no arguments), or with one descriptor (signature "h", index 0).
std::string call(uint32_t serial, const std::string& member, bool withFd) {
    std::vector<Field> f = {{1, 'o', "/org/example/Thing"},
                            {2, 's', "org.example.Thing"},
                            {3, 's', member},
                            {6, 's', "org.example.Service"}};
    if (!withFd) return message(1, serial, f);
    f.push_back({8, 'g', "h"});
    f.push_back({9, 'u', {}, 1});
    Writer body;
    body.u32(0);
    return message(1, serial, f, body.b);
}

std::string openUri(uint32_t serial) {
    Writer body;
    body.str("");
    body.str("https://example.org/");
    body.u32(0);  // an empty a{sv}
    body.pad(8);
    return message(1, serial,
                   {{1, 'o', "/org/freedesktop/portal/desktop"},
                    {2, 's', "org.freedesktop.portal.OpenURI"},
                    {3, 's', "OpenURI"},
                    {6, 's', "org.freedesktop.portal.Desktop"},
                    {8, 'g', "ssa{sv}"}},
                   body.b);
}

bool sendWith(int fd, const std::string& bytes, const std::vector<int>& fds) {
    struct iovec iov = {const_cast<char*>(bytes.data()), bytes.size()};
    struct msghdr m = {};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    std::vector<char> control;
    if (!fds.empty()) {
        control.resize(CMSG_SPACE(sizeof(int) * fds.size()));
        m.msg_control = control.data();
        m.msg_controllen = control.size();
        auto* c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    return ::sendmsg(fd, &m, MSG_NOSIGNAL) == ssize_t(bytes.size());
}

// Exactly `n` bytes (as GLib and libdbus read: no further), with the descriptors that came
// with them; nullopt at end of file or after 5 s.
struct Got {
    std::string bytes;
    std::vector<UniqueFd> fds;
};
std::optional<Got> readExactly(int fd, size_t n) {
    Got g;
    while (g.bytes.size() < n) {
        struct pollfd p = {fd, POLLIN, 0};
        if (::poll(&p, 1, 5000) != 1) return std::nullopt;
        std::string buf(n - g.bytes.size(), '\0');
        alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 16)];
        struct iovec iov = {buf.data(), buf.size()};
        struct msghdr m = {};
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = control;
        m.msg_controllen = sizeof control;
        ssize_t r = ::recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
        for (auto* c = CMSG_FIRSTHDR(&m); r >= 0 && c; c = CMSG_NXTHDR(&m, c)) {
            const int* p2 = reinterpret_cast<const int*>(CMSG_DATA(c));
            for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); ++i)
                g.fds.emplace_back(p2[i]);
        }
        if (r <= 0) return std::nullopt;
        g.bytes.append(buf.data(), size_t(r));
    }
    return g;
}

// One whole message, read as a D-Bus library does: its fixed header, then the rest.
std::optional<Got> readMessage(int fd) {
    auto head = readExactly(fd, 16);
    if (!head) return std::nullopt;
    auto size = dbusMessageSize(head->bytes);
    if (!size || *size < 16) return std::nullopt;
    auto rest = readExactly(fd, *size - 16);
    if (!rest) return std::nullopt;
    head->bytes += rest->bytes;
    for (auto& f : rest->fds)
        head->fds.push_back(std::move(f));
    return head;
}

std::optional<std::string> readLine(int fd) {
    std::string line;
    while (line.size() < 4096 && (line.size() < 2 || line.compare(line.size() - 2, 2, "\r\n"))) {
        auto c = readExactly(fd, 1);
        if (!c) return std::nullopt;
        line += c->bytes;
    }
    return line;
}

// What `fd` still gives before its end of file, when that end comes within `ms`.
std::optional<std::string> restUntilEnd(int fd, int ms) {
    std::string rest;
    for (int waited = 0; waited < ms; waited += 50) {
        struct pollfd p = {fd, POLLIN, 0};
        if (::poll(&p, 1, 50) != 1) continue;
        char buf[65536];
        ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0) return rest;
        if (n > 0) rest.append(buf, size_t(n));
    }
    return std::nullopt;
}

// Nothing readable on `fd` for `ms`.
bool silentFor(int fd, int ms) {
    struct pollfd p = {fd, POLLIN, 0};
    return ::poll(&p, 1, ms) == 0;
}

bool stopped(pid_t pid) {
    auto stat = readFile("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return false;
    auto close = stat->rfind(')');
    return close != std::string::npos && close + 2 < stat->size() && (*stat)[close + 2] == 'T';
}

std::string pipeHolding(const std::string& text, UniqueFd& readEnd) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return "pipe2 failed";
    readEnd.reset(p[0]);
    UniqueFd w(p[1]);
    if (::write(w.get(), text.data(), text.size()) != ssize_t(text.size())) return "write failed";
    return {};
}

std::string contentOf(int fd) {
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof buf);
    return n > 0 ? std::string(buf, size_t(n)) : std::string();
}

}  // namespace

class TstOpenUriGate : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> dir_;
    std::unique_ptr<OpenUriGate> gate_;
    UniqueFd upListener_, client_, upstream_;

    static UniqueFd unixSocket() {
        return UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    }
    static sockaddr_un addressOf(const std::string& path) {
        sockaddr_un a = {};
        a.sun_family = AF_UNIX;
        std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
        return a;
    }

    // The program connects; the gate connects to the "bus" (the test), which accepts.
    void connectThrough() {
        client_ = unixSocket();
        auto a = addressOf(dir_->filePath("gate").toStdString());
        QVERIFY(::connect(client_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        struct pollfd p = {upListener_.get(), POLLIN, 0};
        QVERIFY2(::poll(&p, 1, 5000) == 1, "the gate did not connect to the bus");
        upstream_.reset(::accept4(upListener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        QVERIFY(upstream_.valid());
    }

    // Authentication and Hello, each side waiting for the other as libraries do.
    void handshake() {
        connectThrough();
        if (QTest::currentTestFailed()) return;
        if (QTest::currentTestFailed()) return;
        const std::string auth = std::string(1, '\0') + "AUTH EXTERNAL 31303030\r\n";
        QVERIFY(sendWith(client_.get(), auth, {}));
        auto line = readExactly(upstream_.get(), auth.size());
        QVERIFY(line && line->bytes == auth);
        QVERIFY(sendWith(upstream_.get(), "OK 0123456789abcdef0123456789abcdef\r\n", {}));
        auto ok = readLine(client_.get());
        QVERIFY(ok && ok->rfind("OK ", 0) == 0);
        QVERIFY(sendWith(client_.get(), "BEGIN\r\n" + hello(), {}));
        auto begin = readLine(upstream_.get());
        QVERIFY(begin && *begin == "BEGIN\r\n");
        auto h = readMessage(upstream_.get());
        QVERIFY(h && h->bytes == hello());
        QVERIFY(sendWith(upstream_.get(), helloReply(), {}));
        auto reply = readMessage(client_.get());
        QVERIFY(reply && reply->bytes == helloReply());
    }

    // Stops the gate until resume(): what is sent meanwhile, it reads in one go.
    void pause() {
        QVERIFY(::kill(gate_->pid(), SIGSTOP) == 0);
        QTRY_VERIFY_WITH_TIMEOUT(stopped(gate_->pid()), 5000);
    }
    void resume() { QVERIFY(::kill(gate_->pid(), SIGCONT) == 0); }

private slots:
    void init() {
        // No session bus for the gate: it then asks nobody and refuses links (its replies are
        // all this test needs to see).
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/layerbox-test-bus");
        dir_ = std::make_unique<QTemporaryDir>();
        QVERIFY(dir_->isValid());
        upListener_ = unixSocket();
        auto a = addressOf(dir_->filePath("bus").toStdString());
        QVERIFY(::bind(upListener_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        QVERIFY(::listen(upListener_.get(), 8) == 0);
        OpenUriGatePlan plan;
        plan.listen = dir_->filePath("gate").toStdString();
        plan.upstream = dir_->filePath("bus").toStdString();
        plan.sandbox = "gate-test";
        plan.opener = "/bin/false";
        auto g = OpenUriGate::start(plan);
        QVERIFY2(g, g ? "" : g.error().message().c_str());
        gate_ = std::move(*g);
    }
    void cleanup() {
        if (gate_) ::kill(gate_->pid(), SIGCONT);
        gate_.reset();
        client_.reset();
        upstream_.reset();
        upListener_.reset();
        dir_.reset();
    }

    void descriptorsGoWithTheirMessageToTheProgram() {
        handshake();
        if (QTest::currentTestFailed()) return;
        UniqueFd payload;
        QCOMPARE(pipeHolding("the reply's descriptor", payload), std::string());
        Writer body;
        body.u32(0);
        const std::string signal = message(4, 9,
                                           {{1, 'o', "/org/example/Thing"},
                                            {2, 's', "org.example.Thing"},
                                            {3, 's', "Changed"},
                                            {7, 's', ":1.7"}});
        const std::string reply = message(
            2, 10,
            {{5, 'u', {}, 7}, {6, 's', ":1.42"}, {7, 's', ":1.7"}, {8, 'g', "h"}, {9, 'u', {}, 1}},
            body.b);
        pause();
        if (QTest::currentTestFailed()) return;
        QVERIFY(sendWith(upstream_.get(), signal, {}));
        QVERIFY(sendWith(upstream_.get(), reply, {payload.get()}));
        resume();
        auto first = readMessage(client_.get());
        QVERIFY(first && first->bytes == signal);
        QVERIFY2(first->fds.empty(), "the reply's descriptor came with the signal before it");
        auto second = readMessage(client_.get());
        QVERIFY(second && second->bytes == reply);
        QCOMPARE(second->fds.size(), size_t(1));
        QCOMPARE(contentOf(second->fds[0].get()), std::string("the reply's descriptor"));
    }

    void descriptorsGoWithTheirMessageToTheBus() {
        handshake();
        if (QTest::currentTestFailed()) return;
        UniqueFd payload;
        QCOMPARE(pipeHolding("the call's descriptor", payload), std::string());
        pause();
        if (QTest::currentTestFailed()) return;
        QVERIFY(sendWith(client_.get(), call(2, "Ping", false), {}));
        QVERIFY(sendWith(client_.get(), call(3, "Take", true), {payload.get()}));
        resume();
        auto first = readMessage(upstream_.get());
        QVERIFY(first && first->bytes == call(2, "Ping", false));
        QVERIFY2(first->fds.empty(), "the call's descriptor came with the call before it");
        auto second = readMessage(upstream_.get());
        QVERIFY(second && second->bytes == call(3, "Take", true));
        QCOMPARE(second->fds.size(), size_t(1));
        QCOMPARE(contentOf(second->fds[0].get()), std::string("the call's descriptor"));
    }

    void descriptorsBesideTheirMessageEndTheConnection_data() {
        QTest::addColumn<bool>("announced");
        QTest::addColumn<int>("sent");
        QTest::newRow("one sent, none announced") << false << 1;
        QTest::newRow("one announced, none sent") << true << 0;
        QTest::newRow("one announced, two sent") << true << 2;
    }
    void descriptorsBesideTheirMessageEndTheConnection() {
        QFETCH(bool, announced);
        QFETCH(int, sent);
        handshake();
        if (QTest::currentTestFailed()) return;
        UniqueFd a, b;
        QCOMPARE(pipeHolding("x", a), std::string());
        QCOMPARE(pipeHolding("y", b), std::string());
        std::vector<int> fds = {a.get(), b.get()};
        fds.resize(size_t(sent));
        QVERIFY(sendWith(client_.get(), call(2, "Take", announced), fds));
        QVERIFY2(restUntilEnd(client_.get(), 5000), "the connection went on");
        auto passed = restUntilEnd(upstream_.get(), 5000);
        QVERIFY2(passed, "the bus's side stayed open");
        QVERIFY2(passed->empty(), "the message was passed on");
    }

    void aProgramThatDoesNotWaitHearsTheBusFirst() {
        connectThrough();
        if (QTest::currentTestFailed()) return;
        const std::string auth = std::string(1, '\0') + "AUTH EXTERNAL 31303030\r\n";
        QVERIFY(sendWith(client_.get(), auth + "BEGIN\r\n" + hello() + openUri(2), {}));
        auto line = readExactly(upstream_.get(), auth.size());
        QVERIFY(line && line->bytes == auth);
        auto begin = readLine(upstream_.get());
        QVERIFY(begin && *begin == "BEGIN\r\n");
        auto h = readMessage(upstream_.get());
        QVERIFY(h && h->bytes == hello());
        // The bus is slow to answer: nothing of the gate's may reach the program meanwhile.
        QVERIFY2(silentFor(client_.get(), 300), "the gate answered before the bus did");
        QVERIFY(sendWith(upstream_.get(), "OK 0123456789abcdef0123456789abcdef\r\n" + helloReply(),
                         {}));
        auto ok = readLine(client_.get());
        QVERIFY(ok);
        QVERIFY2(ok->rfind("OK ", 0) == 0, ok->c_str());
        auto reply = readMessage(client_.get());
        QVERIFY(reply && reply->bytes == helloReply());
        auto answer = readMessage(client_.get());
        QVERIFY2(answer, "OpenURI got no answer");
        auto ah = parseDbusHeader(answer->bytes);
        QVERIFY(ah);
        QCOMPARE(ah->replySerial, 2u);
        QCOMPARE(ah->destination, std::string(":1.42"));
        // OpenURI itself never reaches the bus.
        QVERIFY(silentFor(upstream_.get(), 300));
    }

    // A bus side that takes nothing while the program sends descriptor after descriptor: the
    // gate stops reading the program once a few dozen wait for the bus, rather than holding
    // one open per message (up to 8 MiB of messages: more than it may have open, which would end
    // every connection of the sandbox's programs).
    void descriptorsWaitingForTheBusAreBounded() {
        handshake();
        if (QTest::currentTestFailed()) return;
        const std::string fdDir = "/proc/" + std::to_string(gate_->pid()) + "/fd";
        auto openFds = [&] { return QDir(QString::fromStdString(fdDir)).count() - 2; };
        const uint base = openFds();
        // The bus's socket full first: a large call the bus does not read.
        Writer big;
        big.u32(1u << 20);
        big.b += std::string(1u << 20, 'x');
        QVERIFY(sendWith(client_.get(),
                         message(1, 2,
                                 {{1, 'o', "/org/example/Thing"},
                                  {2, 's', "org.example.Thing"},
                                  {3, 's', "Big"},
                                  {6, 's', "org.example.Service"},
                                  {8, 'g', "ay"}},
                                 big.b),
                         {}));
        UniqueFd payload;
        QCOMPARE(pipeHolding("one of many", payload), std::string());
        int sent = 0, stopReason = 0;
        for (uint32_t serial = 3; sent < 1000; ++serial) {
            const std::string m = call(serial, "Take", true);
            struct iovec iov = {const_cast<char*>(m.data()), m.size()};
            char control[CMSG_SPACE(sizeof(int))] = {};
            struct msghdr h = {};
            h.msg_iov = &iov;
            h.msg_iovlen = 1;
            h.msg_control = control;
            h.msg_controllen = sizeof control;
            auto* c = CMSG_FIRSTHDR(&h);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            const int fd = payload.get();
            std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
            // Full for three seconds: the gate has stopped reading (before, it was still
            // reading the large call, or busy on a loaded machine).
            int tries = 0;
            while (::sendmsg(client_.get(), &h, MSG_DONTWAIT | MSG_NOSIGNAL) != ssize_t(m.size())) {
                stopReason = errno;
                if (stopReason != EAGAIN || ++tries == 60) break;
                QTest::qWait(50);
            }
            if (tries == 60 || (stopReason && stopReason != EAGAIN)) break;
            stopReason = 0;
            ++sent;
            if (sent % 50 == 0) QTest::qWait(20);  // the gate reads meanwhile
        }
        QTest::qWait(500);
        const uint held = openFds() - base;
        qInfo("sent %d messages with a descriptor each (then: %s); the gate holds %u more", sent,
              std::strerror(stopReason), held);
        // More than the bound could hold (what the program's socket buffer takes beyond it
        // depends on the kernel: about 340 here).
        QVERIFY2(sent > 64 + 64 + 4 + 16, "the flood was too small to tell");
        QVERIFY2(held <= 64 + 64 + 4, qPrintable(QString("the gate holds %1").arg(held)));
        // Nothing was lost: once the bus reads, the calls come through with their descriptor.
        auto first = readMessage(upstream_.get());
        QVERIFY(first && first->fds.empty());
        auto second = readMessage(upstream_.get());
        QVERIFY(second && second->bytes == call(3, "Take", true));
        QCOMPARE(second->fds.size(), size_t(1));
    }

    void aFirstMessageOtherThanHelloEndsTheConnection() {
        connectThrough();
        if (QTest::currentTestFailed()) return;
        const std::string auth = std::string(1, '\0') + "AUTH EXTERNAL 31303030\r\n";
        QVERIFY(sendWith(client_.get(), auth, {}));
        QVERIFY(readExactly(upstream_.get(), auth.size()));
        QVERIFY(sendWith(upstream_.get(), "OK 0123456789abcdef0123456789abcdef\r\n", {}));
        QVERIFY(readLine(client_.get()));
        QVERIFY(sendWith(client_.get(), "BEGIN\r\n" + call(1, "Ping", false), {}));
        QVERIFY2(restUntilEnd(client_.get(), 5000), "the connection went on");
        auto passed = restUntilEnd(upstream_.get(), 5000);
        QVERIFY2(passed, "the bus's side stayed open");
        QVERIFY2(passed->empty() || *passed == "BEGIN\r\n", "the call reached the bus");
    }
};

QTEST_GUILESS_MAIN(TstOpenUriGate)
#include "tst_open_uri_gate.moc"
