// Ctrl-C for long-running commands: while an InterruptScope lives, SIGINT sets
// a cancel flag (the engine checks it and stops cleanly) instead of killing the
// process; a second Ctrl-C ends the process as usual. One scope at a time.
#pragma once

#include <atomic>

namespace cli {

class InterruptScope
{
public:
    InterruptScope();
    ~InterruptScope(); // restores the previous SIGINT handler
    InterruptScope(const InterruptScope &) = delete;
    InterruptScope &operator=(const InterruptScope &) = delete;

    // The flag Ctrl-C sets; pass it to the engine as its cancel flag.
    const std::atomic<bool> *flag() const;
    bool interrupted() const { return flag()->load(); }
};

} // namespace cli
