# Tests of the llmrt command-line tool (tools/llmrt), label "cli". Each runs one case of
# tests/cli/check_cli.py, which compares the tool's output with the shared llama.cpp references.
if(TARGET llmrt_cli)
  find_package(Python3 COMPONENTS Interpreter)
  if(Python3_Interpreter_FOUND)
    set(LLMRT_CLI_MODEL "${CMAKE_SOURCE_DIR}/models/stories260K/stories260K.gguf")
    set(LLMRT_CLI_CASES tokenize generate generate_json generate_streaming generate_beams generate_sampling chat
      chat_template chat_window chat_interrupt info info_tensor_types perplexity perplexity_text bench bench_profile bench_parallel
      missing_model usage_errors nul_bytes check synthetic_shapes)
    foreach(case ${LLMRT_CLI_CASES})
      add_test(NAME cli_${case}
        COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/cli/check_cli.py
          --tool $<TARGET_FILE:llmrt_cli> --model ${LLMRT_CLI_MODEL}
          --shared ${LLMRT_SHARED_DIR} --case ${case})
      set_tests_properties(cli_${case} PROPERTIES LABELS "cli" TIMEOUT 600)
    endforeach()
    # The accuracy tools, checked against float64 over the Python bindings' logits.
    foreach(case kld kld_refused eval_lambada eval_hellaswag)
      add_test(NAME cli_${case}
        COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/cli/check_accuracy.py
          --tool $<TARGET_FILE:llmrt_cli> --library $<TARGET_FILE:llmrt>
          --bindings ${CMAKE_SOURCE_DIR}/bindings/python --model ${LLMRT_CLI_MODEL}
          --shared ${LLMRT_SHARED_DIR} --case ${case})
      set_tests_properties(cli_${case} PROPERTIES LABELS "cli" TIMEOUT 600
        ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
    endforeach()
    # bench's bandwidth probe allocates 1 GiB and loads every core: keep it off other tests' time.
    set_tests_properties(cli_bench PROPERTIES RUN_SERIAL TRUE)
  else()
    message(STATUS "python3 not found: CLI tests skipped")
  endif()
endif()
