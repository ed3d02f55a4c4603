#include "models/decoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>

#include "core/error.h"
#include "formats/checked_math.h"
#include "formats/hf_quantized.h"
#include "kernels/matmul.h"
#include "models/tensor_parallel.h"

namespace llmrt {
namespace {

// ---- settings --------------------------------------------------------------------------------

RopeScaling read_rope_scaling(const ConfigReader &cfg) {
    RopeScaling s;
    if (cfg.is_gguf()) {
        std::optional<std::string> type = cfg.string("", "{arch}.rope.scaling.type");
        if (type && *type == "linear") {
            s.kind = RopeScaling::Kind::Linear;
            s.factor = cfg.float_or("", "{arch}.rope.scaling.factor", 1.0);
        }
        return s;  // GGUF stores llama3 scaling as the rope_freqs tensor instead
    }
    const nlohmann::json *rs = cfg.hf("rope_scaling");
    if (!rs || !rs->is_object()) return s;
    std::string type = rs->value("rope_type", rs->value("type", std::string()));
    auto number = [&](const char *key, double fallback) {
        auto it = rs->find(key);
        return it != rs->end() && it->is_number() ? it->get<double>() : fallback;
    };
    s.factor = number("factor", 1.0);
    require(s.factor > 0.0, Status::Format, cfg.path() + "/config.json: rope_scaling.factor must be > 0");
    if (type == "linear") {
        s.kind = RopeScaling::Kind::Linear;
    } else if (type == "llama3") {
        s.kind = RopeScaling::Kind::Llama3;
        s.low_freq_factor = number("low_freq_factor", 1.0);
        s.high_freq_factor = number("high_freq_factor", 4.0);
        s.original_max_positions = number("original_max_position_embeddings", 8192.0);
        require(s.high_freq_factor != s.low_freq_factor, Status::Format,
                cfg.path() + "/config.json: rope_scaling low and high frequency factors are equal");
    } else if (!type.empty() && type != "default") {
        fail(Status::Unsupported, cfg.path() + "/config.json: rope_scaling type '" + type + "' is not supported");
    }
    return s;
}

Activation activation_named(const ConfigReader &cfg, const char *key, Activation fallback) {
    const std::optional<std::string> name = cfg.string(key, "");
    if (!name) return fallback;
    if (*name == "silu" || *name == "swish") return Activation::Silu;
    if (*name == "gelu") return Activation::GeluExact;
    if (*name == "gelu_new" || *name == "gelu_pytorch_tanh" || *name == "gelu_fast") return Activation::GeluTanh;
    if (*name == "relu") return Activation::Relu;
    fail(Status::Unsupported, cfg.setting(key, "") + ": activation '" + *name + "' is not supported");
}

// The settings every decoder shares, read in one place.
DecoderSettings read_settings(const ConfigReader &cfg, const DecoderSpec &spec, int64_t embd_rows) {
    const HfKeys &k = spec.keys;
    DecoderSettings s;
    HyperParams &hp = s.hp;
    hp.n_embd = cfg.required_int(k.hidden, "{arch}.embedding_length");
    hp.n_layer = cfg.required_int(k.layers, "{arch}.block_count");
    hp.n_head = cfg.required_int(k.heads, "{arch}.attention.head_count");
    hp.n_head_kv = cfg.int_or(k.kv_heads, "{arch}.attention.head_count_kv", hp.n_head);
    // Some families have no such setting (4 x hidden): 0 until their configure step sets it.
    hp.n_ff = cfg.number(k.ff, "{arch}.feed_forward_length") ? cfg.required_int(k.ff, "{arch}.feed_forward_length") : 0;
    hp.n_ctx_train = cfg.int_or(k.ctx, "{arch}.context_length", 2048);
    hp.n_vocab = cfg.int_or(k.vocab, "{arch}.vocab_size", embd_rows);
    require(hp.n_embd % hp.n_head == 0 || cfg.number(k.head_dim, "{arch}.attention.key_length"), Status::Format,
            cfg.setting(k.hidden, "{arch}.embedding_length") + " is not a multiple of " +
                cfg.key(k.heads, "{arch}.attention.head_count") + " and there is no " +
                cfg.key(k.head_dim, "{arch}.attention.key_length"));
    hp.head_dim = cfg.int_or(k.head_dim, "{arch}.attention.key_length", hp.n_embd / hp.n_head);
    const bool rms = spec.norm == NormKind::Rms;
    const char *eps_key = rms ? "{arch}.attention.layer_norm_rms_epsilon" : "{arch}.attention.layer_norm_epsilon";
    s.norm_eps = static_cast<float>(cfg.float_or(k.norm_eps, eps_key, spec.default_norm_eps));
    require(s.norm_eps >= 0.0f, Status::Format, cfg.setting(k.norm_eps, eps_key) + " must not be negative");
    s.rope_theta = cfg.float_or(k.rope_theta, "{arch}.rope.freq_base", 10000.0);
    require(s.rope_theta > 0.0, Status::Format, cfg.setting(k.rope_theta, "{arch}.rope.freq_base") + " must be > 0");
    if (cfg.is_gguf()) {
        s.rot_dims = cfg.int_or("", "{arch}.rope.dimension_count", hp.head_dim);
    } else if (cfg.number(k.rotary_dims, "")) {
        s.rot_dims = cfg.int_or(k.rotary_dims, "", hp.head_dim);
    } else {
        const double fraction = cfg.float_or(k.rotary_fraction, "", 1.0);
        require(fraction > 0.0 && fraction <= 1.0, Status::Format,
                cfg.setting(k.rotary_fraction, "") + " must be in (0, 1]");
        s.rot_dims = static_cast<int64_t>(static_cast<double>(hp.head_dim) * fraction);
    }
    s.rope_scaling = read_rope_scaling(cfg);
    s.alibi_max_bias = static_cast<float>(cfg.float_or("", "{arch}.attention.max_alibi_bias", 8.0));
    s.n_expert = cfg.int_or("num_local_experts", "{arch}.expert_count", 0, 0);
    s.n_expert_used = cfg.int_or("num_experts_per_tok", "{arch}.expert_used_count", 0, 0);
    s.act = activation_named(cfg, k.act, spec.act);
    const nlohmann::json *use_window = cfg.hf("use_sliding_window");
    if (!(use_window && use_window->is_boolean() && !use_window->get<bool>()))
        s.sliding_window = cfg.int_or("sliding_window", "{arch}.attention.sliding_window", 0, 0);
    return s;
}

// ---- weights ---------------------------------------------------------------------------------

struct Linear {
    Matrix w;
    const float *b = nullptr;
    std::string name;       // as the weight store keeps it
    std::string bias_name;  // the same for b
};

struct Norm {
    const float *w = nullptr;
    const float *b = nullptr;
    std::string w_name, b_name;  // as the weight store keeps them
};

struct Expert {
    Linear gate, up, down;
};

struct Layer {
    Norm attn_norm, mlp_norm, ffn_norm;
    Linear qkv, q, k, v, o;
    Linear gate, up, down;
    Matrix router;
    std::vector<Expert> experts;
};

class Decoder final : public Architecture {
public:
    Decoder(const Checkpoint &ckpt, WeightStore &weights, DecoderSpec spec)
        : store_(weights), spec_(std::move(spec)), names_(ckpt, spec_.names),
          tp_(weights.options().tensor_parallel) {
        const ConfigReader cfg(ckpt);
        const TensorView *embd = ckpt.find(names_.weight(Role::TokenEmbd).name);
        s_ = read_settings(cfg, spec_, embd && !embd->shape.empty() ? embd->shape[0] : 0);
        if (spec_.configure) {
            spec_.configure(cfg, spec_, s_);
            names_ = TensorNames(ckpt, spec_.names);
        }
        hp_ = s_.hp;
        hp_.family = ckpt.architecture;
        validate(cfg);
        check_against_tensors(ckpt, cfg);
        share_.heads = split_heads(hp_.n_head, hp_.n_head_kv, tp_.rank(), tp_.size());
        share_.ff = {0, hp_.n_ff};  // cut once the first down projection shows its groups
        if (cfg.is_gguf() && spec_.gguf_qk_interleaved) spec_.pairing = RopePairing::Interleaved;
        // Loading checks each tensor's size against its type before anything is sized from the
        // settings alone (the rope table, the ALiBi slopes).
        load_weights();
        if (spec_.positions == PositionKind::Rope) {
            inv_freq_ = rope_inverse_frequencies(s_.rope_theta, s_.rot_dims, s_.rope_scaling);
            if (cfg.is_gguf() && store_.has("rope_freqs.weight")) {
                // GGUF keeps Llama 3.1 frequency scaling as per-dimension divisors.
                const float *factors = store_.vector("rope_freqs.weight", s_.rot_dims / 2);
                for (size_t i = 0; i < inv_freq_.size(); ++i) inv_freq_[i] /= factors[i];
            }
        }
        if (spec_.positions == PositionKind::Alibi) alibi_ = alibi_slopes(hp_.n_head, s_.alibi_max_bias);
    }

