# Tests of `llmrt serve` (tools/llmrt/serve), label "server". Each runs one case of
# tests/server/test_server.py, which starts the server on a free loopback port and stops it at
# the end; openai_node runs the official openai npm client (installed by scripts/setup.sh with
# `npm ci` in tests/server).
if(TARGET llmrt_cli)
  find_package(Python3 COMPONENTS Interpreter)
  find_program(LLMRT_NODE node)
  if(Python3_Interpreter_FOUND)
    set(LLMRT_SERVER_CASES api auth chat_template concurrent disconnect logprobs memory shutdown timeout)
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
