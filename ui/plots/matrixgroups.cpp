#include "ui/plots/matrixgroups.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace ui {

MatrixLayout layoutFromNames(const std::vector<std::string> &names)
{
    MatrixLayout layout;
    layout.names = names;
    for (const std::string &name : names) {
        int layer = -1;
        size_t start = 0;
        while (start < name.size() && layer < 0) {
            const size_t end = std::min(name.find('.', start), name.size());
            const std::string part = name.substr(start, end - start);
            if (!part.empty() && part.size() < 7
                && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }))
                layer = std::stoi(part);
            start = end + 1;
        }
        const size_t dot = name.rfind('.');
        const std::string tail = dot == std::string::npos ? name : name.substr(dot + 1);
        layout.kinds.push_back(layer >= 0 && start < name.size() ? name.substr(start) : tail);
        layout.layers.push_back(layer);
    }
    return layout;
}

std::vector<std::string> distinctKinds(const MatrixLayout &layout)
{
    std::vector<std::string> kinds;
    for (const std::string &kind : layout.kinds)
        if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
            kinds.push_back(kind);
    return kinds;
}

int layerCount(const MatrixLayout &layout)
{
    int highest = -1;
    for (int layer : layout.layers)
        highest = std::max(highest, layer);
    return highest + 1;
}

std::vector<MatrixGroup> groupMatrices(const MatrixLayout &layout, MatrixGrouping grouping)
{
    std::vector<MatrixGroup> groups;
    const int count = int(layout.names.size());
    switch (grouping) {
    case MatrixGrouping::PerMatrix:
        for (int i = 0; i < count; ++i)
            groups.push_back({QString::fromStdString(layout.names[size_t(i)]), {i}});
        break;
    case MatrixGrouping::ByKind:
        for (const std::string &kind : distinctKinds(layout)) {
            MatrixGroup group{QString::fromStdString(kind), {}};
            for (int i = 0; i < count; ++i)
                if (layout.kinds[size_t(i)] == kind)
                    group.indices.push_back(i);
            groups.push_back(group);
        }
        break;
    case MatrixGrouping::ByLayer: {
        std::map<int, std::vector<int>> byLayer;
        for (int i = 0; i < count; ++i)
            byLayer[layout.layers[size_t(i)]].push_back(i);
        for (const auto &[layer, indices] : byLayer)
            groups.push_back({layer < 0 ? QStringLiteral("other") : QStringLiteral("layer %1").arg(layer), indices});
        break;
    }
    case MatrixGrouping::All: {
        MatrixGroup group{QStringLiteral("all matrices"), {}};
        for (int i = 0; i < count; ++i)
            group.indices.push_back(i);
        groups.push_back(group);
        break;
    }
    }
    return groups;
}

double groupNorm(const std::vector<float> &values, const std::vector<int> &indices)
{
    double sum = 0.0;
    bool any = false;
    for (int index : indices) {
        if (index < 0 || size_t(index) >= values.size() || !std::isfinite(values[size_t(index)]))
            continue;
        sum += double(values[size_t(index)]) * values[size_t(index)];
        any = true;
    }
    return any ? std::sqrt(sum) : std::numeric_limits<double>::quiet_NaN();
}

} // namespace ui
