#include "engine/generate/textevaluation.h"

#include <cstdio>

namespace engine {

namespace {

// Token text for one TSV cell: control bytes become C-style escapes.
std::string escapeCell(const std::string &text)
{
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\\')
            out += "\\\\";
        else if (c == '\t')
            out += "\\t";
        else if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else if (byte < 0x20 || byte == 0x7f) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", byte);
            out += hex;
        } else
            out += c;
    }
    return out;
}

} // namespace

std::string tokenLossTable(const TextEvaluation &evaluation)
{
    std::string table = "position\ttoken_id\ttoken\tloss\n";
    char loss[32];
    for (const TokenLoss &token : evaluation.tokens) {
        std::snprintf(loss, sizeof loss, "%.9g", token.loss);
        table += std::to_string(token.position) + '\t' + std::to_string(token.id) + '\t' + escapeCell(token.text)
            + '\t' + loss + '\n';
    }
    return table;
}

} // namespace engine
