// The Llama family: pre-RMSNorm blocks, RoPE, grouped-query attention, SwiGLU MLP; optional
// q/k/v biases (Qwen2), tied or untied output. Mistral and Qwen2 checkpoints use this block too.
#include <cmath>
#include <string>

#include "core/error.h"
#include "formats/checked_math.h"
#include "kernels/matmul.h"
#include "models/architecture.h"
#include "models/config_reader.h"
#include "models/ops.h"

namespace llmrt {
namespace {

struct LlamaLayer {
    const float *attn_norm = nullptr;
    Matrix wq, wk, wv, wo;
    const float *bq = nullptr, *bk = nullptr, *bv = nullptr;
    const float *ffn_norm = nullptr;
    Matrix gate, up, down;
};

// Tensor names in the two checkpoint forms.
struct Names {
    bool gguf;
    std::string layer(int64_t i, const char *hf, const char *gguf_name) const {
        return gguf ? "blk." + std::to_string(i) + "." + gguf_name
                    : "model.layers." + std::to_string(i) + "." + hf;
    }
};

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
    require(s.factor > 0.0, LLMRT_ERR_FORMAT, cfg.path() + "/config.json: rope_scaling.factor must be > 0");
    if (type == "linear") {
        s.kind = RopeScaling::Kind::Linear;
    } else if (type == "llama3") {
        s.kind = RopeScaling::Kind::Llama3;
        s.low_freq_factor = number("low_freq_factor", 1.0);
        s.high_freq_factor = number("high_freq_factor", 4.0);
        s.original_max_positions = number("original_max_position_embeddings", 8192.0);
        require(s.high_freq_factor != s.low_freq_factor, LLMRT_ERR_FORMAT,
                cfg.path() + "/config.json: rope_scaling low and high frequency factors are equal");
    } else if (!type.empty() && type != "default") {
        fail(LLMRT_ERR_UNSUPPORTED, cfg.path() + "/config.json: rope_scaling type '" + type + "' is not supported");
    }
    return s;
}

class Llama final : public Architecture {
public:
    // Every setting is checked against the tensors before anything is sized from it: a config
    // saying "head_dim": 1e9 must fail at once, not after allocating rope tables for it.
    Llama(const Checkpoint &ckpt, WeightStore &weights) : store_(weights) {
        const ConfigReader cfg(ckpt);
        const Names names{cfg.is_gguf()};
        hp_.family = cfg.string("model_type", "general.architecture").value_or("llama");
        hp_.n_embd = cfg.required_int("hidden_size", "{arch}.embedding_length");
        hp_.n_layer = cfg.required_int("num_hidden_layers", "{arch}.block_count");
        hp_.n_head = cfg.required_int("num_attention_heads", "{arch}.attention.head_count");
        hp_.n_head_kv = cfg.int_or("num_key_value_heads", "{arch}.attention.head_count_kv", hp_.n_head);
        hp_.n_ff = cfg.required_int("intermediate_size", "{arch}.feed_forward_length");
        hp_.n_ctx_train = cfg.int_or("max_position_embeddings", "{arch}.context_length", 2048);
        require(hp_.n_embd % hp_.n_head == 0 || cfg.number("head_dim", "{arch}.attention.key_length"), LLMRT_ERR_FORMAT,
                cfg.setting("hidden_size", "{arch}.embedding_length") + " is not a multiple of " +
                    cfg.key("num_attention_heads", "{arch}.attention.head_count") + " and there is no " +
                    cfg.key("head_dim", "{arch}.attention.key_length"));
        hp_.head_dim = cfg.int_or("head_dim", "{arch}.attention.key_length", hp_.n_embd / hp_.n_head);
        require(hp_.n_head % hp_.n_head_kv == 0, LLMRT_ERR_FORMAT,
                cfg.setting("num_key_value_heads", "{arch}.attention.head_count_kv") + " (" +
                    std::to_string(hp_.n_head_kv) + ") does not divide " +
                    cfg.key("num_attention_heads", "{arch}.attention.head_count") + " (" + std::to_string(hp_.n_head) +
                    ")");
        require(hp_.head_dim % 2 == 0, LLMRT_ERR_FORMAT,
                cfg.setting("head_dim", "{arch}.attention.key_length") + " must be even, not " +
                    std::to_string(hp_.head_dim));
        const TensorView &embd = ckpt.get(names.gguf ? "token_embd.weight" : "model.embed_tokens.weight");
        hp_.n_vocab = cfg.int_or("vocab_size", "{arch}.vocab_size", embd.shape.empty() ? 0 : embd.shape[0]);
        eps_ = static_cast<float>(cfg.float_or("rms_norm_eps", "{arch}.attention.layer_norm_rms_epsilon", 1e-6));
        require(eps_ >= 0.0f, LLMRT_ERR_FORMAT,
                cfg.setting("rms_norm_eps", "{arch}.attention.layer_norm_rms_epsilon") + " must not be negative");
        const double theta = cfg.float_or("rope_theta", "{arch}.rope.freq_base", 10000.0);
        require(theta > 0.0, LLMRT_ERR_FORMAT, cfg.setting("rope_theta", "{arch}.rope.freq_base") + " must be > 0");
        rot_dims_ = cfg.int_or("", "{arch}.rope.dimension_count", hp_.head_dim);
        require(rot_dims_ <= hp_.head_dim && rot_dims_ % 2 == 0, LLMRT_ERR_FORMAT,
                cfg.setting("", "{arch}.rope.dimension_count") + " must be even and at most the head size");
        check_against_tensors(ckpt, cfg, names);
        const RopeScaling scaling = read_rope_scaling(cfg);
        // Meta's checkpoints (and GGUF "llama", converted from them or permuted back to them)
        // rotate adjacent pairs; HF checkpoints and GGUF qwen2 rotate the two halves.
        pairing_ = names.gguf && ckpt.architecture == "llama" ? RopePairing::Interleaved : RopePairing::Halves;

        // load_weights checks each tensor's size against its type, including packed ones whose
        // shape alone says nothing about the file: the rope table is sized only after that.
        load_weights(ckpt, names);
        inv_freq_ = rope_inverse_frequencies(theta, rot_dims_, scaling);
        if (names.gguf && store_.has("rope_freqs.weight")) {
            // GGUF keeps Llama 3.1 frequency scaling as per-dimension divisors.
            const float *factors = store_.vector("rope_freqs.weight", rot_dims_ / 2);
            for (size_t i = 0; i < inv_freq_.size(); ++i) inv_freq_[i] /= factors[i];
        }
    }

