// The decoder every family is: token (and position) embeddings, n blocks of attention and MLP, a
// norm and an output head. A family file declares which variant of each piece it uses and how
// its checkpoint names settings and tensors (DecoderSpec); this file reads, checks and loads them
// and runs the forward pass, the same for an HF directory, a GGUF file or an llmrt file.
#pragma once

#include <memory>

#include "formats/checkpoint.h"
#include "models/architecture.h"
#include "models/config_reader.h"
#include "models/ops.h"
#include "models/tensor_roles.h"

namespace llmrt {

enum class NormKind { Rms, Layer };
enum class PositionKind { Rope, Alibi, Learned };
enum class MlpKind {
    Plain,    // down(act(up(x)))
    Gated,    // down(act(gate(x)) * up(x))
    Experts,  // Gated experts, top-k of a router, softmax over the chosen
};

// HF config.json keys of the settings every decoder has. GGUF keys are llama.cpp's, the same
// for every family. An empty key: the family has no such setting.
struct HfKeys {
    const char *hidden = "hidden_size";
    const char *layers = "num_hidden_layers";
    const char *heads = "num_attention_heads";
    const char *kv_heads = "num_key_value_heads";
    const char *ff = "intermediate_size";
    const char *ctx = "max_position_embeddings";
    const char *vocab = "vocab_size";
    const char *head_dim = "head_dim";
    const char *norm_eps = "rms_norm_eps";
    const char *rope_theta = "rope_theta";
    const char *rotary_fraction = "partial_rotary_factor";  // rotated share of each head
    const char *rotary_dims = "";                            // rotated dims, absolute (GPT-J)
    const char *act = "hidden_act";                          // the MLP's activation by name
};

// The settings as read from the checkpoint (then adjusted by the family's configure step).
struct DecoderSettings {
    HyperParams hp;
    float norm_eps = 1e-5f;
    double rope_theta = 10000.0;
    int64_t rot_dims = 0;
    RopeScaling rope_scaling;
    float alibi_max_bias = 8.0f;
    int64_t n_expert = 0;
    int64_t n_expert_used = 0;
    int64_t sliding_window = 0;
    Activation act = Activation::Silu;
};

struct DecoderSpec {
    HfKeys keys;
    HfNaming names;
    NormKind norm = NormKind::Rms;
    float default_norm_eps = 1e-6f;
    PositionKind positions = PositionKind::Rope;
    RopePairing pairing = RopePairing::Halves;  // as the HF modeling code rotates
    bool gguf_qk_interleaved = false;           // llama.cpp's converter permuted q/k to adjacent pairs
    int64_t position_offset = 0;                // learned positions: row of position 0 (OPT: 2)
    bool parallel = false;                      // x + attn(norm(x)) + mlp(norm'(x))
    bool fused_qkv = false;                     // Role::Qkv instead of Q, K, V
    bool fused_gate_up = false;                 // Role::Up holds [gate; up]
    MlpKind mlp = MlpKind::Gated;
    Activation act = Activation::Silu;          // unless the config names one
    bool scale_embeddings = false;              // by sqrt(n_embd) (Gemma)
    // The family's own settings (defaults computed from others, names that depend on the
    // config), after the shared ones are read; may be nullptr.
    void (*configure)(const ConfigReader &cfg, DecoderSpec &spec, DecoderSettings &settings) = nullptr;
};

std::unique_ptr<Architecture> make_decoder(const Checkpoint &checkpoint, WeightStore &weights, DecoderSpec spec);

}  // namespace llmrt
