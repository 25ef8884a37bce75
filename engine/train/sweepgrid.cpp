#include "engine/train/sweepgrid.h"

#include <nlohmann/json.hpp>

#include <set>

namespace engine {

namespace {

using json = nlohmann::json;

const char *const kRatio = "optimizer.loraplus_ratio";
const char *const kOptimizerName = "optimizer.name";

// How a value reads in a label: strings without their quotes.
std::string shown(const std::string &value)
{
    const json parsed = json::parse(settingValueJson(value));
    return parsed.is_string() ? parsed.get<std::string>() : value;
}

std::string shortName(const SweepAxis &axis)
{
    if (axis.name() == kRatio)
        return "λ";
    if (axis.name() == "optimizer.learning_rate")
        return "lr";
    return axis.key;
}

std::string labelOf(const std::vector<SweepAxis> &axes, const std::vector<std::size_t> &items)
{
    bool anySwept = false;
    for (const SweepAxis &axis : axes)
        anySwept = anySwept || axis.values.size() > 1;
    std::string label;
    for (std::size_t a = 0; a < axes.size(); ++a) {
        if (anySwept && axes[a].values.size() < 2)
            continue;
        label += (label.empty() ? "" : " ") + shortName(axes[a]) + "=" + shown(axes[a].values[items[a]]);
    }
    return label;
}

// The settings for `assignments` applied to `document`, parsed and checked.
Result<RunSettings> settingsWith(const std::string &document, const std::vector<SettingAssignment> &assignments,
    const std::string &source, const std::string &baseFolder)
{
    const Result<std::string> changed = applySettingOverrides(document, assignments);
    if (!changed)
        return changed.status();
    return RunSettings::fromDocument(changed.value(), source, baseFolder);
}

// An item every run of which fails is the one to name ("optimizer.loraplus_ratio: item 3 'x' is not
// valid: …"); of several, the first whose field the message names. nullopt when no item is to blame.
std::optional<std::string> badItem(const std::vector<SweepAxis> &axes, const std::vector<SweepPoint> &points,
    const std::vector<Result<RunSettings>> &settings)
{
    std::optional<std::string> first;
    for (std::size_t a = 0; a < axes.size(); ++a)
        for (std::size_t i = 0; i < axes[a].values.size(); ++i) {
            const Result<RunSettings> *failure = nullptr;
            bool allFail = true;
            for (std::size_t p = 0; p < points.size() && allFail; ++p)
                if (points[p].items[a] == i) {
                    allFail = !settings[p];
                    if (!failure)
                        failure = &settings[p];
                }
            if (!allFail || !failure)
                continue;
            const std::string message = axes[a].name() + ": item " + std::to_string(i + 1) + " '" + axes[a].values[i]
                + "' is not valid: " + failure->message();
            if (failure->message().find(axes[a].key) != std::string::npos)
                return message;
            if (!first)
                first = message;
        }
    return first;
}

bool isOne(const std::string &value)
{
    const json parsed = json::parse(settingValueJson(value));
    return parsed.is_number() && parsed.get<double>() == 1.0;
}

} // namespace

std::vector<std::string> splitSweepItems(const std::string &text)
{
    std::vector<std::string> items;
    std::string current;
    int depth = 0;
    bool quoted = false, escaped = false;
    for (const char c : text) {
        if (quoted) {
            quoted = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if (c == '"') {
            quoted = true;
        } else if (c == '[' || c == '{') {
            ++depth;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        } else if (c == ',' && depth == 0) {
            items.push_back(trimSpaces(current));
            current.clear();
            continue;
        }
        current += c;
    }
    items.push_back(trimSpaces(current));
    return items;
}

Result<SweepAxis> parseSweepAxis(const std::string &text)
{
    const Result<SettingAssignment> assignment = parseSettingAssignment(text); // names the text if malformed
    if (!assignment)
        return assignment.status();
    SweepAxis axis{ assignment->section, assignment->key, splitSweepItems(assignment->value) };
    for (std::size_t i = 0; i < axis.values.size(); ++i)
        if (axis.values[i].empty())
            return Status::failure(axis.name() + ": item " + std::to_string(i + 1) + " of " + std::to_string(axis.values.size())
                + " is empty (hint: separate the values with single commas, e.g. " + axis.name() + "=1,4,16)");
    return axis;
}

std::vector<SweepPoint> sweepPoints(const std::vector<SweepAxis> &axes)
{
    std::vector<SweepPoint> points;
    std::vector<std::size_t> items(axes.size(), 0);
    for (const SweepAxis &axis : axes)
        if (axis.values.empty())
            return points;
    while (true) {
        SweepPoint point{ items, {}, labelOf(axes, items) };
        for (std::size_t a = 0; a < axes.size(); ++a)
            point.assignments.push_back({ axes[a].section, axes[a].key, axes[a].values[items[a]] });
        points.push_back(std::move(point));
        // Count like an odometer: the last axis turns fastest.
        std::size_t a = axes.size();
        while (a > 0 && ++items[a - 1] == axes[a - 1].values.size())
            items[--a] = 0;
        if (a == 0)
            return points;
    }
}

Result<std::vector<SweepRun>> expandSweep(const std::string &document, const std::vector<SweepAxis> &axes,
    const std::string &source, const std::string &baseFolder)
{
    std::set<std::string> names;
    for (const SweepAxis &axis : axes)
        if (!names.insert(axis.name()).second)
            return Status::failure(axis.name() + " is given twice (hint: put all its values in one list, e.g. "
                + axis.name() + "=1,4,16)");
    std::vector<SweepPoint> points = sweepPoints(axes);
    std::vector<Result<RunSettings>> settings;
    for (const SweepPoint &point : points)
        settings.push_back(settingsWith(document, point.assignments, source, baseFolder));
    if (const std::optional<std::string> item = badItem(axes, points, settings))
        return Status::failure(*item);
    std::vector<SweepRun> runs;
    for (std::size_t p = 0; p < points.size(); ++p) {
        if (!settings[p])
            return Status::failure("the run " + points[p].label + " is not valid: " + settings[p].message());
        runs.push_back({ std::move(points[p]), std::move(settings[p]).value() });
    }
    return runs;
}

Status sweepComparable(const RunSettings &settings)
{
    if (settings.training.evalEvery <= 0)
        return Status::failure("training.eval_every is 0, but a sweep compares eval losses (hint: set it, e.g. "
                               "training.eval_every=50)");
    if (settings.dataset.validationPath.empty() && !(settings.dataset.validationFraction > 0.0))
        return Status::failure("there is no validation data, but a sweep compares eval losses (hint: set "
                               "dataset.validation_path, or dataset.validation_fraction=0.1)");
    return Status::success();
}

std::optional<std::size_t> plainLoraRun(const std::vector<SweepAxis> &axes, const std::vector<SweepPoint> &points,
    std::size_t run)
{
    bool hasRatio = false;
    for (const SweepAxis &axis : axes)
        hasRatio = hasRatio || axis.name() == kRatio;
    if (!hasRatio || run >= points.size())
        return std::nullopt;
    for (std::size_t candidate = 0; candidate < points.size(); ++candidate) {
        bool matches = true;
        for (std::size_t a = 0; a < axes.size() && matches; ++a) {
            const std::string &value = axes[a].values[points[candidate].items[a]];
            if (axes[a].name() == kRatio)
                matches = isOne(value);
            else if (axes[a].name() == kOptimizerName)
                matches = shown(value) == "adamw";
            else
                matches = points[candidate].items[a] == points[run].items[a];
        }
        if (matches)
            return candidate;
    }
    return std::nullopt;
}

} // namespace engine
