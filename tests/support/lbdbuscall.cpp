// lbdbuscall NAME: a D-Bus client that keeps its connection, as programs do. On the session bus
// (DBUS_SESSION_BUS_ADDRESS) it calls NAME's org.layerbox.Test.Ping on /org/layerbox/Test, prints
// "called: " and the reply's first argument or the error's name, and stays connected until
// killed. (QtDBus, through libdbus: sd-bus clients are cut off by xdg-dbus-proxy 0.1.4,
// "Invalid message header read".)
#include <QCoreApplication>
#include <QDBusConnection>
#include <QDBusMessage>

#include <cstdio>

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: lbdbuscall NAME\n");
        return 2;
    }
    QDBusConnection bus = QDBusConnection::sessionBus();
    if (!bus.isConnected()) {
        std::fprintf(stderr, "lbdbuscall: %s\n", qPrintable(bus.lastError().message()));
        return 1;
    }
    QDBusMessage reply = bus.call(QDBusMessage::createMethodCall(
        QString::fromLocal8Bit(argv[1]), "/org/layerbox/Test", "org.layerbox.Test", "Ping"));
    std::printf("called: %s\n", reply.type() == QDBusMessage::ErrorMessage
                                    ? qPrintable(reply.errorName())
                                    : qPrintable(reply.arguments().value(0).toString()));
    std::fflush(stdout);
    return app.exec();
}