    size_t workspace_floats(int64_t n_batch, int64_t n_ctx, int n_threads) const override {
        const int64_t q_dim = hp_.n_head * hp_.head_dim;
        const int64_t per_token = 2 * hp_.n_embd + 2 * q_dim + 2 * kv_dim() + 2 * hp_.n_ff + rot_dims_;
        return static_cast<size_t>(n_batch * per_token + n_threads * (n_ctx + hp_.head_dim) + 64);
    }

    uint64_t decode_read_bytes() const override {
        // Every weight once, but of the embedding table one row (all of it when the output head
        // is the same matrix: then the store counted it once, as the head).
        if (output_.data == tok_embd_.data) return store_.weight_bytes();
        return store_.weight_bytes() - tok_embd_.nbytes() + tok_embd_.type->row_bytes(hp_.n_embd);
    }

    void forward(const ForwardBatch &batch, KvCache &cache, float *ws, ThreadPool &pool,
                 float *logits) const override {
        const int64_t n = batch.n, d = hp_.n_embd, q_dim = hp_.n_head * hp_.head_dim;
        const int64_t kv = kv_dim(), half = rot_dims_ / 2;
        float *x = ws;
        float *h = x + n * d;
        float *q = h + n * d;
        float *k = q + n * q_dim;
        float *v = k + n * kv;
        float *att = v + n * kv;
        float *gate = att + n * q_dim;
        float *up = gate + n * hp_.n_ff;
        float *cos = up + n * hp_.n_ff;
        float *sin = cos + n * half;
        float *scratch = sin + n * half;

        Profiler *prof = batch.profiler;
        {
            // Sizes are computed only when profiling: off, an op costs one pointer test.
            const uint64_t rows_bytes = prof ? static_cast<uint64_t>(n) * tok_embd_.type->row_bytes(d) : 0;
            ProfileScope scope(prof, ProfileOp::Embedding, rows_bytes);
            for (int64_t t = 0; t < n; ++t)
                tok_embd_.type->unpack_row(tok_embd_.row(batch.tokens[t]), d, x + t * d);
        }
        {
            ProfileScope scope(prof, ProfileOp::Rope);
            rope_angles(inv_freq_, batch.pos, n, cos, sin);
        }
        const AttentionShape shape{hp_.n_head, hp_.n_head_kv, hp_.head_dim,
                                   1.0f / std::sqrt(static_cast<float>(hp_.head_dim))};

        for (int64_t il = 0; il < hp_.n_layer; ++il) {
            const LlamaLayer &L = layers_[static_cast<size_t>(il)];
            norm(x, L.attn_norm, h, n, prof);
            const MatmulOutput qkv[] = {{&L.wq, q}, {&L.wk, k}, {&L.wv, v}};
            profiled_group(qkv, 3, h, n, pool, prof, ProfileOp::MatmulAttnQkv);
            if (L.bq || L.bk || L.bv) {
                ProfileScope scope(prof, ProfileOp::Elementwise);
                if (L.bq) add_bias(q, L.bq, n, q_dim);
                if (L.bk) add_bias(k, L.bk, n, kv);
                if (L.bv) add_bias(v, L.bv, n, kv);
            }
            {
                ProfileScope scope(prof, ProfileOp::Rope);
                apply_rope(q, n, hp_.n_head, hp_.head_dim, rot_dims_, pairing_, cos, sin);
                apply_rope(k, n, hp_.n_head_kv, hp_.head_dim, rot_dims_, pairing_, cos, sin);
            }
            {
                ProfileScope scope(prof, ProfileOp::KvStore);
                cache.store(il, batch.pos, n, k, v);
            }
            {
                ProfileScope scope(prof, ProfileOp::Attention);
                causal_attention(q, cache.layer(il), att, n, batch.pos, shape, scratch, pool);
            }
            profiled_matmul(L.wo, att, n, h, pool, prof, ProfileOp::MatmulAttnOutput);
            residual_add(x, h, n * d, prof);

            norm(x, L.ffn_norm, h, n, prof);
            const MatmulOutput gate_up[] = {{&L.gate, gate}, {&L.up, up}};
            profiled_group(gate_up, 2, h, n, pool, prof, ProfileOp::MatmulFfnGateUp);
            {
                ProfileScope scope(prof, ProfileOp::Elementwise);
                silu_mul(gate, up, gate, n * hp_.n_ff);
            }
            profiled_matmul(L.down, gate, n, h, pool, prof, ProfileOp::MatmulFfnDown);
            residual_add(x, h, n * d, prof);
        }

        const int64_t first = batch.all_logits ? 0 : n - 1;
        norm(x + first * d, out_norm_, h, n - first, prof);
        profiled_matmul(output_, h, n - first, logits, pool, prof, ProfileOp::MatmulOutput);
    }

private:
    // The settings against the shapes of the first layer's tensors, the embedding and the layer
    // count, each mismatch naming the setting. The products (q and kv widths) are checked for
    // overflow first: they are only meaningful once they are.
    void check_against_tensors(const Checkpoint &ckpt, const ConfigReader &cfg, const Names &names) const {
        const std::string heads = cfg.key("num_attention_heads", "{arch}.attention.head_count");
        const std::string kv_heads = cfg.key("num_key_value_heads", "{arch}.attention.head_count_kv");
        const std::string head_dim = cfg.key("head_dim", "{arch}.attention.key_length");
        const std::string hidden = cfg.key("hidden_size", "{arch}.embedding_length");
        int64_t q_dim = 0, kv = 0;
        require(checked_mul(hp_.n_head, hp_.head_dim, q_dim) && q_dim <= kMaxConfigInt, LLMRT_ERR_FORMAT,
                cfg.file() + ": " + heads + " times " + head_dim + " is too large");
        require(checked_mul(hp_.n_head_kv, hp_.head_dim, kv) && kv <= kMaxConfigInt, LLMRT_ERR_FORMAT,
                cfg.file() + ": " + kv_heads + " times " + head_dim + " is too large");
        auto expect = [&](const std::string &tensor, std::vector<int64_t> shape, const std::string &keys) {
            const TensorView &t = ckpt.get(tensor);
            require(same_shape(t.shape, shape), LLMRT_ERR_FORMAT,
                    cfg.file() + ": " + keys + " do not match tensor '" + tensor + "': it has shape " +
                        shape_to_string(t.shape) + ", the settings give " + shape_to_string(shape));
        };
        expect(names.gguf ? "token_embd.weight" : "model.embed_tokens.weight", {hp_.n_vocab, hp_.n_embd},
               cfg.key("vocab_size", "{arch}.vocab_size") + " and " + hidden);
        expect(names.layer(0, "self_attn.q_proj.weight", "attn_q.weight"), {q_dim, hp_.n_embd},
               heads + ", " + head_dim + " and " + hidden);
        expect(names.layer(0, "self_attn.k_proj.weight", "attn_k.weight"), {kv, hp_.n_embd},
               kv_heads + ", " + head_dim + " and " + hidden);
        expect(names.layer(0, "mlp.gate_proj.weight", "ffn_gate.weight"), {hp_.n_ff, hp_.n_embd},
               cfg.key("intermediate_size", "{arch}.feed_forward_length") + " and " + hidden);
        const std::string layers = cfg.setting("num_hidden_layers", "{arch}.block_count");
        const std::string last = names.layer(hp_.n_layer - 1, "input_layernorm.weight", "attn_norm.weight");
        const std::string next = names.layer(hp_.n_layer, "input_layernorm.weight", "attn_norm.weight");
        require(ckpt.find(last) != nullptr, LLMRT_ERR_FORMAT,
                layers + " is " + std::to_string(hp_.n_layer) + " but there is no tensor '" + last + "'");
        require(ckpt.find(next) == nullptr, LLMRT_ERR_FORMAT,
                layers + " is " + std::to_string(hp_.n_layer) + " but there is a tensor '" + next + "'");
    }

