// Llama (and Mistral, which only adds a sliding window): pre-RMSNorm blocks, RoPE, grouped-query
// attention, SwiGLU. Every shared default of DecoderSpec is Llama's.
#include "models/decoder.h"

namespace llmrt {
namespace {

// llama.cpp writes Mixtral as "llama" with experts.
void configure(const ConfigReader &, DecoderSpec &spec, DecoderSettings &s) {
    if (s.n_expert > 0) spec.mlp = MlpKind::Experts;
}

}  // namespace

DecoderSpec llama_spec() {
    DecoderSpec s;
    s.configure = configure;
    s.gguf_qk_interleaved = true;  // convert_hf_to_gguf.py permutes q/k back to Meta's layout
    return s;
}

}  // namespace llmrt
