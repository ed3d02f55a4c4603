// A tokenizer.json with an optional tokenizer_config.json, loaded as from a Hugging Face
// directory (byte-level BPE with its pre-tokenizer regex, normalizers, added tokens).
#include "fuzz/fuzz_target.h"
#include "tokenizer/loaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return llmrt::fuzz::run_target(data, size, {"tokenizer.json", "tokenizer_config.json"},
                                   [](const std::string &dir) {
                                       llmrt::fuzz::use_tokenizer(
                                           *llmrt::load_hf_directory_tokenizer(dir, nlohmann::json::object()));
                                   });
}