    size_t workspace_floats(int64_t n_batch, int64_t n_ctx, int n_threads) const override {
        const int64_t q_dim = hp_.n_head * hp_.head_dim, kv = kv_dim();
        const int64_t per_token =
            7 * hp_.n_embd + 2 * (q_dim + 2 * kv) + q_dim + 3 * hp_.n_ff + s_.rot_dims + s_.n_expert + 2;
        return static_cast<size_t>(n_batch * per_token + n_threads * (n_ctx + hp_.head_dim) + 64);
    }

    int64_t kv_dim() const override { return share_.heads.kv.size() * hp_.head_dim; }

    uint64_t decode_read_bytes() const override {
        // Every weight once, but one row of each embedding table (all of the token table when
        // the output head is the same matrix: then the store counted it once, as the head, of
        // which this rank reads its rows), and of the experts only the share a token uses.
        uint64_t bytes = store_.weight_bytes();
        if (!tied_output_)
            bytes -= tok_embd_.nbytes() - tok_embd_.type->row_bytes(hp_.n_embd);
        else
            bytes -= tok_embd_.nbytes() - output_.w.nbytes();
        if (pos_embd_.data) bytes -= pos_embd_.nbytes() - pos_embd_.type->row_bytes(hp_.n_embd);
        if (s_.n_expert > 0) {
            uint64_t experts = 0;
            for (const Layer &L : layers_)
                for (const Expert &e : L.experts) experts += e.gate.w.nbytes() + e.up.w.nbytes() + e.down.w.nbytes();
            bytes -= experts / static_cast<uint64_t>(s_.n_expert) * static_cast<uint64_t>(s_.n_expert - s_.n_expert_used);
        }
        return bytes;
    }

    void forward(const ForwardBatch &batch, KvCache &cache, float *ws, ThreadPool &pool,
                 float *logits) const override;
    void embed(const ForwardBatch &batch, float *x) const override;
    void forward_block(int64_t layer, const ForwardBatch &batch, KvCache &cache, float *x, float *ws,
                       ThreadPool &pool) const override;
    std::vector<BlockLinear> block_linears(int64_t layer) override;
    void final_norm(const float *x, int64_t n, float *out) const override { norm(out_norm_, x, out, n, nullptr); }
    BlockLinear output_linear() override { return {Tap::BlockOutput, output_.name, tied_output_ ? nullptr : &output_.w}; }
    bool scale_block_input(int64_t layer, Tap tap, const float *inv_scale) override;
    void shift_cached_keys(KvCache &cache, int64_t first, int64_t n, int64_t delta) const override;

private:
    struct Buffers {
        float *x, *h, *h2, *a, *m, *ein, *eout, *qkv, *q, *k, *v, *att, *f1, *f2, *cos, *sin, *router, *scratch;
    };
    Buffers carve(float *ws, int64_t n) const {
        const int64_t d = hp_.n_embd, q_dim = hp_.n_head * hp_.head_dim, kv = kv_dim();
        Buffers b;
        float *p = ws;
        auto take = [&](int64_t count) {
            float *r = p;
            p += count;
            return r;
        };
        b.x = take(n * d);
        b.h = take(n * d);
        b.h2 = take(n * d);
        b.a = take(n * d);
        b.m = take(n * d);
        b.ein = take(n * d);
        b.eout = take(n * d);
        b.qkv = take(n * (q_dim + 2 * kv));
        b.q = take(n * q_dim);
        b.k = take(n * kv);
        b.v = take(n * kv);
        b.att = take(n * q_dim);
        b.f1 = take(n * 2 * hp_.n_ff);
        b.f2 = take(n * hp_.n_ff);
        b.cos = take(n * (s_.rot_dims / 2));
        b.sin = take(n * (s_.rot_dims / 2));
        b.router = take(n * s_.n_expert + 1);
        b.scratch = take(0);
        return b;
    }

