// Baichuan 2 (7B): Llama's block with q/k/v in one matrix (W_pack) and a NormHead: the output
// rows are divided by their L2 norms.
#include "models/decoder.h"

namespace llmrt {

DecoderSpec baichuan_spec() {
    DecoderSpec s;
    s.fused_qkv = true;
    s.gguf_qk_interleaved = true;  // llama.cpp converts it like Llama
    s.names.overrides = {{Role::Qkv, "self_attn.W_pack"}, {Role::Output, "lm_head", Transform::RowNormalize}};
    return s;
}

}  // namespace llmrt
