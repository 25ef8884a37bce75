#include "engine/train/metricsqueue.h"

namespace engine {

MetricsQueue::MetricsQueue(std::function<void()> wake) : m_wake(std::move(wake)) {}

void MetricsQueue::push(StepMetrics metrics)
{
    bool wasEmpty = false;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        wasEmpty = m_items.empty();
        m_items.push_back(std::move(metrics));
    }
    if (wasEmpty && m_wake)
        m_wake();
}

std::vector<StepMetrics> MetricsQueue::drain()
{
    std::vector<StepMetrics> items;
    std::lock_guard<std::mutex> lock(m_mutex);
    items.swap(m_items);
    return items;
}

std::size_t MetricsQueue::size() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_items.size();
}

} // namespace engine
