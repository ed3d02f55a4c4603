// OPT: learned positions starting at row 2, pre-LayerNorm, ReLU MLP, biases everywhere, tied.
#include "core/error.h"
#include "models/decoder.h"

namespace llmrt {
namespace {

void configure(const ConfigReader &cfg, DecoderSpec &, DecoderSettings &) {
    require(cfg.bool_or("do_layer_norm_before", "", true), Status::Unsupported,
            cfg.setting("do_layer_norm_before", "") + ": OPT with post-LayerNorm (350m) is not supported");
    const int64_t proj = cfg.int_or("word_embed_proj_dim", "", cfg.int_or("hidden_size", "", 1));
    require(proj == cfg.int_or("hidden_size", "", 1), Status::Unsupported,
            cfg.setting("word_embed_proj_dim", "") + " differs from the hidden size: not supported");
}

}  // namespace

DecoderSpec opt_spec() {
    DecoderSpec s;
    s.keys.kv_heads = "";
    s.keys.ff = "ffn_dim";
    s.keys.act = "activation_function";
    s.norm = NormKind::Layer;
    s.default_norm_eps = 1e-5f;  // nn.LayerNorm's default; not in the config
    s.keys.norm_eps = "";
    s.positions = PositionKind::Learned;
    s.position_offset = 2;
    s.mlp = MlpKind::Plain;
    s.act = Activation::Relu;
    s.names.layer_prefix = "model.decoder.layers.";
    s.names.overrides = {{Role::TokenEmbd, "model.decoder.embed_tokens"},
                         {Role::PosEmbd, "model.decoder.embed_positions"},
                         {Role::AttnNorm, "self_attn_layer_norm"},
                         {Role::AttnOut, "self_attn.out_proj"},
                         {Role::FfnNorm, "final_layer_norm"},
                         {Role::Up, "fc1"},
                         {Role::Down, "fc2"},
                         {Role::OutputNorm, "model.decoder.final_layer_norm"}};
    s.configure = configure;
    return s;
}

}  // namespace llmrt
