#include "engine/train/lambdacontroller.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace engine {

namespace {

double median(std::vector<double> values)
{
    const std::size_t middle = values.size() / 2;
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle), values.end());
    if (values.size() % 2 == 1)
        return values[middle];
    const double upper = values[middle];
    return 0.5 * (upper + *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle)));
}

} // namespace

LambdaController::LambdaController(const std::vector<std::string> &matrixKeys, LambdaControllerSettings settings)
    : m_settings(settings)
{
    for (std::size_t i = 0; i < matrixKeys.size(); ++i) {
        auto track = std::find_if(m_tracks.begin(), m_tracks.end(),
            [&](const Track &t) { return t.key == matrixKeys[i]; });
        if (track == m_tracks.end()) {
            m_tracks.push_back({ matrixKeys[i], {}, std::log(settings.start) });
            track = m_tracks.end() - 1;
        }
        track->matrices.push_back(i);
    }
}

void LambdaController::observe(const std::vector<MatrixMetrics> &matrices)
{
    for (Track &track : m_tracks) {
        std::vector<double> logs;
        for (const std::size_t i : track.matrices) {
            if (i >= matrices.size())
                continue;
            const double d1 = matrices[i].delta1, d2 = matrices[i].delta2;
            if (std::isfinite(d1) && std::isfinite(d2) && d1 > 0.0 && d2 > 0.0)
                logs.push_back(std::log(d2 / d1));
        }
        if (!logs.empty())
            update(track, median(std::move(logs)));
    }
}

void LambdaController::update(Track &track, double medianLog) const
{
    const LambdaControllerSettings &s = m_settings;
    track.smoothed = track.probes == 0 ? medianLog : (1.0 - s.smoothing) * track.smoothed + s.smoothing * medianLog;
    ++track.probes;
    if (track.probes <= s.warmupProbes)
        return;
    // δ2/δ1 grows with λ (B's step grows, A's share shrinks): above the band λ comes down, below it goes up.
    const double excess = track.smoothed > s.band ? track.smoothed - s.band
        : track.smoothed < -s.band                ? track.smoothed + s.band
                                                  : 0.0;
    const double step = std::clamp(-s.gain * excess, -s.maxStep, s.maxStep);
    track.logRatio = std::clamp(track.logRatio + step, std::log(s.minimum), std::log(s.maximum));
}

std::vector<std::pair<std::string, double>> LambdaController::ratios() const
{
    std::vector<std::pair<std::string, double>> out;
    for (const Track &track : m_tracks)
        out.emplace_back(track.key, std::exp(track.logRatio));
    return out;
}

void LambdaController::adopt(const std::vector<std::pair<std::string, double>> &ratios)
{
    for (const auto &[key, ratio] : ratios)
        for (Track &track : m_tracks)
            if (track.key == key && ratio > 0.0)
                track.logRatio = std::log(ratio);
}

double LambdaController::ratio(const std::string &key) const
{
    for (const Track &track : m_tracks)
        if (track.key == key)
            return std::exp(track.logRatio);
    return meanRatio();
}

double LambdaController::meanRatio() const
{
    if (m_tracks.empty())
        return m_settings.start;
    double sum = 0.0;
    for (const Track &track : m_tracks)
        sum += track.logRatio;
    return std::exp(sum / static_cast<double>(m_tracks.size()));
}

double LambdaController::smoothedLogRatio(const std::string &key) const
{
    for (const Track &track : m_tracks)
        if (track.key == key)
            return track.smoothed;
    return kNotMeasured;
}

std::string LambdaController::toJson() const
{
    nlohmann::json tracks = nlohmann::json::array();
    for (const Track &track : m_tracks)
        tracks.push_back({ { "key", track.key }, { "log_ratio", track.logRatio },
            { "smoothed", std::isfinite(track.smoothed) ? nlohmann::json(track.smoothed) : nlohmann::json() },
            { "probes", track.probes } });
    return nlohmann::json{ { "tracks", tracks } }.dump();
}

Status LambdaController::restore(const std::string &json)
{
    const nlohmann::json parsed = nlohmann::json::parse(json, nullptr, false);
    if (!parsed.is_object() || !parsed.contains("tracks") || !parsed["tracks"].is_array()
        || parsed["tracks"].size() != m_tracks.size())
        return Status::failure("the automatic λ's state does not fit this run's adapted matrices");
    for (std::size_t i = 0; i < m_tracks.size(); ++i) {
        const nlohmann::json &saved = parsed["tracks"][i];
        if (!saved.is_object() || saved.value("key", std::string()) != m_tracks[i].key
            || !saved.contains("log_ratio") || !saved["log_ratio"].is_number())
            return Status::failure("the automatic λ's state does not fit this run's adapted matrices");
        m_tracks[i].logRatio = saved["log_ratio"].get<double>();
        m_tracks[i].smoothed = saved.contains("smoothed") && saved["smoothed"].is_number()
            ? saved["smoothed"].get<double>() : kNotMeasured;
        m_tracks[i].probes = saved.value("probes", 0);
    }
    return Status::success();
}

} // namespace engine
