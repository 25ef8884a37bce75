// Stop strings on streamed text: decoded pieces go in, text that can no longer
// be part of a stop string comes out. A suffix that could be the start of a
// stop string is held back until the next piece decides, so a stop string
// split across tokens is found and never emitted. Works on bytes: pieces and
// stop strings are whole UTF-8, so held-back text starts on a character
// boundary. Torch-free; one per generation, not thread-safe.
#pragma once

#include <string>
#include <vector>

namespace engine {

class StopMatcher
{
public:
    explicit StopMatcher(std::vector<std::string> stopStrings);

    // Adds a piece of text; returns what may be emitted now. Once a stop
    // string is found, returns the text before it and stopped() is true; later
    // calls return nothing.
    std::string push(const std::string &piece);
    // No more text will come: returns what was held back (empty after a stop).
    std::string flush();

    bool stopped() const { return m_stopped; }
    // The stop string that was found (empty until stopped()).
    const std::string &matched() const { return m_matched; }

private:
    // Length of the longest suffix of m_pending that is a proper prefix of a stop string.
    std::size_t heldBackLength() const;

    std::vector<std::string> m_stops;
    std::string m_pending; // text not emitted yet
    std::string m_matched;
    bool m_stopped = false;
};

} // namespace engine
