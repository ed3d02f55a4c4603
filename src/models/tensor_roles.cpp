#include "models/tensor_roles.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "formats/hf_quantized.h"

namespace llmrt {
namespace {

struct RoleNames {
    Role role;
    bool in_layer;
    const char *gguf;  // llama.cpp's name (after "blk.N." for layer roles)
    const char *hf;    // Llama's HF name (after the layer prefix for layer roles)
};

// One row per role. GGUF names are llama.cpp's (llama-arch.cpp); HF names are Llama's, which
// most families share.
const RoleNames kRoles[] = {
    {Role::TokenEmbd, false, "token_embd", "model.embed_tokens"},
    {Role::PosEmbd, false, "position_embd", "model.embed_positions"},
    {Role::EmbdNorm, false, "token_embd_norm", "model.embed_layernorm"},
    {Role::AttnNorm, true, "attn_norm", "input_layernorm"},
    {Role::MlpNorm, true, "attn_norm_2", "mlp_layernorm"},
    {Role::Qkv, true, "attn_qkv", "self_attn.qkv_proj"},
    {Role::Q, true, "attn_q", "self_attn.q_proj"},
    {Role::K, true, "attn_k", "self_attn.k_proj"},
    {Role::V, true, "attn_v", "self_attn.v_proj"},
    {Role::AttnOut, true, "attn_output", "self_attn.o_proj"},
    {Role::FfnNorm, true, "ffn_norm", "post_attention_layernorm"},
    {Role::Gate, true, "ffn_gate", "mlp.gate_proj"},
    {Role::Up, true, "ffn_up", "mlp.up_proj"},
    {Role::Down, true, "ffn_down", "mlp.down_proj"},
    {Role::Router, true, "ffn_gate_inp", "block_sparse_moe.gate"},
    {Role::ExpertGate, true, "ffn_gate.{e}", "block_sparse_moe.experts.{e}.w1"},
    {Role::ExpertUp, true, "ffn_up.{e}", "block_sparse_moe.experts.{e}.w3"},
    {Role::ExpertDown, true, "ffn_down.{e}", "block_sparse_moe.experts.{e}.w2"},
    {Role::OutputNorm, false, "output_norm", "model.norm"},
    {Role::Output, false, "output", "lm_head"},
};

const RoleNames &row(Role role) {
    for (const RoleNames &r : kRoles)
        if (r.role == role) return r;
    fail(Status::Internal, "tensor role without a name");
}

std::string with_expert(std::string name, int64_t expert) {
    const size_t at = name.find("{e}");
    if (at != std::string::npos) name.replace(at, 3, std::to_string(expert));
    return name;
}

// A bias is rearranged like its matrix's rows; the other transforms concern the weight only.
Transform bias_transform(Transform t) {
    return t == Transform::QkvPerHead || t == Transform::QkvPerKvGroup ? t : Transform::None;
}

// Copies row blocks of `cols` floats: out row block i <- in row block order[i].
void copy_rows(const float *in, float *out, int64_t cols, int64_t rows_per_block, const std::vector<int64_t> &order) {
    const size_t block = static_cast<size_t>(rows_per_block * cols);
    for (size_t i = 0; i < order.size(); ++i)
        std::memcpy(out + i * block, in + static_cast<size_t>(order[i]) * block, block * sizeof(float));
}

}  // namespace

std::vector<int64_t> file_shape(Transform t, int64_t rows, int64_t cols) {
    if (cols == 1) return {rows};
    if (t == Transform::Transpose) return {cols, rows};
    return {rows, cols};
}

void rearrange(Transform t, const QkvShape &s, int64_t rows, int64_t cols, const float *in, float *out) {
    const size_t count = static_cast<size_t>(rows * cols);
    switch (t) {
        case Transform::None: std::memcpy(out, in, count * sizeof(float)); return;
        case Transform::Transpose:
            for (int64_t r = 0; r < rows; ++r)
                for (int64_t c = 0; c < cols; ++c) out[r * cols + c] = in[c * rows + r];
            return;
        case Transform::AddOne:
            for (size_t i = 0; i < count; ++i) out[i] = in[i] + 1.0f;
            return;
        case Transform::RowNormalize:
            for (int64_t r = 0; r < rows; ++r) {
                double sum = 0.0;
                for (int64_t c = 0; c < cols; ++c) sum += static_cast<double>(in[r * cols + c]) * in[r * cols + c];
                const double inv = sum > 0.0 ? 1.0 / std::sqrt(sum) : 0.0;
                for (int64_t c = 0; c < cols; ++c) out[r * cols + c] = static_cast<float>(in[r * cols + c] * inv);
            }
            return;
        case Transform::QkvPerHead:
        case Transform::QkvPerKvGroup: {
            // Head blocks of head_dim rows. Per head: (q, k, v) with one head each; per kv group:
            // (group q heads, k, v). Output: all q heads, then all k, then all v.
            const int64_t group = t == Transform::QkvPerHead ? 1 : s.n_head / std::max<int64_t>(s.n_head_kv, 1);
            const int64_t n_units = t == Transform::QkvPerHead ? s.n_head : s.n_head_kv;
            require(s.head_dim > 0 && n_units > 0 && rows == n_units * (group + 2) * s.head_dim, Status::Format,
                    "a fused qkv tensor has " + std::to_string(rows) + " rows, which do not fit " +
                        std::to_string(s.n_head) + " heads and " + std::to_string(s.n_head_kv) +
                        " key/value heads of " + std::to_string(s.head_dim));
            const int64_t unit = group + 2;
            std::vector<int64_t> order;
            for (int64_t u = 0; u < n_units; ++u)
                for (int64_t j = 0; j < group; ++j) order.push_back(u * unit + j);
            for (int64_t u = 0; u < n_units; ++u) order.push_back(u * unit + group);
            for (int64_t u = 0; u < n_units; ++u) order.push_back(u * unit + group + 1);
            copy_rows(in, out, cols, s.head_dim, order);
            return;
        }
    }
}

std::optional<RoleName> role_of_tensor(const std::string &name, const HfNaming &naming) {
    std::string suffix;
    for (const char *s : {".weight", ".bias"}) {
        const size_t n = std::strlen(s);
        if (name.size() > n && name.compare(name.size() - n, n, s) == 0) suffix = s;
    }
    if (suffix.empty()) return std::nullopt;
    const std::string stem = name.substr(0, name.size() - suffix.size());
    // "<prefix><digits>.<rest>" -> layer and rest.
    auto split_layer = [&](const std::string &prefix, int64_t &layer, std::string &rest) {
        if (stem.compare(0, prefix.size(), prefix) != 0) return false;
        size_t i = prefix.size(), j = i;
        while (j < stem.size() && std::isdigit(static_cast<unsigned char>(stem[j]))) ++j;
        // At most 9 digits: any layer index fits, and stoll cannot overflow on a crafted name.
        if (j == i || j - i > 9 || j >= stem.size() || stem[j] != '.') return false;
        layer = std::stoll(stem.substr(i, j - i));
        rest = stem.substr(j + 1);
        return true;
    };
    int64_t gguf_layer = -1, hf_layer = -1;
    std::string gguf_rest, hf_rest;
    const bool gguf_block = split_layer("blk.", gguf_layer, gguf_rest);
    const bool hf_block = split_layer(naming.layer_prefix, hf_layer, hf_rest);
    for (const RoleNames &r : kRoles) {
        if (std::strstr(r.gguf, "{e}")) continue;
        std::string gguf = r.gguf, hf = r.hf;
        Transform transform = Transform::None;
        for (const GgufName &o : naming.gguf_overrides)
            if (o.role == r.role) gguf = o.name;
        for (const HfName &o : naming.overrides)
            if (o.role == r.role) {
                hf = o.name;
                transform = o.transform;
            }
        int64_t layer = -1;
        if (r.in_layer && gguf_block && gguf_rest == gguf) layer = gguf_layer;
        else if (r.in_layer && hf_block && hf_rest == hf && transform == Transform::None) layer = hf_layer;
        else if (r.in_layer || (stem != gguf && (stem != hf || transform != Transform::None))) continue;
        RoleName out{r.role, layer, (r.in_layer ? "blk." + std::to_string(layer) + "." : "") + gguf + suffix, ""};
        if (transform == Transform::None)
            out.hf = (r.in_layer ? naming.layer_prefix + std::to_string(layer) + "." : "") + hf + suffix;
        return out;
    }
    return std::nullopt;
}

TensorNames::TensorNames(const Checkpoint &checkpoint, HfNaming naming)
    : ckpt_(&checkpoint), naming_(std::move(naming)) {}

TensorRef TensorNames::resolve(Role role, int64_t layer, int64_t expert, const char *suffix) const {
    const RoleNames &r = row(role);
    const std::string block = r.in_layer ? "blk." + std::to_string(layer) + "." : "";
    std::string gguf = r.gguf;
    for (const GgufName &o : naming_.gguf_overrides)
        if (o.role == role) gguf = o.name;
    TensorRef ref;
    ref.canonical_name = with_expert(block + gguf, expert) + suffix;
    // A GGUF file, or an llmrt file that stored a transformed HF tensor: the canonical name, as is.
    if (ckpt_->source == Checkpoint::Source::Gguf || ckpt_->find(ref.canonical_name)) {
        ref.name = ref.canonical_name;
        return ref;
    }
    std::string hf = r.hf;
    for (const HfName &o : naming_.overrides)
        if (o.role == role) {
            hf = o.name;
            ref.transform = o.transform;
        }
    if (r.in_layer) hf = naming_.layer_prefix + std::to_string(layer) + "." + hf;
    ref.name = with_expert(hf, expert) + suffix;
    // save_pretrained writes "transformer." before GPT-2/BLOOM-era names; the hub files of those
    // models (gpt2, bloom-560m) were saved without it.
    const std::string prefix = "transformer.";
    if (!ckpt_->find(ref.name) && ref.name.compare(0, prefix.size(), prefix) == 0 &&
        ckpt_->find(ref.name.substr(prefix.size())))
        ref.name = ref.name.substr(prefix.size());
    return ref;
}

TensorRef TensorNames::weight(Role role, int64_t layer, int64_t expert) const {
    return resolve(role, layer, expert, ".weight");
}

TensorRef TensorNames::bias(Role role, int64_t layer) const {
    TensorRef ref = resolve(role, layer, -1, ".bias");
    ref.transform = bias_transform(ref.transform);
    return ref;
}

bool TensorNames::has_weight(Role role, int64_t layer) const {
    const std::string name = weight(role, layer).name;
    if (ckpt_->find(name) != nullptr) return true;
    // A GPTQ/AWQ Linear holds P.qweight instead of P.weight (models/weights.h repacks it).
    const std::string suffix = ".weight";
    return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
           has_hf_quantized_linear(*ckpt_, name.substr(0, name.size() - suffix.size()));
}

bool TensorNames::has_bias(Role role, int64_t layer) const { return ckpt_->find(bias(role, layer).name) != nullptr; }

}  // namespace llmrt
