// A SentencePiece tokenizer.model (protobuf) with an optional tokenizer_config.json, loaded as
// from a Hugging Face directory.
#include "fuzz/fuzz_target.h"
#include "tokenizer/loaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return llmrt::fuzz::run_target(data, size, {"tokenizer.model", "tokenizer_config.json"},
                                   [](const std::string &dir) {
                                       llmrt::fuzz::use_tokenizer(
                                           *llmrt::load_hf_directory_tokenizer(dir, nlohmann::json::object()));
                                   });
}
