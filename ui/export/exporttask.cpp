#include "ui/export/exporttask.h"

#include "app/qtstrings.h"

#include "ui/export/verificationbatches.h"

#include "engine/export/adapterverifier.h"

#include <QFileInfo>
#include <QObject>


namespace ui {

namespace {

using app::fromStd;

constexpr double kExportShare = 0.7; // of the progress bar; verification takes the rest

void verify(const engine::ExportRequest &request, int examples, ExportTaskResult &result,
            const ExportTaskProgress &progress, const std::atomic<bool> &cancel)
{
    const std::string &base = result.summary.baseModelFolder;
    progress(kExportShare, QObject::tr("Verifying: reading %1 examples").arg(examples));
    const auto batches = verificationBatches(request.checkpointFolder, base, examples);
    if (!batches) {
        result.error = QObject::tr("Verification could not start: %1").arg(fromStd(batches.message()));
        return;
    }
    result.examples = fromStd(batches->description);
    progress(kExportShare + 0.05, QObject::tr("Verifying: loss of the checkpoint"));
    const auto reference = engine::adapterLoss(base, request.checkpointFolder, batches->batches);
    if (!reference) {
        result.error = QObject::tr("Verification: the checkpoint's loss: %1").arg(fromStd(reference.message()));
        return;
    }
    result.checkpointLoss = reference->meanLoss;
    for (const engine::ExportedFile &file : result.summary.files) {
        if (cancel.load()) {
            result.cancelled = true;
            return;
        }
        progress(kExportShare + 0.1 + 0.2 * double(result.checks.size()) / double(request.formats.size()),
                 QObject::tr("Verifying: loading %1 back").arg(QFileInfo(fromStd(file.path)).fileName()));
        const auto loss = engine::exportedFileLoss(base, file.path, batches->batches);
        if (!loss)
            continue;
        if (!*loss) {
            result.error = QObject::tr("Verification of %1: %2").arg(fromStd(file.path), fromStd(loss->message()));
            return;
        }
        ExportCheck check;
        check.path = fromStd(engine::exportedRoot(file.path));
        check.loss = loss->value().meanLoss;
        check.expected = result.checkpointLoss;
        check.against = QObject::tr("checkpoint");
        if (!request.mergeAdapter && engine::isGgufModelFile(file.path)) { // the base alone
            const auto baseLoss = engine::modelLoss(base, batches->batches);
            if (!baseLoss) {
                result.error = QObject::tr("Verification: the base model's loss: %1").arg(fromStd(baseLoss.message()));
                return;
            }
            check.expected = baseLoss->meanLoss;
            check.against = QObject::tr("base model");
        }
        check.tolerance = engine::exportLossTolerance(file.dtype);
        check.agrees = engine::lossesAgree(check.loss, check.expected, check.tolerance);
        result.checks.push_back(check);
    }
}

} // namespace

bool ExportTaskResult::verified() const
{
    if (cancelled || !error.isEmpty() || checks.empty())
        return false;
    for (const ExportCheck &check : checks)
        if (!check.agrees)
            return false;
    return true;
}

ExportTaskResult runExportTask(const engine::ExportRequest &request, int verifyExamples,
                               const ExportTaskProgress &progress, const std::atomic<bool> &cancel)
{
    ExportTaskResult result;
    const auto onProgress = [&](const engine::ExportProgress &p) {
        const QString stage = fromStd(p.stage);
        progress(p.fraction * kExportShare, p.format.empty() ? stage : fromStd(p.format) + QStringLiteral(": ") + stage);
        return !cancel.load();
    };
    auto summary = engine::runExport(request, onProgress, &cancel);
    if (!summary) {
        result.error = fromStd(summary.message());
        return result;
    }
    result.summary = std::move(summary.value());
    result.cancelled = result.summary.cancelled;
    if (result.cancelled)
        return result;
    verify(request, verifyExamples, result, progress, cancel);
    if (result.checks.empty() && result.error.isEmpty() && !result.cancelled)
        result.error = QObject::tr("Verification found no written adapter or model to load back");
    if (!result.cancelled)
        progress(1.0, result.verified() ? QObject::tr("Exported and verified") : QObject::tr("Export done; verification failed"));
    return result;
}

} // namespace ui
