// DatasetConfig: validation, enum names and the JSON form (nlohmann::json).
#include "engine/data/datasetconfig.h"

#include <nlohmann/json.hpp>

#include <array>
#include <utility>

namespace engine::data {

namespace {

using Json = nlohmann::json;

template<typename E, std::size_t N> using NameTable = std::array<std::pair<E, const char *>, N>;

constexpr NameTable<Shape, 8> kShapes { { { Shape::Auto, "auto" }, { Shape::Text, "text" },
    { Shape::PromptCompletion, "prompt_completion" }, { Shape::Alpaca, "alpaca" }, { Shape::Messages, "messages" },
    { Shape::ShareGpt, "sharegpt" }, { Shape::Classification, "classification" },
    { Shape::Preference, "preference" } } };
constexpr NameTable<TemplateKind, 10> kTemplates { { { TemplateKind::Auto, "auto" }, { TemplateKind::ChatML, "chatml" },
    { TemplateKind::Llama3, "llama3" }, { TemplateKind::Llama2, "llama2" }, { TemplateKind::Mistral, "mistral" },
    { TemplateKind::Zephyr, "zephyr" }, { TemplateKind::Alpaca, "alpaca" }, { TemplateKind::Raw, "raw" },
    { TemplateKind::Gemma, "gemma" }, { TemplateKind::Phi3, "phi3" } } };
constexpr NameTable<LossOn, 3> kLossOn { { { LossOn::Auto, "auto" }, { LossOn::Completion, "completion" },
    { LossOn::All, "all" } } };
constexpr NameTable<TextUnit, 2> kTextUnits { { { TextUnit::Paragraph, "paragraph" }, { TextUnit::File, "file" } } };

template<typename E, std::size_t N> const char *nameOf(const NameTable<E, N> &table, E value)
{
    for (const auto &[e, name] : table)
        if (e == value)
            return name;
    return "?";
}

template<typename E, std::size_t N> std::optional<E> valueOf(const NameTable<E, N> &table, std::string_view name)
{
    for (const auto &[e, n] : table)
        if (name == n)
            return e;
    return std::nullopt;
}

template<typename E, std::size_t N> std::string namesOf(const NameTable<E, N> &table)
{
    std::string names;
    for (const auto &[e, n] : table)
        names += (names.empty() ? "" : ", ") + std::string(n);
    return names;
}

[[noreturn]] void badKey(const std::string &key, const std::string &problem)
{
    throw Error("dataset settings: '" + key + "' " + problem);
}

template<typename T> void readValue(const Json &json, const char *key, T &out)
{
    const auto it = json.find(key);
    if (it == json.end() || it->is_null())
        return;
    try {
        out = it->get<T>();
    } catch (const Json::exception &) {
        badKey(key, std::string("has the wrong type (") + it->type_name() + ")");
    }
}

template<typename E, std::size_t N>
void readEnum(const Json &json, const char *key, const NameTable<E, N> &table, E &out)
{
    std::string name;
    readValue(json, key, name);
    if (name.empty())
        return;
    const auto value = valueOf(table, name);
    if (!value)
        badKey(key, "is '" + name + "' (hint: one of " + namesOf(table) + ")");
    out = *value;
}

DatasetConfig parseConfig(std::string_view text)
{
    Json json;
    try {
        json = Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error &e) {
        throw Error(std::string("dataset settings: invalid JSON: ") + e.what());
    }
    if (!json.is_object())
        throw Error("dataset settings: expected a JSON object");
    int version = DatasetConfig::kVersion;
    readValue(json, "version", version);
    if (version > DatasetConfig::kVersion)
        throw Error("dataset settings: version " + std::to_string(version)
            + " is newer than this Lorafit understands (hint: update Lorafit)");
    DatasetConfig c;
    readValue(json, "train_path", c.trainPath);
    readValue(json, "validation_path", c.validationPath);
    readValue(json, "validation_fraction", c.validationFraction);
    readEnum(json, "shape", kShapes, c.shape);
    readValue(json, "field_map", c.fieldMap);
    readValue(json, "role_map", c.roleMap);
    readEnum(json, "chat_template", kTemplates, c.chatTemplate);
    readValue(json, "system_prompt", c.systemPrompt);
    readEnum(json, "loss_on", kLossOn, c.lossOn);
    readValue(json, "max_length", c.maxLength);
    readValue(json, "packing", c.packing);
    readValue(json, "shuffle", c.shuffle);
    readValue(json, "seed", c.seed);
    readValue(json, "skip_bad_records", c.skipBadRecords);
    readEnum(json, "text_unit", kTextUnits, c.textUnit);
    readValue(json, "pair_separator", c.pairSeparator);
    readValue(json, "labels", c.labels);
    readValue(json, "max_record_bytes", c.maxRecordBytes);
    return c;
}

const char *const kCanonicalFields[] = { "text", "text_pair", "label", "prompt", "completion", "instruction", "input",
    "output", "messages", "conversations", "role", "content", "system", "chosen", "rejected" };

} // namespace

Status DatasetConfig::validate() const
{
    if (!(validationFraction >= 0.0 && validationFraction <= 0.5))
        return Status::failure(
            "dataset settings: validation fraction " + std::to_string(validationFraction) + " is outside [0, 0.5]");
    if (maxLength < 2 || maxLength > (1 << 20))
        return Status::failure(
            "dataset settings: maximum length " + std::to_string(maxLength) + " is outside [2, 1048576] tokens");
    if (maxRecordBytes < 1024)
        return Status::failure("dataset settings: maximum record size must be at least 1024 bytes");
    for (const auto &[canonical, name] : fieldMap) {
        bool known = false;
        for (const char *k : kCanonicalFields)
            known = known || canonical == k;
        if (!known)
            return Status::failure("dataset settings: field map names unknown field '" + canonical
                + "' (hint: map text, text_pair, label, prompt, completion, instruction, input, "
                  "output, messages, conversations, role, content or system)");
        if (name.empty())
            return Status::failure("dataset settings: field map gives '" + canonical + "' an empty name");
    }
    for (const auto &[from, to] : roleMap)
        if (to != "system" && to != "user" && to != "assistant")
            return Status::failure("dataset settings: role map sends '" + from + "' to '" + to
                + "' (hint: map roles to system, user or assistant)");
    return Status::success();
}

std::string DatasetConfig::fieldName(const std::string &canonical) const
{
    const auto it = fieldMap.find(canonical);
    return it == fieldMap.end() ? canonical : it->second;
}

std::string toJson(const DatasetConfig &c)
{
    Json json = { { "version", DatasetConfig::kVersion }, { "train_path", c.trainPath },
        { "validation_path", c.validationPath }, { "validation_fraction", c.validationFraction },
        { "shape", shapeName(c.shape) }, { "field_map", c.fieldMap }, { "role_map", c.roleMap },
        { "chat_template", templateName(c.chatTemplate) }, { "system_prompt", c.systemPrompt },
        { "loss_on", lossOnName(c.lossOn) }, { "max_length", c.maxLength }, { "packing", c.packing },
        { "shuffle", c.shuffle }, { "seed", c.seed }, { "skip_bad_records", c.skipBadRecords },
        { "text_unit", textUnitName(c.textUnit) }, { "pair_separator", c.pairSeparator }, { "labels", c.labels },
        { "max_record_bytes", c.maxRecordBytes } };
    return json.dump(2);
}

Result<DatasetConfig> datasetConfigFromJson(std::string_view json)
{
    return guard([&] { return parseConfig(json); });
}

const char *shapeName(Shape shape)
{
    return nameOf(kShapes, shape);
}
const char *templateName(TemplateKind kind)
{
    return nameOf(kTemplates, kind);
}
const char *lossOnName(LossOn lossOn)
{
    return nameOf(kLossOn, lossOn);
}
const char *textUnitName(TextUnit unit)
{
    return nameOf(kTextUnits, unit);
}
std::optional<Shape> shapeFromName(std::string_view name)
{
    return valueOf(kShapes, name);
}
std::optional<TemplateKind> templateFromName(std::string_view name)
{
    return valueOf(kTemplates, name);
}
std::optional<LossOn> lossOnFromName(std::string_view name)
{
    return valueOf(kLossOn, name);
}
std::optional<TextUnit> textUnitFromName(std::string_view name)
{
    return valueOf(kTextUnits, name);
}

} // namespace engine::data
