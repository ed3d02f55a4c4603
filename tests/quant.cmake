# Tests of quantization through the command-line tool (llmrt quantize and the load-time
# --weight-dtype flags), labels "cli;quant". Cases live in tests/cli/check_cli.py.
if(TARGET llmrt_cli)
  find_package(Python3 COMPONENTS Interpreter)
  if(Python3_Interpreter_FOUND)
    set(LLMRT_QUANT_CLI_MODEL "${CMAKE_SOURCE_DIR}/models/stories260K/stories260K.gguf")
    set(LLMRT_QUANT_CLI_CASES quantize_gguf quantize_hf quant_perplexity_int quant_perplexity_fp gguf_quant_types
      quant_bench quant_errors quant_interrupt quant_memory quantize_export)
    foreach(case ${LLMRT_QUANT_CLI_CASES})
      add_test(NAME cli_${case}
        COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/cli/check_cli.py
          --tool $<TARGET_FILE:llmrt_cli> --model ${LLMRT_QUANT_CLI_MODEL}
          --shared ${LLMRT_SHARED_DIR} --case ${case})
      set_tests_properties(cli_${case} PROPERTIES LABELS "cli;quant" TIMEOUT 600)
    endforeach()
  else()
    message(STATUS "python3 not found: quantization CLI tests skipped")
  endif()
endif()
