// Thread count and device discovery through LibTorch's device abstraction, so an
// official CUDA build of LibTorch needs no source change here.
#include "engine/core/runtime.h"

#include <torch/torch.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>

#ifdef _WIN32
#include <windows.h>
#include <psapi.h>
#endif
#ifdef __GLIBC__
#include <dlfcn.h>
#include <malloc.h>
#endif

#include <mutex>

namespace engine {

namespace {

int threadsFromEnvironment()
{
    const char *value = std::getenv("LORAFIT_THREADS");
    if (!value || !*value)
        return 0;
    char *end = nullptr;
    const long parsed = std::strtol(value, &end, 10);
    return (end && *end == '\0' && parsed > 0 && parsed <= 4096) ? static_cast<int>(parsed) : 0;
}

// OpenBLAS, when it is the BLAS loaded (its own API, looked up at run time:
// Lorafit links only the BLAS interface through LibTorch).
void describeBlas(RuntimeInfo &info)
{
#ifdef __GLIBC__
    using ConfigFn = char *(*)();
    using ParallelFn = int (*)();
    const auto config = reinterpret_cast<ConfigFn>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
    const auto parallel = reinterpret_cast<ParallelFn>(dlsym(RTLD_DEFAULT, "openblas_get_parallel"));
    if (!config || !parallel)
        return;
    std::string text = config();
    const std::size_t cut = text.find(' ', text.find(' ') + 1); // "OpenBLAS 0.3.21 DYNAMIC_ARCH ..."
    text = text.substr(0, cut);
    const int mode = parallel(); // 0 sequential, 1 pthreads, 2 OpenMP
    info.blas = text + (mode == 2 ? " (OpenMP)" : mode == 1 ? " (pthreads)" : " (sequential)");
    if (mode == 1 && info.threads > 1)
        info.blasWarning = "OpenBLAS runs its own pthreads beside LibTorch's OpenMP threads, and the two compete "
                           "for the cores: training on the CPU can take 1.8x as long (hint: apt-get install "
                           "libopenblas0-openmp, which Lorafit then loads by itself)";
#else
    (void)info;
#endif
}

} // namespace

int initRuntime(int threads)
{
    if (threads <= 0)
        threads = threadsFromEnvironment();
    if (threads <= 0)
        threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    setThreadCount(threads);
    return torch::get_num_threads();
}

void setThreadCount(int threads)
{
    if (threads > 0)
        torch::set_num_threads(threads);
}

int threadCount()
{
    return torch::get_num_threads();
}

RuntimeInfo runtimeInfo()
{
    RuntimeInfo info;
    info.torchVersion = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "."
        + std::to_string(TORCH_VERSION_PATCH);
    info.threads = torch::get_num_threads();
    info.cudaBuilt = torch::cuda::is_available() || at::hasCUDA();
    describeBlas(info);
    info.devices.push_back({"cpu", "CPU (" + std::to_string(info.threads) + " threads)", 0});
    const auto cudaCount = torch::cuda::is_available() ? torch::cuda::device_count() : 0;
    for (std::size_t i = 0; i < cudaCount; ++i)
        info.devices.push_back({"cuda:" + std::to_string(i), "CUDA device " + std::to_string(i), 0});
    return info;
}

const char *versionString()
{
    return LORAFIT_VERSION;
}

#ifdef _WIN32

std::uint64_t availableMemoryBytes()
{
    MEMORYSTATUSEX status{};
    status.dwLength = sizeof(status);
    return GlobalMemoryStatusEx(&status) ? status.ullAvailPhys : 0;
}

std::uint64_t processMemoryBytes()
{
    PROCESS_MEMORY_COUNTERS counters{};
    return GetProcessMemoryInfo(GetCurrentProcess(), &counters, sizeof(counters)) ? counters.WorkingSetSize : 0;
}

#else

namespace {

// The value in kB of `key` in a /proc file of "Key:   123 kB" lines, in bytes; 0 if absent.
std::uint64_t procKilobytes(const char *path, const std::string &key)
{
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.compare(0, key.size(), key) != 0 || line.size() <= key.size() || line[key.size()] != ':')
            continue;
        std::istringstream fields(line.substr(key.size() + 1));
        std::uint64_t kilobytes = 0;
        fields >> kilobytes;
        return kilobytes * 1024;
    }
    return 0;
}

} // namespace

std::uint64_t availableMemoryBytes()
{
    return procKilobytes("/proc/meminfo", "MemAvailable");
}

std::uint64_t processMemoryBytes()
{
    return procKilobytes("/proc/self/status", "VmRSS");
}

#endif

namespace {

std::mutex g_keepMutex;
int g_keepCount = 0;

} // namespace

void useOneHeap()
{
#ifdef __GLIBC__
    mallopt(M_ARENA_MAX, 1);
#endif
}

KeepFreedMemory::KeepFreedMemory()
{
#ifdef __GLIBC__
    const std::lock_guard<std::mutex> lock(g_keepMutex);
    if (g_keepCount++ == 0) {
        mallopt(M_MMAP_MAX, 0); // large blocks from the heap, not from fresh mappings
        mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max()); // and never shrink it meanwhile
    }
#endif
}

KeepFreedMemory::~KeepFreedMemory()
{
#ifdef __GLIBC__
    const std::lock_guard<std::mutex> lock(g_keepMutex);
    if (--g_keepCount == 0) {
        mallopt(M_MMAP_MAX, 65536); // glibc's defaults
        mallopt(M_TRIM_THRESHOLD, 128 * 1024);
        malloc_trim(0);
    }
#endif
}

} // namespace engine
