// Shared helpers for tests that drive real desktop programs: servers the test starts (Xvfb, a
// window manager, PulseAudio), a tiny HTTP server on 127.0.0.1, and screenshots kept in
// build/artifacts/screenshots/.
#pragma once

#include <QByteArray>
#include <QMap>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace lbtest {

// A server process started by the test; ended (TERM, then KILL) by the destructor.
class Server {
public:
    ~Server() { stop(); }
    QProcess& proc() { return p_; }
    void stop();
    bool running() const { return p_.state() == QProcess::Running; }
    // Wait until `path` exists (a socket the server creates), or the server has exited.
    bool waitForPath(const QString& path, int ms = 15000);
    // Send the server's output (stdout and stderr) to the file `path` instead of a pipe: a pipe
    // is only read while the test waits on this process or spins the event loop, and a server
    // that fills it blocks (a display server blocked that way hangs every client). Before start.
    void logTo(const QString& path);
    // What the server said so far (its pipe, or its log file).
    QString log();

protected:
    QProcess p_;
    QString logFile_;
};

// Xvfb on a free display number, with an Xauthority file holding its cookie, another
// display's cookie and a remote host's cookie (only the first must reach the sandbox).
class Xvfb : public Server {
public:
    bool start(const QString& dir);
    QString display() const { return ":" + number_; }
    QString number() const { return number_; }
    QString socket() const { return "/tmp/.X11-unix/X" + number_; }
    QString authFile() const { return auth_; }
    QByteArray cookie() const { return cookie_; }
    // `env` with this display and its Xauthority.
    QProcessEnvironment env(QProcessEnvironment e) const;

private:
    QString number_, auth_;
    QByteArray cookie_;
};

// A small window manager (openbox, from Debian) on a display, so that windows get frames, focus
// and placement as on a desktop. True once it manages the display.
bool startWindowManager(Server& wm, const QProcessEnvironment& xenv);

// A PulseAudio daemon with a null sink, on `env`'s XDG_RUNTIME_DIR. True once its socket exists.
bool startPulseAudio(Server& pulse, const QProcessEnvironment& env);

// A tiny HTTP server on 127.0.0.1 (a thread): "/" is the test page; other paths are served from
// what `serve` registered, anything else is a 404.
class HttpServer {
public:
    HttpServer();
    ~HttpServer();
    int port() const { return port_; }
    // Request lines seen so far ("GET / HTTP/1.1").
    QStringList requests();
    // Serve `body` at `path`; `attachment` makes browsers download it (Content-Disposition).
    void serve(const QString& path, const QByteArray& body, const QByteArray& type,
               const QString& attachment = {});
    static QByteArray page();

private:
    struct Route {
        QByteArray body, type;
        QString attachment;
    };
    void loop();
    void answer(int connection);
    int fd_ = -1, port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    std::mutex m_;
    QStringList requests_;
    QMap<QString, Route> routes_;
};

// build/artifacts/screenshots, made when missing.
QString artifactsDir();
// A screenshot of the whole display of `xenv` (ImageMagick's import), copied to artifactsDir()
// as `name`; the path of the copy.
QString screenshot(const QProcessEnvironment& xenv, const QString& workDir, const QString& name);
// Top-level window names of the display in `xenv` (xwininfo -root -tree).
QString windowTree(const QProcessEnvironment& xenv);

}  // namespace lbtest
