# TaskfarmHelpers.cmake - one-line registration of tests and apps.
#
#   tf_add_unit_test(queue)
#       tests/unit/test_queue.c -> bin/unit/test_queue, ctest "unit.queue"
#   tf_add_mpi_test(map NP 1 2 4 [TIMEOUT 120] [ARGS ...] [SOURCES ...]
#                   [VARIANT v] [LABELS ...] [ENVIRONMENT K=V ...])
#       tests/mpi/test_map.c + tests/mpi/harness.c -> bin/mpi/test_map,
#       ctests "mpi.map.np1", "mpi.map.np2", "mpi.map.np4"
#   tf_add_app(tfrun SOURCES main.c ... [INTERNAL] [NOINSTALL] [TOOL] [LIBS ...])
#       -> bin/tfrun, linked to taskfarm::taskfarm (taskfarm_internal if
#       INTERNAL); installed if TOOL, or with TF_INSTALL_BENCHMARKS unless
#       NOINSTALL
#
# Every test gets TF_SOURCE_DIR (the repository root) and TF_BINARY_DIR (the
# build tree) in its environment, so that it can find data files from any
# working directory.

include_guard(GLOBAL)

# ---- mpiexec ------------------------------------------------------------------

# TF_MPIEXEC_RESOLVED, TF_MPIEXEC_FLAGS, TF_MPIEXEC_KIND: see TaskfarmMPI.cmake.
include(TaskfarmMPI)

# Sanitized binaries run several times slower: scale every timeout.
if(TF_SANITIZE)
    set(tf_default_multiplier 3)
else()
    set(tf_default_multiplier 1)
endif()
set(TF_TEST_TIMEOUT_MULTIPLIER "${tf_default_multiplier}" CACHE STRING
    "Factor applied to every test timeout (default 3 with TF_SANITIZE, else 1)")

# ---- CUnit --------------------------------------------------------------------

# Defines the imported target tf::cunit, from pkg-config's "cunit" or, where
# the distribution ships no .pc file, from a plain library search.
function(tf_find_cunit)
    if(TARGET tf::cunit)
        return()
    endif()
    find_package(PkgConfig QUIET)
    if(PKG_CONFIG_FOUND)
        pkg_check_modules(CUNIT QUIET IMPORTED_TARGET GLOBAL cunit)
    endif()
    add_library(tf::cunit INTERFACE IMPORTED GLOBAL)
    if(CUNIT_FOUND)
        target_link_libraries(tf::cunit INTERFACE PkgConfig::CUNIT)
        message(STATUS "taskfarm: CUnit ${CUNIT_VERSION} (pkg-config)")
        return()
    endif()
    find_path(CUNIT_INCLUDE_DIR CUnit/CUnit.h)
    find_library(CUNIT_LIBRARY NAMES cunit)
    if(NOT CUNIT_INCLUDE_DIR OR NOT CUNIT_LIBRARY)
        message(FATAL_ERROR
            "CUnit not found: install libcunit1-dev (scripts/setup does), "
            "or configure with -DTF_BUILD_TESTS=OFF")
    endif()
    target_include_directories(tf::cunit INTERFACE "${CUNIT_INCLUDE_DIR}")
    target_link_libraries(tf::cunit INTERFACE "${CUNIT_LIBRARY}")
    message(STATUS "taskfarm: CUnit ${CUNIT_LIBRARY}")
endfunction()

# ---- internal -----------------------------------------------------------------

function(tf__test_environment out)
    set(env "TF_SOURCE_DIR=${PROJECT_SOURCE_DIR}" "TF_BINARY_DIR=${CMAKE_BINARY_DIR}")
    set(${out} "${env}" PARENT_SCOPE)
endfunction()

function(tf__scaled_timeout out seconds)
    math(EXPR t "${seconds} * ${TF_TEST_TIMEOUT_MULTIPLIER}")
    set(${out} "${t}" PARENT_SCOPE)
endfunction()

# ---- tf_add_unit_test -----------------------------------------------------------

