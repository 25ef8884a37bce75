// shardOf: the rows each rank of a data-parallel run trains on. Checked
// against the whole batch: the ranks' rows, in rank order, are the batch's
// rows exactly once, with the batch's T, the right first token, the trained
// tokens recounted; a rank without rows gets a placeholder that trains nothing.
#include "engine/dist/batchshard.h"

#include <QTest>

namespace {

// A batch of `rows` rows of 4 tokens: ids r·10 + c, labels −100 on each row's first two columns.
engine::data::Batch makeBatch(int rows)
{
    engine::data::Batch batch;
    batch.rows = rows;
    batch.columns = 4;
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < 4; ++c) {
            batch.inputIds.push_back(r * 10 + c);
            batch.labels.push_back(c < 2 ? engine::data::kIgnoreIndex : r * 10 + c);
            batch.attentionMask.push_back(1);
            batch.positionIds.push_back(c);
        }
    }
    batch.trainedTokens = 2 * rows;
    batch.documents = rows;
    return batch;
}

} // namespace

class TestBatchShard : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void ranksCoverTheBatchOnce_data()
    {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("world");
        QTest::newRow("4 rows, 2 ranks") << 4 << 2;
        QTest::newRow("3 rows, 2 ranks") << 3 << 2;
        QTest::newRow("5 rows, 3 ranks") << 5 << 3;
        QTest::newRow("7 rows, 1 rank") << 7 << 1;
    }

    void ranksCoverTheBatchOnce()
    {
        QFETCH(int, rows);
        QFETCH(int, world);
        const engine::data::Batch batch = makeBatch(rows);
        std::vector<engine::TokenId> ids;
        std::int64_t trained = 0;
        for (int rank = 0; rank < world; ++rank) {
            const engine::BatchShard shard = engine::shardOf(batch, rank, world);
            QVERIFY(!shard.placeholder);
            QCOMPARE(shard.batch.columns, 4);
            QCOMPARE(shard.firstToken, static_cast<std::int64_t>(ids.size())); // the token where its rows start
            QCOMPARE(int(shard.batch.labels.size()), shard.batch.rows * 4);
            ids.insert(ids.end(), shard.batch.inputIds.begin(), shard.batch.inputIds.end());
            trained += shard.batch.trainedTokens;
        }
        QCOMPARE(ids, batch.inputIds);
        QCOMPARE(trained, batch.trainedTokens);
    }

    void aRankWithoutRowsGetsAPlaceholder()
    {
        const engine::data::Batch batch = makeBatch(1); // one row, two ranks: rank 1 takes it
        const engine::BatchShard owner = engine::shardOf(batch, 1, 2);
        QVERIFY(!owner.placeholder);
        QCOMPARE(owner.batch.inputIds, batch.inputIds);
        QCOMPARE(owner.batch.trainedTokens, std::int64_t(2));
        const engine::BatchShard empty = engine::shardOf(batch, 0, 2);
        QVERIFY(empty.placeholder);
        QCOMPARE(empty.batch.rows, 1);
        QCOMPARE(empty.batch.trainedTokens, std::int64_t(0));
        for (const engine::TokenId label : empty.batch.labels)
            QCOMPARE(label, engine::data::kIgnoreIndex);
        for (const std::int32_t mask : empty.batch.attentionMask)
            QCOMPARE(mask, 0);
    }
};

QTEST_GUILESS_MAIN(TestBatchShard)
#include "test_batchshard.moc"
