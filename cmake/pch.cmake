# Precompiled headers. nlohmann/json, spdlog (with fmt) and the standard library
# cost 2-4 s of parsing in every file that includes them; a PCH parses them once.
# opsbot_core builds cmake/pch/common.hpp and the other libraries reuse it (their
# flags are the same); opsbot_net adds Asio and Beast, which the test fakes
# reuse; the test runner has its own with Catch2. Off with
# -DOPSBOT_PCH=OFF, for instance to check that every file includes what it uses.
option(OPSBOT_PCH "Precompile the heavy third-party headers" ON)

# opsbot_pch(<target> <common|beast|tests>): the owner of a kind builds
# cmake/pch/<kind>.hpp; the other targets of that kind reuse it.
set(OPSBOT_PCH_OWNER_common opsbot_core)
set(OPSBOT_PCH_OWNER_beast opsbot_net)
set(OPSBOT_PCH_OWNER_tests opsbot_tests)
function(opsbot_pch target kind)
  if(NOT OPSBOT_PCH)
    return()
  endif()
  set(owner ${OPSBOT_PCH_OWNER_${kind}})
  if(target STREQUAL owner)
    target_precompile_headers(${target} PRIVATE "${PROJECT_SOURCE_DIR}/cmake/pch/${kind}.hpp")
  else()
    target_precompile_headers(${target} REUSE_FROM ${owner})
  endif()
endfunction()