# tf_add_unit_test(name [TIMEOUT sec] [SOURCES extra.c ...] [LABELS ...])
# Builds test_<name>.c (from the calling directory, else tests/unit/) with
# taskfarm_internal and CUnit; no mpirun. ctest name: unit.<name>.
function(tf_add_unit_test name)
    if(NOT TF_BUILD_TESTS)
        return()
    endif()
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "TIMEOUT" "SOURCES;LABELS")
    if(arg_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "tf_add_unit_test(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
    endif()
    if(NOT arg_TIMEOUT)
        set(arg_TIMEOUT 60)
    endif()

    set(src "${CMAKE_CURRENT_SOURCE_DIR}/test_${name}.c")
    if(NOT EXISTS "${src}")
        set(src "${PROJECT_SOURCE_DIR}/tests/unit/test_${name}.c")
    endif()

    set(target "unit_${name}")
    add_executable(${target} "${src}" ${arg_SOURCES})
    target_link_libraries(${target} PRIVATE taskfarm_internal tf::cunit)
    set_target_properties(${target} PROPERTIES
        OUTPUT_NAME "test_${name}"
        RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bin/unit")

    tf__scaled_timeout(timeout ${arg_TIMEOUT})
    tf__test_environment(env)
    set(labels unit ${arg_LABELS})
    add_test(NAME "unit.${name}" COMMAND ${target})
    set_tests_properties("unit.${name}" PROPERTIES
        TIMEOUT ${timeout}
        LABELS "${labels}"
        ENVIRONMENT "${env}")
endfunction()

# ---- tf_add_mpi_test ------------------------------------------------------------

# tf_add_mpi_test(name NP n... [TIMEOUT sec] [ARGS arg...] [SOURCES extra.c ...]
#                 [VARIANT v] [LABELS ...] [ENVIRONMENT K=V ...])
# Builds test_<name>.c (from the calling directory, else tests/mpi/) with
# tests/mpi/harness.c, taskfarm_internal and CUnit into bin/mpi/test_<name>,
# and registers one ctest per rank count: mpi.<name>.np<N>, run as
#   mpiexec [--allow-run-as-root --oversubscribe] -np N test_<name> ARGS...
# (the two flags for Open MPI only) with TF_TEST_NP=N in the environment.
# VARIANT registers the same program again with other ARGS under
# mpi.<name>-<v>.np<N> (the executable is built once).
function(tf_add_mpi_test name)
    if(NOT TF_BUILD_TESTS)
        return()
    endif()
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "TIMEOUT;VARIANT"
                          "NP;ARGS;SOURCES;LABELS;ENVIRONMENT")
    if(arg_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "tf_add_mpi_test(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
    endif()
    if(NOT arg_NP)
        message(FATAL_ERROR "tf_add_mpi_test(${name}): NP with at least one rank count is required")
    endif()
    if(NOT arg_TIMEOUT)
        set(arg_TIMEOUT 120)
    endif()

    set(target "mpi_${name}")
    if(NOT TARGET ${target})
        set(src "${CMAKE_CURRENT_SOURCE_DIR}/test_${name}.c")
        if(NOT EXISTS "${src}")
            set(src "${PROJECT_SOURCE_DIR}/tests/mpi/test_${name}.c")
        endif()
        add_executable(${target} "${src}" "${PROJECT_SOURCE_DIR}/tests/mpi/harness.c"
                       ${arg_SOURCES})
        target_include_directories(${target} PRIVATE "${PROJECT_SOURCE_DIR}/tests/mpi")
        target_link_libraries(${target} PRIVATE taskfarm_internal tf::cunit)
        set_target_properties(${target} PROPERTIES
            OUTPUT_NAME "test_${name}"
            RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bin/mpi")
    elseif(arg_SOURCES)
        message(FATAL_ERROR "tf_add_mpi_test(${name}): SOURCES only on the first call")
    endif()

    set(test_base "mpi.${name}")
    if(arg_VARIANT)
        set(test_base "mpi.${name}-${arg_VARIANT}")
    endif()

    tf__scaled_timeout(timeout ${arg_TIMEOUT})
    tf__test_environment(env)
    if(TF_MPIEXEC_IS_OPENMPI)
        list(APPEND env "OMPI_MCA_rmaps_base_oversubscribe=1")
    endif()
    list(APPEND env ${arg_ENVIRONMENT})
    if(TF_TEST_TIMEOUT_MULTIPLIER GREATER 1)
        # The harness's own per-test watchdog (90 s by default) must not
        # fire before the scaled ctest timeout does.
        math(EXPR watchdog "90 * ${TF_TEST_TIMEOUT_MULTIPLIER}")
        list(APPEND env "TF_TEST_WATCHDOG=${watchdog}")
    endif()

    set(labels mpi ${arg_LABELS})
    foreach(np IN LISTS arg_NP)
        set(test "${test_base}.np${np}")
        add_test(NAME "${test}"
                 COMMAND "${TF_MPIEXEC_RESOLVED}" ${TF_MPIEXEC_FLAGS} ${MPIEXEC_NUMPROC_FLAG} ${np}
                         ${MPIEXEC_PREFLAGS} $<TARGET_FILE:${target}> ${MPIEXEC_POSTFLAGS}
                         ${arg_ARGS})
        # PROCESSORS keeps "ctest -j" from stacking several wide runs on
        # the same cores; ctest clamps it to its own -j level.
        # TF_TEST_NP: the harness fails unless the world has that many
        # ranks (a launcher of another MPI starts N singletons instead).
        set_tests_properties("${test}" PROPERTIES
            TIMEOUT ${timeout}
            LABELS "${labels}"
            PROCESSORS ${np}
            ENVIRONMENT "${env};TF_TEST_NP=${np}")
    endforeach()
endfunction()

# ---- tf_add_app -------------------------------------------------------------------

# tf_add_app(name SOURCES a.c b.c ... [INTERNAL] [NOINSTALL] [TOOL] [LIBS lib ...])
# An executable in bin/<name>, linked to the shared taskfarm::taskfarm, or
# with INTERNAL to taskfarm_internal (static, with lib/src on the include
# path and the tf__ symbols that the shared library hides). A TOOL (tfrun)
# is what users run and is always installed; the other apps are benchmarks
# and experiments, installed only with -DTF_INSTALL_BENCHMARKS=ON.
function(tf_add_app name)
    cmake_parse_arguments(PARSE_ARGV 1 arg "INTERNAL;NOINSTALL;TOOL" "" "SOURCES;LIBS")
    if(arg_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "tf_add_app(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
    endif()
    if(NOT arg_SOURCES)
        message(FATAL_ERROR "tf_add_app(${name}): SOURCES is required")
    endif()
    add_executable(${name} ${arg_SOURCES})
    if(arg_INTERNAL)
        target_link_libraries(${name} PRIVATE taskfarm_internal)
    else()
        target_link_libraries(${name} PRIVATE taskfarm::taskfarm)
    endif()
    if(arg_LIBS)
        target_link_libraries(${name} PRIVATE ${arg_LIBS})
    endif()
    if(arg_TOOL OR (TF_INSTALL_BENCHMARKS AND NOT arg_NOINSTALL))
        install(TARGETS ${name} RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
    endif()
endfunction()

# ---- tf_add_expect_test ---------------------------------------------------------

# tf_add_expect_test(name [NP n] [EXIT code] REGEX re COMMAND target-or-path args...)
# Runs the command under mpiexec with NP ranks (default 1; NP 0: no mpiexec)
# and passes only if it exits with EXIT (default 2, bad usage) and its output
# matches REGEX: what a bad-input test asserts.
function(tf_add_expect_test name)
    if(NOT TF_BUILD_TESTS)
        return()
    endif()
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "NP;EXIT;REGEX;TIMEOUT" "COMMAND")
    if(NOT arg_REGEX OR NOT arg_COMMAND)
        message(FATAL_ERROR "tf_add_expect_test(${name}): REGEX and COMMAND are required")
    endif()
    if(NOT DEFINED arg_NP)
        set(arg_NP 1)
    endif()
    if(NOT DEFINED arg_EXIT)
        set(arg_EXIT 2)
    endif()
    if(NOT arg_TIMEOUT)
        set(arg_TIMEOUT 60)
    endif()
    list(POP_FRONT arg_COMMAND prog)
    if(TARGET ${prog})
        set(prog "$<TARGET_FILE:${prog}>")
    endif()
    set(launch "")
    if(arg_NP GREATER 0)
        set(launch "${TF_MPIEXEC_RESOLVED}" ${TF_MPIEXEC_FLAGS} ${MPIEXEC_NUMPROC_FLAG} ${arg_NP})
    endif()
    add_test(NAME ${name}
             COMMAND "${CMAKE_COMMAND}" "-DEXPECT_RC=${arg_EXIT}" "-DEXPECT_RE=${arg_REGEX}"
                     -P "${PROJECT_SOURCE_DIR}/cmake/TfExpect.cmake" -- ${launch} "${prog}"
                     ${arg_COMMAND})
    tf__scaled_timeout(t ${arg_TIMEOUT})
    set_tests_properties(${name} PROPERTIES TIMEOUT ${t} LABELS app)
endfunction()
