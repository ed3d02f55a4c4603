// BLOOM: ALiBi, a LayerNorm after the embedding, fused qkv in per-head order, GELU (tanh) MLP.
#include "models/decoder.h"

namespace llmrt {
namespace {

void configure(const ConfigReader &, DecoderSpec &, DecoderSettings &s) {
    if (s.hp.n_ff == 0) s.hp.n_ff = 4 * s.hp.n_embd;
}

}  // namespace

DecoderSpec bloom_spec() {
    DecoderSpec s;
    s.keys = {"hidden_size", "n_layer", "n_head", "", "", "", "vocab_size", "", "layer_norm_epsilon", "", "", "", ""};
    s.norm = NormKind::Layer;
    s.default_norm_eps = 1e-5f;
    s.positions = PositionKind::Alibi;
    s.fused_qkv = true;
    s.mlp = MlpKind::Plain;
    s.act = Activation::GeluTanh;
    s.names.layer_prefix = "transformer.h.";
    s.names.overrides = {{Role::TokenEmbd, "transformer.word_embeddings"},
                         {Role::EmbdNorm, "transformer.word_embeddings_layernorm"},
                         {Role::Qkv, "self_attention.query_key_value", Transform::QkvPerHead},
                         {Role::AttnOut, "self_attention.dense"},
                         {Role::Up, "mlp.dense_h_to_4h"},
                         {Role::Down, "mlp.dense_4h_to_h"},
                         {Role::OutputNorm, "transformer.ln_f"}};
    s.configure = configure;
    return s;
}

}  // namespace llmrt
