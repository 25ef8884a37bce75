// Internal (Torch): the state behind InferenceSession, shared by its two
// source files (inferencesession.cpp: open, prompts, generate, evaluate;
// inferencesessionadapter.cpp: adapters). BusyLock enforces one call at a time.
#pragma once

#include "engine/data/chattemplate.h"
#include "engine/generate/inferencesession.h"
#include "engine/lora/loramodel.h"
#include "engine/model/causallm.h"

#include <memory>
#include <mutex>
#include <optional>

namespace engine {

struct InferenceSession::Impl
{
    // Holds the session for one call; false when another call is running.
    class BusyLock
    {
    public:
        explicit BusyLock(Impl &impl)
            : m_lock(impl.busy, std::try_to_lock)
        { }
        explicit operator bool() const { return m_lock.owns_lock(); }

    private:
        std::unique_lock<std::mutex> m_lock;
    };

    static Status busyError()
    {
        return Status::failure("the inference session is busy with another call (hint: wait for it to finish, "
                               "or set the cancel flag of the running generation)");
    }

    // Detaches the current adapter, if any (the base weights are untouched).
    void dropAdapter();

    std::mutex busy;
    InferenceSessionInfo info;
    std::unique_ptr<CausalLm> model;
    std::unique_ptr<Tokenizer> tokenizer;
    data::ChatTemplate chatTemplate;
    std::vector<TokenId> stopIds; // ids that end generation
    std::optional<LoraModel> adapter; // attached to `model` while set
};

} // namespace engine