    void validate(const ConfigReader &cfg) const;
    void check_against_tensors(const Checkpoint &ckpt, const ConfigReader &cfg) const;
    void load_weights();
    Matrix matrix(const TensorRef &ref, int64_t rows, int64_t cols);
    const float *vector(const TensorRef &ref, int64_t n);
    Norm norm_weights(Role role, int64_t layer, bool required);
    Linear linear(Role role, int64_t layer, int64_t rows, int64_t cols, int64_t expert = -1);
    int64_t kv_heads_width() const { return hp_.n_head_kv * hp_.head_dim; }  // every kv head's
    void shard_block(Layer &L);
    void keep_rows(Linear &l, const std::vector<IndexRange> &rows);
    void keep_cols(Linear &l, IndexRange cols);

    void column_parallel(const Linear &l, const float *in, int64_t m, float *out, ThreadPool &pool, Profiler *prof,
                         ProfileOp role) const;
    void column_parallel_group(const Linear *const *ls, float *const *outs, int count, const float *in, int64_t m,
                               ThreadPool &pool, Profiler *prof, ProfileOp role) const;
    void row_parallel(const Linear &l, const float *in, int64_t m, float *out, ThreadPool &pool, Profiler *prof,
                      ProfileOp role) const;
    void output_head(const float *in, int64_t m, float *logits, ThreadPool &pool, Profiler *prof) const;
    void all_reduce(float *x, int64_t count, Profiler *prof) const;

    void norm(const Norm &w, const float *in, float *out, int64_t n, Profiler *prof) const;
    void rope_table(const ForwardBatch &batch, const Buffers &b) const;
    void block(int64_t il, const Buffers &b, const ForwardBatch &batch, KvCache &cache, ThreadPool &pool) const;
    void attention(const Layer &L, int64_t il, const float *in, const Buffers &b, const ForwardBatch &batch,
                   KvCache &cache, ThreadPool &pool) const;
    void mlp(const Layer &L, int64_t il, const float *in, float *out, const Buffers &b, const ForwardBatch &batch,
             ThreadPool &pool) const;
    void experts(const Layer &L, const float *in, float *out, const Buffers &b, int64_t n, ThreadPool &pool,
                 Profiler *prof) const;

