// A GGUF file through the full load path: header, metadata, tensors, architecture and the
// tokenizer stored in its metadata.
#include "fuzz/fuzz_target.h"
#include "models/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return llmrt::fuzz::run_target(data, size, {"model.gguf"}, [](const std::string &dir) {
        llmrt::fuzz::use_model(*llmrt::load_model(dir + "/model.gguf"));
    });
}
