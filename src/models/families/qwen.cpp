// Qwen (v1): Llama's block with names of its own: fused qkv with bias, and an MLP
// c_proj(w1(x) * silu(w2(x))) whose intermediate_size counts both branches.
#include "models/decoder.h"

namespace llmrt {
namespace {

// config.json's intermediate_size counts both branches (GGUF's feed_forward_length one).
void configure(const ConfigReader &cfg, DecoderSpec &, DecoderSettings &s) {
    if (const int64_t both = cfg.int_or("intermediate_size", "", 0, 0); both > 0) s.hp.n_ff = both / 2;
}

}  // namespace

DecoderSpec qwen_spec() {
    DecoderSpec s;
    s.keys = {"hidden_size", "num_hidden_layers", "num_attention_heads", "", "", "seq_length",
              "vocab_size", "kv_channels", "layer_norm_epsilon", "rotary_emb_base", "rotary_pct", "", ""};
    s.fused_qkv = true;
    s.names.layer_prefix = "transformer.h.";
    s.names.overrides = {{Role::TokenEmbd, "transformer.wte"}, {Role::AttnNorm, "ln_1"},
                         {Role::Qkv, "attn.c_attn"},           {Role::AttnOut, "attn.c_proj"},
                         {Role::FfnNorm, "ln_2"},              {Role::Gate, "mlp.w2"},
                         {Role::Up, "mlp.w1"},                 {Role::Down, "mlp.c_proj"},
                         {Role::OutputNorm, "transformer.ln_f"}};
    s.configure = configure;
    return s;
}

}  // namespace llmrt
