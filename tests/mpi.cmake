# Tensor parallelism over MPI (issue 13).
# The C API's side, in every build (without MPI, tensor_parallel = 1 must be refused): label cpp.
add_executable(llmrt_tp_api_tests ${CMAKE_CURRENT_LIST_DIR}/mpi/test_tensor_parallel_api.cpp)
target_link_libraries(llmrt_tp_api_tests PRIVATE llmrt nlohmann_json::nlohmann_json GTest::gtest_main)
target_include_directories(llmrt_tp_api_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/api)
target_compile_options(llmrt_tp_api_tests PRIVATE ${LLMRT_TEST_OPTIONS})
target_compile_definitions(llmrt_tp_api_tests PRIVATE LLMRT_SHARED_DIR="${LLMRT_SHARED_DIR}"
  LLMRT_SOURCE_DIR="${CMAKE_SOURCE_DIR}" LLMRT_TEST_HAVE_MPI=$<BOOL:${LLMRT_MPI}>)
if(LLMRT_SANITIZE)
  # Open MPI keeps allocations from MPI_Init past MPI_Finalize and unloads the plugins that made them,
  # so LeakSanitizer reports leaks with no usable stack (none of them ours): leak checking is off for
  # this binary only; ASan's and UBSan's other checks stay on, and leaks are checked everywhere else.
  gtest_discover_tests(llmrt_tp_api_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "cpp"
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1")
else()
  gtest_discover_tests(llmrt_tp_api_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "cpp")
endif()
add_dependencies(llmrt_cpp_tests llmrt_tp_api_tests)

# Label "mpi": each case runs the CLI in one process and under mpirun with --tensor-parallel and
# compares. Only in builds with LLMRT_MPI and an mpirun.
if(LLMRT_MPI AND TARGET llmrt_cli)
  find_package(Python3 COMPONENTS Interpreter)
  find_program(LLMRT_MPIRUN NAMES mpirun mpiexec)
  if(Python3_Interpreter_FOUND AND LLMRT_MPIRUN)
    set(synthetic ${LLMRT_SHARED_DIR}/models/synthetic)
    # Loopback only, as root in a container: check_tensor_parallel.py's MPIRUN_FLAGS, which says why.
    set(mpirun_loopback ${LLMRT_MPIRUN} --allow-run-as-root --oversubscribe --mca btl self,vader
      --mca btl_vader_single_copy_mechanism none --mca pml ob1)
    # name | case | model: f32 GGUF, f32 safetensors, and every synthetic family in
    # ../shared/models/synthetic (each differs in how its weights are laid out: fused qkv, biases,
    # MoE experts, parallel blocks, ALiBi...). Also on 4 ranks, where heads do not split evenly:
    # bloom (6 heads, ALiBi slopes per head), gpt_bigcode (multi-query) and qwen2 (6 query heads,
    # 2 key/value heads: grouped-query).
    set(LLMRT_MPI_CASES
      "stories260k_generate|generate_np2_np4|${CMAKE_SOURCE_DIR}/models/stories260K/stories260K.gguf"
      "debdoc_generate|generate_np2_np4|${LLMRT_SHARED_DIR}/models/debdoc-8M-hf"
      "debdoc_perplexity|perplexity_np2|${LLMRT_SHARED_DIR}/models/debdoc-8M-hf"
      "baichuan_generate|synthetic_np2|${synthetic}/baichuan"
      "bloom_generate|synthetic_np2_np4|${synthetic}/bloom"
      "chatglm_generate|synthetic_np2|${synthetic}/chatglm"
      "falcon_generate|synthetic_np2|${synthetic}/falcon"
      "falcon7b_generate|synthetic_np2|${synthetic}/falcon7b"
      "gemma_generate|synthetic_np2|${synthetic}/gemma"
      "gpt2_generate|synthetic_np2|${synthetic}/gpt2"
      "gpt_bigcode_generate|synthetic_np2_np4|${synthetic}/gpt_bigcode"
      "gpt_neox_generate|synthetic_np2|${synthetic}/gpt_neox"
      "gptj_generate|synthetic_np2|${synthetic}/gptj"
      "llama_generate|synthetic_np2|${synthetic}/llama"
      "llama32_generate|synthetic_np2|${synthetic}/llama32"
      "mistral_generate|synthetic_np2|${synthetic}/mistral"
      "mixtral_generate|synthetic_np2|${synthetic}/mixtral"
      "mpt_generate|synthetic_np2|${synthetic}/mpt"
      "opt_generate|synthetic_np2|${synthetic}/opt"
      "phi_generate|synthetic_np2|${synthetic}/phi"
      "phi3_generate|synthetic_np2|${synthetic}/phi3"
      "qwen_generate|synthetic_np2|${synthetic}/qwen"
      "qwen2_generate|synthetic_np2_np4|${synthetic}/qwen2"
      "stablelm_generate|synthetic_np2|${synthetic}/stablelm")
    foreach(entry ${LLMRT_MPI_CASES})
      string(REPLACE "|" ";" parts "${entry}")
      list(GET parts 0 name)
      list(GET parts 1 case)
      list(GET parts 2 model)
      add_test(NAME mpi_${name}
        COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/mpi/check_tensor_parallel.py
          --tool $<TARGET_FILE:llmrt_cli> --mpirun ${LLMRT_MPIRUN} --model ${model}
          --text ${LLMRT_SHARED_DIR}/data/wikitext-2-raw/wiki.test.raw --case ${case})
      set_tests_properties(mpi_${name} PROPERTIES LABELS "mpi" TIMEOUT 120)
    endforeach()
    # The API test on 2 ranks: each compares its sharded logits with an unsharded model's, bitwise.
    add_test(NAME mpi_api_np2
      COMMAND ${mpirun_loopback} -np 2 $<TARGET_FILE:llmrt_tp_api_tests>)
    set_tests_properties(mpi_api_np2 PROPERTIES LABELS "mpi" TIMEOUT 120)

    # A rank that dies, stalls or leaves mid-generation, or skips a (collective) model load, must
    # end the job with an error within a bounded time, never hang; tp_fault uses the public C API
    # only (check_tp_faults.py).
    add_executable(llmrt_tp_fault ${CMAKE_CURRENT_LIST_DIR}/mpi/tp_fault.c)
    target_link_libraries(llmrt_tp_fault PRIVATE llmrt)
    target_compile_options(llmrt_tp_fault PRIVATE ${LLMRT_WARNINGS})
    foreach(case none die die_no_abort stall leave skipload)
      add_test(NAME mpi_fault_${case}
        COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/mpi/check_tp_faults.py --mpirun ${LLMRT_MPIRUN}
          --program $<TARGET_FILE:llmrt_tp_fault> --model ${CMAKE_SOURCE_DIR}/models/stories260K/stories260K.gguf
          --case ${case})
      set_tests_properties(mpi_fault_${case} PROPERTIES LABELS "mpi" TIMEOUT 60)
    endforeach()

    # The Python binding on 2 ranks: every rank's generation equals a single process's. The same
    # file runs alone in the binding suite (python_tests), as a one-rank model.
    llmrt_find_python_with_pytest()
    if(LLMRT_PYTHON)
      add_test(NAME mpi_python_np2
        COMMAND ${mpirun_loopback} -np 2 ${LLMRT_PYTHON} -m pytest -q -p no:cacheprovider
          ${CMAKE_SOURCE_DIR}/bindings/python/tests/test_tensor_parallel.py)
      set_tests_properties(mpi_python_np2 PROPERTIES LABELS "mpi" TIMEOUT 120 ENVIRONMENT
        "LLMRT_LIBRARY=$<TARGET_FILE:llmrt>;PYTHONPATH=${CMAKE_SOURCE_DIR}/bindings/python;PYTHONDONTWRITEBYTECODE=1")
    else()
      message(STATUS "mpi_python_np2 not added: no Python 3 with pytest (apt-get install python3-pytest)")
    endif()
  endif()
endif()
