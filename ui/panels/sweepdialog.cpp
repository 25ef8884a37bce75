#include "ui/panels/sweepdialog.h"

#include "app/projectdocument.h"
#include "app/qtstrings.h"
#include "app/sweepqueue.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QTextBlock>
#include <QVBoxLayout>

#include <cmath>

namespace ui {

namespace {

using app::fromStd;

enum Column { kSetting, kProgress, kFinal, kBest, kStepsToPlain, kTime, kEnd, kColumns };

QString number(double value)
{
    return std::isfinite(value) ? QString::number(value, 'f', 4) : QStringLiteral("—");
}

} // namespace

SweepDialog::SweepDialog(app::SweepQueue *queue, app::ProjectDocument *document, QWidget *parent)
    : QDialog(parent), m_queue(queue), m_document(document)
{
    setObjectName(QStringLiteral("sweepDialog"));
    setWindowTitle(tr("Sweep"));
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("One setting per line: <b>section.key = value, value, …</b> Every combination is "
                                "trained, one run after another, with the project's other settings; "
                                "<i>optimizer.loraplus_ratio = 1</i> is plain LoRA, the reference for the steps column."),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    m_editor = new QPlainTextEdit(this);
    m_editor->setObjectName(QStringLiteral("sweepGrid"));
    m_editor->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_editor->setPlainText(QStringLiteral("optimizer.loraplus_ratio = 1, 4, 16\n"));
    m_editor->setMaximumHeight(110);
    layout->addWidget(m_editor);
    m_problems = new QLabel(this);
    m_problems->setObjectName(QStringLiteral("sweepProblems"));
    m_problems->setWordWrap(true);
    m_problems->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_problems);
    m_runs = new QTableWidget(0, kColumns, this);
    m_runs->setObjectName(QStringLiteral("sweepRuns"));
    m_runs->setHorizontalHeaderLabels({ tr("Setting"), tr("Progress"), tr("Final eval"), tr("Best eval"),
        tr("Steps to plain LoRA"), tr("Time"), tr("Status") });
    m_runs->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_runs->verticalHeader()->hide();
    m_runs->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_runs->horizontalHeader()->setSectionResizeMode(kSetting, QHeaderView::Stretch);
    m_runs->horizontalHeader()->setMinimumSectionSize(90);
    layout->addWidget(m_runs, 1);
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("sweepSummary"));
    layout->addWidget(m_summary);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_start = buttons->addButton(tr("Start Sweep"), QDialogButtonBox::ActionRole);
    m_start->setObjectName(QStringLiteral("sweepStart"));
    m_cancel = buttons->addButton(tr("Stop Sweep"), QDialogButtonBox::ActionRole);
    m_cancel->setObjectName(QStringLiteral("sweepStop"));
    layout->addWidget(buttons);
    resize(860, 520);

    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_start, &QPushButton::clicked, this, &SweepDialog::start);
    connect(m_cancel, &QPushButton::clicked, m_queue, &app::SweepQueue::cancel);
    connect(m_editor, &QPlainTextEdit::textChanged, this, &SweepDialog::checkText);
    connect(m_document, &app::ProjectDocument::settingsChanged, this, &SweepDialog::checkText);
    connect(m_queue, &app::SweepQueue::runStarted, this, &SweepDialog::onRunStarted);
    connect(m_queue, &app::SweepQueue::progress, this, &SweepDialog::onProgress);
    connect(m_queue, &app::SweepQueue::runFinished, this, &SweepDialog::showResults);
    connect(m_queue, &app::SweepQueue::finished, this, &SweepDialog::onFinished);
    checkText();
}

void SweepDialog::checkText()
{
    if (m_queue->isRunning())
        return;
    app::SweepQueue::Plan plan;
    const auto errors = app::SweepQueue::check(m_editor->toPlainText(), m_document->settings(), &plan);
    m_valid = errors.empty();
    QStringList lines;
    for (const auto &error : errors)
        lines << (error.line < 0 ? error.message : tr("Line %1: %2").arg(error.line + 1).arg(error.message));
    if (m_valid) {
        QStringList labels;
        for (const engine::SweepRun &run : plan.runs)
            labels << fromStd(run.point.label);
        lines << (plan.runs.size() == 1 ? tr("1 run: %1").arg(labels.front())
                                        : tr("%1 runs: %2").arg(plan.runs.size()).arg(labels.join(QStringLiteral(" · "))));
    }
    m_problems->setText(lines.join(QLatin1Char('\n')));
    m_problems->setStyleSheet(m_valid ? QString() : QStringLiteral("color: #d0312d;"));
    markLine(errors.empty() ? -1 : errors.front().line);
    updateButtons();
}

