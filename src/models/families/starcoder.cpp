// StarCoder (GPTBigCode): GPT-2's block with multi-query attention and nn.Linear weights.
#include "models/decoder.h"

namespace llmrt {
namespace {

void configure(const ConfigReader &cfg, DecoderSpec &, DecoderSettings &s) {
    if (s.hp.n_ff == 0) s.hp.n_ff = 4 * s.hp.n_embd;
    if (cfg.bool_or("multi_query", "", false)) s.hp.n_head_kv = 1;
}

}  // namespace

DecoderSpec starcoder_spec() {
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
    s.names.overrides = {{Role::TokenEmbd, "transformer.wte"}, {Role::PosEmbd, "transformer.wpe"},
                         {Role::AttnNorm, "ln_1"},             {Role::Qkv, "attn.c_attn"},
                         {Role::AttnOut, "attn.c_proj"},       {Role::FfnNorm, "ln_2"},
                         {Role::Up, "mlp.c_fc"},               {Role::Down, "mlp.c_proj"},
                         {Role::OutputNorm, "transformer.ln_f"}};
    s.configure = configure;
    return s;
}

}  // namespace llmrt
