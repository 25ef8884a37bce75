// A sweep grid: one axis per "SECTION.KEY=V1,V2,…" (the CLI's repeated --set,
// one line of the app's sweep dialog), expanded into the runs of their
// cartesian product, first axis slowest. Every item and every run is checked
// with RunSettings::fromDocument before anything trains, so a bad value is
// named before the first run starts. Values stay text: the settings parser
// decides what a field accepts ("auto", "riemannian", …). Qt-free.
#pragma once

#include "engine/core/status.h"
#include "engine/train/runsettings.h"
#include "engine/train/settingsoverride.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace engine {

struct SweepAxis
{
    std::string section;             // "optimizer"
    std::string key;                 // "loraplus_ratio"
    std::vector<std::string> values; // the items as typed, spaces around them removed

    std::string name() const { return section + "." + key; }
};

// One run of the grid.
struct SweepPoint
{
    std::vector<std::size_t> items;              // the item of each axis
    std::vector<SettingAssignment> assignments;  // one per axis
    std::string label;                           // "λ=16 lr=1e-3": the axes with several items
};

struct SweepRun
{
    SweepPoint point;
    RunSettings settings;
};

// Splits on the commas that are not inside [], {} or "…": "1,[2,3],\"a,b\"" →
// "1", "[2,3]", "\"a,b\"". Items are trimmed; empty items are kept (as "").
std::vector<std::string> splitSweepItems(const std::string &text);

// Parses "SECTION.KEY=V1,V2,…". Fails naming the axis and the item when an
// item is empty ("optimizer.loraplus_ratio: item 2 is empty").
Result<SweepAxis> parseSweepAxis(const std::string &text);

// The cartesian product of the axes, first axis varying slowest.
std::vector<SweepPoint> sweepPoints(const std::vector<SweepAxis> &axes);

// The runs of the grid over the settings document `document` (from `source`,
// relative paths against `baseFolder`), each checked. Fails before anything
// runs: an axis given twice; an item every run of which is refused
// ("optimizer.loraplus_ratio: item 3 'x' is not valid: …", the field the
// message names preferred); else the first refused run ("the run
// name=riemannian λ=auto is not valid: …").
Result<std::vector<SweepRun>> expandSweep(const std::string &document, const std::vector<SweepAxis> &axes,
    const std::string &source, const std::string &baseFolder = {});

// Whether a run of a sweep can be compared: it must measure an eval loss
// (validation data and training.eval_every > 0). The message names the setting.
Status sweepComparable(const RunSettings &settings);

// The run that is plain LoRA for run `run`: optimizer.loraplus_ratio = 1 (and
// optimizer.name = "adamw" when that is an axis) with every other axis as in
// `run`. nullopt when the grid has no loraplus_ratio axis or no such run.
std::optional<std::size_t> plainLoraRun(const std::vector<SweepAxis> &axes, const std::vector<SweepPoint> &points,
    std::size_t run);

} // namespace engine
