// A Hugging Face directory through the full load path: config.json, model.safetensors and a
// tokenizer.model, all three taken from the input.
#include "fuzz/fuzz_target.h"
#include "models/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return llmrt::fuzz::run_target(data, size, {"config.json", "model.safetensors", "tokenizer.model"},
                                   [](const std::string &dir) { llmrt::fuzz::use_model(*llmrt::load_model(dir)); });
}
