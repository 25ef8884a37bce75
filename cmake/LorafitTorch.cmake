# Finds LibTorch and decides what follows from its version: the C++ standard,
# whether the engine's CUDA-only code is compiled (LORAFIT_TORCH_CUDA) and
# whether this is Debian's system LibTorch (LORAFIT_TORCH_IS_SYSTEM, which
# cmake/LorafitBlas.cmake and the DEB package depend on). Three routes:
#   Debian's libtorch-dev (1.13, CPU)       plain configure, found under /usr
#   an official LibTorch download (2.x)     -DCMAKE_PREFIX_PATH=<unzipped libtorch>   (preset cuda-libtorch)
#   the PyTorch you already have (pip)      -DLORAFIT_TORCH_FROM_PYTHON=ON            (preset cuda-python)
# The last asks python3 where its torch keeps its CMake files, takes the
# C++ ABI its libraries were built with, and puts the wheel's torch/lib on the
# executables' RPATH so they start without LD_LIBRARY_PATH.

option(LORAFIT_TORCH_FROM_PYTHON "Build against the LibTorch inside the python3 'torch' package (pip or conda)" OFF)
set(LORAFIT_PYTHON "python3" CACHE STRING "The Python whose torch LORAFIT_TORCH_FROM_PYTHON uses")
set(LORAFIT_CXX_STANDARD "" CACHE STRING
    "C++ standard of the whole tree: 17, 20, or empty = 20 with LibTorch 2.13+ (its headers require it), else 17")
set_property(CACHE LORAFIT_CXX_STANDARD PROPERTY STRINGS "" 17 20 23)

if(LORAFIT_TORCH_FROM_PYTHON)
  execute_process(
    COMMAND "${LORAFIT_PYTHON}" -c
      "import os, torch; print(torch.utils.cmake_prefix_path); print(int(torch._C._GLIBCXX_USE_CXX11_ABI)); print(os.path.join(os.path.dirname(torch.__file__), 'lib')); print(torch.__version__)"
    OUTPUT_VARIABLE lorafit_python_torch ERROR_VARIABLE lorafit_python_error
    RESULT_VARIABLE lorafit_python_result OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT lorafit_python_result EQUAL 0)
    message(FATAL_ERROR "LORAFIT_TORCH_FROM_PYTHON: '${LORAFIT_PYTHON} -c \"import torch\"' failed:\n"
      "${lorafit_python_error}\n(hint: install PyTorch with 'pip install torch' or point -DLORAFIT_PYTHON at the "
      "Python that has it, e.g. a virtual environment's bin/python)")
  endif()
  string(REPLACE "\n" ";" lorafit_python_torch "${lorafit_python_torch}")
  list(GET lorafit_python_torch 0 lorafit_torch_cmake)
  list(GET lorafit_python_torch 1 lorafit_torch_abi)
  list(GET lorafit_python_torch 2 LORAFIT_TORCH_LIB_DIR)
  list(GET lorafit_python_torch 3 lorafit_torch_python_version)
  message(STATUS "Lorafit: LibTorch from Python torch ${lorafit_torch_python_version} in ${lorafit_torch_cmake} "
                 "(_GLIBCXX_USE_CXX11_ABI=${lorafit_torch_abi})")
  # The wheel's torch/ folder too (two levels above share/cmake): TorchConfig
  # looks for libtorch and libc10 with plain find_library calls, which search
  # the prefixes' lib/ folders before its own hint, so without it a system
  # LibTorch (Debian's libtorch-dev) would be linked with the wheel's headers.
  get_filename_component(lorafit_torch_root "${lorafit_torch_cmake}/../.." ABSOLUTE)
  list(PREPEND CMAKE_PREFIX_PATH "${lorafit_torch_root}" "${lorafit_torch_cmake}")
  # Every target, not only those linking Torch: std::string crosses lf_engine's API.
  add_compile_definitions(_GLIBCXX_USE_CXX11_ABI=${lorafit_torch_abi})
  list(APPEND CMAKE_BUILD_RPATH "${LORAFIT_TORCH_LIB_DIR}")
  list(APPEND CMAKE_INSTALL_RPATH "${LORAFIT_TORCH_LIB_DIR}")
