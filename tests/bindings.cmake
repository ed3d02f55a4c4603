# Python, Java and C# bindings, their tests and the cross-language check (bindings/README.md).
if(LLMRT_BUILD_BINDINGS)
  add_subdirectory(${CMAKE_SOURCE_DIR}/bindings ${CMAKE_BINARY_DIR}/bindings)
endif()
