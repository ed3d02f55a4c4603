// GPT-2: learned positions, LayerNorm, fused qkv, GELU (tanh) MLP, biases everywhere; HF stores
// the matrices as Conv1D, [in, out].
#include "models/decoder.h"

namespace llmrt {
namespace {

void configure(const ConfigReader &, DecoderSpec &, DecoderSettings &s) {
    if (s.hp.n_ff == 0) s.hp.n_ff = 4 * s.hp.n_embd;  // n_inner: null
}

}  // namespace

DecoderSpec gpt2_spec() {
    DecoderSpec s;
    s.keys = {"n_embd", "n_layer", "n_head", "", "n_inner", "n_positions", "vocab_size", "", "layer_norm_epsilon",
              "", "", "", "activation_function"};
    s.norm = NormKind::Layer;
    s.default_norm_eps = 1e-5f;
    s.positions = PositionKind::Learned;
    s.fused_qkv = true;
    s.mlp = MlpKind::Plain;
    s.act = Activation::GeluTanh;
    s.names.layer_prefix = "transformer.h.";
    s.names.overrides = {{Role::TokenEmbd, "transformer.wte"},
                         {Role::PosEmbd, "transformer.wpe"},
                         {Role::AttnNorm, "ln_1"},
                         {Role::Qkv, "attn.c_attn", Transform::Transpose},
                         {Role::AttnOut, "attn.c_proj", Transform::Transpose},
                         {Role::FfnNorm, "ln_2"},
                         {Role::Up, "mlp.c_fc", Transform::Transpose},
                         {Role::Down, "mlp.c_proj", Transform::Transpose},
                         {Role::OutputNorm, "transformer.ln_f"}};
    s.configure = configure;
    return s;
}

}  // namespace llmrt
