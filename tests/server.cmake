# Tests of `llmrt serve` (tools/llmrt/serve), label "server". Each runs one case of
# tests/server/test_server.py, which starts the server on a free loopback port and stops it at
# the end; openai_node runs the official openai npm client (installed by scripts/setup.sh with
# `npm ci` in tests/server).
if(TARGET llmrt_cli)
  # The server's own pieces that need no model: compiled from tools/llmrt/serve.
  add_executable(test_server_units ${CMAKE_CURRENT_LIST_DIR}/server/text_stream_test.cpp
    ${CMAKE_SOURCE_DIR}/tools/llmrt/serve/text_stream.cpp)
  target_include_directories(test_server_units PRIVATE ${CMAKE_SOURCE_DIR}/tools/llmrt)
  target_link_libraries(test_server_units PRIVATE GTest::gtest_main)
  target_compile_options(test_server_units PRIVATE ${LLMRT_TEST_OPTIONS})
  gtest_discover_tests(test_server_units TEST_PREFIX server_ DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "server")
  find_package(Python3 COMPONENTS Interpreter)
  find_program(LLMRT_NODE node)
  if(Python3_Interpreter_FOUND)
    set(LLMRT_SERVER_CASES api auth chat_template concurrent disconnect memory shutdown timeout)
    if(LLMRT_NODE)
      list(APPEND LLMRT_SERVER_CASES openai_node)
    else()
      message(STATUS "node not found: the openai client test of llmrt serve is skipped")
    endif()
    foreach(case ${LLMRT_SERVER_CASES})
      add_test(NAME server_${case}
        COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/server/test_server.py
          --tool $<TARGET_FILE:llmrt_cli> --model ${CMAKE_SOURCE_DIR}/models/stories260K/stories260K.gguf
          --node "${LLMRT_NODE}" --case ${case})
      set_tests_properties(server_${case} PROPERTIES LABELS "server" TIMEOUT 120)
    endforeach()
  endif()
endif()
