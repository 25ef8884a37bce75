#include "ui/plots/boundedseries.h"

#include <cmath>

namespace ui {

BoundedSeries::BoundedSeries(int capacity) : m_capacity(std::max(4, capacity + (capacity % 2)))
{
    m_x.reserve(m_capacity);
    m_y.reserve(m_capacity);
}

void BoundedSeries::append(double x, double y)
{
    if (!std::isfinite(x) || !std::isfinite(y))
        return;
    ++m_rawCount;
    m_lastY = y;
    m_pendingX += x;
    m_pendingY += y;
    if (++m_pendingCount < m_bucket)
        return;
    m_x.append(m_pendingX / m_pendingCount);
    m_y.append(m_pendingY / m_pendingCount);
    m_pendingX = m_pendingY = 0.0;
    m_pendingCount = 0;
    if (m_x.size() >= m_capacity)
        compact();
}

void BoundedSeries::compact()
{
    const int half = m_x.size() / 2;
    for (int i = 0; i < half; ++i) {
        m_x[i] = 0.5 * (m_x[2 * i] + m_x[2 * i + 1]);
        m_y[i] = 0.5 * (m_y[2 * i] + m_y[2 * i + 1]);
    }
    m_x.resize(half);
    m_y.resize(half);
    m_bucket *= 2;
}

void BoundedSeries::clear()
{
    m_x.clear();
    m_y.clear();
    m_bucket = 1;
    m_pendingX = m_pendingY = 0.0;
    m_pendingCount = 0;
    m_rawCount = 0;
    m_lastY = 0.0;
}

QVector<double> BoundedSeries::xs() const
{
    QVector<double> out = m_x;
    if (m_pendingCount)
        out.append(m_pendingX / m_pendingCount);
    return out;
}

QVector<double> BoundedSeries::ys() const
{
    QVector<double> out = m_y;
    if (m_pendingCount)
        out.append(m_pendingY / m_pendingCount);
    return out;
}

int BoundedSeries::size() const
{
    return static_cast<int>(m_x.size()) + (m_pendingCount ? 1 : 0);
}

} // namespace ui
