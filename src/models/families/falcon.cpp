// Falcon: LayerNorm, RoPE (halves), attention and MLP in parallel, fused qkv grouped per kv
// head; the 7B layout (multi-query, one norm) and the new decoder (GQA, ln_attn and ln_mlp).
#include "core/error.h"
#include "models/decoder.h"

namespace llmrt {
namespace {

void configure(const ConfigReader &cfg, DecoderSpec &spec, DecoderSettings &s) {
    if (s.hp.n_ff == 0) s.hp.n_ff = 4 * s.hp.n_embd;
    require(!cfg.bool_or("alibi", "", false), Status::Unsupported,
            cfg.setting("alibi", "") + ": Falcon with ALiBi is not supported");
    spec.parallel = cfg.bool_or("parallel_attn", "", true);
    // The new decoder (40B, 180B) has num_kv_heads and a norm per branch; 7B one kv head.
    if (cfg.bool_or("new_decoder_architecture", "", false)) {
        spec.names.overrides.push_back({Role::AttnNorm, "ln_attn"});
        spec.names.overrides.push_back({Role::MlpNorm, "ln_mlp"});
    } else if (cfg.bool_or("multi_query", "", false)) {
        s.hp.n_head_kv = 1;
    }
    // With two norms, llama.cpp names the attention's attn_norm_2 and the MLP's attn_norm.
    if (cfg.has_tensor("blk.0.attn_norm_2.weight"))
        spec.names.gguf_overrides = {{Role::AttnNorm, "attn_norm_2"}, {Role::MlpNorm, "attn_norm"}};
}

}  // namespace

DecoderSpec falcon_spec() {
    DecoderSpec s;
    s.keys.kv_heads = "num_kv_heads";
    s.keys.ff = "ffn_hidden_size";
    s.keys.norm_eps = "layer_norm_epsilon";
    s.keys.act = "activation";
    s.norm = NormKind::Layer;
    s.default_norm_eps = 1e-5f;
    s.parallel = true;
    s.fused_qkv = true;
    s.mlp = MlpKind::Plain;
    s.act = Activation::GeluExact;
    s.names.layer_prefix = "transformer.h.";
    s.names.overrides = {{Role::TokenEmbd, "transformer.word_embeddings"},
                         {Role::Qkv, "self_attention.query_key_value", Transform::QkvPerKvGroup},
                         {Role::AttnOut, "self_attention.dense"},
                         {Role::Up, "mlp.dense_h_to_4h"},
                         {Role::Down, "mlp.dense_4h_to_h"},
                         {Role::OutputNorm, "transformer.ln_f"}};
    s.configure = configure;
    return s;
}

}  // namespace llmrt
