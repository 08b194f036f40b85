# A fuzz target's ctest smoke run (tests/fuzz/CMakeLists.txt), as a script:
#   cmake -DFUZZER=<binary> -DSEEDS=<seed folder> -DWORK=<folder> -DSECONDS=<n> [-DDICT=<file>]
#         -P smoke.cmake
# Copies the seeds into WORK/corpus (fresh each run), runs the fuzzer on that copy for SECONDS and
# fails when it does: a crash, a sanitizer report, a leak or an oracle abort. Crash inputs are
# written to WORK/artifacts/.
foreach(var FUZZER SEEDS WORK SECONDS)
    if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
        message(FATAL_ERROR "smoke.cmake: -D${var}=... is required")
    endif()
endforeach()

file(REMOVE_RECURSE "${WORK}/corpus")
file(MAKE_DIRECTORY "${WORK}/corpus" "${WORK}/artifacts")
file(GLOB seeds "${SEEDS}/*")
if(NOT seeds)
    message(FATAL_ERROR "smoke.cmake: no seeds in ${SEEDS}")
endif()
file(COPY ${seeds} DESTINATION "${WORK}/corpus")

set(args -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    "-artifact_prefix=${WORK}/artifacts/")
if(DICT)
    list(APPEND args "-dict=${DICT}")
endif()
execute_process(COMMAND "${FUZZER}" ${args} "${WORK}/corpus"
    WORKING_DIRECTORY "${WORK}"
    RESULT_VARIABLE status)
if(NOT status EQUAL 0)
    message(FATAL_ERROR "${FUZZER} failed (${status}); inputs that failed are in ${WORK}/artifacts/")
endif()
