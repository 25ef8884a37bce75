// DatasetPreviewView: shows an engine::data::DatasetPreview — the detected
// shape and counts (records, bad records, truncated records, tokens per
// epoch), a token-length histogram (QCustomPlot bars) with the maximum-length
// line, and the first rendered examples with trained tokens highlighted and
// masked tokens dimmed. Display only; DataPanel computes the preview.
#pragma once

#include "engine/data/datasetpreview.h"

#include <QWidget>

class QCustomPlot;
class QCPBars;
class QCPItemStraightLine;
class QLabel;
class QTextBrowser;

namespace ui {

class DatasetPreviewView : public QWidget
{
    Q_OBJECT

public:
    explicit DatasetPreviewView(QWidget *parent = nullptr);

    void showPreview(const engine::data::DatasetPreview &preview, int maxLength);
    void showMessage(const QString &message); // "Reading…" or an error; clears the preview
    int histogramBars() const;
    QString examplesHtml() const;

    // One example as HTML: trained spans highlighted, masked spans dimmed.
    static QString exampleHtml(const engine::data::ExamplePreview &example, const QPalette &palette);

private:
    void showHistogram(const engine::data::DatasetPreview &preview, int maxLength);

    QLabel *m_summary = nullptr;
    QCustomPlot *m_histogram = nullptr;
    QCPBars *m_bars = nullptr;
    QCPItemStraightLine *m_maxLine = nullptr;
    QTextBrowser *m_examples = nullptr;
};

} // namespace ui
