# Warnings on for every opsbot target; the code base keeps them at zero.
function(opsbot_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                           -Wnon-virtual-dtor -Wold-style-cast
                                           -Wcast-align -Woverloaded-virtual
                                           # GCC 12 flags designated initialisers that leave
                                           # defaulted members out, which the command specs do
                                           # on purpose.
                                           -Wno-missing-field-initializers)
  if(OPSBOT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(opsbot_target target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  opsbot_warnings(${target})
endfunction()
