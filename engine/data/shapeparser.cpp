// ShapeParser: detection rules in priority order, then per-shape extraction.
#include "engine/data/shapeparser.h"

#include "engine/data/recorderror.h"

namespace engine::data {

namespace {

// Built-in role names (ShareGPT's human/gpt and a few common synonyms).
std::string builtinRole(const std::string &role)
{
    if (role == "system" || role == "user" || role == "assistant")
        return role;
    if (role == "human")
        return "user";
    if (role == "gpt" || role == "bot" || role == "model")
        return "assistant";
    return {};
}

std::string fieldList(const Record &record)
{
    std::string names;
    for (const Field &f : record.fields)
        names += (names.empty() ? "'" : ", '") + f.name + "'";
    return names.empty() ? "none" : names;
}

bool isArray(const Field *f)
{
    return f && f->kind == Field::Kind::Array;
}

} // namespace

ShapeParser::ShapeParser(const Record &first, const DatasetConfig &config)
    : m_config(config)
{
    detect(first);
    for (const auto &[canonical, name] : config.fieldMap)
        m_fields[canonical] = name; // the user's map wins over the aliases found by detect()
}

std::string ShapeParser::fieldName(const std::string &canonical) const
{
    const auto it = m_fields.find(canonical);
    return it == m_fields.end() ? canonical : it->second;
}

void ShapeParser::detect(const Record &first)
{
    auto has = [&](const char *canonical) { return first.field(m_config.fieldName(canonical)) != nullptr; };
    auto hasRaw = [&](const char *name) { return first.field(name) != nullptr; };
    // GLUE columns as distributed (TSV) and as exported by HF datasets.
    if (hasRaw("sentence1") && hasRaw("sentence2") && hasRaw("gold_label"))
        m_fields = { { "text", "sentence1" }, { "text_pair", "sentence2" }, { "label", "gold_label" } };
    else if (hasRaw("premise") && hasRaw("hypothesis"))
        m_fields = { { "text", "premise" }, { "text_pair", "hypothesis" } };
    else if (hasRaw("sentence") && !has("text"))
        m_fields = { { "text", "sentence" } };
    for (const auto &[canonical, name] : m_config.fieldMap)
        m_fields[canonical] = name;
    auto present = [&](const char *canonical) { return first.field(fieldName(canonical)) != nullptr; };

    if (m_config.shape != Shape::Auto) {
        m_shape = m_config.shape;
        m_reason = "chosen in the dataset settings";
    } else if (present("chosen") && present("rejected")) {
        m_shape = Shape::Preference;
        m_reason = "fields '" + fieldName("chosen") + "' and '" + fieldName("rejected") + "' (preference pairs)";
    } else if (isArray(first.field(fieldName("messages")))) {
        m_shape = Shape::Messages;
        m_reason = "field '" + fieldName("messages") + "' holds a list of messages";
    } else if (isArray(first.field(fieldName("conversations")))) {
        m_shape = Shape::ShareGpt;
        m_reason = "field '" + fieldName("conversations") + "' holds a ShareGPT conversation";
    } else if (present("instruction") && present("output")) {
        m_shape = Shape::Alpaca;
        m_reason = "fields '" + fieldName("instruction") + "' and '" + fieldName("output") + "' (Alpaca)";
    } else if (present("prompt") && present("completion")) {
        m_shape = Shape::PromptCompletion;
        m_reason = "fields '" + fieldName("prompt") + "' and '" + fieldName("completion") + "'";
    } else if (present("text") && present("label")) {
        m_shape = Shape::Classification;
        m_reason = "fields '" + fieldName("text") + "'"
            + (present("text_pair") ? ", '" + fieldName("text_pair") + "'" : "") + " and '" + fieldName("label")
            + "' (labelled text)";
    } else if (present("text")) {
        m_shape = Shape::Text;
        m_reason = "field '" + fieldName("text") + "' (plain text)";
    } else {
        throw Error(first.where() + ": cannot tell the dataset shape from the fields " + fieldList(first)
            + " (hint: Lorafit reads text, prompt/completion, instruction/input/output, messages, "
              "conversations, text/label and prompt/chosen/rejected records; map your field names in the dataset "
              "settings)");
    }
}

namespace {

// The string field `name`; throws naming it when absent (unless optional) or not a string.
const std::string *stringField(const Record &record, const std::string &name, bool optional, bool allowNumber = false)
{
    const Field *f = record.field(name);
    if (!f || f->kind == Field::Kind::Null) {
        if (optional)
            return nullptr;
        throw RecordError(record.where() + ": field '" + name + "' is missing (hint: the record has "
            + fieldList(record) + "; map the field name in the dataset settings)");
    }
    const bool ok = f->kind == Field::Kind::String
        || (allowNumber && (f->kind == Field::Kind::Number || f->kind == Field::Kind::Bool));
    if (!ok)
        throw RecordError(record.where() + ": field '" + name + "' must be a string, not " + kindName(f->kind));
    return &f->text;
}

void requireText(const Record &record, const std::string &name, const std::string &value)
{
    if (value.find_first_not_of(" \t\r\n") == std::string::npos)
        throw RecordError(record.where() + ": field '" + name + "' is empty (hint: remove the record or fill it in)");
}

} // namespace

std::string ShapeParser::mapRole(const Record &record, std::size_t index, const std::string &role) const
{
    const auto it = m_config.roleMap.find(role);
    if (it != m_config.roleMap.end())
        return it->second;
    std::string mapped = builtinRole(role);
    if (mapped.empty())
        throw RecordError(record.where() + ": message " + std::to_string(index + 1) + " has unknown role '" + role
            + "' (hint: map it to system, user or assistant in the dataset settings' role map)");
    return mapped;
}

void ShapeParser::parseMessage(
    const Record &record, const Field &item, std::size_t index, std::vector<Message> &out) const
{
    const std::string where = record.where() + ": message " + std::to_string(index + 1);
    if (item.kind != Field::Kind::Object)
        throw RecordError(where + " is " + kindName(item.kind) + ", expected an object with a role and a content");
    const std::string roleKey = fieldName("role");
    const std::string contentKey = fieldName("content");
    const Field *role = item.member(roleKey);
    if (!role && m_fields.count("role") == 0)
        role = item.member("from"); // ShareGPT; also accepted inside "messages"
    const Field *content = item.member(contentKey);
    if (!content && m_fields.count("content") == 0)
        content = item.member("value");
    if (!role || role->kind != Field::Kind::String)
        throw RecordError(where + (role ? " has a role that is not a string" : " has no '" + roleKey + "'")
            + " (hint: messages look like {\"role\": \"user\", \"content\": \"...\"})");
    if (!content || content->kind != Field::Kind::String)
        throw RecordError(where
            + (content ? " has a content that is " + std::string(kindName(content->kind)) + ", not a string"
                       : " has no '" + contentKey + "'")
            + " (hint: messages look like {\"role\": \"user\", \"content\": \"...\"})");
    Message message { mapRole(record, index, role->text), content->text, true };
    if (const Field *weight = item.member("weight"); weight && weight->kind == Field::Kind::Number)
        message.trained = weight->text != "0";
    out.push_back(std::move(message));
}

void ShapeParser::parseConversation(const Record &record, const Field &list, std::vector<Message> &out) const
{
    if (list.kind != Field::Kind::Array)
        throw RecordError(
            record.where() + ": field '" + list.name + "' must be a list of messages, not " + kindName(list.kind));
    if (list.children.empty())
        throw RecordError(record.where() + ": field '" + list.name + "' has no messages");
    for (std::size_t i = 0; i < list.children.size(); ++i)
        parseMessage(record, list.children[i], out.size(), out);
}

void ShapeParser::parse(const Record &record, Sample &out) const
{
    out = Sample();
    out.shape = m_shape;
    out.source = record.source;
    out.line = record.line;
    switch (m_shape) {
    case Shape::Text:
        out.text = *stringField(record, fieldName("text"), false);
        requireText(record, fieldName("text"), out.text);
        break;
    case Shape::Classification: {
        out.text = *stringField(record, fieldName("text"), false);
        requireText(record, fieldName("text"), out.text);
        if (const std::string *pair = stringField(record, fieldName("text_pair"), true))
            out.textPair = *pair;
        out.label = *stringField(record, fieldName("label"), false, true);
        requireText(record, fieldName("label"), out.label);
        break;
    }
    case Shape::PromptCompletion: {
        const Field *prompt = record.field(fieldName("prompt"));
        if (prompt && prompt->kind == Field::Kind::Array) { // conversational prompt-completion
            parseConversation(record, *prompt, out.messages);
            const Field *completion = record.field(fieldName("completion"));
            if (!completion)
                stringField(record, fieldName("completion"), false); // throws "missing"
            parseConversation(record, *completion, out.messages);
            out.shape = Shape::Messages;
            break;
        }
        out.prompt = *stringField(record, fieldName("prompt"), false);
        out.completion = *stringField(record, fieldName("completion"), false);
        requireText(record, fieldName("completion"), out.completion);
        break;
    }
    case Shape::Alpaca:
        out.instruction = *stringField(record, fieldName("instruction"), false);
        requireText(record, fieldName("instruction"), out.instruction);
        if (const std::string *input = stringField(record, fieldName("input"), true))
            out.input = *input;
        out.output = *stringField(record, fieldName("output"), false);
        break;
    case Shape::Messages:
    case Shape::ShareGpt: {
        const std::string listName = fieldName(m_shape == Shape::Messages ? "messages" : "conversations");
        const Field *list = record.field(listName);
        if (!list)
            throw RecordError(record.where() + ": field '" + listName + "' is missing (hint: the record has "
                + fieldList(record) + ")");
        if (const std::string *system = stringField(record, fieldName("system"), true); system && !system->empty())
            out.messages.push_back({ "system", *system, true });
        parseConversation(record, *list, out.messages);
        break;
    }
    case Shape::Preference:
        parsePreference(record, out);
        break;
    case Shape::Auto:
        break;
    }
}

// One answer: a string, or a list of (assistant) messages as TRL's conversational format has it.
void ShapeParser::parseAnswer(const Record &record, const std::string &canonical, std::vector<Message> &out) const
{
    const std::string name = fieldName(canonical);
    const Field *answer = record.field(name);
    if (answer && answer->kind == Field::Kind::Array) {
        parseConversation(record, *answer, out);
        for (const Message &message : out)
            if (message.role != "assistant")
                throw RecordError(record.where() + ": field '" + name + "' holds a " + message.role
                    + " message (hint: '" + name + "' is the answer: a string or assistant messages)");
        return;
    }
    const std::string text = *stringField(record, name, false);
    requireText(record, name, text);
    out.push_back({ "assistant", text, true });
}

// {"prompt": str | [messages], "chosen", "rejected"} or {"messages": [...], "chosen", "rejected"}.
void ShapeParser::parsePreference(const Record &record, Sample &out) const
{
    const Field *prompt = record.field(fieldName("prompt"));
    const Field *messages = record.field(fieldName("messages"));
    if (prompt && prompt->kind == Field::Kind::Array) {
        parseConversation(record, *prompt, out.messages);
    } else if (!prompt && messages) {
        parseConversation(record, *messages, out.messages);
    } else {
        out.prompt = *stringField(record, fieldName("prompt"), false);
        requireText(record, fieldName("prompt"), out.prompt);
    }
    for (Message &message : out.messages)
        message.trained = false; // only the answers count
    parseAnswer(record, "chosen", out.chosen);
    parseAnswer(record, "rejected", out.rejected);
    auto text = [](const std::vector<Message> &answer) {
        std::string all;
        for (const Message &message : answer)
            all += message.content + '\n';
        return all;
    };
    if (text(out.chosen) == text(out.rejected))
        throw RecordError(record.where() + ": fields '" + fieldName("chosen") + "' and '" + fieldName("rejected")
            + "' are the same answer, which teaches no preference (hint: remove the record or fix one answer)");
}

} // namespace engine::data
