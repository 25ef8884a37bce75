#include "engine/train/outofmemory.h"

#include "engine/core/torchcompat.h"

#include <c10/util/Exception.h>

#include <cstdio>

namespace engine {

std::string gibibytes(std::uint64_t bytes)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
    return text;
}

namespace {

// The allocator's own first line ("CUDA out of memory. Tried to allocate ..."), without its
// long advice about PYTORCH_CUDA_ALLOC_CONF and the C++ backtrace.
std::string firstLine(const std::exception &error)
{
    const auto *torchError = dynamic_cast<const c10::Error *>(&error);
    const std::string text = torchError != nullptr ? torchError->what_without_backtrace() : error.what();
    const std::size_t end = text.find('\n');
    return end == std::string::npos ? text : text.substr(0, end);
}

} // namespace

bool isOutOfMemory(const std::exception &error)
{
    if (dynamic_cast<const c10::OutOfMemoryError *>(&error) != nullptr)
        return true;
    const auto *torchError = dynamic_cast<const c10::Error *>(&error);
    return torchError != nullptr && std::string(torchError->what()).find("out of memory") != std::string::npos;
}

Error outOfMemoryError(const StepMemoryContext &context, const std::exception &cause)
{
    const int device = context.device.rfind("cuda:", 0) == 0 ? std::stoi(context.device.substr(5)) : -1;
    std::string message = context.device + " ran out of memory during a training step at batch "
        + std::to_string(context.batchSize) + " × " + std::to_string(context.sequenceLength) + " tokens";
    if (context.estimatedBytes > 0)
        message += " (estimated need " + gibibytes(static_cast<std::uint64_t>(context.estimatedBytes)) + ")";
    if (device >= 0) {
        if (const auto peak = torchcompat::cudaPeakReservedBytes(device))
            message += "; the CUDA allocator had reserved up to " + gibibytes(static_cast<std::uint64_t>(*peak));
        torchcompat::emptyCudaCache();
    }
    message += ": " + firstLine(cause)
        + " (hint: enable gradient checkpointing, store the base in 4 bits with training.base_weights \"nf4\", "
          "or lower the batch size or max length and raise gradient accumulation instead)";
    return Error(message);
}

} // namespace engine
