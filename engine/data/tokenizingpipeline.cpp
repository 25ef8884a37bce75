// tokenizeAll: double-buffered batches. While the workers tokenize batch k,
// the calling thread reads batch k + 1; then batch k is consumed in order.
// Workers claim examples one at a time, so long and short ones even out.
#include "engine/data/tokenizingpipeline.h"

#include "engine/core/runtime.h"

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace engine::data {

namespace {

constexpr std::size_t kBatchBytes = std::size_t(1) << 20; // rendered text per batch
constexpr std::size_t kBatchExamples = 4096;

struct ExampleBatch
{
    std::vector<RenderedExample> rendered;
    std::vector<TokenizedExample> tokenized;
    std::size_t count = 0; // examples in use; the vectors keep their capacity
};

std::size_t textBytes(const RenderedExample &example)
{
    std::size_t bytes = 0;
    for (const Segment &segment : example.segments)
        bytes += segment.text.size();
    return bytes;
}

// Refills `batch` from the source; false when the source had nothing left.
// On a read error, batch.count still counts the examples read before it.
bool readBatch(ExampleSource &source, ExampleBatch &batch)
{
    batch.count = 0;
    std::size_t bytes = 0;
    while (bytes < kBatchBytes && batch.count < kBatchExamples) {
        if (batch.rendered.size() == batch.count)
            batch.rendered.emplace_back();
        if (!source.next(batch.rendered[batch.count]))
            break;
        bytes += textBytes(batch.rendered[batch.count]);
        ++batch.count;
    }
    return batch.count > 0;
}

// One batch being tokenized by worker threads; joins them when it goes.
class TokenizeJob
{
public:
    TokenizeJob(ExampleBatch &batch, const Tokenizer &tokenizer, std::size_t maxLength, int threads)
        : m_batch(batch), m_tokenizer(tokenizer), m_maxLength(maxLength), m_firstFailure(batch.count)
    {
        if (m_batch.tokenized.size() < m_batch.count)
            m_batch.tokenized.resize(m_batch.count);
        for (int t = 0; t < threads; ++t)
            m_workers.emplace_back([this] { work(); });
    }
    ~TokenizeJob() { join(); }
    TokenizeJob(const TokenizeJob &) = delete;
    TokenizeJob &operator=(const TokenizeJob &) = delete;

    void join()
    {
        for (std::thread &worker : m_workers)
            if (worker.joinable())
                worker.join();
    }
    // After join(): examples [0, done()) are tokenized; error() is why the next one failed.
    std::size_t done() const { return m_firstFailure.load(); }
    std::exception_ptr error() const { return m_error; }

private:
    void work()
    {
        for (std::size_t i = m_next++; i < m_batch.count && i < m_firstFailure.load(); i = m_next++) {
            try {
                tokenizeExample(m_batch.rendered[i], m_tokenizer, m_maxLength, m_batch.tokenized[i]);
            } catch (...) {
                const std::lock_guard<std::mutex> lock(m_errorMutex);
                if (i < m_firstFailure.load()) {
                    m_firstFailure = i;
                    m_error = std::current_exception();
                }
            }
        }
    }

    ExampleBatch &m_batch;
    const Tokenizer &m_tokenizer;
    const std::size_t m_maxLength;
    std::atomic<std::size_t> m_next { 0 };
    std::atomic<std::size_t> m_firstFailure;
    std::mutex m_errorMutex;
    std::exception_ptr m_error;
    std::vector<std::thread> m_workers;
};

void tokenizeOnThisThread(
    ExampleSource &source, const Tokenizer &tokenizer, std::size_t maxLength, const TokenizedConsumer &consume)
{
    RenderedExample rendered;
    TokenizedExample tokenized;
    while (source.next(rendered)) {
        tokenizeExample(rendered, tokenizer, maxLength, tokenized);
        consume(rendered, tokenized);
    }
}

} // namespace

void tokenizeAll(ExampleSource &source, const Tokenizer &tokenizer, std::size_t maxLength,
    const TokenizedConsumer &consume, int threads)
{
    if (threads <= 0)
        threads = threadCount();
    if (threads <= 1)
        return tokenizeOnThisThread(source, tokenizer, maxLength, consume);

    ExampleBatch current, following;
    std::exception_ptr readError; // the examples read before it are still handed on
    auto read = [&](ExampleBatch &batch) {
        try {
            return readBatch(source, batch);
        } catch (...) {
            readError = std::current_exception();
            return batch.count > 0;
        }
    };
    bool more = read(current);
    while (more) {
        TokenizeJob job(current, tokenizer, maxLength, threads);
        more = !readError && read(following); // overlaps with the workers
        job.join();
        for (std::size_t i = 0; i < job.done(); ++i)
            consume(current.rendered[i], current.tokenized[i]);
        if (job.error())
            std::rethrow_exception(job.error());
        std::swap(current, following);
    }
    if (readError)
        std::rethrow_exception(readError);
}

} // namespace engine::data
