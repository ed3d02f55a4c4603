# Install rules, the CMake package, pkg-config and the C example, as a user would build it.
add_test(NAME install_and_example
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/scripts/check_install.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
          ${CMAKE_SOURCE_DIR}/models/stories260K/stories260K.gguf)
set_tests_properties(install_and_example PROPERTIES LABELS "cpp;install")
add_test(NAME exported_symbols
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/scripts/check_exports.sh $<TARGET_FILE:llmrt>
          ${CMAKE_CURRENT_SOURCE_DIR}/exported_symbols.txt)
set_tests_properties(exported_symbols PROPERTIES LABELS "cpp")
add_dependencies(llmrt_cpp_tests llmrt)
