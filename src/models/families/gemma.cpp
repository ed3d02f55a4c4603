// Gemma: RMSNorm with weights stored as w - 1, embeddings scaled by sqrt(n_embd), GeGLU with the
// tanh GELU, tied output.
#include "models/decoder.h"

namespace llmrt {

DecoderSpec gemma_spec() {
    DecoderSpec s;
    s.keys.act = "hidden_activation";
    s.act = Activation::GeluTanh;
    s.scale_embeddings = true;
    // llama.cpp's converter adds the 1 already.
    s.names.overrides = {{Role::AttnNorm, "input_layernorm", Transform::AddOne},
                         {Role::FfnNorm, "post_attention_layernorm", Transform::AddOne},
                         {Role::OutputNorm, "model.norm", Transform::AddOne}};
    return s;
}

}  // namespace llmrt