endif()

find_package(Torch REQUIRED)

# Headers and libraries from one LibTorch: TorchConfig takes the headers from
# its own folder but finds the libraries on the search path, where another
# LibTorch can come first (a system one beside a download or a wheel).
foreach(lorafit_torch_library IN ITEMS TORCH_LIBRARY c10_LIBRARY)
  if(${lorafit_torch_library} AND NOT ${lorafit_torch_library} MATCHES "^${TORCH_INSTALL_PREFIX}/")
    get_filename_component(lorafit_torch_found "${${lorafit_torch_library}}" REALPATH)
    get_filename_component(lorafit_torch_prefix "${TORCH_INSTALL_PREFIX}" REALPATH)
    if(NOT lorafit_torch_found MATCHES "^${lorafit_torch_prefix}/")
      message(FATAL_ERROR "LibTorch's headers come from ${TORCH_INSTALL_PREFIX} but ${lorafit_torch_library} is "
        "${${lorafit_torch_library}}, another LibTorch (hint: put ${TORCH_INSTALL_PREFIX} first in "
        "CMAKE_PREFIX_PATH, or pass -D${lorafit_torch_library}=${TORCH_INSTALL_PREFIX}/lib/<the library>)")
    endif()
  endif()
endforeach()

# Debian's package installs under /usr; downloads and wheels live elsewhere.
if(TORCH_INSTALL_PREFIX STREQUAL "/usr" OR Torch_DIR MATCHES "^/usr/(lib|share)/")
  set(LORAFIT_TORCH_IS_SYSTEM ON)
else()
  set(LORAFIT_TORCH_IS_SYSTEM OFF)
endif()
# A CUDA LibTorch adds c10_cuda and torch_cuda to what links against it.
if(TORCH_CUDA_LIBRARIES OR TARGET torch_cuda OR TARGET c10_cuda)
  set(LORAFIT_TORCH_CUDA ON)
else()
  set(LORAFIT_TORCH_CUDA OFF)
endif()

# The standard. LibTorch 2.13 and newer stop with "#error C++20 or later
# compatible compiler is required" below C++20. Below that Lorafit stays at
# C++17: that is what Debian's 1.13, Qt 6.4 and QCustomPlot were built and
# tested with here, and the whole tree (GUI included) was not measured as
# C++20 on this machine; the engine, where Torch meets our code, is compiled as
# C++20 by every CI run (LORAFIT_CXX20_CHECK, engine/CMakeLists.txt), so a
# C++20-only breakage shows up on the 1.13 machine too.
if(LORAFIT_CXX_STANDARD STREQUAL "")
  if(Torch_VERSION VERSION_GREATER_EQUAL 2.13)
    set(lorafit_standard 20)
  else()
    set(lorafit_standard 17)
  endif()
elseif(LORAFIT_CXX_STANDARD MATCHES "^(17|20|23)$")
  set(lorafit_standard ${LORAFIT_CXX_STANDARD})
else()
  message(FATAL_ERROR "LORAFIT_CXX_STANDARD must be empty, 17, 20 or 23, not '${LORAFIT_CXX_STANDARD}'")
endif()
if(lorafit_standard LESS 20 AND Torch_VERSION VERSION_GREATER_EQUAL 2.13)
  message(FATAL_ERROR "LibTorch ${Torch_VERSION} needs C++20 (hint: leave LORAFIT_CXX_STANDARD empty or set it to 20)")
endif()
set(CMAKE_CXX_STANDARD ${lorafit_standard})
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
message(STATUS "Lorafit: LibTorch ${Torch_VERSION} (CUDA ${LORAFIT_TORCH_CUDA}, system ${LORAFIT_TORCH_IS_SYSTEM}), "
               "C++${CMAKE_CXX_STANDARD}")
