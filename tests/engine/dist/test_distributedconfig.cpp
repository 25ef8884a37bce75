// DistributedConfig from torchrun's variables and --master: what a launcher
// sets is read as it means, and a wrong value is refused with its name.
#include "engine/dist/distributedconfig.h"

#include <QTest>

namespace {

void setAll(const char *rank, const char *world, const char *local, const char *address, const char *port)
{
    const std::pair<const char *, const char *> variables[] = { { "RANK", rank }, { "WORLD_SIZE", world },
        { "LOCAL_RANK", local }, { "MASTER_ADDR", address }, { "MASTER_PORT", port } };
    for (const auto &[name, value] : variables) {
        if (value)
            qputenv(name, value);
        else
            qunsetenv(name);
    }
}

} // namespace

class TestDistributedConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup() { setAll(nullptr, nullptr, nullptr, nullptr, nullptr); }

    void noVariablesIsOneProcess()
    {
        setAll(nullptr, nullptr, nullptr, nullptr, nullptr);
        const auto config = engine::distributedFromEnvironment();
        QVERIFY(config.isOk());
        QVERIFY(!config.value().has_value());
    }

    void readsTorchrunsVariables()
    {
        setAll("3", "4", "1", "node7", "29501");
        const auto config = engine::distributedFromEnvironment();
        QVERIFY2(config.isOk(), config.message().c_str());
        const engine::DistributedConfig &c = *config.value();
        QCOMPARE(c.rank, 3);
        QCOMPARE(c.worldSize, 4);
        QCOMPARE(c.localRank, 1);
        QCOMPARE(c.masterAddress, std::string("node7"));
        QCOMPARE(c.masterPort, 29501);
        QVERIFY(c.enabled() && !c.isLeader());
    }

    void badVariablesAreNamed_data()
    {
        QTest::addColumn<QByteArray>("rank");
        QTest::addColumn<QByteArray>("world");
        QTest::addColumn<QByteArray>("port");
        QTest::addColumn<QString>("expected");
        QTest::newRow("rank past world") << QByteArray("2") << QByteArray("2") << QByteArray("29500") << "RANK is 2";
        QTest::newRow("not a number") << QByteArray("one") << QByteArray("2") << QByteArray("29500") << "RANK is 'one'";
        QTest::newRow("world missing") << QByteArray("0") << QByteArray() << QByteArray("29500") << "WORLD_SIZE is not set";
        QTest::newRow("port") << QByteArray("0") << QByteArray("2") << QByteArray("70000") << "MASTER_PORT is 70000";
    }

    void badVariablesAreNamed()
    {
        QFETCH(QByteArray, rank);
        QFETCH(QByteArray, world);
        QFETCH(QByteArray, port);
        QFETCH(QString, expected);
        setAll(rank.constData(), world.isEmpty() ? nullptr : world.constData(), nullptr, nullptr, port.constData());
        const auto config = engine::distributedFromEnvironment();
        QVERIFY(!config.isOk());
        QVERIFY2(QString::fromStdString(config.message()).contains(expected), config.message().c_str());
    }

    void parsesMasterEndpoints()
    {
        engine::DistributedConfig config;
        QVERIFY(engine::parseMasterEndpoint("10.0.0.1:29600", "--master", config).isOk());
        QCOMPARE(config.masterAddress, std::string("10.0.0.1"));
        QCOMPARE(config.masterPort, 29600);
        QVERIFY(engine::parseMasterEndpoint("[fe80::1]:1234", "--master", config).isOk());
        QCOMPARE(config.masterAddress, std::string("fe80::1"));
        const engine::Status bad = engine::parseMasterEndpoint("node7", "--master", config);
        QVERIFY(!bad.isOk());
        QVERIFY(QString::fromStdString(bad.message()).contains(QStringLiteral("--master 'node7'")));
    }
};

QTEST_GUILESS_MAIN(TestDistributedConfig)
#include "test_distributedconfig.moc"
