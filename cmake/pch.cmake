# Precompiled headers. nlohmann/json, spdlog (with fmt) and the standard library
# cost 2-4 s of parsing in every file that includes them; a PCH parses them once.
# opsbot_core builds cmake/pch/common.hpp and the other libraries reuse it (their
# flags are the same); opsbot_net adds Asio and Beast, which the test fakes
# reuse; the test runner has its own with Catch2. Off with
# -DOPSBOT_PCH=OFF, for instance to check that every file includes what it uses.
option(OPSBOT_PCH "Precompile the heavy third-party headers" ON)

function(opsbot_pch_common target)
  if(NOT OPSBOT_PCH)
    return()
  endif()
  if(target STREQUAL "opsbot_core")
    target_precompile_headers(${target} PRIVATE "${PROJECT_SOURCE_DIR}/cmake/pch/common.hpp")
  else()
    target_precompile_headers(${target} REUSE_FROM opsbot_core)
  endif()
endfunction()

function(opsbot_pch_beast target)
  if(NOT OPSBOT_PCH)
    return()
  endif()
  if(target STREQUAL "opsbot_net")
    target_precompile_headers(${target} PRIVATE "${PROJECT_SOURCE_DIR}/cmake/pch/beast.hpp")
  else()
    target_precompile_headers(${target} REUSE_FROM opsbot_net)
  endif()
endfunction()

function(opsbot_pch_tests target)
  if(OPSBOT_PCH)
    target_precompile_headers(${target} PRIVATE "${PROJECT_SOURCE_DIR}/cmake/pch/tests.hpp")
  endif()
endfunction()
