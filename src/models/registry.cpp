#include "models/registry.h"

#include <string>

#include "core/error.h"
#include "models/decoder.h"

namespace llmrt {

// One declaration per family file (src/models/families/).
DecoderSpec baichuan_spec();
DecoderSpec bloom_spec();
DecoderSpec chatglm_spec();
DecoderSpec falcon_spec();
DecoderSpec gemma_spec();
DecoderSpec gpt2_spec();
DecoderSpec gptj_spec();
DecoderSpec gptneox_spec();
DecoderSpec llama_spec();
DecoderSpec mixtral_spec();
DecoderSpec mpt_spec();
DecoderSpec opt_spec();
DecoderSpec phi2_spec();
DecoderSpec phi3_spec();
DecoderSpec qwen_spec();
DecoderSpec qwen2_spec();
DecoderSpec stablelm_spec();
DecoderSpec starcoder_spec();

namespace {

struct Family {
    const char *name;  // HF "architectures"[0] or GGUF general.architecture
    DecoderSpec (*spec)();
};

// Adding a family: one file with its spec, one line per name here.
const Family kFamilies[] = {
    {"LlamaForCausalLM", llama_spec},
    {"MistralForCausalLM", llama_spec},
    {"llama", llama_spec},
    {"Qwen2ForCausalLM", qwen2_spec},
    {"qwen2", qwen2_spec},
    {"MixtralForCausalLM", mixtral_spec},
    {"GemmaForCausalLM", gemma_spec},
    {"gemma", gemma_spec},
    {"Phi3ForCausalLM", phi3_spec},
    {"phi3", phi3_spec},
    {"StableLmForCausalLM", stablelm_spec},
    {"StableLMEpochForCausalLM", stablelm_spec},
    {"stablelm", stablelm_spec},
    {"BaichuanForCausalLM", baichuan_spec},
    {"baichuan", baichuan_spec},
    {"PhiForCausalLM", phi2_spec},
    {"phi2", phi2_spec},
    {"GPT2LMHeadModel", gpt2_spec},
    {"gpt2", gpt2_spec},
    {"GPTBigCodeForCausalLM", starcoder_spec},
    {"starcoder", starcoder_spec},
    {"GPTNeoXForCausalLM", gptneox_spec},
    {"gptneox", gptneox_spec},
    {"FalconForCausalLM", falcon_spec},
    {"RWForCausalLM", falcon_spec},
    {"falcon", falcon_spec},
    {"BloomForCausalLM", bloom_spec},
    {"bloom", bloom_spec},
    {"MPTForCausalLM", mpt_spec},
    {"mpt", mpt_spec},
    {"OPTForCausalLM", opt_spec},
    {"GPTJForCausalLM", gptj_spec},
    {"gptj", gptj_spec},  // llama.cpp names the architecture (llama-arch.cpp) but has no converter
    {"ChatGLMModel", chatglm_spec},
    {"ChatGLMForConditionalGeneration", chatglm_spec},
    {"chatglm", chatglm_spec},
    {"QWenLMHeadModel", qwen_spec},
    {"qwen", qwen_spec},
};

const Family *find_family(const std::string &name) {
    for (const Family &f : kFamilies)
        if (name == f.name) return &f;
    return nullptr;
}

[[noreturn]] void unknown(const std::string &where, const std::string &name) {
    std::string supported;
    for (const Family &f : kFamilies) supported += std::string(supported.empty() ? "" : ", ") + f.name;
    fail(Status::Unsupported, where + ": unknown architecture '" + name + "' (supported: " + supported + ")");
}

}  // namespace

std::unique_ptr<Architecture> create_architecture(const Checkpoint &checkpoint, WeightStore &weights) {
    const Family *f = find_family(checkpoint.architecture);
    if (!f) unknown(checkpoint.path, checkpoint.architecture);
    return make_decoder(checkpoint, weights, f->spec());
}

DecoderSpec decoder_spec(const std::string &architecture) {
    const Family *f = find_family(architecture);
    if (!f) unknown("registry", architecture);
    return f->spec();
}

}  // namespace llmrt
