# lf_add_test(<name> SOURCES <files...> [LIBS <targets...>] [LABELS <labels...>]
#             [TORCH] [TIMEOUT <seconds>] [ENVIRONMENT <VAR=value...>])
#
# One Qt Test executable per unit, registered with CTest. Labels:
#   unit  fast, default        gui   offscreen widgets       smoke  end to end
#   gpu   skips without CUDA   fuzz  libFuzzer runs (long)   slow   minutes, not seconds
#   reference  the real PEFT/transformers from PyPI (tests/reference; skips without PyPI)
# TORCH: the test looks inside tensors; it links lf_engine_internal and reuses
# the engine's precompiled Torch header.
function(lf_add_test name)
  cmake_parse_arguments(T "TORCH" "TIMEOUT" "SOURCES;LIBS;LABELS;ENVIRONMENT" ${ARGN})
  if(NOT T_SOURCES)
    message(FATAL_ERROR "lf_add_test(${name}): SOURCES is required")
  endif()
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()

  add_executable(${name} ${T_SOURCES})
  set_target_properties(${name} PROPERTIES AUTOMOC ON RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/tests")
  target_link_libraries(${name} PRIVATE Qt6::Test lf_flags lf_qt_no_keywords ${T_LIBS})
  target_compile_definitions(${name} PRIVATE
    LF_SOURCE_DIR="${PROJECT_SOURCE_DIR}" LF_BINARY_DIR="${PROJECT_BINARY_DIR}"
    LF_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data")
  if(T_TORCH)
    target_link_libraries(${name} PRIVATE lf_engine_internal)
    target_precompile_headers(${name} REUSE_FROM lf_engine)
    # AUTOMOC's collection file is usually empty: loading the 600 MB Torch
    # header for it would cost ~15 s per test.
    set_source_files_properties("${CMAKE_CURRENT_BINARY_DIR}/${name}_autogen/mocs_compilation.cpp"
      PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
    if(LORAFIT_UNITY_BUILD) # the test and its fixtures share one pass over the Torch headers
      set_target_properties(${name} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
    endif()
  endif()

  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES
    LABELS "${T_LABELS}"
    TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "QT_QPA_PLATFORM=offscreen;LORAFIT_THREADS=2;${T_ENVIRONMENT}")
endfunction()
