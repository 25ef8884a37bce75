#include "engine/train/lambdacontroller.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

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

double finiteMedian(const std::vector<float> &values)
{
    std::vector<double> finite;
    for (const float value : values)
        if (std::isfinite(value))
            finite.push_back(value);
    return finite.empty() ? std::numeric_limits<double>::quiet_NaN() : median(std::move(finite));
}

LambdaController::LambdaController(const std::vector<std::string> &matrixKeys, LambdaControllerSettings settings)
    : m_settings(settings)
    , m_sums(matrixKeys.size(), 0.0)
    , m_counts(matrixKeys.size(), 0)
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

void LambdaController::accumulate(const std::vector<float> &agreement)
{
    for (std::size_t i = 0; i < agreement.size() && i < m_sums.size(); ++i)
        if (std::isfinite(agreement[i])) {
            m_sums[i] += agreement[i];
            ++m_counts[i];
        }
}

void LambdaController::update()
{
    for (Track &track : m_tracks) {
        std::vector<double> means;
        for (const std::size_t i : track.matrices)
            if (m_counts[i] > 0)
                means.push_back(m_sums[i] / m_counts[i]);
        if (!means.empty())
            update(track, median(std::move(means)));
    }
    std::fill(m_sums.begin(), m_sums.end(), 0.0);
    std::fill(m_counts.begin(), m_counts.end(), 0);
}

void LambdaController::update(Track &track, double agreement) const
{
    const LambdaControllerSettings &s = m_settings;
    track.smoothed = track.intervals == 0 ? agreement : (1.0 - s.smoothing) * track.smoothed + s.smoothing * agreement;
    ++track.intervals;
    if (track.intervals <= s.warmupIntervals)
        return;
    // Agreement above the band: B's steps could be longer, λ goes up; below it: B overshoots, λ comes down.
    const double offset = track.smoothed - s.target;
    const double excess = offset > s.band ? offset - s.band : offset < -s.band ? offset + s.band : 0.0;
    const double step = std::clamp(s.gain * excess, -s.maxStep, s.maxStep);
    track.logRatio = std::clamp(track.logRatio + step, std::log(s.minimum), std::log(s.maximum));
}

std::vector<std::pair<std::string, double>> LambdaController::ratios() const
{
    std::vector<std::pair<std::string, double>> out;
    for (const Track &track : m_tracks)
        out.emplace_back(track.key, std::exp(track.logRatio));
    return out;
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

double LambdaController::smoothedAgreement(const std::string &key) const
{
    for (const Track &track : m_tracks)
        if (track.key == key && track.intervals > 0)
            return track.smoothed;
    return std::numeric_limits<double>::quiet_NaN();
}

void LambdaController::adopt(const std::vector<std::pair<std::string, double>> &ratios)
{
    for (const auto &[key, ratio] : ratios)
        for (Track &track : m_tracks)
            if (track.key == key && ratio > 0.0)
                track.logRatio = std::log(ratio);
}

std::string LambdaController::toJson() const
{
    nlohmann::json tracks = nlohmann::json::array();
    for (const Track &track : m_tracks)
        tracks.push_back({ { "key", track.key }, { "log_ratio", track.logRatio }, { "smoothed", track.smoothed },
            { "intervals", track.intervals } });
    return nlohmann::json{ { "tracks", tracks }, { "sums", m_sums }, { "counts", m_counts } }.dump();
}

Status LambdaController::restore(const std::string &json)
{
    const Status misfit = Status::failure("the automatic λ's state does not fit this run's adapted matrices");
    const nlohmann::json parsed = nlohmann::json::parse(json, nullptr, false);
    if (!parsed.is_object() || !parsed.contains("tracks") || !parsed["tracks"].is_array()
        || parsed["tracks"].size() != m_tracks.size())
        return misfit;
    try {
        const auto sums = parsed.at("sums").get<std::vector<double>>();
        const auto counts = parsed.at("counts").get<std::vector<int>>();
        if (sums.size() != m_sums.size() || counts.size() != m_counts.size())
            return misfit;
        std::vector<Track> tracks = m_tracks;
        for (std::size_t i = 0; i < tracks.size(); ++i) {
            const nlohmann::json &saved = parsed["tracks"][i];
            if (saved.at("key").get<std::string>() != tracks[i].key)
                return misfit;
            tracks[i].logRatio = saved.at("log_ratio").get<double>();
            tracks[i].smoothed = saved.at("smoothed").get<double>();
            tracks[i].intervals = saved.at("intervals").get<int>();
        }
        m_tracks = std::move(tracks);
        m_sums = sums;
        m_counts = counts;
    } catch (const nlohmann::json::exception &) {
        return misfit;
    }
    return Status::success();
}

} // namespace engine
