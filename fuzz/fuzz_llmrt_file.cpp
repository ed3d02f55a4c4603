// An llmrt file (our quantized format) through the full load path: header JSON, embedded
// tokenizer files, packed tensors in the kernels' layout.
#include "fuzz/fuzz_target.h"
#include "models/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return llmrt::fuzz::run_target(data, size, {"model.llmrt"}, [](const std::string &dir) {
        llmrt::fuzz::use_model(*llmrt::load_model(dir + "/model.llmrt"));
    });
}
