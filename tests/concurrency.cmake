# Threads sharing one model, cancels and log-callback changes from other threads (label
# concurrency; scripts/test_tsan.sh runs them under ThreadSanitizer).
add_executable(llmrt_concurrency_tests ${CMAKE_CURRENT_SOURCE_DIR}/concurrency/test_concurrency.cpp)
target_link_libraries(llmrt_concurrency_tests PRIVATE llmrt nlohmann_json::nlohmann_json GTest::gtest_main)
target_compile_options(llmrt_concurrency_tests PRIVATE ${LLMRT_TEST_OPTIONS})
target_compile_definitions(llmrt_concurrency_tests PRIVATE
  LLMRT_SHARED_DIR="${LLMRT_SHARED_DIR}" LLMRT_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
# One ctest test for the binary: gtest_discover_tests cannot give its tests two labels.
add_test(NAME llmrt_concurrency_tests COMMAND llmrt_concurrency_tests)
set_tests_properties(llmrt_concurrency_tests PROPERTIES LABELS "cpp;concurrency")
add_dependencies(llmrt_cpp_tests llmrt_concurrency_tests)