    WeightStore &store_;
    DecoderSpec spec_;
    TensorNames names_;
    TensorParallel tp_;
    // This rank's share of every block: all of it in a single process.
    struct Share {
        HeadShare heads;
        IndexRange ff;
    } share_;
    DecoderSettings s_;
    std::vector<Layer> layers_;
    Matrix tok_embd_, pos_embd_;
    Norm embd_norm_, out_norm_;
    Linear output_;
    bool tied_output_ = false;  // the output head is the token embedding table
    std::vector<double> inv_freq_;
    std::vector<float> alibi_;
};

// ---- checks ----------------------------------------------------------------------------------

void Decoder::validate(const ConfigReader &cfg) const {
    const HfKeys &k = spec_.keys;
    require(hp_.n_ff > 0, Status::Format, cfg.setting(k.ff, "{arch}.feed_forward_length") + " is missing");
    require(hp_.n_head % hp_.n_head_kv == 0, Status::Format,
            cfg.setting(k.kv_heads, "{arch}.attention.head_count_kv") + " (" + std::to_string(hp_.n_head_kv) +
                ") does not divide " + cfg.key(k.heads, "{arch}.attention.head_count") + " (" +
                std::to_string(hp_.n_head) + ")");
    if (spec_.positions == PositionKind::Rope) {
        require(hp_.head_dim % 2 == 0, Status::Format,
                cfg.setting(k.head_dim, "{arch}.attention.key_length") + " must be even, not " +
                    std::to_string(hp_.head_dim));
        const std::string rot_key = cfg.is_gguf() ? cfg.setting("", "{arch}.rope.dimension_count")
                                                  : cfg.setting(*k.rotary_dims ? k.rotary_dims : k.rotary_fraction, "");
        require(s_.rot_dims > 0 && s_.rot_dims <= hp_.head_dim && s_.rot_dims % 2 == 0, Status::Format,
                rot_key + " gives " + std::to_string(s_.rot_dims) +
                    " rotated dimensions: they must be even and at most the head size");
    }
    if (spec_.mlp == MlpKind::Experts)
        require(s_.n_expert > 0 && s_.n_expert_used > 0 && s_.n_expert_used <= s_.n_expert, Status::Format,
                cfg.file() + ": the number of experts (" + std::to_string(s_.n_expert) + ") and experts per token (" +
                    std::to_string(s_.n_expert_used) + ") are not a valid pair");
}

// The settings against the shapes of the first layer's tensors, the embedding and the layer
// count, each mismatch naming the setting, before anything is sized from them. The products
// (q and kv widths) are checked for overflow first: they are only meaningful once they are.
void Decoder::check_against_tensors(const Checkpoint &ckpt, const ConfigReader &cfg) const {
    const HfKeys &k = spec_.keys;
    const std::string heads = cfg.key(k.heads, "{arch}.attention.head_count");
    const std::string kv_heads = cfg.key(k.kv_heads, "{arch}.attention.head_count_kv");
    const std::string head_dim = cfg.key(k.head_dim, "{arch}.attention.key_length");
    const std::string hidden = cfg.key(k.hidden, "{arch}.embedding_length");
    const std::string ff = cfg.key(k.ff, "{arch}.feed_forward_length");
    int64_t q_dim = 0, kv = 0;
    require(checked_mul(hp_.n_head, hp_.head_dim, q_dim) && q_dim <= kMaxConfigInt, Status::Format,
            cfg.file() + ": " + heads + " times " + head_dim + " is too large");
    require(checked_mul(hp_.n_head_kv, hp_.head_dim, kv) && kv <= kMaxConfigInt, Status::Format,
            cfg.file() + ": " + kv_heads + " times " + head_dim + " is too large");
    require(hp_.n_ff <= kMaxConfigInt / 2, Status::Format, cfg.file() + ": " + ff + " is too large");
    auto expect = [&](const TensorRef &ref, int64_t rows, int64_t cols, const std::string &keys) {
        // A GPTQ/AWQ Linear has P.qweight... instead of P.weight: the [out, in] shape its tensors
        // imply, whatever layout an unquantized one would have in the file.
        const std::string quantized = store_.hf_quantized_prefix(ref.name);
        const std::vector<int64_t> shape =
            quantized.empty() ? file_shape(ref.transform, rows, cols) : std::vector<int64_t>{rows, cols};
        const std::vector<int64_t> actual =
            quantized.empty() ? ckpt.get(ref.name).shape : hf_quantized_linear_shape(ckpt, quantized);
        require(same_shape(actual, shape), Status::Format,
                cfg.file() + ": " + keys + " do not match tensor '" + ref.name + "': it has shape " +
                    shape_to_string(actual) + ", the settings give " + shape_to_string(shape));
    };
    expect(names_.weight(Role::TokenEmbd), hp_.n_vocab, hp_.n_embd,
           cfg.key(k.vocab, "{arch}.vocab_size") + " and " + hidden);
    if (spec_.fused_qkv) {
        expect(names_.weight(Role::Qkv, 0), q_dim + 2 * kv, hp_.n_embd,
               heads + ", " + kv_heads + ", " + head_dim + " and " + hidden);
    } else {
        expect(names_.weight(Role::Q, 0), q_dim, hp_.n_embd, heads + ", " + head_dim + " and " + hidden);
        expect(names_.weight(Role::K, 0), kv, hp_.n_embd, kv_heads + ", " + head_dim + " and " + hidden);
    }
    if (spec_.mlp == MlpKind::Experts)
        expect(names_.weight(Role::ExpertUp, 0, 0), hp_.n_ff, hp_.n_embd, ff + " and " + hidden);
    else if (spec_.mlp == MlpKind::Gated && !spec_.fused_gate_up)
        expect(names_.weight(Role::Gate, 0), hp_.n_ff, hp_.n_embd, ff + " and " + hidden);
    else
        expect(names_.weight(Role::Up, 0), (spec_.fused_gate_up ? 2 : 1) * hp_.n_ff, hp_.n_embd, ff + " and " + hidden);
    const std::string layers = cfg.setting(k.layers, "{arch}.block_count");
    const std::string last = names_.weight(Role::AttnNorm, hp_.n_layer - 1).name;
    const std::string next = names_.weight(Role::AttnNorm, hp_.n_layer).name;
    require(ckpt.find(last) != nullptr, Status::Format,
            layers + " is " + std::to_string(hp_.n_layer) + " but there is no tensor '" + last + "'");
    require(ckpt.find(next) == nullptr, Status::Format,
            layers + " is " + std::to_string(hp_.n_layer) + " but there is a tensor '" + next + "'");
    if (spec_.mlp == MlpKind::Experts && cfg.is_gguf())
        fail(Status::Unsupported, cfg.file() + ": mixture-of-experts GGUF files (merged expert tensors) are not "
                                                 "supported yet; load the Hugging Face checkpoint");
}

// ---- loading ---------------------------------------------------------------------------------

Matrix Decoder::matrix(const TensorRef &ref, int64_t rows, int64_t cols) {
    if (ref.transform == Transform::None) return store_.matrix(ref.name, rows, cols);
    const Transform t = ref.transform;
    const QkvShape qkv{hp_.n_head, hp_.n_head_kv, hp_.head_dim};
    Rearranged how{file_shape(t, rows, cols),
                   [=](const float *in, float *out) { rearrange(t, qkv, rows, cols, in, out); }, ref.canonical_name};
    return store_.matrix(ref.name, rows, cols, how);
}

const float *Decoder::vector(const TensorRef &ref, int64_t n) {
    if (ref.transform == Transform::None) return store_.vector(ref.name, n);
    const Transform t = ref.transform;
    const QkvShape qkv{hp_.n_head, hp_.n_head_kv, hp_.head_dim};
    Rearranged how{file_shape(t, n, 1), [=](const float *in, float *out) { rearrange(t, qkv, n, 1, in, out); },
                   ref.canonical_name};
    return store_.vector(ref.name, n, how);
}

Norm Decoder::norm_weights(Role role, int64_t layer, bool required) {
    Norm n;
    if (!required && !names_.has_weight(role, layer)) return n;
    const TensorRef w = names_.weight(role, layer);
    n.w = vector(w, hp_.n_embd);
    n.w_name = w.transform == Transform::None ? w.name : w.canonical_name;
    if (names_.has_bias(role, layer)) {
        const TensorRef b = names_.bias(role, layer);
        n.b = vector(b, hp_.n_embd);
        n.b_name = b.transform == Transform::None ? b.name : b.canonical_name;
    }
    return n;
}

Linear Decoder::linear(Role role, int64_t layer, int64_t rows, int64_t cols, int64_t expert) {
    Linear l;
    const TensorRef ref = names_.weight(role, layer, expert);
    l.w = matrix(ref, rows, cols);
    l.name = ref.transform == Transform::None ? ref.name : ref.canonical_name;
    if (expert < 0 && names_.has_bias(role, layer)) {
        const TensorRef b = names_.bias(role, layer);
        l.b = vector(b, rows);
        l.bias_name = b.transform == Transform::None ? b.name : b.canonical_name;
    }
    return l;
}

void Decoder::load_weights() {
    const int64_t d = hp_.n_embd, q_dim = hp_.n_head * hp_.head_dim, kv = kv_heads_width(), ff = hp_.n_ff;
    tok_embd_ = matrix(names_.weight(Role::TokenEmbd), hp_.n_vocab, d);
    // Rows are looked up by unpacking them, which an input permutation (act-order GPTQ) would scramble.
    require(tok_embd_.in_perm == nullptr, Status::Unsupported,
            store_.checkpoint().path + ": the token embedding is an act-order GPTQ tensor, which is not supported");
    if (spec_.positions == PositionKind::Learned) {
        const TensorRef ref = names_.weight(Role::PosEmbd);
        const TensorView *t = store_.has(ref.name) ? &store_.checkpoint().get(ref.name) : nullptr;
        const int64_t rows = t && !t->shape.empty() ? t->shape[0] : 0;
        require(rows > spec_.position_offset, Status::Format,
                store_.checkpoint().path + ": the position embedding '" + ref.name + "' is missing or empty");
        pos_embd_ = matrix(ref, rows, d);
        hp_.max_positions = rows - spec_.position_offset;
        hp_.n_ctx_train = std::min(hp_.n_ctx_train, hp_.max_positions);
    }
    embd_norm_ = norm_weights(Role::EmbdNorm, -1, false);
    out_norm_ = norm_weights(Role::OutputNorm, -1, true);
    // The output head is split by vocabulary rows (its bias stays whole: it is added to the
    // gathered logits).
    const IndexRange vocab = split_evenly(hp_.n_vocab, tp_.rank(), tp_.size());
    if (names_.has_weight(Role::Output)) {
        output_ = linear(Role::Output, -1, hp_.n_vocab, d);
        if (tp_.sharded()) output_.w = store_.keep_part(output_.name, output_.w, {vocab}, {0, d});
    } else {
        tied_output_ = true;
        output_.w = tok_embd_;  // the embedding needs every row: the head reads this rank's in place
        output_.w.rows = vocab.size();
        output_.w.data = vocab.size() > 0 ? tok_embd_.row(vocab.begin) : tok_embd_.data;
    }
    layers_.resize(static_cast<size_t>(hp_.n_layer));
    for (int64_t i = 0; i < hp_.n_layer; ++i) {
        Layer &L = layers_[static_cast<size_t>(i)];
        L.attn_norm = norm_weights(Role::AttnNorm, i, true);
        L.mlp_norm = norm_weights(Role::MlpNorm, i, false);
        L.ffn_norm = norm_weights(Role::FfnNorm, i, !spec_.parallel);
        if (spec_.fused_qkv) {
            L.qkv = linear(Role::Qkv, i, q_dim + 2 * kv, d);
        } else {
            L.q = linear(Role::Q, i, q_dim, d);
            L.k = linear(Role::K, i, kv, d);
            L.v = linear(Role::V, i, kv, d);
        }
        L.o = linear(Role::AttnOut, i, d, q_dim);
        if (spec_.mlp == MlpKind::Experts) {
            L.router = matrix(names_.weight(Role::Router, i), s_.n_expert, d);
            for (int64_t e = 0; e < s_.n_expert; ++e)
                L.experts.push_back({linear(Role::ExpertGate, i, ff, d, e), linear(Role::ExpertUp, i, ff, d, e),
                                     linear(Role::ExpertDown, i, d, ff, e)});
        } else {
            if (spec_.mlp == MlpKind::Gated && !spec_.fused_gate_up) L.gate = linear(Role::Gate, i, ff, d);
            L.up = linear(Role::Up, i, (spec_.fused_gate_up ? 2 : 1) * ff, d);
            L.down = linear(Role::Down, i, d, ff);
        }
        if (tp_.sharded()) shard_block(L);
    }
}

// Column-parallel matrices keep this rank's output rows, row-parallel ones (the output
// projections) the input columns that those rows produce.
void Decoder::shard_block(Layer &L) {
    const int64_t hd = hp_.head_dim, q_dim = hp_.n_head * hd, kv = kv_heads_width(), ff = hp_.n_ff;
    const IndexRange q{share_.heads.q.begin * hd, share_.heads.q.end * hd};
    const IndexRange k{share_.heads.kv.begin * hd, share_.heads.kv.end * hd};
    if (spec_.fused_qkv) {
        keep_rows(L.qkv, {q, {q_dim + k.begin, q_dim + k.end}, {q_dim + kv + k.begin, q_dim + kv + k.end}});
    } else {
        keep_rows(L.q, {q});
        keep_rows(L.k, {k});
        keep_rows(L.v, {k});
    }
    keep_cols(L.o, q);
    const Matrix &first_down = L.experts.empty() ? L.down.w : L.experts.front().down.w;
    if (share_.ff.size() == hp_.n_ff)
        share_.ff = split_on_steps(ff, first_down.type->column_step(ff), tp_.rank(), tp_.size());
    const IndexRange f = share_.ff;
    for (Expert &e : L.experts) {
        keep_rows(e.gate, {f});
        keep_rows(e.up, {f});
        keep_cols(e.down, f);
    }
    if (!L.experts.empty()) return;
    if (L.gate.w.data) keep_rows(L.gate, {f});
    if (spec_.fused_gate_up)
        keep_rows(L.up, {f, {ff + f.begin, ff + f.end}});
    else
        keep_rows(L.up, {f});
    keep_cols(L.down, f);
}

void Decoder::keep_rows(Linear &l, const std::vector<IndexRange> &rows) {
    l.w = store_.keep_part(l.name, l.w, rows, {0, l.w.cols});
    if (l.b) l.b = store_.keep_vector_part(l.bias_name, l.b, rows);
}

// The bias of a row-parallel product is added once, to the sum: it stays whole.
void Decoder::keep_cols(Linear &l, IndexRange cols) { l.w = store_.keep_part(l.name, l.w, {{0, l.w.rows}}, cols); }

// ---- forward ---------------------------------------------------------------------------------

// A product whose output features this rank owns (all of them in a single process): local.
void Decoder::column_parallel(const Linear &l, const float *in, int64_t m, float *out, ThreadPool &pool,
                              Profiler *prof, ProfileOp role) const {
    {
        ProfileScope scope(prof, role, prof ? l.w.nbytes() : 0);
        matmul(l.w, in, m, out, pool);
    }
    if (l.b) {
        ProfileScope scope(prof, ProfileOp::Elementwise);
        add_bias(out, l.b, m, l.w.rows);
    }
}

void Decoder::column_parallel_group(const Linear *const *ls, float *const *outs, int count, const float *in, int64_t m,
                                    ThreadPool &pool, Profiler *prof, ProfileOp role) const {
    MatmulOutput group[3];
    uint64_t bytes = 0;
    for (int i = 0; i < count; ++i) {
        group[i] = {&ls[i]->w, outs[i]};
        bytes += prof ? ls[i]->w.nbytes() : 0;
    }
    {
        ProfileScope scope(prof, role, bytes);
        matmul_group(group, count, in, m, pool);
    }
    ProfileScope scope(prof, ProfileOp::Elementwise);
    for (int i = 0; i < count; ++i)
        if (ls[i]->b) add_bias(outs[i], ls[i]->b, m, ls[i]->w.rows);
}

// A product over this rank's input features: partial sums, added up across the ranks before
// the bias (whole on every rank) is added once.
void Decoder::row_parallel(const Linear &l, const float *in, int64_t m, float *out, ThreadPool &pool, Profiler *prof,
                           ProfileOp role) const {
    {
        ProfileScope scope(prof, role, prof ? l.w.nbytes() : 0);
        matmul(l.w, in, m, out, pool);
    }
    all_reduce(out, m * l.w.rows, prof);
    if (l.b) {
        ProfileScope scope(prof, ProfileOp::Elementwise);
        add_bias(out, l.b, m, l.w.rows);
    }
}

void Decoder::all_reduce(float *x, int64_t count, Profiler *prof) const {
    if (!tp_.sharded()) return;
    ProfileScope scope(prof, ProfileOp::Collective);
    tp_.all_reduce(x, count);
}

void Decoder::output_head(const float *in, int64_t m, float *logits, ThreadPool &pool, Profiler *prof) const {
    {
        ProfileScope scope(prof, ProfileOp::MatmulOutput, prof ? output_.w.nbytes() : 0);
        tp_.gathered_matmul(output_.w, hp_.n_vocab, in, m, logits, pool);
    }
    if (output_.b) {
        ProfileScope scope(prof, ProfileOp::Elementwise);
        add_bias(logits, output_.b, m, hp_.n_vocab);
    }
}

void tap(const ForwardBatch &batch, Tap point, int64_t layer, const float *x, int64_t width) {
    if (batch.taps) batch.taps->observe(point, layer, x, batch.n, width);
}

void Decoder::norm(const Norm &w, const float *in, float *out, int64_t n, Profiler *prof) const {
    ProfileScope scope(prof, ProfileOp::Norm);
    if (spec_.norm == NormKind::Rms)
        rms_norm(in, w.w, out, n, hp_.n_embd, s_.norm_eps);
    else
        layer_norm(in, w.w, w.b, out, n, hp_.n_embd, s_.norm_eps);
}

void Decoder::attention(const Layer &L, int64_t il, const float *in, const Buffers &b, const ForwardBatch &batch,
                        KvCache &cache, ThreadPool &pool) const {
    // This rank's heads (every head in a single process).
    const int64_t n_head = share_.heads.q.size(), n_head_kv = share_.heads.kv.size();
    const int64_t n = batch.n, q_dim = n_head * hp_.head_dim, kv = kv_dim();
    Profiler *prof = batch.profiler;
    tap(batch, Tap::AttnInput, il, in, hp_.n_embd);
    if (spec_.fused_qkv) {
        column_parallel(L.qkv, in, n, b.qkv, pool, prof, ProfileOp::MatmulAttnQkv);
        ProfileScope scope(prof, ProfileOp::Elementwise);
        const int64_t width = q_dim + 2 * kv;
        for (int64_t t = 0; t < n; ++t) {
            const float *row = b.qkv + t * width;
            std::copy(row, row + q_dim, b.q + t * q_dim);
            std::copy(row + q_dim, row + q_dim + kv, b.k + t * kv);
            std::copy(row + q_dim + kv, row + width, b.v + t * kv);
        }
    } else {
        const Linear *ls[] = {&L.q, &L.k, &L.v};
        float *const outs[] = {b.q, b.k, b.v};
        column_parallel_group(ls, outs, 3, in, n, pool, prof, ProfileOp::MatmulAttnQkv);
    }
    if (spec_.positions == PositionKind::Rope) {
        ProfileScope scope(prof, ProfileOp::Rope);
        apply_rope(b.q, n, n_head, hp_.head_dim, s_.rot_dims, spec_.pairing, b.cos, b.sin);
        apply_rope(b.k, n, n_head_kv, hp_.head_dim, s_.rot_dims, spec_.pairing, b.cos, b.sin);
    }
    {
        ProfileScope scope(prof, ProfileOp::KvStore);
        if (batch.seq_ids) {
            for (int64_t t = 0; t < n; ++t)
                cache.store(il, batch.positions[t], 1, b.k + t * kv, b.v + t * kv, batch.seq_ids[t]);
        } else {
            cache.store(il, batch.pos, n, b.k, b.v);
        }
    }
    AttentionShape shape{n_head, n_head_kv, hp_.head_dim, 1.0f / std::sqrt(static_cast<float>(hp_.head_dim))};
    shape.alibi = alibi_.empty() ? nullptr : alibi_.data() + share_.heads.q.begin;
    shape.window = s_.sliding_window;
    {
        ProfileScope scope(prof, ProfileOp::Attention);
        if (batch.seq_ids)
            multi_sequence_attention(b.q, cache, il, batch.seq_ids, batch.positions, b.att, n, shape, b.scratch, pool);
        else
            causal_attention(b.q, cache.layer(il), b.att, n, batch.pos, shape, b.scratch, pool);
    }
    tap(batch, Tap::AttnOutInput, il, b.att, q_dim);
    row_parallel(L.o, b.att, n, b.a, pool, prof, ProfileOp::MatmulAttnOutput);
}

void Decoder::mlp(const Layer &L, int64_t il, const float *in, float *out, const Buffers &b,
                  const ForwardBatch &batch, ThreadPool &pool) const {
    const int64_t n = batch.n, ff = share_.ff.size();  // this rank's hidden features
    Profiler *prof = batch.profiler;
    tap(batch, Tap::MlpInput, il, in, hp_.n_embd);
    if (spec_.mlp == MlpKind::Experts) {
        experts(L, in, out, b, n, pool, prof);
        return;
    }
    float *hidden = b.f1;
    if (spec_.mlp == MlpKind::Plain) {
        column_parallel(L.up, in, n, b.f1, pool, prof, ProfileOp::MatmulFfnGateUp);
        ProfileScope scope(prof, ProfileOp::Elementwise);
        activate(s_.act, b.f1, n * ff);
    } else if (spec_.fused_gate_up) {
        column_parallel(L.up, in, n, b.f1, pool, prof, ProfileOp::MatmulFfnGateUp);
        ProfileScope scope(prof, ProfileOp::Elementwise);
        for (int64_t t = 0; t < n; ++t) act_mul(s_.act, b.f1 + t * 2 * ff, b.f1 + t * 2 * ff + ff, b.f2 + t * ff, ff);
        hidden = b.f2;
    } else {
        const Linear *ls[] = {&L.gate, &L.up};
        float *const outs[] = {b.f1, b.f2};
        column_parallel_group(ls, outs, 2, in, n, pool, prof, ProfileOp::MatmulFfnGateUp);
        ProfileScope scope(prof, ProfileOp::Elementwise);
        act_mul(s_.act, b.f1, b.f2, b.f1, n * ff);
    }
    tap(batch, Tap::DownInput, il, hidden, ff);
    row_parallel(L.down, hidden, n, out, pool, prof, ProfileOp::MatmulFfnDown);
}

// Mixture of experts: each token goes to the top n_expert_used experts of the router, weighted
// by a softmax over the chosen logits (Mixtral); each expert runs once over its tokens.
void Decoder::experts(const Layer &L, const float *in, float *out, const Buffers &b, int64_t n, ThreadPool &pool,
                      Profiler *prof) const {
    // The router runs whole on every rank (the same choice everywhere); each expert on this
    // rank's hidden features, its partial outputs added up across the ranks once at the end.
    const int64_t d = hp_.n_embd, ff = share_.ff.size(), n_exp = s_.n_expert, k = s_.n_expert_used;
    {
        ProfileScope scope(prof, ProfileOp::MatmulFfnGateUp, prof ? L.router.nbytes() : 0);
        matmul(L.router, in, n, b.router, pool);
    }
    std::vector<std::vector<std::pair<int64_t, float>>> chosen(static_cast<size_t>(n_exp));  // (token, weight)
    std::vector<int64_t> order(static_cast<size_t>(n_exp));
    for (int64_t t = 0; t < n; ++t) {
        const float *logit = b.router + t * n_exp;
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + k, order.end(),
                          [&](int64_t a, int64_t c) { return logit[a] > logit[c] || (logit[a] == logit[c] && a < c); });
        double sum = 0.0;
        for (int64_t j = 0; j < k; ++j) sum += std::exp(static_cast<double>(logit[order[j]] - logit[order[0]]));
        for (int64_t j = 0; j < k; ++j) {
            const double w = std::exp(static_cast<double>(logit[order[j]] - logit[order[0]])) / sum;
            chosen[static_cast<size_t>(order[j])].push_back({t, static_cast<float>(w)});
        }
    }
    std::fill(out, out + n * d, 0.0f);
    for (int64_t e = 0; e < n_exp; ++e) {
        const auto &tokens = chosen[static_cast<size_t>(e)];
        if (tokens.empty()) continue;
        const int64_t m = static_cast<int64_t>(tokens.size());
        for (int64_t i = 0; i < m; ++i)
            std::copy(in + tokens[i].first * d, in + (tokens[i].first + 1) * d, b.ein + i * d);
        const Expert &E = L.experts[static_cast<size_t>(e)];
        const MatmulOutput gate_up[] = {{&E.gate.w, b.f1}, {&E.up.w, b.f2}};
        {
            ProfileScope scope(prof, ProfileOp::MatmulFfnGateUp, prof ? E.gate.w.nbytes() + E.up.w.nbytes() : 0);
            matmul_group(gate_up, 2, b.ein, m, pool);
        }
        act_mul(s_.act, b.f1, b.f2, b.f1, m * ff);
        {
            ProfileScope scope(prof, ProfileOp::MatmulFfnDown, prof ? E.down.w.nbytes() : 0);
            matmul(E.down.w, b.f1, m, b.eout, pool);
        }
        for (int64_t i = 0; i < m; ++i) {
            float *o = out + tokens[i].first * d;
            const float w = tokens[i].second;
            for (int64_t c = 0; c < d; ++c) o[c] += w * b.eout[i * d + c];
        }
    }
    all_reduce(out, n * d, prof);
}

void Decoder::embed(const ForwardBatch &batch, float *x) const {
    const int64_t n = batch.n, d = hp_.n_embd;
    Profiler *prof = batch.profiler;
    {
        const uint64_t rows_bytes = prof ? static_cast<uint64_t>(n) * tok_embd_.type->row_bytes(d) : 0;
        ProfileScope scope(prof, ProfileOp::Embedding, rows_bytes);
        for (int64_t t = 0; t < n; ++t) tok_embd_.type->unpack_row(tok_embd_.row(batch.tokens[t]), d, x + t * d);
        if (spec_.scale_embeddings) {
            const float scale = std::sqrt(static_cast<float>(d));
            for (int64_t i = 0; i < n * d; ++i) x[i] *= scale;
        }
        if (pos_embd_.data) {
            std::vector<float> row(static_cast<size_t>(d));
            for (int64_t t = 0; t < n; ++t) {
                pos_embd_.type->unpack_row(pos_embd_.row(batch.position(t) + spec_.position_offset), d, row.data());
                add_inplace(x + t * d, row.data(), d);
            }
        }
    }
    if (embd_norm_.w) norm(embd_norm_, x, x, n, prof);
}

void Decoder::rope_table(const ForwardBatch &batch, const Buffers &b) const {
    if (inv_freq_.empty()) return;
    ProfileScope scope(batch.profiler, ProfileOp::Rope);
    if (!batch.positions) {
        rope_angles(inv_freq_, batch.pos, batch.n, b.cos, b.sin);
        return;
    }
    const int64_t half = s_.rot_dims / 2;
    for (int64_t t = 0; t < batch.n; ++t)
        rope_angles(inv_freq_, batch.positions[t], 1, b.cos + t * half, b.sin + t * half);
}

void Decoder::block(int64_t il, const Buffers &b, const ForwardBatch &batch, KvCache &cache, ThreadPool &pool) const {
    const int64_t n = batch.n, d = hp_.n_embd;
    Profiler *prof = batch.profiler;
    const Layer &L = layers_[static_cast<size_t>(il)];
    norm(L.attn_norm, b.x, b.h, n, prof);
    attention(L, il, b.h, b, batch, cache, pool);
    if (spec_.parallel) {
        // The MLP reads the block's input too: through its own norm, or the attention's.
        const Norm &own = L.mlp_norm.w ? L.mlp_norm : L.ffn_norm;
        const float *mlp_in = b.h;
        if (own.w) {
            norm(own, b.x, b.h2, n, prof);
            mlp_in = b.h2;
        }
        mlp(L, il, mlp_in, b.m, b, batch, pool);
        ProfileScope scope(prof, ProfileOp::Elementwise);
        add_inplace(b.x, b.a, n * d);
        add_inplace(b.x, b.m, n * d);
    } else {
        {
            ProfileScope scope(prof, ProfileOp::Elementwise);
            add_inplace(b.x, b.a, n * d);
        }
        norm(L.ffn_norm, b.x, b.h, n, prof);
        mlp(L, il, b.h, b.m, b, batch, pool);
        ProfileScope scope(prof, ProfileOp::Elementwise);
        add_inplace(b.x, b.m, n * d);
    }
    tap(batch, Tap::BlockOutput, il, b.x, d);
}

void Decoder::forward(const ForwardBatch &batch, KvCache &cache, float *ws, ThreadPool &pool, float *logits) const {
    const int64_t n = batch.n, d = hp_.n_embd;
    const Buffers b = carve(ws, n);
    embed(batch, b.x);
    rope_table(batch, b);
    for (int64_t il = 0; il < hp_.n_layer; ++il) block(il, b, batch, cache, pool);
    if (batch.all_logits && batch.logit_rows) {
        // The selected rows side by side, so the output head reads its weights once for them.
        if (batch.n_logit_rows == 0) return;
        for (int64_t r = 0; r < batch.n_logit_rows; ++r)
            std::copy(b.x + batch.logit_rows[r] * d, b.x + (batch.logit_rows[r] + 1) * d, b.a + r * d);
        norm(out_norm_, b.a, b.h, batch.n_logit_rows, batch.profiler);
        output_head(b.h, batch.n_logit_rows, logits, pool, batch.profiler);
        return;
    }
    const int64_t first = batch.all_logits ? 0 : n - 1;
    norm(out_norm_, b.x + first * d, b.h, n - first, batch.profiler);
    output_head(b.h, n - first, logits, pool, batch.profiler);
}

void Decoder::forward_block(int64_t layer, const ForwardBatch &batch, KvCache &cache, float *x, float *ws,
                            ThreadPool &pool) const {
    const Buffers b = carve(ws, batch.n);
    const int64_t count = batch.n * hp_.n_embd;
    std::copy(x, x + count, b.x);
    rope_table(batch, b);
    block(layer, b, batch, cache, pool);
    std::copy(b.x, b.x + count, x);
}

std::vector<BlockLinear> Decoder::block_linears(int64_t layer) {
    // A calibrating quantizer needs whole matrices (it loads its own model, never a sharded one).
    require(!tp_.sharded(), Status::Internal, "block_linears of a tensor-parallel model");
    Layer &L = layers_[static_cast<size_t>(layer)];
    std::vector<BlockLinear> out;
    auto add = [&](Tap tap, Linear &l) {
        if (l.w.data) out.push_back({tap, l.name, &l.w});
    };
    add(Tap::AttnInput, L.qkv);
    add(Tap::AttnInput, L.q);
    add(Tap::AttnInput, L.k);
    add(Tap::AttnInput, L.v);
    add(Tap::AttnOutInput, L.o);
    add(Tap::MlpInput, L.gate);
    add(Tap::MlpInput, L.up);
    add(Tap::DownInput, L.down);
    return out;
}

bool Decoder::scale_block_input(int64_t layer, Tap tap, const float *inv) {
    if (layer < 0 || layer >= hp_.n_layer) return false;
    Layer &L = layers_[static_cast<size_t>(layer)];
    const int64_t d = hp_.n_embd;
    auto scale_norm = [&](Norm &n) {
        if (!n.w) return false;
        if (!inv) return true;
        float *w = store_.replace_vector(n.w_name, n.w, d);
        for (int64_t c = 0; c < d; ++c) w[c] *= inv[c];
        n.w = w;
        if (n.b) {
            float *b = store_.replace_vector(n.b_name, n.b, d);
            for (int64_t c = 0; c < d; ++c) b[c] *= inv[c];
            n.b = b;
        }
        return true;
    };
    switch (tap) {
        case Tap::AttnInput:
            // A parallel block whose MLP reads the attention norm's output too cannot fold.
            if (spec_.parallel && !L.mlp_norm.w && !L.ffn_norm.w) return false;
            return scale_norm(L.attn_norm);
        case Tap::MlpInput:
            if (spec_.mlp == MlpKind::Experts) return false;  // the router reads it too
            if (spec_.parallel) return scale_norm(L.mlp_norm.w ? L.mlp_norm : L.ffn_norm);
            return scale_norm(L.ffn_norm);
        case Tap::DownInput: {
            Linear &up = L.up;
            if (spec_.mlp != MlpKind::Gated || !up.w.data || up.w.type->name() != "f32" || up.w.in_perm) return false;
            if (!inv) return true;
            const int64_t ff = hp_.n_ff, first = spec_.fused_gate_up ? ff : 0, cols = up.w.cols;
            AlignedBuffer<uint8_t> copy(up.w.nbytes());
            std::memcpy(copy.data(), up.w.data, up.w.nbytes());
            const size_t row_bytes = up.w.type->row_bytes(cols);
            for (int64_t r = 0; r < ff; ++r) {
                float *row = reinterpret_cast<float *>(copy.data() + static_cast<size_t>(first + r) * row_bytes);
                for (int64_t c = 0; c < cols; ++c) row[c] *= inv[r];
            }
            up.w = store_.replace(up.name, up.w, *up.w.type, std::move(copy));
            if (up.b) {
                float *b = store_.replace_vector(up.bias_name, up.b, up.w.rows);
                for (int64_t r = 0; r < ff; ++r) b[first + r] *= inv[r];
                up.b = b;
            }
            return true;
        }
        default:
            return false;
    }
}

// Rotating a key rotated for position p by delta's angles gives the key rotated for p + delta
// (each pair turns by pos * inv_freq), with the decoder's own inverse frequencies, so every
// pairing, partial rotary, scaling rule and GGUF rope_freqs table comes out as a fresh evaluation.
void Decoder::shift_cached_keys(KvCache &cache, int64_t first, int64_t n, int64_t delta) const {
    switch (spec_.positions) {
    case PositionKind::Alibi: return;  // the bias depends on the distance only: keys carry no position
    case PositionKind::Learned:
        fail(Status::Unsupported, hp_.family +
                                      " adds learned absolute position embeddings to its input, which every cached "
                                      "key and value depends on: they cannot be moved to other positions (use the "
                                      "re-evaluate mode)");
    case PositionKind::Rope: break;
    }
    if (n == 0) return;
    const int64_t half = s_.rot_dims / 2, kv = kv_dim();
    std::vector<float> cos(static_cast<size_t>(half)), sin(static_cast<size_t>(half));
    rope_angles(inv_freq_, delta, 1, cos.data(), sin.data());
    // In chunks, so the f32 copy stays small whatever the window.
    const int64_t chunk = std::min<int64_t>(n, 64);
    std::vector<float> rows(static_cast<size_t>(chunk * kv));
    for (int64_t il = 0; il < hp_.n_layer; ++il) {
        for (int64_t start = 0; start < n; start += chunk) {
            const int64_t m = std::min(chunk, n - start);
            cache.load_keys(il, first + start, m, rows.data());
            for (int64_t t = 0; t < m; ++t)
                apply_rope(rows.data() + t * kv, 1, share_.heads.kv.size(), hp_.head_dim, s_.rot_dims, spec_.pairing,
                           cos.data(), sin.data());
            cache.store_keys(il, first + start, m, rows.data());
        }
    }
}

}  // namespace

std::unique_ptr<Architecture> make_decoder(const Checkpoint &checkpoint, WeightStore &weights, DecoderSpec spec) {
    return std::make_unique<Decoder>(checkpoint, weights, std::move(spec));
}

}  // namespace llmrt
