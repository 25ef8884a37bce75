// GenerationOptions::validate: one check per field, each message naming the
// field, the value and the valid range.
#include "engine/generate/generationoptions.h"

#include <cmath>
#include <sstream>

namespace engine {

namespace {

std::string number(double value)
{
    std::ostringstream out;
    out << value;
    return out.str();
}

} // namespace

Status GenerationOptions::validate() const
{
    if (maxNewTokens < 1)
        return Status::failure("generation: max new tokens is " + std::to_string(maxNewTokens)
            + " (hint: give a positive number of tokens to generate)");
    if (!std::isfinite(temperature) || temperature < 0.0)
        return Status::failure("generation: temperature is " + number(temperature)
            + " (hint: use 0 for greedy decoding or a positive value such as 0.8)");
    if (topK < 0)
        return Status::failure(
            "generation: top-k is " + std::to_string(topK) + " (hint: use 0 to turn it off or a positive count)");
    if (!std::isfinite(topP) || topP <= 0.0 || topP > 1.0)
        return Status::failure("generation: top-p is " + number(topP)
            + " (hint: it is a probability mass in (0, 1]; 1 turns it off)");
    if (!std::isfinite(repetitionPenalty) || repetitionPenalty <= 0.0)
        return Status::failure("generation: repetition penalty is " + number(repetitionPenalty)
            + " (hint: it must be positive; 1 turns it off, 1.1 to 1.3 discourages repeats)");
    for (std::size_t i = 0; i < stopStrings.size(); ++i)
        if (stopStrings[i].empty())
            return Status::failure("generation: stop string " + std::to_string(i + 1)
                + " is empty (hint: an empty stop string would stop before the first token; leave it out)");
    return Status::success();
}

GenerationOptions greedyOptions(int maxNewTokens)
{
    GenerationOptions options;
    options.maxNewTokens = maxNewTokens;
    options.temperature = 0.0;
    options.topK = 0;
    options.topP = 1.0;
    return options;
}

} // namespace engine
