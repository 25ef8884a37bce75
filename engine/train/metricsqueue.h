// MetricsQueue: how StepMetrics leave the training thread. The trainer pushes;
// the consumer (the app's main thread) drains everything in one batch. The
// consumer is woken only when the queue goes from empty to non-empty, so a fast
// trainer never floods the event loop with one wake-up per step.
// Thread-safe; never blocks the producer for longer than a vector push.
#pragma once

#include "engine/train/stepmetrics.h"

#include <functional>
#include <mutex>
#include <vector>

namespace engine {

class MetricsQueue
{
public:
    // `wake` runs on the producer's thread at each empty → non-empty transition;
    // it must only schedule the drain (e.g. a queued Qt call), not drain itself.
    explicit MetricsQueue(std::function<void()> wake = {});

    void push(StepMetrics metrics);
    // Takes every queued item, oldest first.
    std::vector<StepMetrics> drain();
    std::size_t size() const;

private:
    mutable std::mutex m_mutex;
    std::vector<StepMetrics> m_items;
    std::function<void()> m_wake;
};

} // namespace engine
