#include "models/registry.h"

#include <string>

#include "core/error.h"

namespace llmrt {

// One factory per family file.
std::unique_ptr<Architecture> make_llama(const Checkpoint &checkpoint, WeightStore &weights);

namespace {

struct Family {
    const char *name;     // HF "architectures"[0] or GGUF general.architecture
    std::unique_ptr<Architecture> (*make)(const Checkpoint &, WeightStore &);
};

// Adding a family: one file with its factory, one line per name here.
const Family kFamilies[] = {
    {"LlamaForCausalLM", make_llama},   {"llama", make_llama},
    {"MistralForCausalLM", make_llama}, {"mistral", make_llama},
    {"Qwen2ForCausalLM", make_llama},   {"qwen2", make_llama},
};

}  // namespace

std::unique_ptr<Architecture> create_architecture(const Checkpoint &checkpoint, WeightStore &weights) {
    for (const Family &f : kFamilies)
        if (checkpoint.architecture == f.name) return f.make(checkpoint, weights);
    std::string supported;
    for (const Family &f : kFamilies) supported += std::string(supported.empty() ? "" : ", ") + f.name;
    fail(LLMRT_ERR_UNSUPPORTED, checkpoint.path + ": unknown architecture '" + checkpoint.architecture +
                                    "' (supported: " + supported + ")");
}

}  // namespace llmrt
