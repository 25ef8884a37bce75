# One INTERFACE target carries warnings, sanitizers and common definitions.
# Every Lorafit target links lf_flags privately.
add_library(lf_flags INTERFACE)

if(MSVC)
  target_compile_options(lf_flags INTERFACE /W4 /permissive- /utf-8)
  if(LORAFIT_WARNINGS_AS_ERRORS)
    target_compile_options(lf_flags INTERFACE /WX)
  endif()
else()
  target_compile_options(lf_flags INTERFACE
    -Wall -Wextra -Wpedantic $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local> -Wnon-virtual-dtor -Wcast-align
    -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
  if(LORAFIT_WARNINGS_AS_ERRORS)
    target_compile_options(lf_flags INTERFACE -Werror)
  endif()
endif()

if(LORAFIT_SANITIZE STREQUAL "address")
  target_compile_options(lf_flags INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(lf_flags INTERFACE -fsanitize=address,undefined)
elseif(LORAFIT_SANITIZE STREQUAL "thread")
  target_compile_options(lf_flags INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(lf_flags INTERFACE -fsanitize=thread)
elseif(NOT LORAFIT_SANITIZE STREQUAL "")
  message(FATAL_ERROR "LORAFIT_SANITIZE must be empty, 'address' or 'thread', not '${LORAFIT_SANITIZE}'")
endif()

target_compile_definitions(lf_flags INTERFACE
  LORAFIT_VERSION="${PROJECT_VERSION}"
  $<$<PLATFORM_ID:Windows>:NOMINMAX WIN32_LEAN_AND_MEAN>)

# Qt's 'slots'/'signals'/'emit' macros break LibTorch headers. Targets that could
# ever see a Torch header link this.
add_library(lf_qt_no_keywords INTERFACE)
target_compile_definitions(lf_qt_no_keywords INTERFACE QT_NO_KEYWORDS)

# A faster linker: every test executable links LibTorch, and GNU ld spends most
# of an incremental rebuild there. lld when installed, else gold (binutils),
# each only if it links a C++ program with this compiler: on one GPU image
# gold could not open the libstdc++.so of a g++ installed under /opt, where
# the default linker works.
if(NOT MSVC)
  include(CheckCXXSourceCompiles)
  foreach(lorafit_linker IN ITEMS lld gold)
    find_program(LORAFIT_LINKER_${lorafit_linker} ld.${lorafit_linker})
    if(NOT LORAFIT_LINKER_${lorafit_linker})
      continue()
    endif()
    set(CMAKE_REQUIRED_LINK_OPTIONS -fuse-ld=${lorafit_linker})
    check_cxx_source_compiles("#include <sstream>
      int main() { std::ostringstream s; s << 42; return static_cast<int>(s.str().size()); }"
      LORAFIT_LINKS_WITH_${lorafit_linker})
    unset(CMAKE_REQUIRED_LINK_OPTIONS)
    if(LORAFIT_LINKS_WITH_${lorafit_linker})
      target_link_options(lf_flags INTERFACE -fuse-ld=${lorafit_linker})
      break()
    endif()
  endforeach()
endif()
