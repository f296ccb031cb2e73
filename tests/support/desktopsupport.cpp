#include "desktopsupport.h"

#include <QDebug>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testsupport.h"

namespace lbtest {

namespace {

constexpr uint16_t kFamilyInternet = 0, kFamilyLocal = 256;

QByteArray xauthEntry(uint16_t family, const QByteArray& address, const QByteArray& number,
                      const QByteArray& cookie) {
    QByteArray out;
    auto u16 = [&](int v) {
        out += char((v >> 8) & 0xff);
        out += char(v & 0xff);
    };
    u16(family);
    for (const QByteArray& f : {address, number, QByteArray("MIT-MAGIC-COOKIE-1"), cookie}) {
        u16(int(f.size()));
        out += f;
    }
    return out;
}

QByteArray hostName() {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    return name;
}

QByteArray randomBytes(int n) {
    QByteArray b(n, '\0');
    for (auto& c : b)
        c = char(QRandomGenerator::global()->bounded(256));
    return b;
}

}  // namespace

void Server::stop() {
    if (p_.state() == QProcess::NotRunning) return;
    p_.terminate();
    if (!p_.waitForFinished(5000)) {
        p_.kill();
        p_.waitForFinished(5000);
    }
}

bool Server::waitForPath(const QString& path, int ms) {
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms) {
        if (QFileInfo::exists(path)) return true;
        // waitForFinished (not a sleep, not waitForReadyRead: the output may go to a file)
        // notices the server's end and reads a pipe meanwhile.
        if (p_.state() == QProcess::NotRunning || p_.waitForFinished(50)) return false;
    }
    return false;
}

void Server::logTo(const QString& path) {
    logFile_ = path;
    p_.setProcessChannelMode(QProcess::MergedChannels);
    p_.setStandardOutputFile(path);
}

QString Server::log() {
    QByteArray out = p_.readAll();
    if (!logFile_.isEmpty()) out += readFile(logFile_);
    return QString::fromUtf8(out);
}

bool Xvfb::start(const QString& dir) {
    for (int attempt = 0; attempt < 20; ++attempt) {
        int n = 140 + QRandomGenerator::global()->bounded(400);
        if (QFileInfo::exists(QString("/tmp/.X11-unix/X%1").arg(n)) ||
            QFileInfo::exists(QString("/tmp/.X%1-lock").arg(n)))
            continue;
        number_ = QString::number(n);
        cookie_ = randomBytes(16);
        auth_ = dir + "/Xauthority";
        QByteArray file = xauthEntry(kFamilyLocal, hostName(), number_.toUtf8(), cookie_) +
                          xauthEntry(kFamilyLocal, hostName(), QByteArray::number(n + 1),
                                     "other-display-cookie") +
                          xauthEntry(kFamilyInternet, QByteArray("\x0a\x01\x02\x03", 4),
                                     number_.toUtf8(), "remote-host-cookie");
        if (!writeFile(auth_, file)) return false;
        // Its warnings (xkbcomp's, each time a client changes the keymap) go to a file: a full
        // pipe would block the server and with it every client.
        logTo(dir + "/.Xvfb-" + number_ + ".log");
        // -noreset: without it, the server resets itself whenever its last client leaves, and a
        // client connecting during that reset is dropped ("Failed to open the display"): a
        // window manager started while the test probes the display with xprop sometimes never
        // came up (3 in 35 starts here without -noreset, 0 in 25 with it).
        p_.start("Xvfb", {":" + number_, "-nolisten", "tcp", "-noreset", "-auth", auth_, "-screen",
                          "0", "1280x800x24"});
        if (waitForPath(socket())) return true;
        qInfo().noquote() << "Xvfb :" + number_ << "did not start:" << log();
        stop();
    }
    return false;
}

QProcessEnvironment Xvfb::env(QProcessEnvironment e) const {
    e.insert("DISPLAY", display());
    e.insert("XAUTHORITY", authFile());
    return e;
}

bool startWindowManager(Server& wm, const QProcessEnvironment& xenv) {
    wm.proc().setProcessEnvironment(xenv);
    // Its --debug output to a file next to the Xauthority (the test's home), never a pipe that
    // nobody reads while the test waits on something else.
    wm.logTo(QFileInfo(xenv.value("XAUTHORITY")).absolutePath() + "/.openbox.log");
    wm.proc().start("openbox", {"--sm-disable", "--debug"});
    if (!wm.proc().waitForStarted(10000)) return false;
    // A window manager owns the screen's WM_S0 selection once it manages the display; openbox
    // also sets _NET_SUPPORTING_WM_CHECK on the root window. It takes well under a second; 60 s
    // for a loaded machine. waitForFinished between probes notices an openbox that gave up
    // (QProcess's state is not updated otherwise while no event loop runs).
    QByteArray said;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 60000) {
        QProcess q;
        q.setProcessEnvironment(xenv);
        q.setProcessChannelMode(QProcess::MergedChannels);
        q.start("xprop", {"-root", "_NET_SUPPORTING_WM_CHECK"});
        q.waitForFinished(5000);
        said = q.readAll();
        if (said.contains("window id")) return true;
        if (!wm.running() || wm.proc().waitForFinished(50)) break;
    }
    qWarning().noquote() << "openbox did not start (" << (wm.running() ? "running" : "exited")
                         << "):" << wm.log() << "xprop:" << said;
    return false;
}

