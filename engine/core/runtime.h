// Process-wide compute runtime: thread count and the devices LibTorch can use.
// initRuntime() runs once at start-up from each executable's main(); it sets the
// intra-op thread count (Debian's LibTorch starts with one thread). Thread-safe
// after that; it never throws.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace engine {

struct DeviceInfo
{
    std::string id;           // "cpu", "cuda:0", ... as accepted by the training config
    std::string name;         // human readable, e.g. "CPU (2 threads)" or the GPU's name
    std::uint64_t memoryBytes = 0; // total memory of the device, 0 if unknown
};

struct RuntimeInfo
{
    std::string torchVersion;  // LibTorch version the engine was built with
    int threads = 1;           // intra-op threads in use
    bool cudaBuilt = false;    // this LibTorch build has CUDA
    std::string blas;          // the BLAS behind CPU matrix products, e.g. "OpenBLAS 0.3.21 (OpenMP)"; empty if unknown
    std::string blasCore;      // OpenBLAS's kernel set in use, e.g. "SkylakeX"; empty if unknown
    std::string blasNote;      // set when Lorafit replaced the kernel set OpenBLAS chose, saying so
    std::string blasWarning;   // set when that BLAS is known to slow training down, with a hint
    std::vector<DeviceInfo> devices; // CPU first, then every visible CUDA device
};

// Sets the intra-op thread count: `threads` if > 0, else the LORAFIT_THREADS
// environment variable if set, else the number of hardware threads.
// (OpenBLAS's choice of kernels is corrected when the engine loads, if it took
// the CPU for an older one; RuntimeInfo::blasNote then says so.)
// Returns the count now in use.
int initRuntime(int threads = 0);

// Changes the intra-op thread count later (e.g. from training settings).
void setThreadCount(int threads);

// The intra-op thread count in use; other parallel work (tokenizing a
// dataset) sizes itself by it, so --threads and LORAFIT_THREADS cover it too.
int threadCount();

RuntimeInfo runtimeInfo();

// Memory the system can still give this process (Linux: MemAvailable;
// Windows: available physical memory); 0 if unknown.
std::uint64_t availableMemoryBytes();

// Resident memory of this process now; 0 if unknown.
std::uint64_t processMemoryBytes();

// Makes every thread allocate from one heap (glibc: one malloc arena); call it
// first in main(), before any thread starts. The training thread's tensors
// otherwise fill an arena of their own that fragments beside the main heap:
// 10 demo steps peaked at 501 MiB with per-thread arenas and 469 MiB with one
// (tests/bench/RESULTS.md). A no-op elsewhere.
void useOneHeap();

// While one exists (Linux, glibc), freed memory stays in the process heap
// instead of going back to the system: a training step allocates and frees
// the same large activation buffers every step, and glibc would otherwise
// map them fresh (and the kernel zero every page) each time; on 2 cores that
// was a quarter of the CPU time (tests/bench/RESULTS.md). The last guard to
// go returns the free memory (malloc_trim). Nestable and thread-safe; a
// no-op elsewhere.
class KeepFreedMemory
{
public:
    KeepFreedMemory();
    ~KeepFreedMemory();
    KeepFreedMemory(const KeepFreedMemory &) = delete;
    KeepFreedMemory &operator=(const KeepFreedMemory &) = delete;
};

// Version of Lorafit, e.g. "0.1.0".
const char *versionString();

} // namespace engine
