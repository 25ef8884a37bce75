// Public (Torch-free): a monotonic stopwatch for step times, phase times and
// benchmark figures. It starts when constructed; restart() sets it going again.
#pragma once

#include <chrono>

namespace engine {

class Stopwatch
{
public:
    using Clock = std::chrono::steady_clock;

    Stopwatch()
        : m_start(Clock::now())
    { }

    void restart() { m_start = Clock::now(); }
    double seconds() const { return std::chrono::duration<double>(Clock::now() - m_start).count(); }
    double milliseconds() const { return std::chrono::duration<double, std::milli>(Clock::now() - m_start).count(); }

private:
    Clock::time_point m_start;
};

} // namespace engine