    // The ops the forward pass times, each as one call; prof may be nullptr (not profiling).
    static void profiled_matmul(const Matrix &w, const float *in, int64_t m, float *out, ThreadPool &pool,
                                Profiler *prof, ProfileOp role) {
        ProfileScope scope(prof, role, prof ? w.nbytes() : 0);
        matmul(w, in, m, out, pool);
    }
    static void profiled_group(const MatmulOutput *outputs, int count, const float *in, int64_t m, ThreadPool &pool,
                               Profiler *prof, ProfileOp role) {
        uint64_t bytes = 0;
        for (int i = 0; prof && i < count; ++i) bytes += outputs[i].w->nbytes();
        ProfileScope scope(prof, role, bytes);
        matmul_group(outputs, count, in, m, pool);
    }
    void norm(const float *in, const float *weight, float *out, int64_t n, Profiler *prof) const {
        ProfileScope scope(prof, ProfileOp::Norm);
        rms_norm(in, weight, out, n, hp_.n_embd, eps_);
    }
    static void residual_add(float *x, const float *y, int64_t count, Profiler *prof) {
        ProfileScope scope(prof, ProfileOp::Elementwise);
        add_inplace(x, y, count);
    }

    void load_weights(const Checkpoint &ckpt, const Names &names) {
        const int64_t d = hp_.n_embd, q_dim = hp_.n_head * hp_.head_dim, kv = kv_dim();
        tok_embd_ = store_.matrix(names.gguf ? "token_embd.weight" : "model.embed_tokens.weight", hp_.n_vocab, d);
        out_norm_ = store_.vector(names.gguf ? "output_norm.weight" : "model.norm.weight", d);
        const std::string out_name = names.gguf ? "output.weight" : "lm_head.weight";
        output_ = store_.has(out_name) ? store_.matrix(out_name, hp_.n_vocab, d) : tok_embd_;
        layers_.resize(static_cast<size_t>(hp_.n_layer));
        for (int64_t i = 0; i < hp_.n_layer; ++i) {
            LlamaLayer &L = layers_[static_cast<size_t>(i)];
            L.attn_norm = store_.vector(names.layer(i, "input_layernorm.weight", "attn_norm.weight"), d);
            L.wq = store_.matrix(names.layer(i, "self_attn.q_proj.weight", "attn_q.weight"), q_dim, d);
            L.wk = store_.matrix(names.layer(i, "self_attn.k_proj.weight", "attn_k.weight"), kv, d);
            L.wv = store_.matrix(names.layer(i, "self_attn.v_proj.weight", "attn_v.weight"), kv, d);
            L.wo = store_.matrix(names.layer(i, "self_attn.o_proj.weight", "attn_output.weight"), d, q_dim);
            L.bq = store_.optional_vector(names.layer(i, "self_attn.q_proj.bias", "attn_q.bias"), q_dim);
            L.bk = store_.optional_vector(names.layer(i, "self_attn.k_proj.bias", "attn_k.bias"), kv);
            L.bv = store_.optional_vector(names.layer(i, "self_attn.v_proj.bias", "attn_v.bias"), kv);
            L.ffn_norm = store_.vector(names.layer(i, "post_attention_layernorm.weight", "ffn_norm.weight"), d);
            L.gate = store_.matrix(names.layer(i, "mlp.gate_proj.weight", "ffn_gate.weight"), hp_.n_ff, d);
            L.up = store_.matrix(names.layer(i, "mlp.up_proj.weight", "ffn_up.weight"), hp_.n_ff, d);
            L.down = store_.matrix(names.layer(i, "mlp.down_proj.weight", "ffn_down.weight"), d, hp_.n_ff);
        }
        (void)ckpt;
    }

    WeightStore &store_;
    std::vector<LlamaLayer> layers_;
    Matrix tok_embd_, output_;
    const float *out_norm_ = nullptr;
    float eps_ = 1e-6f;
    int64_t rot_dims_ = 0;
    std::vector<double> inv_freq_;
    RopePairing pairing_ = RopePairing::Halves;
};

}  // namespace

std::unique_ptr<Architecture> make_llama(const Checkpoint &checkpoint, WeightStore &weights) {
    return std::make_unique<Llama>(checkpoint, weights);
}

}  // namespace llmrt
