// Internal (Torch): turns a device out-of-memory during a training step into
// an engine::Error a person can act on: it names the batch size, sequence
// length and the run's memory estimate, and suggests gradient checkpointing,
// an NF4 base or a smaller batch. Other exceptions pass through unchanged.
// The trainer wraps its step in withOutOfMemoryHint(); the error then ends
// the run like any other, and the last checkpoint stays resumable.
#pragma once

#include "engine/core/status.h"

#include <cstdint>
#include <exception>
#include <string>
#include <utility>

namespace engine {

struct StepMemoryContext
{
    std::string device;                // "cuda:0", ...
    std::int64_t batchSize = 0;        // sequences per micro-batch
    std::int64_t sequenceLength = 0;   // tokens per sequence
    std::int64_t estimatedBytes = 0;   // the run's memory estimate (0 if unknown)
};

// True for c10::OutOfMemoryError and for any c10::Error whose message says
// "out of memory" (cuBLAS / cuDNN workspaces fail with a plain CUDA error).
bool isOutOfMemory(const std::exception &error);

// "3.2 GiB": a memory size in the messages of the trainer's memory checks.
std::string gibibytes(std::uint64_t bytes);

// The error to throw in its place, with the figures and the hints. Frees the
// CUDA allocator's cached blocks, so the process (the app) gets the memory back.
Error outOfMemoryError(const StepMemoryContext &context, const std::exception &cause);

// Runs `step` (a callable) and returns what it returns; an out-of-memory
// error inside it is rethrown as outOfMemoryError(context, ...).
template <typename Step>
decltype(auto) withOutOfMemoryHint(const StepMemoryContext &context, Step &&step)
{
    try {
        return std::forward<Step>(step)();
    } catch (const std::exception &error) {
        if (!isOutOfMemory(error))
            throw;
        throw outOfMemoryError(context, error);
    }
}

} // namespace engine
