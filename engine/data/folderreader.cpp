// FolderReader: a sorted recursive listing, then one file reader at a time.
#include "engine/data/folderreader.h"

#include "engine/core/status.h"

#include <algorithm>
#include <filesystem>

namespace engine::data {

namespace fs = std::filesystem;

FolderReader::FolderReader(const std::string &folder, const ReaderOptions &options)
    : m_options(options)
{
    std::error_code ec;
    for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec) && isDatasetFile(it->path().string())) {
            m_files.push_back(it->path().string());
            m_total += it->file_size(ec);
        }
    }
    if (ec)
        throw Error("cannot list dataset folder '" + folder + "': " + ec.message());
    if (m_files.empty())
        throw Error("dataset folder '" + folder
            + "' holds no dataset files (hint: Lorafit reads .jsonl, .json, .csv, .tsv and .txt files)");
    std::sort(m_files.begin(), m_files.end());
}

bool FolderReader::next(Record &out)
{
    for (;;) {
        if (!m_current) {
            if (m_index == m_files.size())
                return false;
            m_current = openRecordReader(m_files[m_index++], m_options);
        }
        if (m_current->next(out))
            return true;
        m_doneBytes += m_current->totalBytes();
        m_current.reset();
    }
}

std::uint64_t FolderReader::bytesRead() const
{
    return m_doneBytes + (m_current ? m_current->bytesRead() : 0);
}

} // namespace engine::data
