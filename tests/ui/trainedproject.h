// Test helper (Torch): a project file with one short training run on the
// tiny GPT-2 of guitestdata.h — checkpoints at steps 2 and 4, each with an
// eval loss — for the export dialog and playground tests; and a tiny model
// without an end-of-sequence token, whose generation only ends at its
// token limit (for stop tests).
#pragma once

#include <QString>

#include <map>

namespace guitest {

struct TrainedProject
{
    QString projectFile;
    QString modelFolder;
    std::map<qint64, double> evalLossAtStep; // of the checkpoints, as the trainer reported them
    std::map<qint64, QString> checkpointAtStep;
};

// Trains in `dir` (model, data, run folder and project file). Throws std::runtime_error on failure.
TrainedProject writeTrainedProject(const QString &dir);

// A tiny GPT-2 with a 4096-token context and no eos token, in `dir`.
QString writeEndlessModel(const QString &dir);

} // namespace guitest
