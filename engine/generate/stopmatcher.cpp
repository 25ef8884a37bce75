// StopMatcher: earliest occurrence of any stop string in the held-back text;
// otherwise emit all but the longest suffix that may still grow into one.
#include "engine/generate/stopmatcher.h"

#include <algorithm>

namespace engine {

StopMatcher::StopMatcher(std::vector<std::string> stopStrings)
    : m_stops(std::move(stopStrings))
{
    m_stops.erase(std::remove(m_stops.begin(), m_stops.end(), std::string()), m_stops.end());
}

std::string StopMatcher::push(const std::string &piece)
{
    if (m_stopped)
        return {};
    m_pending += piece;
    std::size_t first = std::string::npos;
    for (const std::string &stop : m_stops) {
        const std::size_t at = m_pending.find(stop);
        if (at < first) {
            first = at;
            m_matched = stop;
        }
    }
    if (first != std::string::npos) {
        m_stopped = true;
        std::string before = m_pending.substr(0, first);
        m_pending.clear();
        return before;
    }
    const std::size_t keep = heldBackLength();
    std::string ready = m_pending.substr(0, m_pending.size() - keep);
    m_pending.erase(0, m_pending.size() - keep);
    return ready;
}

std::string StopMatcher::flush()
{
    std::string rest;
    rest.swap(m_pending);
    return rest;
}

std::size_t StopMatcher::heldBackLength() const
{
    std::size_t longest = 0;
    for (const std::string &stop : m_stops) {
        const std::size_t most = std::min(stop.size() - 1, m_pending.size());
        for (std::size_t length = most; length > longest; --length)
            if (m_pending.compare(m_pending.size() - length, length, stop, 0, length) == 0) {
                longest = length;
                break;
            }
    }
    return longest;
}

} // namespace engine
