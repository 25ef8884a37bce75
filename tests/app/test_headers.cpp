// Layering rules of ARCHITECTURE.md, checked on the source tree:
//  - no file under engine/ includes a Qt header;
//  - nothing that ui/ or app/ includes (followed through every repo-rooted
//    #include, however deep) pulls in a Torch header.
#include <QDirIterator>
#include <QFile>
#include <QHash>
#include <QRegularExpression>
#include <QSet>
#include <QStringList>
#include <QTest>

namespace {

const QString kRoot = QStringLiteral(LF_SOURCE_DIR);

QStringList sourceFiles(const QString &folder)
{
    QStringList files;
    QDirIterator it(kRoot + QLatin1Char('/') + folder, {QStringLiteral("*.h"), QStringLiteral("*.cpp")},
                    QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        files << it.next();
    files.sort();
    return files;
}

struct Include
{
    QString target;
    bool angle;
};

QList<Include> includesOf(const QString &path)
{
    static const QRegularExpression pattern(QStringLiteral("^\\s*#\\s*include\\s*([<\"])([^>\"]+)[>\"]"),
                                            QRegularExpression::MultilineOption);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QList<Include> result;
    auto it = pattern.globalMatch(QString::fromUtf8(file.readAll()));
    while (it.hasNext()) {
        const auto match = it.next();
        result.append({match.captured(2), match.captured(1) == QLatin1String("<")});
    }
    return result;
}

bool isTorchHeader(const QString &include)
{
    return include.startsWith(QLatin1String("torch/")) || include.startsWith(QLatin1String("ATen/"))
        || include.startsWith(QLatin1String("c10/")) || include.startsWith(QLatin1String("caffe2/"));
}

// Returns the chain of files from `start` to a Torch include, or empty.
QStringList torchChain(const QString &start, QHash<QString, QStringList> &memo, QSet<QString> &visiting)
{
    if (memo.contains(start))
        return memo.value(start);
    if (visiting.contains(start))
        return {};
    visiting.insert(start);
    QStringList chain;
    for (const Include &include : includesOf(start)) {
        if (isTorchHeader(include.target)) {
            chain = {start, include.target};
            break;
        }
        const QString local = kRoot + QLatin1Char('/') + include.target;
        if (!include.angle && QFile::exists(local)) {
            const QStringList rest = torchChain(local, memo, visiting);
            if (!rest.isEmpty()) {
                chain = QStringList{start} + rest;
                break;
            }
        }
    }
    visiting.remove(start);
    memo.insert(start, chain);
    return chain;
}

} // namespace

class TestHeaders : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void engineIsQtFree()
    {
        const QStringList files = sourceFiles(QStringLiteral("engine"));
        QVERIFY2(!files.isEmpty(), "engine/ has no sources: is LF_SOURCE_DIR right?");
        static const QRegularExpression qtHeader(QStringLiteral("^(Q[A-Za-z]+|Qt[A-Za-z]*/)"));
        for (const QString &file : files)
            for (const Include &include : includesOf(file))
                QVERIFY2(!(include.angle && qtHeader.match(include.target).hasMatch()),
                         qPrintable(QStringLiteral("%1 includes Qt header <%2>").arg(file, include.target)));
    }

    void uiAndAppNeverReachTorch()
    {
        QHash<QString, QStringList> memo;
        QSet<QString> visiting;
        const QStringList files = sourceFiles(QStringLiteral("ui")) + sourceFiles(QStringLiteral("app"));
        QVERIFY(!files.isEmpty());
        for (const QString &file : files) {
            const QStringList chain = torchChain(file, memo, visiting);
            QVERIFY2(chain.isEmpty(), qPrintable(QStringLiteral("Torch reached through: ") + chain.join(" -> ")));
        }
    }

    void detectorCatchesAViolation()
    {
        // The checker itself must be able to fail: the engine's own runtime.cpp
        // includes Torch, so a chain from it must be found.
        QHash<QString, QStringList> memo;
        QSet<QString> visiting;
        QVERIFY(!torchChain(kRoot + QStringLiteral("/engine/core/runtime.cpp"), memo, visiting).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestHeaders)
#include "test_headers.moc"
