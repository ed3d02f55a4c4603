// Phi-2: LayerNorm, partial rotary (halves), attention and MLP in parallel on one norm, GELU
// MLP with biases, output bias.
#include "models/decoder.h"

namespace llmrt {

DecoderSpec phi2_spec() {
    DecoderSpec s;
    s.norm = NormKind::Layer;
    s.default_norm_eps = 1e-5f;
    s.keys.norm_eps = "layer_norm_eps";
    s.parallel = true;
    s.mlp = MlpKind::Plain;
    s.act = Activation::GeluTanh;
    s.names.overrides = {{Role::AttnOut, "self_attn.dense"},
                         {Role::Up, "mlp.fc1"},
                         {Role::Down, "mlp.fc2"},
                         {Role::OutputNorm, "model.final_layernorm"}};
    return s;
}

}  // namespace llmrt
