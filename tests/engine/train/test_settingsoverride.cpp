// SECTION.KEY=VALUE overrides on a settings document: JSON values keep their
// type, anything else becomes a string, a missing section is added, a later
// assignment wins, and a malformed assignment is named with a hint.
#include "engine/train/settingsoverride.h"

#include <QTest>

#include <nlohmann/json.hpp>

namespace {

using json = nlohmann::json;

const char *const kDocument = R"({"lorafit_settings": 1, "sections": {"optimizer": {"version": 1,
    "values": {"learning_rate": 0.0002, "loraplus_ratio": 16}}}})";

json applied(const std::vector<std::string> &assignments)
{
    const auto changed = engine::applySettingOverrides(kDocument, assignments);
    if (!changed)
        qFatal("%s", changed.message().c_str());
    return json::parse(changed.value());
}

} // namespace

class TestSettingsOverride : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void valuesKeepTheirJsonType_data()
    {
        QTest::addColumn<QString>("assignment");
        QTest::addColumn<QString>("expected"); // the value as JSON
        QTest::newRow("number") << "optimizer.learning_rate=1e-4" << "0.0001";
        QTest::newRow("integer") << "optimizer.loraplus_ratio=4" << "4";
        QTest::newRow("bool") << "training.gradient_checkpointing=true" << "true";
        QTest::newRow("quoted string") << "optimizer.schedule=\"cosine\"" << "\"cosine\"";
        QTest::newRow("bare word") << "optimizer.loraplus_ratio=auto" << "\"auto\"";
        QTest::newRow("array") << "lora.target_modules=[\"q_proj\",\"v_proj\"]" << "[\"q_proj\",\"v_proj\"]";
        QTest::newRow("spaces around") << " optimizer . learning_rate = 3e-4 " << "0.0003";
        QTest::newRow("not JSON") << "dataset.train_path=data/a b.jsonl" << "\"data/a b.jsonl\"";
    }

    void valuesKeepTheirJsonType()
    {
        QFETCH(QString, assignment);
        QFETCH(QString, expected);
        const auto parsed = engine::parseSettingAssignment(assignment.toStdString());
        QVERIFY2(parsed.isOk(), parsed.message().c_str());
        const json document = applied({ assignment.toStdString() });
        const json &value = document["sections"][parsed->section]["values"][parsed->key];
        QCOMPARE(QString::fromStdString(value.dump()), expected);
    }

    void othersStayAndLaterWins()
    {
        const json document = applied({ "optimizer.loraplus_ratio=4", "optimizer.loraplus_ratio=8" });
        const json &values = document["sections"]["optimizer"]["values"];
        QCOMPARE(values["loraplus_ratio"].get<int>(), 8);
        QCOMPARE(values["learning_rate"].get<double>(), 0.0002);
        QCOMPARE(document["lorafit_settings"].get<int>(), 1);
    }

    void aMissingSectionIsAdded()
    {
        const json document = applied({ "training.max_steps=7" });
        QCOMPARE(document["sections"]["training"]["version"].get<int>(), 1);
        QCOMPARE(document["sections"]["training"]["values"]["max_steps"].get<int>(), 7);
    }

    void badAssignmentsAreNamed_data()
    {
        QTest::addColumn<QString>("assignment");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no equals") << "optimizer.loraplus_ratio" << "'optimizer.loraplus_ratio': expected SECTION.KEY=VALUE (hint:";
        QTest::newRow("no section") << "loraplus_ratio=4" << "'loraplus_ratio=4': expected SECTION.KEY=VALUE";
        QTest::newRow("no key") << "optimizer.=4" << "'optimizer.=4': expected";
        QTest::newRow("no value") << "optimizer.loraplus_ratio= " << "no value after '=' (hint: e.g. optimizer.loraplus_ratio=1";
    }

    void badAssignmentsAreNamed()
    {
        QFETCH(QString, assignment);
        QFETCH(QString, expected);
        const auto changed = engine::applySettingOverrides(kDocument, std::vector<std::string>{ assignment.toStdString() });
        QVERIFY(!changed.isOk());
        QVERIFY2(QString::fromStdString(changed.message()).contains(expected), changed.message().c_str());
    }

    void aBrokenDocumentIsNamed()
    {
        const auto changed = engine::applySettingOverrides("[1, 2]", std::vector<std::string>{ "a.b=1" });
        QVERIFY(!changed.isOk());
        QVERIFY2(QString::fromStdString(changed.message()).contains("settings document is not a JSON object"),
            changed.message().c_str());
        const auto section = engine::applySettingOverrides(R"({"sections": {"optimizer": 3}})",
            std::vector<std::string>{ "optimizer.learning_rate=1" });
        QVERIFY(!section.isOk());
        QVERIFY2(QString::fromStdString(section.message()).contains("section 'optimizer'"), section.message().c_str());
    }
};

QTEST_GUILESS_MAIN(TestSettingsOverride)
#include "test_settingsoverride.moc"
