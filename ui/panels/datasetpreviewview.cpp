#include "ui/panels/datasetpreviewview.h"

#include "app/qtstrings.h"

#include "ui/panels/modelpanel.h"

#include <qcustomplot.h>

#include <QLabel>
#include <QSplitter>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace ui {

namespace {

using app::fromStd;

void styleAxes(QCustomPlot *plot)
{
    const QPalette pal = plot->palette();
    const QColor text = pal.color(QPalette::WindowText);
    plot->setBackground(pal.color(QPalette::Base));
    for (QCPAxis *axis : {plot->xAxis, plot->yAxis}) {
        axis->setBasePen(QPen(text));
        axis->setTickPen(QPen(text));
        axis->setSubTickPen(QPen(text));
        axis->setTickLabelColor(text);
        axis->setLabelColor(text);
        QColor grid = text;
        grid.setAlpha(40);
        axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
    }
}

} // namespace

DatasetPreviewView::DatasetPreviewView(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_summary = new QLabel(tr("Choose a training file to see its examples."), this);
    m_summary->setObjectName(QStringLiteral("datasetSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_summary);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    m_histogram = new QCustomPlot(splitter);
    m_histogram->setObjectName(QStringLiteral("lengthHistogram"));
    m_histogram->setMinimumHeight(170);
    styleAxes(m_histogram);
    m_bars = new QCPBars(m_histogram->xAxis, m_histogram->yAxis);
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(QColor(0x1f, 0x77, 0xb4, 200));
    m_maxLine = new QCPItemStraightLine(m_histogram);
    m_maxLine->setPen(QPen(QColor(0xd6, 0x27, 0x28), 2, Qt::DashLine));
    m_maxLine->setVisible(false);
    m_histogram->yAxis->setLabel(tr("records"));
    m_examples = new QTextBrowser(splitter);
    m_examples->setObjectName(QStringLiteral("examples"));
    m_examples->setOpenLinks(false);
    splitter->addWidget(m_histogram);
    splitter->addWidget(m_examples);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter, 1);
}

void DatasetPreviewView::showMessage(const QString &message)
{
    m_summary->setText(message);
    m_bars->data()->clear();
    m_maxLine->setVisible(false);
    m_histogram->replot();
    m_examples->clear();
}

void DatasetPreviewView::showPreview(const engine::data::DatasetPreview &preview, int maxLength)
{
    const QString unit = preview.tokenized ? tr("tokens") : tr("bytes");
    QString summary = tr("<b>%1</b> (%2) · %3 records · %4 bad records skipped · %5 longer than %6 %7 (truncated) · "
                         "%8 %7 per epoch, %9 of them trained · %10 %11 per epoch")
                          .arg(QLatin1String(engine::data::shapeName(preview.shape)), fromStd(preview.shapeReason).toHtmlEscaped())
                          .arg(preview.records).arg(preview.skippedRecords).arg(preview.overMaxLength).arg(maxLength).arg(unit)
                          .arg(formatCount(double(preview.tokensPerEpoch)), formatCount(double(preview.trainedTokensPerEpoch)))
                          .arg(preview.sequencesPerEpoch)
                          .arg(preview.shape == engine::data::Shape::Preference ? tr("pairs (two sequences each)")
                                                                                : tr("sequences"));
    if (!preview.tokenized)
        summary += tr("<br><i>No model tokenizer yet: lengths are in UTF-8 bytes.</i>");
    for (const std::string &warning : preview.warnings)
        summary += QStringLiteral("<br>⚠ ") + fromStd(warning).toHtmlEscaped();
    for (const std::string &skipped : preview.skippedMessages)
        summary += QStringLiteral("<br>✗ ") + fromStd(skipped).toHtmlEscaped();
    m_summary->setText(summary);
    m_histogram->xAxis->setLabel(tr("length (%1)").arg(unit));
    showHistogram(preview, maxLength);

    QString html;
    for (const auto &example : preview.examples)
        html += exampleHtml(example, palette());
    m_examples->setHtml(html);
}

void DatasetPreviewView::showHistogram(const engine::data::DatasetPreview &preview, int maxLength)
{
    const auto &h = preview.histogram;
    QVector<double> keys, values;
    double highest = 0;
    for (size_t i = 0; i < h.counts.size(); ++i) {
        keys << (double(i) + 0.5) * double(h.bucketWidth);
        values << double(h.counts[i]);
        highest = std::max(highest, double(h.counts[i]));
    }
    m_bars->setWidth(double(h.bucketWidth) * 0.9);
    m_bars->setData(keys, values, true);
    m_maxLine->point1->setCoords(maxLength, 0);
    m_maxLine->point2->setCoords(maxLength, 1);
    m_maxLine->setVisible(true);
    const double right = std::max(double(h.counts.size() * h.bucketWidth), double(maxLength) * 1.05);
    m_histogram->xAxis->setRange(0, right);
    m_histogram->yAxis->setRange(0, std::max(1.0, highest * 1.1));
    m_histogram->replot();
}

QString DatasetPreviewView::exampleHtml(const engine::data::ExamplePreview &example, const QPalette &palette)
{
    const bool dark = palette.color(QPalette::Base).lightness() < 128;
    const QString trained = dark ? QStringLiteral("#1e4d2b") : QStringLiteral("#d4f4dc");
    QColor dim = palette.color(QPalette::Text);
    dim.setAlpha(110);
    const QString role = example.pairRole == engine::data::PairRole::None
        ? QString()
        : (example.pairRole == engine::data::PairRole::Chosen ? tr(" · <b>chosen</b> answer") : tr(" · <b>rejected</b> answer"));
    QString html = QStringLiteral("<p style='margin-bottom:2px'><b>%1:%2</b> · %3 %4%5%6%7</p><pre style='white-space:pre-wrap'>")
                       .arg(fromStd(example.source).toHtmlEscaped()).arg(example.line)
                       .arg(example.length).arg(tr("tokens"))
                       .arg(example.truncated ? tr(" · <span style='color:#d0312d'>truncated</span>") : QString())
                       .arg(example.label.empty() ? QString() : tr(" · label ") + fromStd(example.label).toHtmlEscaped(), role);
    for (const auto &span : example.spans) {
        const QString text = fromStd(span.text).toHtmlEscaped();
        if (span.trained)
            html += QStringLiteral("<span style='background:%1'>%2</span>").arg(trained, text);
        else
            html += QStringLiteral("<span style='color:%1'>%2</span>").arg(dim.name(QColor::HexArgb), text);
    }
    return html + QStringLiteral("</pre><hr>");
}

int DatasetPreviewView::histogramBars() const { return m_bars->data()->size(); }

QString DatasetPreviewView::examplesHtml() const { return m_examples->toHtml(); }

} // namespace ui
