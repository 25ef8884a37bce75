// Plots: matrix grouping and group norms against direct sums, the redraw cap
// of LivePlot under a flood of points, and saving plots as PNG, SVG and PDF.
#undef QT_NO_KEYWORDS // qcustomplot.h uses Qt's keywords; no Torch header is involved here
#include "ui/plots/liveplot.h"
#include "ui/plots/matrixgroups.h"
#include "ui/plots/plotexport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

class TestPlots : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void groupsByKindAndLayer()
    {
        const ui::MatrixLayout layout = ui::layoutFromNames(
            {"model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj",
             "model.layers.1.self_attn.v_proj", "model.layers.10.mlp.down_proj"});
        QCOMPARE(layout.layers, (std::vector<int>{0, 0, 1, 1, 10}));
        QCOMPARE(ui::layerCount(layout), 11);
        const auto byKind = ui::groupMatrices(layout, ui::MatrixGrouping::ByKind);
        QCOMPARE(byKind.size(), size_t(3));
        QCOMPARE(byKind[0].label, QStringLiteral("self_attn.q_proj"));
        QCOMPARE(layout.kinds[4], std::string("mlp.down_proj"));
        QCOMPARE(byKind[0].indices, (std::vector<int>{0, 2}));
        const auto byLayer = ui::groupMatrices(layout, ui::MatrixGrouping::ByLayer);
        QCOMPARE(byLayer.size(), size_t(3));
        QCOMPARE(byLayer[2].indices, (std::vector<int>{4}));
        QCOMPARE(ui::groupMatrices(layout, ui::MatrixGrouping::All)[0].indices.size(), size_t(5));
        QCOMPARE(ui::groupMatrices(layout, ui::MatrixGrouping::PerMatrix).size(), size_t(5));
    }

    void groupNormIsTheNormOfTheConcatenation()
    {
        const std::vector<float> values = {3.0f, 4.0f, std::nanf(""), 12.0f};
        QCOMPARE(ui::groupNorm(values, {0, 1}), 5.0); // √(9 + 16)
        QCOMPARE(ui::groupNorm(values, {0, 1, 2, 3}), 13.0); // NaN skipped: √(9 + 16 + 144)
        QVERIFY(std::isnan(ui::groupNorm(values, {2})));
        QVERIFY(std::isnan(ui::groupNorm(values, {7}))); // out of range is ignored
    }

    void redrawsAreCappedAtTenPerSecond()
    {
        ui::LivePlot plot(QStringLiteral("flood"));
        plot.resize(400, 300);
        plot.show();
        const int curve = plot.addCurve(QStringLiteral("loss"), Qt::blue);
        QElapsedTimer clock;
        clock.start();
        int appended = 0;
        int iterations = 0;
        while (clock.elapsed() < 1500 || iterations++ < 10) {
            for (int i = 0; i < 200; ++i, ++appended)
                plot.append(curve, appended, std::sin(appended * 0.01));
            QCoreApplication::processEvents();
        }
        const double seconds = double(clock.elapsed()) / 1000.0;
        qInfo("%d points in %.2f s, %d redraws", appended, seconds, plot.redrawCount());
        QVERIFY(plot.redrawCount() >= 1);
        QVERIFY2(plot.redrawCount() <= int(std::ceil(seconds * 10)) + 1, "more than 10 redraws a second");
        QCOMPARE(plot.series(curve).rawCount(), qint64(appended));
        QVERIFY(plot.series(curve).size() <= 4000); // bounded
    }

    // A ratio next to rates: its curve sits on a logarithmic right axis, shown
    // with it and hidden again when the curves go.
    void rightAxisCurve()
    {
        ui::LivePlot plot(QStringLiteral("rates"));
        const int rate = plot.addCurve(QStringLiteral("group A"), ui::LivePlot::palette(0));
        QVERIFY(!plot.yAxis2->visible());
        const int lambda = plot.addRightAxisCurve(QStringLiteral("λ"), ui::LivePlot::palette(1), QStringLiteral("λ"));
        QVERIFY(plot.yAxis2->visible());
        QCOMPARE(plot.yAxis2->scaleType(), QCPAxis::stLogarithmic);
        QCOMPARE(plot.graph(lambda)->valueAxis(), plot.yAxis2);
        QCOMPARE(plot.graph(rate)->valueAxis(), plot.yAxis);
        for (int step = 1; step <= 20; ++step) {
            plot.append(rate, step, 1e-3);
            plot.append(lambda, step, 16.0 + step);
        }
        QVERIFY(plot.refresh());
        QVERIFY(plot.yAxis2->range().contains(17.0) && plot.yAxis2->range().contains(36.0));
        QVERIFY(!plot.yAxis->range().contains(17.0)); // the rates keep their own scale
        plot.removeCurves();
        QVERIFY(!plot.yAxis2->visible());
    }

    void savesPngSvgAndPdf()
    {
        ui::LivePlot plot(QStringLiteral("save"));
        plot.resize(320, 240);
        const int curve = plot.addCurve(QStringLiteral("a"), Qt::red);
        for (int i = 0; i < 50; ++i)
            plot.append(curve, i, i * i);
        plot.refresh();
        QTemporaryDir dir;
        const struct { const char *name; QByteArray magic; } formats[] = {
            {"p.png", QByteArray("\x89PNG")}, {"p.svg", QByteArray("<?xml")}, {"p.pdf", QByteArray("%PDF")}};
        for (const auto &format : formats) {
            const QString path = dir.filePath(QLatin1String(format.name));
            QCOMPARE(ui::savePlot(&plot, path), QString());
            QFile file(path);
            QVERIFY(file.open(QIODevice::ReadOnly));
            QVERIFY2(file.read(format.magic.size()) == format.magic, format.name);
        }
        QVERIFY(ui::savePlot(&plot, dir.filePath(QStringLiteral("p.bmp"))).contains(QStringLiteral("unknown format")));
        QVERIFY(!ui::savePlot(&plot, QStringLiteral("/proc/none/p.png")).isEmpty());
        QVERIFY(!QFile::exists(QStringLiteral("/proc/none/p.png")));
    }
};

QTEST_MAIN(TestPlots)
#include "test_plots.moc"
