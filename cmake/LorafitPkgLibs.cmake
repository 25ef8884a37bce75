# PCRE2 (8-bit) and utf8proc as the imported targets PkgConfig::PCRE2 and
# PkgConfig::UTF8PROC. Through pkg-config where it is installed (Debian,
# Ubuntu); else, e.g. on a GPU server without pkg-config, from
# find_path/find_library, so -DCMAKE_PREFIX_PATH=<folder with include/ and
# lib/> is enough there.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PCRE2 IMPORTED_TARGET libpcre2-8)
  pkg_check_modules(UTF8PROC IMPORTED_TARGET libutf8proc)
endif()

function(lorafit_find_library target header library)
  if(TARGET PkgConfig::${target})
    return()
  endif()
  find_path(LORAFIT_${target}_INCLUDE_DIR ${header})
  find_library(LORAFIT_${target}_LIBRARY NAMES ${library})
  if(NOT LORAFIT_${target}_INCLUDE_DIR OR NOT LORAFIT_${target}_LIBRARY)
    message(FATAL_ERROR "${library} not found: neither pkg-config nor ${header} and lib${library} on CMAKE_PREFIX_PATH "
                        "(hint: apt-get install libpcre2-dev libutf8proc-dev, or bash packaging/install-deps.sh)")
  endif()
  add_library(PkgConfig::${target} UNKNOWN IMPORTED GLOBAL)
  set_target_properties(PkgConfig::${target} PROPERTIES
    IMPORTED_LOCATION "${LORAFIT_${target}_LIBRARY}" INTERFACE_INCLUDE_DIRECTORIES "${LORAFIT_${target}_INCLUDE_DIR}")
endfunction()

# PCRE2_CODE_UNIT_WIDTH is set by the engine's sources that include pcre2.h.
lorafit_find_library(PCRE2 pcre2.h pcre2-8)
lorafit_find_library(UTF8PROC utf8proc.h utf8proc)