bool startPulseAudio(Server& pulse, const QProcessEnvironment& env) {
    pulse.proc().setProcessEnvironment(env);
    pulse.proc().setProcessChannelMode(QProcess::MergedChannels);
    pulse.proc().start("pulseaudio",
                       {"--daemonize=no", "-n", "--exit-idle-time=-1", "--load=module-null-sink",
                        "--load=module-native-protocol-unix"});
    QString socket = env.value("XDG_RUNTIME_DIR") + "/pulse/native";
    if (pulse.waitForPath(socket)) return true;
    qWarning().noquote() << "pulseaudio did not start:" << pulse.log();
    return false;
}

HttpServer::HttpServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] { loop(); });
}

HttpServer::~HttpServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
}

QStringList HttpServer::requests() {
    std::lock_guard<std::mutex> l(m_);
    return requests_;
}

void HttpServer::serve(const QString& path, const QByteArray& body, const QByteArray& type,
                       const QString& attachment) {
    std::lock_guard<std::mutex> l(m_);
    routes_[path] = Route{body, type, attachment};
}

QByteArray HttpServer::page() {
    return "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
           "<title>Layerbox test page</title></head>"
           "<body style=\"background:#1f7a4d;color:white;font-family:sans-serif\">"
           "<h1 style=\"font-size:56px\">Served from the host's 127.0.0.1</h1>"
           "<p style=\"font-size:28px\">A browser in a Layerbox sandbox reached this page "
           "through slirp4netns (10.0.2.2) on the one port its firewall allows.</p>"
           "</body></html>";
}

void HttpServer::loop() {
    // One thread a connection: a browser opens connections before it has a request for them
    // (Chromium's preconnect) and sends one seconds later; answered one after another, such an
    // idle connection held up the next request, and a timed-out one was answered with a 404
    // that the browser then showed for its next request.
    std::vector<std::thread> connections;
    while (!stop_) {
        struct pollfd p = {fd_, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) connections.emplace_back([this, c] { answer(c); });
    }
    for (auto& t : connections)
        t.join();
}

void HttpServer::answer(int c) {
    QByteArray req;
    char buf[4096];
    // Until the request's head is in, the peer closes, or the server stops (checked every
    // 100 ms; at most a minute for one request).
    for (int waited = 0; !req.contains("\r\n\r\n") && !stop_ && waited < 600; ++waited) {
        struct pollfd p = {c, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, int(n));
    }
    if (!req.contains("\r\n")) {  // a connection that never asked for anything
        ::close(c);
        return;
    }
    QByteArray line = req.left(req.indexOf("\r\n"));
    QList<QByteArray> parts = line.split(' ');
    QString path = parts.size() > 1 ? QString::fromUtf8(parts[1]) : QString();
    QByteArray status = "200 OK", type = "text/html; charset=utf-8", body, extra;
    {
        std::lock_guard<std::mutex> l(m_);
        requests_ << QString::fromUtf8(line);
        if (!line.startsWith("GET ")) {
            status = "404 Not Found";
            body = "not here";
        } else if (routes_.contains(path)) {
            const Route& r = routes_[path];
            body = r.body;
            type = r.type;
            if (!r.attachment.isEmpty())
                extra = "Content-Disposition: attachment; filename=\"" + r.attachment.toUtf8() +
                        "\"\r\n";
        } else if (path == "/") {
            body = page();
        } else {
            status = "404 Not Found";
            body = "not here";
        }
    }
    QByteArray resp = "HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\n" + extra +
                      "Connection: close\r\nContent-Length: " + QByteArray::number(body.size()) +
                      "\r\n\r\n" + body;
    (void)!::write(c, resp.constData(), size_t(resp.size()));
    ::close(c);
}

QString artifactsDir() {
    QString d = QDir(testBinDir() + "/../artifacts/screenshots").absolutePath();
    QDir().mkpath(d);
    return d;
}

QString screenshot(const QProcessEnvironment& xenv, const QString& workDir, const QString& name) {
    QString file = workDir + "/" + name;
    QProcess p;
    p.setProcessEnvironment(xenv);
    p.start("import", {"-window", "root", file});
    if (!p.waitForFinished(30000) || p.exitCode() != 0)
        qWarning().noquote() << "import failed:" << p.readAllStandardError();
    QString dest = artifactsDir() + "/" + name;
    QFile::remove(dest);
    if (!QFile::copy(file, dest)) {
        qWarning().noquote() << "cannot copy the screenshot to" << dest;
        return file;
    }
    qInfo().noquote() << "screenshot:" << dest;
    return dest;
}

QString windowTree(const QProcessEnvironment& xenv) {
    QProcess p;
    p.setProcessEnvironment(xenv);
    p.start("xwininfo", {"-root", "-tree"});
    p.waitForFinished(10000);
    return QString::fromUtf8(p.readAllStandardOutput());
}

}  // namespace lbtest
