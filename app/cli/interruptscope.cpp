#include "app/cli/interruptscope.h"

#include <csignal>

namespace cli {

namespace {

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

using Handler = void (*)(int);
Handler g_previous = SIG_DFL;

void onInterrupt(int)
{
    g_interrupted.store(true);
    std::signal(SIGINT, SIG_DFL); // a second Ctrl-C ends the process
}

} // namespace

InterruptScope::InterruptScope()
{
    g_interrupted.store(false);
    g_previous = std::signal(SIGINT, onInterrupt);
}

InterruptScope::~InterruptScope()
{
    std::signal(SIGINT, g_previous == SIG_ERR ? SIG_DFL : g_previous);
}

const std::atomic<bool> *InterruptScope::flag() const
{
    return &g_interrupted;
}

} // namespace cli
