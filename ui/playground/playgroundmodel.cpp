#include "ui/playground/playgroundmodel.h"

#include <QDir>
#include <QObject>

namespace ui {

engine::Status PlaygroundModel::open(const QString &modelFolder, const GenerationCallbacks &callbacks)
{
    if (m_session && m_modelFolder == modelFolder)
        return {};
    m_session.reset();
    m_adapterFolder.clear();
    callbacks.status(QObject::tr("Loading %1…").arg(QDir::toNativeSeparators(modelFolder)));
    auto session = engine::InferenceSession::open(modelFolder.toStdString());
    if (!session)
        return session.status();
    m_session = std::move(session.value());
    m_modelFolder = modelFolder;
    ++m_loads;
    callbacks.opened(m_session->info());
    return {};
}

engine::Status PlaygroundModel::useAdapter(const QString &adapterFolder)
{
    if (adapterFolder == m_adapterFolder)
        return {};
    m_adapterFolder.clear(); // on failure the session runs the base alone
    const engine::Status status = adapterFolder.isEmpty() ? m_session->clearAdapter()
                                                          : m_session->setAdapter(adapterFolder.toStdString());
    if (status)
        m_adapterFolder = adapterFolder;
    return status;
}

engine::Status PlaygroundModel::run(const GenerationJob &job, const GenerationCallbacks &callbacks,
                                    const std::atomic<bool> &cancel)
{
    if (const engine::Status opened = open(job.modelFolder, callbacks); !opened)
        return opened;
    for (int pane = 0; pane < int(job.paneAdapters.size()) && !cancel.load(); ++pane) {
        const QString &adapter = job.paneAdapters[size_t(pane)];
        PaneResult outcome;
        if (const engine::Status switched = useAdapter(adapter); !switched) {
            outcome.error = QString::fromStdString(switched.message());
            callbacks.paneDone(pane, outcome);
            continue;
        }
        callbacks.status(adapter.isEmpty() ? QObject::tr("Generating with the base model…")
                                           : QObject::tr("Generating with %1…").arg(QDir(adapter).dirName()));
        const auto onText = [&](const std::string &piece) {
            callbacks.text(pane, QString::fromStdString(piece));
            return true;
        };
        auto result = m_session->generate(job.prompt, job.options, onText, &cancel);
        if (result)
            outcome.result = std::move(result.value());
        else
            outcome.error = QString::fromStdString(result.message());
        callbacks.paneDone(pane, outcome);
    }
    return {};
}

} // namespace ui
