#include <QtTest>

#include "profile.h"

class TstProfile : public QObject {
    Q_OBJECT
private slots:
    void sizes() {
        QCOMPARE(lb::parseSize("2G").value(), 2ull << 30);
        QVERIFY(!lb::parseSize("2 GB"));
    }
};

QTEST_GUILESS_MAIN(TstProfile)
#include "tst_profile.moc"
