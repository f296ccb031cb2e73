// `layerbox doctor --json` on this host: the checks and the host facts the GUI reads are one
// answer (a fact and the check made of it never disagree), and the facts are this host's.
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

#include <unistd.h>

#include "testsupport.h"

using namespace lbtest;

class TstDoctor : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY2(::getuid() != 0, "must run as an unprivileged user"); }

    void factsAgreeWithChecks() {
        TestHome home;
        auto r = home.layerbox({"doctor", "--json"});
        QVERIFY2(r.exitCode == 0 || r.exitCode == 1, qPrintable(r.err));
        const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QHash<QString, QString> status;
        for (const QJsonValue& v : o["checks"].toArray())
            status.insert(v["id"].toString(), v["status"].toString());
        QVERIFY(status.size() >= 14);
        const QJsonObject host = o["host"].toObject();
        QVERIFY2(!host.isEmpty(), qPrintable(r.out));
        QCOMPARE(host["user_namespaces"].toBool(), status["userns"] == "ok");
        const QJsonObject storage = host["storage"].toObject();
        QCOMPARE(storage["driver"].toString() == "native", status["overlay"] == "ok");
        QCOMPARE(storage["fuse_overlayfs"].toBool() && storage["dev_fuse"].toBool(),
                 status["fuse"] == "ok");
        const QJsonObject net = host["network"].toObject();
        QCOMPARE(net["slirp4netns"].toBool() && net["dev_net_tun"].toBool(),
                 status["slirp4netns"] == "ok");
        QCOMPARE(net["firewall"].toBool(), status["firewall"] == "ok");
        // What internet-only refuses here: the fixed ranges and every address of the host's
        // interfaces (as `ip` lists them), loopback aside.
        const QJsonObject inet = net["internet_only"].toObject();
        QCOMPARE(inet["error"].toString(), QString());
        QCOMPARE(status["internet-only"], QString("ok"));
        QVERIFY(inet["ranges"].toArray().contains(QString("192.168.0.0/16")));
        QProcess ip;
        ip.start("ip", {"-o", "-4", "addr", "show"});
        QVERIFY(ip.waitForFinished(10000));
        const QStringList hostList = inet["host"].toVariant().toStringList();
        auto v4 = [](const QString& a) {
            quint32 n = 0;
            for (const QString& part : a.section('/', 0, 0).split('.'))
                n = (n << 8) | part.toUInt();
            return n;
        };
        for (const QString& line : QString::fromUtf8(ip.readAllStandardOutput()).split('\n')) {
            const QStringList f = line.simplified().split(' ');
            if (f.size() < 4 || f[3].startsWith("127.")) continue;
            // "192.0.2.1/24": refused alone or inside a network (its on-link route).
            bool refused = false;
            for (const QString& n : hostList) {
                if (n.contains(':')) continue;
                const int len = n.section('/', 1).toInt();
                const quint32 mask = len == 0 ? 0 : ~quint32(0) << (32 - len);
                refused = refused || (v4(f[3]) & mask) == (v4(n) & mask);
            }
            QVERIFY2(refused, qPrintable(f[3] + " not in " + hostList.join(' ')));
        }
        QCOMPARE(host["dbus_proxy"].toBool(), status["dbus-proxy"] == "ok");
        const QJsonObject limits = host["limits"].toObject();
        bool anyEnforced = false;
        QStringList keys;
        for (const QJsonValue& f : limits["fields"].toArray()) {
            keys << f["key"].toString();
            anyEnforced = anyEnforced || f["enforced"].toBool();
            if (f["enforced"].toBool())
                QVERIFY(limits["controllers"].toArray().contains(f["controller"]));
        }
        QCOMPARE(keys, (QStringList{"memory_max", "memory_high", "memory_swap_max", "cpu_percent",
                                    "cpu_weight", "tasks_max", "io_weight"}));
        QCOMPARE(anyEnforced, status["systemd"] == "ok");
        QCOMPARE(limits["hybrid_cgroups"].toBool(),
                 QFileInfo::exists("/sys/fs/cgroup/unified/cgroup.controllers"));
        // The GPU nodes are this host's.
        QStringList dri =
            QDir("/dev/dri").entryList(QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot);
        QStringList gpu;
        for (const QJsonValue& g : host["gpu"].toArray())
            gpu << g.toString();
        dri.sort();
        QCOMPARE(gpu, dri);
        QCOMPARE(status["gpu"], dri.isEmpty() ? QString("warning") : QString("ok"));
        qInfo().noquote() << "doctor here:" << QJsonDocument(host).toJson(QJsonDocument::Compact);
    }
};

QTEST_MAIN(TstDoctor)
#include "tst_doctor.moc"
