#include "engine/train/sweepsummary.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace engine {

namespace {

using json = nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

json numberOrNull(double value)
{
    return std::isfinite(value) ? json(value) : json(nullptr);
}

std::string fixed(double value, const char *format)
{
    if (!std::isfinite(value))
        return "—";
    char text[64];
    std::snprintf(text, sizeof text, format, value);
    return text;
}

// Columns are padded by characters, not bytes: "λ" and "—" are two bytes of UTF-8 each.
std::size_t displayWidth(const std::string &text)
{
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string padded(const std::string &text, std::size_t width, bool right)
{
    const std::string fill(width > displayWidth(text) ? width - displayWidth(text) : 0, ' ');
    return right ? fill + text : text + fill;
}

} // namespace

double SweepRunResult::finalEvalLoss() const
{
    return evalLosses.empty() ? kNaN : evalLosses.back().second;
}

double SweepRunResult::bestEvalLoss() const
{
    double best = kNaN;
    for (const auto &[step, loss] : evalLosses)
        if (std::isfinite(loss) && !(loss >= best))
            best = loss;
    return best;
}

std::optional<std::int64_t> stepsToReach(const SweepRunResult &run, double target)
{
    if (!std::isfinite(target))
        return std::nullopt;
    for (const auto &[step, loss] : run.evalLosses)
        if (loss <= target)
            return step;
    return std::nullopt;
}

std::vector<SweepRow> sweepTable(const std::vector<SweepRunResult> &runs)
{
    std::vector<SweepRow> rows;
    for (const SweepRunResult &run : runs) {
        SweepRow row{ run.label, run.settings, run.finalEvalLoss(), run.bestEvalLoss(), std::nullopt, false,
            run.seconds, run.end };
        if (run.plainLora && *run.plainLora < runs.size()) {
            row.hasPlainLora = true;
            const SweepRunResult &plain = runs[*run.plainLora];
            if (plain.end == "completed")
                row.stepsToPlainLora = stepsToReach(run, plain.finalEvalLoss());
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

std::optional<std::size_t> bestSweepRow(const std::vector<SweepRow> &rows)
{
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (std::isfinite(rows[i].finalEvalLoss) && (!best || rows[i].finalEvalLoss < rows[*best].finalEvalLoss))
            best = i;
    return best;
}

std::string sweepTableText(const std::vector<SweepRow> &rows)
{
    std::vector<std::vector<std::string>> cells{ { "#", "setting", "final eval", "best eval", "steps to plain LoRA",
        "time", "end" } };
    const std::optional<std::size_t> best = bestSweepRow(rows);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const SweepRow &row = rows[i];
        const std::string steps = row.stepsToPlainLora ? std::to_string(*row.stepsToPlainLora)
            : row.hasPlainLora                         ? "not reached"
                                                       : "—";
        cells.push_back({ std::to_string(i + 1), row.label, fixed(row.finalEvalLoss, "%.4f") + (best == i ? " *" : ""),
            fixed(row.bestEvalLoss, "%.4f"), steps, fixed(row.seconds, "%.1f s"), row.end });
    }
    std::vector<std::size_t> widths(cells.front().size(), 0);
    for (const auto &line : cells)
        for (std::size_t c = 0; c < line.size(); ++c)
            widths[c] = std::max(widths[c], displayWidth(line[c]));
    std::string text;
    for (const auto &line : cells) {
        for (std::size_t c = 0; c < line.size(); ++c) {
            const bool right = c == 0 || (c >= 2 && c <= 5);
            text += (c ? "  " : "") + (c + 1 == line.size() ? line[c] : padded(line[c], widths[c], right));
        }
        text += '\n';
    }
    if (best)
        text += "* lowest final eval loss\n";
    return text;
}

std::string sweepTableJson(const std::vector<SweepRow> &rows)
{
    json runs = json::array();
    for (const SweepRow &row : rows) {
        json settings = json::object();
        for (const auto &[name, value] : row.settings)
            settings[name] = value;
        runs.push_back({ { "label", row.label }, { "settings", settings },
            { "final_eval_loss", numberOrNull(row.finalEvalLoss) }, { "best_eval_loss", numberOrNull(row.bestEvalLoss) },
            { "steps_to_plain_lora", row.stepsToPlainLora ? json(*row.stepsToPlainLora) : json(nullptr) },
            { "seconds", row.seconds }, { "end", row.end } });
    }
    const std::optional<std::size_t> best = bestSweepRow(rows);
    return json{ { "lorafit_sweep", 1 }, { "runs", runs }, { "best", best ? json(*best) : json(nullptr) } }.dump(2)
        + "\n";
}

void SweepStopRule::addRun(const SweepRunResult &run)
{
    for (const auto &[step, loss] : run.evalLosses) {
        if (!std::isfinite(loss))
            continue;
        auto at = std::lower_bound(m_best.begin(), m_best.end(), step,
            [](const std::pair<std::int64_t, double> &entry, std::int64_t s) { return entry.first < s; });
        if (at != m_best.end() && at->first == step)
            at->second = std::min(at->second, loss);
        else
            m_best.insert(at, { step, loss });
    }
}

bool SweepStopRule::shouldStop(std::int64_t step, double evalLoss, std::string &why) const
{
    if (!enabled())
        return false;
    if (!std::isfinite(evalLoss)) {
        why = "eval loss is not a number at step " + std::to_string(step);
        return true;
    }
    auto at = std::lower_bound(m_best.begin(), m_best.end(), step,
        [](const std::pair<std::int64_t, double> &entry, std::int64_t s) { return entry.first < s; });
    if (at == m_best.end() || at->first != step || !(evalLoss > m_factor * at->second))
        return false;
    why = "eval loss " + fixed(evalLoss, "%.4f") + " at step " + std::to_string(step) + " is more than "
        + fixed(m_factor, "%g") + "× the best earlier run's " + fixed(at->second, "%.4f");
    return true;
}

} // namespace engine
