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
#include <utility>

#ifdef _WIN32
#include <windows.h>
#include <psapi.h>
#endif
#ifdef __GLIBC__
#include <dlfcn.h>
#include <malloc.h>
#include <strings.h>
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

#ifdef __GLIBC__
template <typename Fn>
Fn openBlasFunction(const char *name)
{
    return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

// OpenBLAS's kernel sets ("cores") by the widest vector instructions they use:
// 0 none beyond SSE3, 1 AVX, 2 AVX2 and FMA, 3 AVX-512.
int coreLevel(const std::string &core)
{
    static const char *const levels[][4] = {
        { "Sandybridge", "Bulldozer", "Piledriver", nullptr },
        { "Haswell", "Zen", "Steamroller", "Excavator" },
        { "SkylakeX", "Cooperlake", "SapphireRapids", nullptr },
    };
    for (int level = 0; level < 3; ++level)
        for (const char *name : levels[level])
            if (name && strcasecmp(name, core.c_str()) == 0)
                return level + 1;
    return 0;
}

// The best of those kernel sets this CPU and its OS support, and its level; {"", 0} if none.
std::pair<std::string, int> bestCoreForCpu()
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512dq"))
        return { "SkylakeX", 3 };
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return { "Haswell", 2 };
    if (__builtin_cpu_supports("avx"))
        return { "Sandybridge", 1 };
#endif
    return { "", 0 };
}

struct BlasCoreChoice
{
    std::string detected; // the kernel set OpenBLAS chose by itself
    std::string chosen;   // the one Lorafit selected instead; empty if it kept OpenBLAS's
};

BlasCoreChoice g_blasCore;

// A DYNAMIC_ARCH OpenBLAS picks its kernels at load time from the CPU's model
// number, and a release older than the CPU does not know it: Debian 12's
// 0.3.21 takes an Emerald Rapids Xeon (model 0xCF) for a Prescott and runs
// sgemm on SSE3, 44 instead of 232 GFLOP/s on the same cores
// (tests/bench/RESULTS.md). When the kernels OpenBLAS picked use narrower
// vectors than the CPU supports, select the matching set the way
// OPENBLAS_CORETYPE would have at load time. Runs once, before any matrix
// product; never when the user set OPENBLAS_CORETYPE. On non-Intel CPUs only
// a fall-back to SSE3 kernels is corrected: OpenBLAS maps AMD's AVX-512 CPUs
// to its Zen kernels by design, and that choice is not second-guessed.
void selectBlasCore()
{
    using CoreNameFn = char *(*)();
    using VoidFn = void (*)();
    const auto coreName = openBlasFunction<CoreNameFn>("openblas_get_corename");
    const auto dynamicInit = openBlasFunction<VoidFn>("gotoblas_dynamic_init");
    const auto dynamicQuit = openBlasFunction<VoidFn>("gotoblas_dynamic_quit");
    if (!coreName || !coreName())
        return;
    g_blasCore.detected = coreName();
    if (!dynamicInit || !dynamicQuit || std::getenv("OPENBLAS_CORETYPE"))
        return;
    const auto [best, bestLevel] = bestCoreForCpu();
    const int level = coreLevel(g_blasCore.detected);
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    const bool intel = __builtin_cpu_is("intel");
#else
    const bool intel = false;
#endif
    if (bestLevel <= level || (!intel && level > 0))
        return;
    setenv("OPENBLAS_CORETYPE", best.c_str(), 1);
    dynamicQuit();
    dynamicInit();
    unsetenv("OPENBLAS_CORETYPE");
    const char *now = coreName();
    if (now && strcasecmp(now, g_blasCore.detected.c_str()) != 0)
        g_blasCore.chosen = now;
}

#else

void selectBlasCore() { }

#endif // __GLIBC__

// At load time, right after OpenBLAS made its own choice, so every executable
// linking the engine (the apps, the tests, the benchmarks) multiplies with the
// same kernels before its first product.
const bool g_blasCoreSelected = (selectBlasCore(), true);

// OpenBLAS, when it is the BLAS loaded (its own API, looked up at run time:
// Lorafit links only the BLAS interface through LibTorch).
void describeBlas(RuntimeInfo &info)
{
#ifdef __GLIBC__
    using ConfigFn = char *(*)();
    using ParallelFn = int (*)();
    const auto config = openBlasFunction<ConfigFn>("openblas_get_config");
    const auto parallel = openBlasFunction<ParallelFn>("openblas_get_parallel");
    const auto coreName = openBlasFunction<ConfigFn>("openblas_get_corename");
    if (!config || !parallel)
        return;
    std::string text = config();
    const std::size_t cut = text.find(' ', text.find(' ') + 1); // "OpenBLAS 0.3.21 DYNAMIC_ARCH ..."
    text = text.substr(0, cut);
    const int mode = parallel(); // 0 sequential, 1 pthreads, 2 OpenMP
    info.blasCore = coreName && coreName() ? coreName() : "";
    info.blas = text + (mode == 2 ? " (OpenMP" : mode == 1 ? " (pthreads" : " (sequential")
        + (info.blasCore.empty() ? std::string() : ", " + info.blasCore + " kernels") + ")";
    if (!g_blasCore.chosen.empty())
        info.blasNote = text + " took this CPU for a " + g_blasCore.detected + "; Lorafit selected its "
            + g_blasCore.chosen + " kernels, which the CPU supports (set OPENBLAS_CORETYPE to choose others)";
    std::vector<std::string> warnings;
    if (mode == 1 && info.threads > 1)
        warnings.push_back("OpenBLAS runs its own pthreads beside LibTorch's OpenMP threads, and the two compete "
                           "for the cores: training on the CPU can take 1.8x as long (hint: apt-get install "
                           "libopenblas0-openmp, which Lorafit then loads by itself)");
    const auto [best, bestLevel] = bestCoreForCpu();
    if (g_blasCore.chosen.empty() && coreLevel(info.blasCore) < bestLevel)
        warnings.push_back("OpenBLAS uses its " + info.blasCore + " kernels, narrower than this CPU supports ("
            + best + "): matrix products can run several times slower (hint: unset OPENBLAS_CORETYPE, or set it to "
            + best + ")");
    for (const std::string &w : warnings)
        info.blasWarning += (info.blasWarning.empty() ? "" : "; ") + w;
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
