// Grouping the adapted matrices of a run for the δ view: each matrix alone, by
// module type ("q_proj", "c_attn", ...), by decoder layer, or all together. A
// group's norm is the Frobenius norm of its matrices taken together
// (√Σ‖·‖²), so groups of different sizes stay comparable with the per-matrix view.
#pragma once

#include <QString>

#include <string>
#include <vector>

namespace ui {

enum class MatrixGrouping { PerMatrix, ByKind, ByLayer, All };

struct MatrixGroup
{
    QString label;
    std::vector<int> indices; // matrix indices of the run
};

struct MatrixLayout
{
    std::vector<std::string> names; // HF module names, run order
    std::vector<std::string> kinds; // module type, e.g. "self_attn.q_proj"
    std::vector<int> layers;        // decoder layer of each matrix
};

// A layout from module names: layer = the first number component, kind = what
// follows it ("self_attn.q_proj", "mlp.c_proj"; the last component when there
// is no layer), so GPT-2's attn.c_proj and mlp.c_proj stay apart.
MatrixLayout layoutFromNames(const std::vector<std::string> &names);

std::vector<MatrixGroup> groupMatrices(const MatrixLayout &layout, MatrixGrouping grouping);

// √Σ v² over the group's finite values; NaN when none is finite.
double groupNorm(const std::vector<float> &values, const std::vector<int> &indices);

// Distinct kinds in first-seen order, and the number of layers (max + 1).
std::vector<std::string> distinctKinds(const MatrixLayout &layout);
int layerCount(const MatrixLayout &layout);

} // namespace ui
