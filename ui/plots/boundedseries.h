// A plot series with a fixed memory bound for runs of any length: once full,
// neighbouring points are averaged in pairs, so every stored point is the mean
// of an equal number of raw points (the bucket) and the long view stays
// faithful. Non-finite values are ignored. Not thread-safe (GUI thread only).
#pragma once

#include <QVector>

namespace ui {

class BoundedSeries
{
public:
    explicit BoundedSeries(int capacity = 4000); // stored points at most (rounded up to even, >= 4)

    void append(double x, double y);
    void clear();

    // Points to draw: full buckets, then the running mean of the partial bucket.
    QVector<double> xs() const;
    QVector<double> ys() const;
    int size() const;
    int bucketSize() const { return m_bucket; } // raw points behind each full stored point
    qint64 rawCount() const { return m_rawCount; }
    double lastY() const { return m_lastY; }

private:
    void compact();

    int m_capacity;
    int m_bucket = 1;
    QVector<double> m_x;
    QVector<double> m_y;
    double m_pendingX = 0.0;
    double m_pendingY = 0.0;
    int m_pendingCount = 0;
    qint64 m_rawCount = 0;
    double m_lastY = 0.0;
};

} // namespace ui
