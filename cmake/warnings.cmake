# Warnings on for every opsbot target; the code base keeps them at zero.
function(opsbot_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                           -Wnon-virtual-dtor -Wold-style-cast
                                           -Wcast-align -Woverloaded-virtual -Winvalid-pch
                                           # GCC 12 flags designated initialisers that leave
                                           # defaulted members out, which the command specs do
                                           # on purpose.
                                           -Wno-missing-field-initializers)
  if(OPSBOT_PCH AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC loses the system-header mark of headers loaded from a PCH, so
    # libstdc++'s known GCC 12 false positives (std::string's inlined memcpy
    # in operator+ chains) are reported against our files. The clang
    # sanitizer build still checks bounds, at run time.
    target_compile_options(${target} PRIVATE -Wno-array-bounds -Wno-stringop-overflow
                                             -Wno-stringop-overread -Wno-restrict)
  endif()
  if(OPSBOT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(opsbot_target target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  opsbot_warnings(${target})
endfunction()
