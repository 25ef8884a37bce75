// Names of the stop reasons as the CLI prints them and the GUI shows them.
#include "engine/generate/generationresult.h"

namespace engine {

const char *stopReasonName(StopReason reason)
{
    switch (reason) {
    case StopReason::Eos:
        return "eos";
    case StopReason::StopString:
        return "stop-string";
    case StopReason::MaxTokens:
        return "max-tokens";
    case StopReason::ContextFull:
        return "context-full";
    case StopReason::Cancelled:
        return "cancelled";
    }
    return "unknown";
}

} // namespace engine