void SweepDialog::markLine(int line)
{
    QList<QTextEdit::ExtraSelection> marks;
    if (line >= 0) {
        QTextEdit::ExtraSelection mark;
        mark.cursor = QTextCursor(m_editor->document()->findBlockByNumber(line));
        mark.format.setBackground(QColor(0xd0, 0x31, 0x2d, 60));
        mark.format.setProperty(QTextFormat::FullWidthSelection, true);
        marks << mark;
    }
    m_editor->setExtraSelections(marks);
}

void SweepDialog::start()
{
    const QString error = m_queue->start(m_editor->toPlainText());
    if (!error.isEmpty()) {
        m_problems->setText(error);
        m_problems->setStyleSheet(QStringLiteral("color: #d0312d;"));
        return;
    }
    m_summary->clear();
    fillRows();
    updateButtons();
}

void SweepDialog::fillRows()
{
    const auto &runs = m_queue->plan().runs;
    m_runs->setRowCount(int(runs.size()));
    for (int row = 0; row < int(runs.size()); ++row) {
        for (int c = 0; c < kColumns; ++c)
            m_runs->setItem(row, c, new QTableWidgetItem());
        m_runs->item(row, kSetting)->setText(fromStd(runs[size_t(row)].point.label));
        m_runs->item(row, kEnd)->setText(tr("waiting"));
        auto *bar = new QProgressBar(m_runs);
        bar->setRange(0, std::max<int>(1, int(runs[size_t(row)].settings.training.maxSteps)));
        bar->setValue(0);
        bar->setFormat(QStringLiteral("%v / %m"));
        m_runs->setCellWidget(row, kProgress, bar);
    }
}

void SweepDialog::onRunStarted(int index)
{
    if (index < m_runs->rowCount())
        m_runs->item(index, kEnd)->setText(tr("training"));
}

void SweepDialog::onProgress(int index, qint64 step, qint64 totalSteps)
{
    if (auto *bar = qobject_cast<QProgressBar *>(m_runs->cellWidget(index, kProgress))) {
        bar->setRange(0, int(std::max<qint64>(1, totalSteps)));
        bar->setValue(int(step));
    }
}

void SweepDialog::showResults()
{
    const std::vector<engine::SweepRow> rows = m_queue->table();
    const std::optional<std::size_t> best = engine::bestSweepRow(rows);
    for (int row = 0; row < int(rows.size()) && row < m_runs->rowCount(); ++row) {
        const engine::SweepRow &r = rows[size_t(row)];
        const bool isBest = best && *best == size_t(row);
        m_runs->item(row, kSetting)->setText((isBest ? QStringLiteral("★ ") : QString()) + fromStd(r.label));
        m_runs->item(row, kFinal)->setText(number(r.finalEvalLoss));
        m_runs->item(row, kBest)->setText(number(r.bestEvalLoss));
        m_runs->item(row, kStepsToPlain)->setText(r.stepsToPlainLora ? QString::number(*r.stepsToPlainLora)
                                                  : r.hasPlainLora   ? tr("not reached")
                                                                     : QStringLiteral("—"));
        m_runs->item(row, kTime)->setText(tr("%1 s").arg(r.seconds, 0, 'f', 1));
        m_runs->item(row, kEnd)->setText(fromStd(r.end));
        m_runs->item(row, kEnd)->setToolTip(fromStd(m_queue->results()[size_t(row)].message));
        QFont font = m_runs->item(row, kSetting)->font();
        font.setBold(isBest);
        for (int c = 0; c < kColumns; ++c)
            m_runs->item(row, c)->setFont(font);
    }
}

void SweepDialog::onFinished(bool cancelled)
{
    showResults();
    const std::vector<engine::SweepRow> rows = m_queue->table();
    const std::optional<std::size_t> best = engine::bestSweepRow(rows);
    QString text = cancelled ? tr("Sweep stopped after run %1.").arg(rows.size())
                             : tr("Sweep finished: %1 of %1 runs.").arg(rows.size());
    if (best)
        text += QLatin1Char(' ')
            + tr("Best: %1 (final eval loss %2), marked ★ here and in the Runs page's comparison plot.")
                  .arg(fromStd(rows[*best].label), number(rows[*best].finalEvalLoss));
    m_summary->setText(text);
    updateButtons();
}

void SweepDialog::updateButtons()
{
    const bool running = m_queue->isRunning();
    m_start->setEnabled(m_valid && !running);
    m_cancel->setEnabled(running);
    m_editor->setReadOnly(running);
    m_start->setToolTip(running ? tr("A sweep is running") : m_valid ? tr("Train every combination, one after another")
                                                                     : tr("Fix the lines marked in red first"));
}

} // namespace ui
