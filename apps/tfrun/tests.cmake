# tfrun under the MPI launcher: the cases of tests/tfrun-test.sh (ctest:
# app.tfrun.CASE.npN). Each case asserts what tfrun promises; the script puts
# a time limit on every launch as well. The cases of how tasks spread, fail,
# drain and resume run at 1 rank (rank 0 alone), 2 and 4 (more ranks than
# cores); those of what the command line, the input files and the reports
# hold run at 2 ranks only, where rank 0 has a peer: the rank count changes
# nothing they check.
if(NOT TF_BUILD_TESTS)
    return()
endif()
set(tfrun_cases basic tag-order outputs journal kill-resume drain-usr1 drain-term drain-step timeout
    retries deadline cores progress journal-lost rank-killed halt)
set(tfrun_cases_np2 bad-input journal-foreign-id output-same-file disk-full stale-parts bar report
    cli args)
foreach(case IN LISTS tfrun_cases tfrun_cases_np2)
    set(nps 1 2 4)
    if(case IN_LIST tfrun_cases_np2)
        set(nps 2)
    endif()
    foreach(np IN LISTS nps)
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
