// PlaygroundModel: the playground's inference state, used from one worker
// thread at a time. It keeps one InferenceSession open (the base model is
// loaded once per model folder) and runs a generation job: the same prompt,
// options and seed for each requested pane, switching the PEFT adapter on
// the loaded base between panes (setAdapter/clearAdapter, no reload), with
// text streamed through callbacks and a cancel flag. Touches no widget.
#pragma once

#include "engine/generate/inferencesession.h"

#include <QString>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace ui {

struct GenerationJob
{
    QString modelFolder;
    engine::GenerationPrompt prompt;
    engine::GenerationOptions options;
    std::vector<QString> paneAdapters; // per pane, in order: the adapter folder, "" = the base model alone
};

struct PaneResult
{
    QString error;                   // empty on success
    engine::GenerationResult result; // valid when error is empty
};

// Called on the worker thread.
struct GenerationCallbacks
{
    std::function<void(const QString &)> status;                 // "loading model…", "generating with …"
    std::function<void(const engine::InferenceSessionInfo &)> opened; // after the base model is (re)loaded
    std::function<void(int, const QString &)> text;               // pane, streamed piece
    std::function<void(int, const PaneResult &)> paneDone;        // pane, how it ended
};

class PlaygroundModel
{
public:
    // Runs the job; fails (naming the model folder) only when the model cannot
    // be opened. Each pane's own outcome goes to paneDone; after a cancel the
    // remaining panes are skipped.
    engine::Status run(const GenerationJob &job, const GenerationCallbacks &callbacks, const std::atomic<bool> &cancel);
    // How many times a base model was loaded (switching adapters does not load it).
    int baseLoads() const { return m_loads; }

private:
    engine::Status open(const QString &modelFolder, const GenerationCallbacks &callbacks);
    engine::Status useAdapter(const QString &adapterFolder);

    std::unique_ptr<engine::InferenceSession> m_session;
    QString m_modelFolder;
    QString m_adapterFolder; // in use on m_session; "" = none
    int m_loads = 0;
};

} // namespace ui
