# The multi-turn chat examples the README shows: built and run here, and the README's listings
# compared with the files, so the README cannot rot.
add_executable(llmrt_example_chat ${CMAKE_SOURCE_DIR}/examples/c/chat.c)
target_link_libraries(llmrt_example_chat PRIVATE llmrt)
target_compile_options(llmrt_example_chat PRIVATE ${LLMRT_TEST_OPTIONS})
set_target_properties(llmrt_example_chat PROPERTIES OUTPUT_NAME chat RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/examples)
add_dependencies(llmrt_cpp_tests llmrt_example_chat)  # examples_c_chat is labelled cpp

set(LLMRT_EXAMPLE_MODEL ${CMAKE_SOURCE_DIR}/models/stories260K/stories260K.gguf)
# Two turns; the second evaluates only its new tokens (a small count, most of the prompt reused).
add_test(NAME examples_c_chat COMMAND llmrt_example_chat ${LLMRT_EXAMPLE_MODEL} "Tell me a story." "And then?")
set_tests_properties(examples_c_chat PROPERTIES LABELS "cpp;examples"
  PASS_REGULAR_EXPRESSION "> And then\\?\n.*\\([0-9]+ prompt tokens evaluated, [1-9][0-9]+ reused from the cache\\)"
  FAIL_REGULAR_EXPRESSION "error:")

if(LLMRT_BUILD_BINDINGS)
  find_program(LLMRT_EXAMPLE_PYTHON NAMES python3 REQUIRED)
  add_test(NAME examples_python_chat
    COMMAND ${LLMRT_EXAMPLE_PYTHON} ${CMAKE_SOURCE_DIR}/examples/python/chat.py ${LLMRT_EXAMPLE_MODEL}
            "Tell me a story." "And then?")
  set_tests_properties(examples_python_chat PROPERTIES LABELS "python;examples"
    ENVIRONMENT "LLMRT_LIBRARY=$<TARGET_FILE:llmrt>;PYTHONPATH=${CMAKE_SOURCE_DIR}/bindings/python;PYTHONDONTWRITEBYTECODE=1"
    PASS_REGULAR_EXPRESSION "> And then\\?\n.*\\([0-9]+ prompt tokens evaluated, [1-9][0-9]+ reused from the cache\\)\n\\{'role': 'assistant'"
    FAIL_REGULAR_EXPRESSION "Error")
endif()

find_program(LLMRT_README_PYTHON NAMES python3 REQUIRED)
add_test(NAME readme_examples_in_sync
  COMMAND ${LLMRT_README_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/scripts/check_readme_examples.py ${CMAKE_SOURCE_DIR})
set_tests_properties(readme_examples_in_sync PROPERTIES LABELS "examples")
