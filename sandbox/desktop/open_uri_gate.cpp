#include "desktop/open_uri_gate.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iterator>
#include <map>
#include <vector>

#include "base/dbus_wire.h"
#include "base/fsutil.h"
#include "base/helper_process.h"
#include "desktop/notifications.h"
#include "desktop/open_uri.h"

namespace lb {

namespace {

constexpr const char* kPortal = "org.freedesktop.portal.Desktop";
constexpr const char* kNotAllowed = "org.freedesktop.portal.Error.NotAllowed";
constexpr size_t kMaxAuthLine = 16384;      // an authentication line longer than this: dropped
constexpr size_t kPauseReading = 8u << 20;  // stop reading a side while this much waits
constexpr size_t kMaxConnections = 256;
constexpr size_t kMaxPendingFds = 64;        // descriptors received and not yet passed on, a side
constexpr size_t kMaxQueuedFds = 64;         // descriptors waiting in a side's outbox: stop reading
constexpr size_t kMaxWaitingPerLink = 16;    // requests of one link waiting for its answer
constexpr int64_t kAcceptPauseMs = 1000;     // out of descriptors: accept again after this
constexpr int64_t kQuestionLifeMs = 120000;  // unanswered this long: not opened
constexpr int64_t kFloodNoticeMs = 10000;

// The descriptor limit the gate was started with: what the host programs it starts get back.
struct rlimit startNoFile = {0, 0};

int64_t nowMs() {
    struct timespec t;
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    return int64_t(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
}

void closeAll(std::vector<int>& fds) {
    for (int fd : fds)
        ::close(fd);
    fds.clear();
}

// Descriptors that came in one read, with the stream's byte range that read covered. The
// kernel ends a read of a stream socket after the data of a send that carried descriptors, and
// every D-Bus library sends a message's descriptors with its first byte, in a send of its own:
// so these belong to the one message that starts within [from, to).
struct FdBatch {
    uint64_t from = 0, to = 0;
    std::vector<int> fds;
};

// Bytes for one side, and the descriptors that go with some of them. A message's descriptors
// are sent with its first byte, in a sendmsg that starts there (as its sender did), so that
// whoever reads them pairs them with the right message.
class Outbox {
public:
    ~Outbox() {
        for (auto& c : chunks_)
            closeAll(c.fds);
    }
    void add(std::string_view bytes, std::vector<int> fds = {}) {
        size_ += bytes.size();
        fdCount_ += fds.size();
        if (fds.empty() && !chunks_.empty())
            chunks_.back().bytes.append(bytes);
        else
            chunks_.push_back({std::string(bytes), std::move(fds), 0});
    }
    bool empty() const { return size_ == 0; }
    size_t size() const { return size_; }
    size_t fdCount() const { return fdCount_; }
    // Writes what it can; false when the other side is gone.
    bool writeTo(int fd) {
        while (!chunks_.empty()) {
            Chunk& c = chunks_.front();
            struct iovec iov = {c.bytes.data() + c.sent, c.bytes.size() - c.sent};
            struct msghdr m = {};
            m.msg_iov = &iov;
            m.msg_iovlen = 1;
            std::vector<char> control;
            if (!c.fds.empty()) {
                control.resize(CMSG_SPACE(sizeof(int) * c.fds.size()));
                m.msg_control = control.data();
                m.msg_controllen = control.size();
                auto* h = CMSG_FIRSTHDR(&m);
                h->cmsg_level = SOL_SOCKET;
                h->cmsg_type = SCM_RIGHTS;
                h->cmsg_len = CMSG_LEN(sizeof(int) * c.fds.size());
                std::memcpy(CMSG_DATA(h), c.fds.data(), sizeof(int) * c.fds.size());
            }
            ssize_t n = ::sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0) return errno == EAGAIN || errno == EINTR;
            fdCount_ -= c.fds.size();
            closeAll(c.fds);  // the receiver has its own copies now
            c.sent += static_cast<size_t>(n);
            size_ -= static_cast<size_t>(n);
            if (c.sent == c.bytes.size()) chunks_.pop_front();
        }
        return true;
    }

private:
    struct Chunk {
        std::string bytes;
        std::vector<int> fds;
        size_t sent = 0;
    };
    std::deque<Chunk> chunks_;
    size_t size_ = 0;
    size_t fdCount_ = 0;
};

// One end of a program's connection: the sandbox's or the proxy's.
struct Side {
    UniqueFd fd;
    std::string in;     // read, not handled yet
    uint64_t inAt = 0;  // the stream offset of in[0]
    uint64_t readTotal = 0;
    std::deque<FdBatch> fds;  // received, not yet paired with their message
    size_t pendingFds = 0;
    Outbox out;  // to be written to this side
    bool eof = false, begun = false;
    ~Side() {
        for (auto& b : fds)
            closeAll(b.fds);
    }
    // Reads what there is. False when the connection must end: end of file is `eof`, not an
    // error; descriptors cut short (MSG_CTRUNC) could not be paired with their message.
    bool read() {
        char data[65536];
        alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 253)];
        struct iovec iov = {data, sizeof data};
        struct msghdr m = {};
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = control;
        m.msg_controllen = sizeof control;
        ssize_t n = ::recvmsg(fd.get(), &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        if (n < 0) return errno == EAGAIN || errno == EINTR;
        FdBatch batch{readTotal, readTotal + static_cast<uint64_t>(n), {}};
        for (auto* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
            size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            const auto* p = reinterpret_cast<const int*>(CMSG_DATA(c));
            batch.fds.insert(batch.fds.end(), p, p + count);
        }
        const bool truncated = m.msg_flags & MSG_CTRUNC;
        if (n == 0) {
            closeAll(batch.fds);
            eof = true;
            return true;
        }
        in.append(data, static_cast<size_t>(n));
        readTotal += static_cast<uint64_t>(n);
        if (!batch.fds.empty()) {
            pendingFds += batch.fds.size();
            fds.push_back(std::move(batch));
        }
        return !truncated && pendingFds <= kMaxPendingFds;
    }
    // Handled `n` bytes at the front of `in`. False when descriptors were left behind: sent
    // beside the messages, they belong to none (the one that could have taken them is past).
    bool consumed(size_t n) {
        in.erase(0, n);
        inAt += n;
        return fds.empty() || fds.front().to > inAt;
    }
};

// The next whole message of a side and the descriptors its header announces.
struct Message {
    std::string bytes;
    DbusHeader h;
    std::vector<int> fds;
    ~Message() { closeAll(fds); }
};
enum class Next { Incomplete, Got, Broken };

Next nextMessage(Side& s, Message& m) {
    auto size = dbusMessageSize(s.in);
    if (!size) return Next::Broken;  // not D-Bus: the proxy would drop it too
    if (*size == 0 || *size > s.in.size()) return Next::Incomplete;
    auto h = parseDbusHeader(std::string_view(s.in).substr(0, *size));
    if (!h) return Next::Broken;
    if (h->unixFds > 0) {
        // Its descriptors came with its first byte, all in one read, or the message is not
        // what it says.
        if (s.fds.empty() || s.fds.front().from > s.inAt || s.fds.front().to <= s.inAt ||
            s.fds.front().fds.size() != h->unixFds)
            return Next::Broken;
        m.fds = std::move(s.fds.front().fds);
        s.pendingFds -= m.fds.size();
        s.fds.pop_front();
    }
    m.h = std::move(*h);
    m.bytes = s.in.substr(0, *size);
    return s.consumed(*size) ? Next::Got : Next::Broken;
}

// The command of a client's authentication line (SASL, as the D-Bus specification has it), or
// empty when the line is not one: printable ASCII after the first line's NUL byte, and one of
// the commands a client sends.
std::string_view authCommand(std::string_view line, bool first) {
    if (first && !line.empty() && line[0] == '\0') line.remove_prefix(1);
    line.remove_suffix(2);  // CR LF
    for (char ch : line)
        if (ch != ' ' && ch != '\t' && (ch < 0x21 || ch > 0x7e)) return {};
    const std::string_view word = line.substr(0, line.find_first_of(" \t"));
    for (std::string_view known : {"AUTH", "DATA", "CANCEL", "ERROR", "NEGOTIATE_UNIX_FD", "BEGIN"})
        if (word == known) return word;
    return {};
}

// One program's connection: the sandbox's side and the proxy's.
struct Conn {
    uint64_t id = 0;
    Side client, upstream;
    bool firstAuthLine = true, helloPassed = false, dead = false;
    std::string uniqueName;  // the program's name on the bus (the first destination it is sent)
};

struct Waiting {
    uint64_t conn;
    std::string path;  // its request handle
};

struct Question {
    std::string uri;
    int64_t deadline = 0;
    std::vector<Waiting> waiting;
};

class Gate {
public:
    Gate(const OpenUriGatePlan& plan, int listenFd) : plan_(plan), listen_(listenFd) {}
    [[noreturn]] void run();

private:
    void accept();
    void fromClient(Conn& c);
    void fromUpstream(Conn& c);
    bool intercept(Conn& c, const Message& m);
    bool guardQuestions(Conn& c, const Message& m);
    void answered(const std::string& key, bool open);
    void openOnHost(const std::string& uri);
    std::string portalName();
    void say(const std::string& line);
    Conn* conn(uint64_t id);

