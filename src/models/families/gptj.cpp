// GPT-J: partial rotary in adjacent pairs, attention and MLP in parallel on one LayerNorm, no
// attention biases, GELU (tanh) MLP with biases, output bias.
#include "models/decoder.h"

namespace llmrt {
namespace {

void configure(const ConfigReader &, DecoderSpec &, DecoderSettings &s) {
    if (s.hp.n_ff == 0) s.hp.n_ff = 4 * s.hp.n_embd;  // n_inner: null
}

}  // namespace

DecoderSpec gptj_spec() {
    DecoderSpec s;
    s.keys = {"n_embd", "n_layer", "n_head", "", "n_inner", "n_positions", "vocab_size", "", "layer_norm_epsilon",
              "", "", "rotary_dim", "activation_function"};
    s.norm = NormKind::Layer;
    s.default_norm_eps = 1e-5f;
    s.pairing = RopePairing::Interleaved;
    s.parallel = true;
    s.mlp = MlpKind::Plain;
    s.act = Activation::GeluTanh;
    s.names.layer_prefix = "transformer.h.";
    s.names.overrides = {{Role::TokenEmbd, "transformer.wte"}, {Role::AttnNorm, "ln_1"},
                         {Role::Q, "attn.q_proj"},             {Role::K, "attn.k_proj"},
                         {Role::V, "attn.v_proj"},             {Role::AttnOut, "attn.out_proj"},
                         {Role::Up, "mlp.fc_in"},              {Role::Down, "mlp.fc_out"},
                         {Role::OutputNorm, "transformer.ln_f"}};
    s.configure = configure;
    return s;
}

}  // namespace llmrt
