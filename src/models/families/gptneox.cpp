// GPT-NeoX (Pythia, Dolly): LayerNorm, partial rotary (halves), attention and MLP in parallel,
// each on its own norm; fused qkv in per-head order; exact GELU.
#include "models/decoder.h"

namespace llmrt {
namespace {

void configure(const ConfigReader &cfg, DecoderSpec &spec, DecoderSettings &) {
    spec.parallel = cfg.bool_or("use_parallel_residual", "{arch}.use_parallel_residual", true);
}

}  // namespace

DecoderSpec gptneox_spec() {
    DecoderSpec s;
    s.keys.kv_heads = "";
    s.keys.norm_eps = "layer_norm_eps";
    s.keys.rope_theta = "rotary_emb_base";
    s.keys.rotary_fraction = "rotary_pct";
    s.norm = NormKind::Layer;
    s.default_norm_eps = 1e-5f;
    s.fused_qkv = true;
    s.mlp = MlpKind::Plain;
    s.act = Activation::GeluExact;
    s.names.layer_prefix = "gpt_neox.layers.";
    s.names.overrides = {{Role::TokenEmbd, "gpt_neox.embed_in"},
                         {Role::Qkv, "attention.query_key_value", Transform::QkvPerHead},
                         {Role::AttnOut, "attention.dense"},
                         {Role::Up, "mlp.dense_h_to_4h"},
                         {Role::Down, "mlp.dense_4h_to_h"},
                         {Role::OutputNorm, "gpt_neox.final_layer_norm"},
                         {Role::Output, "embed_out"}};
    s.configure = configure;
    return s;
}

}  // namespace llmrt
