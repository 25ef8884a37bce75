// ExampleSource: reader + ShapeParser + renderSample with skip accounting,
// and the template resolution rules (settings, then model, then ChatML).
#include "engine/data/examplesource.h"

#include "engine/data/recorderror.h"

namespace engine::data {

namespace {

bool isChatShape(Shape shape)
{
    return shape == Shape::Messages || shape == Shape::ShareGpt || shape == Shape::PromptCompletion
        || shape == Shape::Preference;
}

bool templateUsesEos(TemplateKind kind)
{
    return kind != TemplateKind::ChatML && kind != TemplateKind::Llama3 && kind != TemplateKind::Gemma;
}

} // namespace

ExampleSource::ExampleSource(const std::string &path, const DatasetConfig &config,
    const TemplateDetection *modelTemplate, const Tokenizer *tokenizer)
    : m_skipBad(config.skipBadRecords)
{
    if (const Status valid = config.validate(); !valid)
        throw Error(valid.message());
    ReaderOptions readerOptions;
    readerOptions.textUnit = config.textUnit;
    readerOptions.textField = config.fieldName("text");
    readerOptions.maxRecordBytes = static_cast<std::size_t>(config.maxRecordBytes);
    m_reader = openRecordReader(path, readerOptions);
    if (!readRecord())
        throw Error(path + ": no readable records (hint: " + std::to_string(m_skipped)
            + " bad records were skipped; see the messages)");
    m_parser = std::make_unique<ShapeParser>(m_record, config);
    m_pending = true;
    resolveOptions(config, modelTemplate, tokenizer);
}

ExampleSource::~ExampleSource() = default;

Shape ExampleSource::shape() const
{
    return m_parser->shape();
}

const std::string &ExampleSource::shapeReason() const
{
    return m_parser->reason();
}

void ExampleSource::resolveOptions(
    const DatasetConfig &config, const TemplateDetection *modelTemplate, const Tokenizer *tokenizer)
{
    const Shape shape = m_parser->shape();
    TemplateKind kind = config.chatTemplate;
    ChatTemplate chosen;
    if (kind == TemplateKind::Auto && shape == Shape::Alpaca) {
        chosen = builtinTemplate(TemplateKind::Alpaca);
    } else if (kind == TemplateKind::Auto && modelTemplate) {
        chosen = modelTemplate->chatTemplate;
        if (!modelTemplate->warning.empty() && isChatShape(shape))
            m_warnings.push_back(modelTemplate->warning);
    } else if (kind == TemplateKind::Auto) {
        chosen = builtinTemplate(TemplateKind::ChatML);
        if (isChatShape(shape))
            m_warnings.push_back("no model chat template is known; rendering conversations as ChatML (hint: choose "
                                 "a model or a template)");
    } else {
        chosen = modelTemplate && modelTemplate->chatTemplate.kind == kind ? modelTemplate->chatTemplate
                                                                           : builtinTemplate(kind);
    }
    if (tokenizer) {
        const SpecialTokens &special = tokenizer->specialTokens();
        if (!special.bosText.empty() && !chosen.bosToken.empty())
            chosen.bosToken = special.bosText;
        if (!special.eosText.empty() && templateUsesEos(chosen.kind))
            chosen.eosToken = special.eosText;
    }
    m_options.chatTemplate = chosen;
    m_options.lossOn = config.lossOn;
    m_options.systemPrompt = config.systemPrompt;
    m_options.pairSeparator = config.pairSeparator;
    m_options.alpacaAsChat = shape == Shape::Alpaca && kind != TemplateKind::Auto && kind != TemplateKind::Alpaca;
    if (tokenizer && !tokenizer->specialTokens().eosText.empty())
        m_options.eosText = tokenizer->specialTokens().eosText;
    else if (templateUsesEos(chosen.kind) && !chosen.eosToken.empty())
        m_options.eosText = chosen.eosToken;
    else
        m_options.eosText = "</s>";
}

bool ExampleSource::readRecord()
{
    for (;;) {
        try {
            return m_reader->next(m_record);
        } catch (const RecordError &e) {
            if (!m_skipBad)
                throw;
            ++m_skipped;
            if (m_skipMessages.size() < kKeptSkipMessages)
                m_skipMessages.push_back(e.what());
        }
    }
}

bool ExampleSource::next(RenderedExample &out)
{
    if (m_rejectedPending) {
        m_rejectedPending = false;
        out = std::move(m_rejected);
        return true;
    }
    for (;;) {
        if (!m_pending && !readRecord())
            return false;
        m_pending = false;
        try {
            m_parser->parse(m_record, m_sample);
            if (m_sample.shape == Shape::Preference) {
                renderPreference(m_sample, m_options, out, m_rejected);
                m_rejectedPending = true;
            } else {
                renderSample(m_sample, m_options, out);
            }
            ++m_records;
            return true;
        } catch (const RecordError &e) {
            if (!m_skipBad)
                throw;
            ++m_skipped;
            if (m_skipMessages.size() < kKeptSkipMessages)
                m_skipMessages.push_back(e.what());
        }
    }
}

} // namespace engine::data
