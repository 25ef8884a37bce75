// InferenceSession's adapters: a PEFT folder is loaded onto the already
// loaded base model (loadPeftAdapter injects it into the projections); the
// previous adapter is detached first, so switching never reloads the base
// weights and never stacks two adapters.
#include "engine/generate/inferencesessionimpl.h"
#include "engine/lora/peftadapter.h"

namespace engine {

void InferenceSession::Impl::dropAdapter()
{
    if (adapter)
        adapter->detach();
    adapter.reset();
    info.adapterFolder.clear();
}

Status InferenceSession::setAdapter(const std::string &peftFolder)
{
    const Impl::BusyLock lock(*m_impl);
    if (!lock)
        return Impl::busyError();
    m_impl->dropAdapter();
    return guard([&] {
        LoraModel adapter = loadPeftAdapter(peftFolder, *m_impl->model);
        adapter.setTraining(false); // no dropout at inference
        m_impl->adapter = std::move(adapter);
        m_impl->info.adapterFolder = peftFolder;
    });
}

Status InferenceSession::clearAdapter()
{
    const Impl::BusyLock lock(*m_impl);
    if (!lock)
        return Impl::busyError();
    m_impl->dropAdapter();
    return Status::success();
}

} // namespace engine
