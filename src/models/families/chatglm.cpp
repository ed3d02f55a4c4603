// ChatGLM 2/3: RMSNorm, fused qkv with bias (grouped-query), RoPE on the first half of each head
// in adjacent pairs, SwiGLU from one [gate; up] matrix.
#include "core/error.h"
#include "models/decoder.h"

namespace llmrt {
namespace {

void configure(const ConfigReader &cfg, DecoderSpec &, DecoderSettings &s) {
    s.rot_dims = s.hp.head_dim / 2;
    require(cfg.bool_or("rmsnorm", "", true) && !cfg.bool_or("apply_residual_connection_post_layernorm", "", false),
            Status::Unsupported, cfg.file() + ": only ChatGLM's RMSNorm pre-norm blocks (ChatGLM2/3) are supported");
    if (!cfg.bool_or("multi_query_attention", "", true)) s.hp.n_head_kv = s.hp.n_head;
    s.rope_theta *= cfg.float_or("rope_ratio", "", 1.0);  // GGUF: already in its freq_base
}

}  // namespace

DecoderSpec chatglm_spec() {
    DecoderSpec s;
    s.keys = {"hidden_size", "num_layers", "num_attention_heads", "multi_query_group_num", "ffn_hidden_size", "seq_length",
              "padded_vocab_size", "kv_channels", "layernorm_epsilon", "", "", "", ""};
    s.default_norm_eps = 1e-5f;
    s.pairing = RopePairing::Interleaved;
    s.fused_qkv = true;
    s.fused_gate_up = true;
    s.names.layer_prefix = "transformer.encoder.layers.";
    s.names.overrides = {{Role::TokenEmbd, "transformer.embedding.word_embeddings"},
                         {Role::Qkv, "self_attention.query_key_value"},
                         {Role::AttnOut, "self_attention.dense"},
                         {Role::Up, "mlp.dense_h_to_4h"},
                         {Role::Down, "mlp.dense_4h_to_h"},
                         {Role::OutputNorm, "transformer.encoder.final_layernorm"},
                         {Role::Output, "transformer.output_layer"}};
    s.configure = configure;
    return s;
}

}  // namespace llmrt
