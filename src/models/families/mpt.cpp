// MPT: ALiBi, LayerNorm (without biases when no_bias), fused qkv, exact GELU MLP.
#include "core/error.h"
#include "models/decoder.h"

namespace llmrt {
namespace {

void configure(const ConfigReader &cfg, DecoderSpec &, DecoderSettings &s) {
    if (s.hp.n_ff == 0) s.hp.n_ff = s.hp.n_embd * cfg.int_or("expansion_ratio", "", 4);
    if (const nlohmann::json *attn = cfg.hf("attn_config"); attn && attn->is_object()) {
        auto it = attn->find("alibi_bias_max");
        if (it != attn->end() && it->is_number()) s.alibi_max_bias = it->get<float>();
        auto alibi = attn->find("alibi");
        require(alibi == attn->end() || !alibi->is_boolean() || alibi->get<bool>(), Status::Unsupported,
                cfg.file() + ": MPT without ALiBi (learned positions) is not supported");
    }
}

}  // namespace

DecoderSpec mpt_spec() {
    DecoderSpec s;
    s.keys = {"d_model", "n_layers", "n_heads", "", "", "max_seq_len", "vocab_size", "", "layer_norm_epsilon",
              "", "", "", ""};
    s.norm = NormKind::Layer;
    s.default_norm_eps = 1e-5f;
    s.positions = PositionKind::Alibi;
    s.fused_qkv = true;
    s.mlp = MlpKind::Plain;
    s.act = Activation::GeluExact;
    s.names.layer_prefix = "transformer.blocks.";
    s.names.overrides = {{Role::TokenEmbd, "transformer.wte"}, {Role::AttnNorm, "norm_1"},
                         {Role::Qkv, "attn.Wqkv"},             {Role::AttnOut, "attn.out_proj"},
                         {Role::FfnNorm, "norm_2"},            {Role::Up, "ffn.up_proj"},
                         {Role::Down, "ffn.down_proj"},        {Role::OutputNorm, "transformer.norm_f"}};
    s.configure = configure;
    return s;
}

}  // namespace llmrt
