# tfrun under the MPI launcher: every case of tests/tfrun-test.sh at 1, 2
# and 4 ranks (ctest: app.tfrun.CASE.npN). Each case asserts what tfrun
# promises; the script puts a time limit on every launch as well.
if(NOT TF_BUILD_TESTS)
    return()
endif()
set(tfrun_cases basic tag-order outputs journal kill-resume drain-usr1 drain-term drain-step timeout
    retries deadline cores progress bad-input
    journal-foreign-id output-same-file journal-lost rank-killed disk-full stale-parts
    bar halt report cli args)
foreach(case IN LISTS tfrun_cases)
    foreach(np IN ITEMS 1 2 4)
        set(name app.tfrun.${case}.np${np})
        add_test(NAME ${name}
                 COMMAND "${CMAKE_CURRENT_SOURCE_DIR}/tests/tfrun-test.sh" ${case} ${np}
                         $<TARGET_FILE:tfrun> "${TF_MPIEXEC_RESOLVED}" ${TF_MPIEXEC_FLAGS})
        tf__scaled_timeout(t 150)
        # at 2 ranks also under ASan+UBSan (scripts/test's asan stage)
        set(labels app tfrun)
        if(np EQUAL 2)
            list(APPEND labels sanitize)
        endif()
        set_tests_properties(${name} PROPERTIES
            TIMEOUT ${t} LABELS "${labels}" PROCESSORS ${np}
            PASS_REGULAR_EXPRESSION "ok \\[${case} np${np}\\]")
    endforeach()
endforeach()
