# unit-tests.cmake - CUnit tests of tfrun's pure parts (included, OPTIONAL,
# from CMakeLists.txt): the task file parser, the journal format and the
# plain-command word splitter, the --deadline parser, the command line's
# parsers (durations, --halt, suggestions), CMD ::: ARGS (args.c). ctest:
# unit.tfrun_taskfile, unit.tfrun_journal, unit.tfrun_split,
# unit.tfrun_deadline, unit.tfrun_cli, unit.tfrun_args.
if(NOT TF_BUILD_TESTS)
    return()
endif()

tf_add_unit_test(tfrun_taskfile SOURCES "${CMAKE_CURRENT_SOURCE_DIR}/taskfile.c")
tf_add_unit_test(tfrun_journal SOURCES "${CMAKE_CURRENT_SOURCE_DIR}/journal.c"
                                        "${CMAKE_CURRENT_SOURCE_DIR}/taskfile.c")
tf_add_unit_test(tfrun_split
                 SOURCES "${CMAKE_CURRENT_SOURCE_DIR}/runner.c" "${CMAKE_CURRENT_SOURCE_DIR}/journal.c"
                         "${CMAKE_CURRENT_SOURCE_DIR}/taskfile.c")

tf_add_unit_test(tfrun_deadline SOURCES "${CMAKE_CURRENT_SOURCE_DIR}/deadline.c"
                                         "${CMAKE_CURRENT_SOURCE_DIR}/cli.c"
                                         "${CMAKE_CURRENT_SOURCE_DIR}/taskfile.c")
tf_add_unit_test(tfrun_cli SOURCES "${CMAKE_CURRENT_SOURCE_DIR}/cli.c")

tf_add_unit_test(tfrun_args SOURCES "${CMAKE_CURRENT_SOURCE_DIR}/args.c"
                                     "${CMAKE_CURRENT_SOURCE_DIR}/taskfile.c")

foreach(t IN ITEMS tfrun_taskfile tfrun_journal tfrun_split tfrun_deadline tfrun_cli tfrun_args)
    target_include_directories(unit_${t} PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}"
                                                 "${PROJECT_SOURCE_DIR}/tests/unit")
endforeach()
# runner.c and cli.c use libm
target_link_libraries(unit_tfrun_split PRIVATE m)
target_link_libraries(unit_tfrun_cli PRIVATE m)
target_link_libraries(unit_tfrun_deadline PRIVATE m)
