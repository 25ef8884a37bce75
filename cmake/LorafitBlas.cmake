# Which OpenBLAS the executables load. Debian's LibTorch runs its own kernels
# on an OpenMP thread team (libgomp) and its matrix products in OpenBLAS.
# Debian's default OpenBLAS (libopenblas0-pthread) keeps a second, pthreads
# team, and on a small machine the two teams spin against each other: on 2
# cores a gpt2-124m LoRA step took 7.2 s with it and 4.4 s with the OpenMP
# build of OpenBLAS (libopenblas0-openmp), which shares LibTorch's team
# (tests/bench/RESULTS.md, "Session 5"). So when that build is installed, the
# executables look for their BLAS there first, whatever the system's
# alternatives select. DT_RPATH (not RUNPATH) so that the search also covers
# LibTorch's own dependencies (libblas.so.3, liblapack.so.3, libopenblas.so.0).
# Only Debian's LibTorch loads the system BLAS: an official download or a pip
# wheel brings its own (MKL or OpenBLAS inside libtorch_cpu), so nothing here applies.
if(WIN32 OR APPLE OR NOT CMAKE_LIBRARY_ARCHITECTURE OR NOT LORAFIT_TORCH_IS_SYSTEM)
  return()
endif()
set(LORAFIT_OPENBLAS_OPENMP_DIR "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp"
    CACHE PATH "Folder of the OpenMP build of OpenBLAS the executables prefer (empty: the system's choice)")
if(LORAFIT_OPENBLAS_OPENMP_DIR AND EXISTS "${LORAFIT_OPENBLAS_OPENMP_DIR}/libopenblas.so.0")
  message(STATUS "Lorafit: executables prefer the OpenMP OpenBLAS in ${LORAFIT_OPENBLAS_OPENMP_DIR}")
  add_link_options(LINKER:--disable-new-dtags)
  list(APPEND CMAKE_BUILD_RPATH "${LORAFIT_OPENBLAS_OPENMP_DIR}")
  list(APPEND CMAKE_INSTALL_RPATH "${LORAFIT_OPENBLAS_OPENMP_DIR}")
else()
  message(STATUS "Lorafit: no OpenMP OpenBLAS found (apt-get install libopenblas0-openmp); training on the CPU "
                 "is much slower with the pthreads build")
endif()
