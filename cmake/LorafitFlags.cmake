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
# of an incremental rebuild there. lld when installed, else gold (binutils).
if(NOT MSVC)
  find_program(LORAFIT_LLD ld.lld)
  find_program(LORAFIT_GOLD ld.gold)
  if(LORAFIT_LLD)
    target_link_options(lf_flags INTERFACE -fuse-ld=lld)
  elseif(LORAFIT_GOLD)
    target_link_options(lf_flags INTERFACE -fuse-ld=gold)
  endif()
endif()
