# cmake -DEXPECT_RC=N -DEXPECT_RE=REGEX -P TfExpect.cmake -- COMMAND ARGS...
# Runs the command and passes only if it exits with EXPECT_RC and its output
# (stdout and stderr together) matches EXPECT_RE: a bad-input test that
# checks both the message and the exit status.
set(cmd "")
set(seen_sep FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE 0 ${last})
    if(seen_sep)
        list(APPEND cmd "${CMAKE_ARGV${i}}")
    elseif(CMAKE_ARGV${i} STREQUAL "--")
        set(seen_sep TRUE)
    endif()
endforeach()
if(NOT cmd)
    message(FATAL_ERROR "TfExpect: no command after --")
endif()
execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                TIMEOUT 120)
message("${out}${err}")
if(NOT "${rc}" STREQUAL "${EXPECT_RC}")
    message(FATAL_ERROR "exit status ${rc}, want ${EXPECT_RC}")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT_RE}")
    message(FATAL_ERROR "output does not match: ${EXPECT_RE}")
endif()