    const OpenUriGatePlan& plan_;
    int listen_;
    std::map<uint64_t, std::unique_ptr<Conn>> conns_;
    uint64_t nextConn_ = 1;
    std::unique_ptr<Notifier> notifier_;
    std::string notifierProblem_;
    std::map<std::string, Question> questions_;  // by notification key
    uint64_t nextQuestion_ = 1, nextToken_ = 1;
    uint32_t serial_ = 0x40000000;  // the gate's own messages
    UriAskLimiter limiter_;
    uint64_t floodRefused_ = 0, floodSaid_ = 0;
    int64_t floodNoticeAt_ = 0;
    bool saidNoNotifier_ = false;
    int64_t acceptPausedUntil_ = 0;
};

Conn* Gate::conn(uint64_t id) {
    auto it = conns_.find(id);
    return it == conns_.end() || it->second->dead ? nullptr : it->second.get();
}

void Gate::say(const std::string& line) {
    std::string s = "layerbox: " + safeLine(plan_.sandbox + ": " + line) + "\n";
    (void)!::write(2, s.data(), s.size());
}

std::string Gate::portalName() {
    // Messages from the portal carry its unique name; GLib matches Response by it.
    std::string owner = notifier_ ? notifier_->owner(kPortal) : std::string();
    return owner.empty() ? kPortal : owner;
}

void Gate::accept() {
    UniqueFd client(::accept4(listen_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!client.valid() && (errno == EMFILE || errno == ENFILE)) {
        // The listener stays readable: without a pause, poll would return at once, forever.
        acceptPausedUntil_ = nowMs() + kAcceptPauseMs;
        return;
    }
    if (!client.valid() || conns_.size() >= kMaxConnections) return;
    UniqueFd up(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    struct sockaddr_un a = {};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", plan_.upstream.c_str());
    if (!up.valid() || ::connect(up.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        say("cannot reach the D-Bus proxy: " + std::string(std::strerror(errno)));
        return;  // the program sees its connection closed
    }
    ::fcntl(up.get(), F_SETFL, O_NONBLOCK);
    auto c = std::make_unique<Conn>();
    c->id = nextConn_++;
    c->client.fd = std::move(client);
    c->upstream.fd = std::move(up);
    const uint64_t id = c->id;
    conns_[id] = std::move(c);
}

// The program's bytes: its authentication lines as they are, then whole messages, each
// passed on unless it is OpenURI.
void Gate::fromClient(Conn& c) {
    Side& in = c.client;
    while (!in.begun) {
        const size_t eol = in.in.find("\r\n");
        if (eol == std::string::npos) {
            if (in.in.size() > kMaxAuthLine) c.dead = true;
            return;
        }
        std::string line = in.in.substr(0, eol + 2);
        // The bus (and xdg-dbus-proxy) ends authentication at "BEGIN" followed by CR, a space
        // or a tab: the gate must see the same end, or a connection would pass unread ("BEGIN
        // \r\n"). Only the protocol's commands pass (the first line starts with the credentials'
        // NUL byte); anything else ends the connection, as do descriptors sent with them.
        const std::string_view word = authCommand(line, c.firstAuthLine);
        c.firstAuthLine = false;
        if (word.empty() || !in.consumed(line.size())) {
            c.dead = true;
            return;
        }
        in.begun = word == "BEGIN";
        c.upstream.out.add(line);
    }
    for (;;) {
        // Until the bus has answered Hello, the program's name (the destination of every
        // reply of the gate's) is not known, nor has the bus said "OK" to it: a program that
        // sends without waiting has its next messages wait here, so that nothing of the
        // gate's reaches it before the bus's own first words.
        if (c.helloPassed && c.uniqueName.empty()) return;
        Message m;
        switch (nextMessage(in, m)) {
            case Next::Incomplete:
                return;
            case Next::Broken:
                // What the gate cannot read, it cannot check (a message the gate and the daemon
                // read differently could otherwise replace a question); descriptors that do not
                // come with the message that announces them could be paired with another one.
                say("ended a D-Bus connection: a message it cannot read");
                c.dead = true;
                return;
            case Next::Got:
                break;
        }
        if (!c.helloPassed) {
            // The bus refuses a connection whose first message is not Hello; so does the gate,
            // which needs the name the bus gives in its reply.
            if (m.h.type != DbusType::Call || m.h.destination != "org.freedesktop.DBus" ||
                m.h.member != "Hello") {
                c.dead = true;
                return;
            }
            c.helloPassed = true;
        } else if (intercept(c, m)) {
            if (c.dead) return;
            continue;  // its descriptors (if any) are closed with it
        }
        c.upstream.out.add(m.bytes, std::move(m.fds));
    }
}

// The bus's bytes: its authentication replies, then whole messages (so that the gate's own can
// go between them).
void Gate::fromUpstream(Conn& c) {
    Side& in = c.upstream;
    while (!in.begun) {
        if (c.client.begun && !in.in.empty() && (in.in[0] == 'l' || in.in[0] == 'B')) {
            in.begun = true;
            break;
        }
        const size_t eol = in.in.find("\r\n");
        if (eol == std::string::npos) {
            if (in.in.size() > kMaxAuthLine) c.dead = true;
            return;
        }
        c.client.out.add(std::string_view(in.in).substr(0, eol + 2));
        if (!in.consumed(eol + 2)) {
            c.dead = true;
            return;
        }
    }
    for (;;) {
        Message m;
        switch (nextMessage(in, m)) {
            case Next::Incomplete:
                return;
            case Next::Broken:
                c.dead = true;
                return;
            case Next::Got:
                break;
        }
        if (c.uniqueName.empty()) c.uniqueName = m.h.destination;  // the reply to Hello
        c.client.out.add(m.bytes, std::move(m.fds));
    }
}

bool Gate::intercept(Conn& c, const Message& m) {
    const DbusHeader* h = &m.h;
    const std::string& msg = m.bytes;
    // A call without an interface is dispatched by its member alone by some daemons (QtDBus:
    // Plasma's): guarded the same.
    const bool notifications =
        h->interface == "org.freedesktop.Notifications" || h->interface.empty();
    if (h->type == DbusType::Call && notifications &&
        (h->member == "Notify" || h->member == "CloseNotification"))
        return guardQuestions(c, m);
    if (h->type != DbusType::Call || h->destination != kPortal ||
        h->interface != "org.freedesktop.portal.OpenURI" || h->member != "OpenURI" ||
        h->unixFds != 0)
        return false;  // to the proxy, whose filter refuses OpenURI's other forms
    const bool wantsReply = !(h->flags & 0x1);
    auto refuse = [&](const char* error, const std::string& text) {
        if (wantsReply)
            c.client.out.add(
                dbusErrorReply(serial_++, h->serial, portalName(), c.uniqueName, error, text));
    };
    auto args = dbusLeadingStrings(msg, *h, 2);
    if (!args || h->signature != "ssa{sv}") {
        refuse("org.freedesktop.DBus.Error.InvalidArgs",
               "OpenURI takes (ssa{sv}), not (" + h->signature + ")" +
                   (args ? "" : ": its first arguments are not strings"));
        return true;
    }
    const std::string uri = (*args)[1];
    const OpenUriCheck check = checkOpenUri(uri);
    if (!check.ok) {
        say("a link was not opened: " + check.why);
        refuse(kNotAllowed, "Layerbox does not open it: " + check.why);
        return true;
    }
    if (!notifier_) {
        if (!saidNoNotifier_)
            say("links are not opened: nobody can be asked (" + notifierProblem_ + ")");
        saidNoNotifier_ = true;
        refuse(kNotAllowed,
               "Layerbox cannot ask the user (no notification service), so it "
               "does not open the link");
        return true;
    }
    std::string token = dbusOptionString(msg, *h, 2, "handle_token");
    bool tokenOk = !token.empty() && token.size() <= 64;
    for (char ch : token)
        tokenOk = tokenOk && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_');
    if (!tokenOk) token = "layerbox" + std::to_string(nextToken_++);
    const std::string path = portalRequestPath(c.uniqueName, token);

    // The same link already waiting for an answer is answered with it: no second question.
    std::string key;
    for (const auto& [k, q] : questions_)
        if (q.uri == uri) key = k;
    if (key.empty()) {
        if (!limiter_.admit(nowMs())) {
            ++floodRefused_;
            refuse(kNotAllowed,
                   "too many links at once: Layerbox did not ask, and does not "
                   "open this one");
            return true;
        }
        key = "link" + std::to_string(nextQuestion_++);
        questions_[key] = Question{uri, nowMs() + kQuestionLifeMs, {}};
        const UriQuestion q = planUriQuestion(plan_.sandbox, check, uri);
        notifier_->notify(key, q.summary, q.body, {{"open", "Open link"}, {"deny", "Don't open"}},
                          "web-browser");
        say("asks to open " + uri + " (answer on your desktop)");
    }
    if (questions_[key].waiting.size() >= kMaxWaitingPerLink) {
        refuse(kNotAllowed, "this link was asked for too many times: Layerbox does not open it");
        return true;
    }
    questions_[key].waiting.push_back({c.id, path});
    if (wantsReply)
        c.client.out.add(
            dbusReturnObjectPath(serial_++, h->serial, portalName(), c.uniqueName, path));
    return true;
}

// A program that may talk to the notification daemon could otherwise replace the text of a
// question of ours (Notify with its id as replaces_id: daemons do not check who sent the
// original), keeping an "Open link" action that answers our question, or close it. The gate sees
// every call first: those are refused.
bool Gate::guardQuestions(Conn& c, const Message& m) {
    const DbusHeader& h = m.h;
    const std::string& msg = m.bytes;
    if (!notifier_) return false;
    auto id = dbusUint32After(msg, h, h.member == "Notify" ? 1 : 0);
    if (id && *id == 0) return false;  // a new notification of the program's own
    // While a question is open (or asked and its id not known yet: the daemon's reply comes
    // later, and a replacement sent right behind it would win the race), no program may replace
    // or close any notification by id; otherwise only ours are refused.
    if (id && questions_.empty() && !notifier_->issued(*id)) return false;
    if (!(h.flags & 0x1))
        c.client.out.add(dbusErrorReply(serial_++, h.serial, "", c.uniqueName,
                                        "org.freedesktop.DBus.Error.AccessDenied",
                                        "Layerbox: that notification is not the program's"));
    say("refused a change to its question on the desktop");
    return true;
}

void Gate::answered(const std::string& key, bool open) {
    auto it = questions_.find(key);
    if (it == questions_.end()) return;  // answered already: a link opens once
    Question q = std::move(it->second);
    questions_.erase(it);
    limiter_.closed();
    if (open) openOnHost(q.uri);
    say(std::string(open ? "opened " : "not opened (your answer): ") + q.uri);
    const std::string sender = portalName();
    for (const auto& w : q.waiting)
        if (Conn* c = conn(w.conn))
            c->client.out.add(
                dbusRequestResponse(serial_++, sender, c->uniqueName, w.path, open ? 0 : 1));
}

void Gate::openOnHost(const std::string& uri) {
    // The host's xdg-open, in a session of its own, with nothing of the runner's: the program
    // it starts (the browser) is the user's, and outlives the sandbox. The link was checked
    // (open_uri.h): it cannot be taken for an option, a file or a command.
    pid_t pid = ::fork();
    if (pid != 0) return;  // reaped by the kernel (SIGCHLD ignored)
    ::signal(SIGCHLD, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (startNoFile.rlim_cur) ::setrlimit(RLIMIT_NOFILE, &startNoFile);
    ::setsid();
    int null = ::open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; ++fd)
        ::dup2(null, fd);
    closeAllBut({});
    ::execl(plan_.opener.c_str(), plan_.opener.c_str(), uri.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
}

void Gate::run() {
    // Up to kMaxConnections, each with its descriptors in flight bounded per side (received
    // and queued, kMaxPendingFds + kMaxQueuedFds): more than the usual soft limit of 1024. The
    // hard limit is the user's to give; the browser the gate starts gets the old one back.
    if (::getrlimit(RLIMIT_NOFILE, &startNoFile) == 0 &&
        startNoFile.rlim_cur < startNoFile.rlim_max) {
        struct rlimit raised = startNoFile;
        raised.rlim_cur = raised.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &raised);
    }
    if (auto n = Notifier::open([this](const std::string& key, const std::string& action) {
            answered(key, action == "open");  // "default" (a click on the text) is not a yes
        })) {
        notifier_ = std::move(*n);
        notifier_->setClosedHandler([this](const std::string& key) { answered(key, false); });
        notifier_->followOwner(kPortal);
    } else {
        notifierProblem_ = n.error().message();
    }
    for (;;) {
        const bool acceptPaused = nowMs() < acceptPausedUntil_;
        std::vector<struct pollfd> pfd = {{listen_, short(acceptPaused ? 0 : POLLIN), 0}};
        std::vector<uint64_t> order;
        for (auto& [id, c] : conns_) {
            // A side that does not read what it is sent is not read from either (the gate's own
            // replies to it could otherwise grow without bound).
            // So is a side whose descriptors the other does not take: a message is small, and
            // 8 MiB of them could hold more descriptors than the gate may have open, which
            // would end every connection of the sandbox's programs, not only this one.
            const bool clientFull =
                c->client.in.size() > kPauseReading || c->upstream.out.size() > kPauseReading ||
                c->upstream.out.fdCount() > kMaxQueuedFds || c->client.out.size() > kPauseReading;
            const bool upstreamFull =
                c->client.out.size() > kPauseReading || c->client.out.fdCount() > kMaxQueuedFds;
            pfd.push_back({c->client.fd.get(),
                           short((c->client.eof || clientFull ? 0 : POLLIN) |
                                 (c->client.out.empty() ? 0 : POLLOUT)),
                           0});
            pfd.push_back({c->upstream.fd.get(),
                           short((c->upstream.eof || upstreamFull ? 0 : POLLIN) |
                                 (c->upstream.out.empty() ? 0 : POLLOUT)),
                           0});
            order.push_back(id);
        }
        if (notifier_) notifier_->addTo(pfd);
        int timeout = notifier_ ? notifier_->timeoutMs() : -1;
        const int64_t now = nowMs();
        for (const auto& [k, q] : questions_) {
            int left = int(std::max<int64_t>(0, q.deadline - now) + 1);
            timeout = timeout < 0 ? left : std::min(timeout, left);
        }
        if (acceptPaused) {
            int left = int(std::max<int64_t>(0, acceptPausedUntil_ - now) + 1);
            timeout = timeout < 0 ? left : std::min(timeout, left);
        }
        if (floodRefused_ > floodSaid_) {
            int left = int(std::max<int64_t>(0, floodNoticeAt_ - now) + 1);
            timeout = timeout < 0 ? left : std::min(timeout, left);
        }
        if (::poll(pfd.data(), pfd.size(), timeout) < 0 && errno != EINTR) ::_exit(1);

        if (pfd[0].revents & POLLIN) accept();
        for (size_t i = 0; i < order.size(); ++i) {
            Conn* c = conns_[order[i]].get();
            const auto& cl = pfd[1 + 2 * i];
            const auto& up = pfd[2 + 2 * i];
            if ((cl.revents & (POLLIN | POLLHUP | POLLERR)) && !c->client.read()) c->dead = true;
            if ((up.revents & (POLLIN | POLLHUP | POLLERR)) && !c->upstream.read()) c->dead = true;
            if (c->dead) continue;
            // The bus's first: its answer to Hello lets the program's next messages through.
            fromUpstream(*c);
            if (!c->dead) fromClient(*c);
        }
        if (notifier_) notifier_->handle(pfd);
        // Questions nobody answered in time are not opened; their notification goes away.
        const int64_t later = nowMs();
        std::vector<std::string> expired;
        for (const auto& [k, q] : questions_)
            if (q.deadline <= later) expired.push_back(k);
        for (const auto& k : expired) {
            if (notifier_) notifier_->close(k);
            answered(k, false);
        }
        if (floodRefused_ > floodSaid_ && later >= floodNoticeAt_) {
            say(std::to_string(floodRefused_ - floodSaid_) +
                " links refused without asking: too many at once");
            floodSaid_ = floodRefused_;
            floodNoticeAt_ = later + kFloodNoticeMs;
        }
        for (auto& [id, c] : conns_) {
            if (!c->dead && !c->client.out.writeTo(c->client.fd.get())) c->dead = true;
            if (!c->dead && !c->upstream.out.writeTo(c->upstream.fd.get())) c->dead = true;
            // A side that ended: what it sent is delivered, then the other side is closed.
            if ((c->client.eof && c->upstream.out.empty()) ||
                (c->upstream.eof && c->client.out.empty()))
                c->dead = true;
        }
        for (auto it = conns_.begin(); it != conns_.end();)
            it = it->second->dead ? conns_.erase(it) : std::next(it);
    }
}

}  // namespace

Result<std::unique_ptr<OpenUriGate>> OpenUriGate::start(const OpenUriGatePlan& plan) {
    struct sockaddr_un a = {};
    a.sun_family = AF_UNIX;
    if (plan.listen.size() >= sizeof a.sun_path)
        return Error("the socket path " + quote(plan.listen) + " is too long", ENAMETOOLONG);
    std::memcpy(a.sun_path, plan.listen.c_str(), plan.listen.size() + 1);
    UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!listener.valid()) return Error::fromErrno("socket(AF_UNIX)");
    ::unlink(plan.listen.c_str());
    if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
        return Error::fromErrno("bind(" + quote(plan.listen) + ")");
    auto gate = std::unique_ptr<OpenUriGate>(new OpenUriGate);
    gate->socket_ = plan.listen;
    if (::chmod(plan.listen.c_str(), 0600) != 0 || ::listen(listener.get(), 64) != 0)
        return Error::fromErrno("listen(" + quote(plan.listen) + ")");
    const pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) return Error::fromErrno("fork");
    if (pid == 0) {
        enterHelperChild(parent);
        closeAllBut({listener.get()});
        ::signal(SIGPIPE, SIG_IGN);
        ::signal(SIGCHLD, SIG_IGN);  // the openers it starts are reaped by the kernel
        Gate(plan, listener.get()).run();
    }
    gate->pid_ = pid;
    return gate;
}

void OpenUriGate::stop() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
    reapHelper(pid_, 1000);
    if (!socket_.empty()) ::unlink(socket_.c_str());
    socket_.clear();
}

OpenUriGate::~OpenUriGate() {
    stop();
}

}  // namespace lb
