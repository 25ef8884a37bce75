// Next-fit sequence packing: examples, in the order given, go into the
// current sequence while they fit in maxLength tokens; otherwise a new
// sequence starts. Examples are never split (they are truncated to maxLength
// beforehand), so no document is cut across sequences. Without packing every
// example is its own sequence. Qt-free and Torch-free.
#pragma once

#include <cstddef>
#include <cstdint>

namespace engine::data {

class SequencePacker
{
public:
    SequencePacker(std::size_t maxLength, bool packing)
        : m_maxLength(maxLength)
        , m_packing(packing)
    { }

    // Places an example of `length` tokens (length <= maxLength); returns true
    // when it starts a new sequence.
    bool place(std::size_t length)
    {
        const bool fresh = !m_packing || m_sequences == 0 || m_used + length > m_maxLength;
        if (fresh) {
            ++m_sequences;
            m_used = 0;
        }
        m_used += length;
        return fresh;
    }

    std::int64_t sequences() const { return m_sequences; }

private:
    std::size_t m_maxLength;
    bool m_packing;
    std::size_t m_used = 0;
    std::int64_t m_sequences = 0;
};

} // namespace engine::data
