# Threads sharing one model, cancels and log-callback changes from other threads (label
# concurrency; scripts/test_tsan.sh runs them under ThreadSanitizer).
add_executable(llmrt_concurrency_tests ${CMAKE_CURRENT_SOURCE_DIR}/concurrency/test_concurrency.cpp)
target_link_libraries(llmrt_concurrency_tests PRIVATE llmrt nlohmann_json::nlohmann_json GTest::gtest_main)
target_compile_options(llmrt_concurrency_tests PRIVATE ${LLMRT_WARNINGS})
target_compile_definitions(llmrt_concurrency_tests PRIVATE
  LLMRT_SHARED_DIR="${LLMRT_SHARED_DIR}" LLMRT_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
gtest_discover_tests(llmrt_concurrency_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "cpp;concurrency")
