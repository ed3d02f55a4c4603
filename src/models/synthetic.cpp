#include "models/synthetic.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>

#include "core/error.h"
#include "core/float16.h"
#include "core/mapped_file.h"
#include "core/thread_pool.h"
#include "kernels/weight_types.h"
#include "models/decoder.h"
#include "models/quant_plan.h"
#include "models/registry.h"

namespace llmrt {
namespace {

// One token per byte (ids 3..258) after <unk>, <s>, </s>: enough to drive benchmarks.
class ByteTokenizer final : public Tokenizer {
public:
    explicit ByteTokenizer(int32_t n_vocab) : n_vocab_(n_vocab) {}
    std::vector<int32_t> encode(std::string_view text, bool add_special) const override {
        return encode(text, add_special, false);
    }
    std::vector<int32_t> encode(std::string_view text, bool add_special, bool) const override {
        std::vector<int32_t> ids;
        if (add_special) ids.push_back(1);
        for (unsigned char c : text) ids.push_back(3 + c);
        return ids;
    }
    std::string piece(int32_t id) const override {
        if (id < 3 || id > 258) return "";
        return std::string(1, static_cast<char>(id - 3));
    }
    std::string decode(const std::vector<int32_t> &ids, bool) const override {
        std::string s;
        for (int32_t id : ids) s += piece(id);
        return s;
    }
    int32_t n_vocab() const override { return n_vocab_; }
    int32_t find_token(std::string_view text) const override {
        return text.size() == 1 ? 3 + static_cast<unsigned char>(text[0]) : -1;
    }
    int32_t bos() const override { return 1; }
    int32_t eos() const override { return 2; }
    bool is_control(int32_t id) const override { return id >= 0 && id < 3; }
    std::vector<int32_t> end_of_generation_ids() const override { return {2}; }

private:
    int32_t n_vocab_;
};

// splitmix64: fast, reproducible, and identical on every platform.
uint64_t mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

void fill_uniform(uint16_t *dst, int64_t n, float scale, uint64_t seed, ThreadPool &pool) {
    pool.parallel_for(n, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            const uint64_t r = mix(seed ^ static_cast<uint64_t>(i));
            dst[i] = f32_to_bf16((static_cast<float>(r >> 40) * (1.0f / 16777216.0f) * 2.0f - 1.0f) * scale);
        }
    });
}

// What one tensor of a synthetic checkpoint holds.
struct Planned {
    TensorRef ref;
    std::vector<int64_t> shape;  // as in the file
    enum class Fill { Random, Ones, Zeros } fill = Fill::Random;
    float scale = 0.0f;  // Random: uniform in [-scale, scale]
    int64_t n = 0;       // elements
    uint64_t index = 0;  // in the checkpoint: with the seed, what a Random tensor holds
};

bool has_bias(const SyntheticShape &s, Role role) {
    return std::find(s.biases.begin(), s.biases.end(), role) != s.biases.end();
}

// The checkpoint's tensors: the ones the family's declaration asks for, as the decoder loads
// them, named by the role table for the shape's source. The only choices here are the spec's.
std::vector<Planned> plan_tensors(const SyntheticShape &s, const Checkpoint &ck) {
    const DecoderSpec spec = decoder_spec(s.architecture);
    const TensorNames names(ck, spec.names);
    const int64_t head_dim = s.embd / s.heads, q_dim = s.heads * head_dim, kv = s.kv_heads * head_dim;
    std::vector<Planned> out;
    auto add = [&](const TensorRef &ref, int64_t rows, int64_t cols, Planned::Fill fill, float scale) {
        Planned p;
        p.ref = ref;
        p.shape = file_shape(ref.transform, rows, cols);
        p.fill = fill;
        p.scale = scale;
        p.n = rows * cols;
        p.index = out.size();
        out.push_back(std::move(p));
    };
    // A [rows, cols] linear layer (+ its bias when the shape has one) and a norm (+ bias for
    // LayerNorm).
    auto linear = [&](Role role, int64_t layer, int64_t rows, int64_t cols) {
        add(names.weight(role, layer), rows, cols, Planned::Fill::Random, 1.0f / std::sqrt(static_cast<float>(cols)));
        if (has_bias(s, role)) add(names.bias(role, layer), rows, 1, Planned::Fill::Zeros, 0.0f);
    };
    auto norm = [&](Role role, int64_t layer) {
        add(names.weight(role, layer), s.embd, 1, Planned::Fill::Ones, 0.0f);
        if (spec.norm == NormKind::Layer) add(names.bias(role, layer), s.embd, 1, Planned::Fill::Zeros, 0.0f);
    };
    add(names.weight(Role::TokenEmbd), s.vocab, s.embd, Planned::Fill::Random, 1.0f);
    if (spec.positions == PositionKind::Learned)
        add(names.weight(Role::PosEmbd), s.ctx + spec.position_offset, s.embd, Planned::Fill::Random, 0.1f);
    for (int64_t i = 0; i < s.layers; ++i) {
        norm(Role::AttnNorm, i);
        if (!spec.parallel) norm(Role::FfnNorm, i);
        if (spec.fused_qkv) {
            linear(Role::Qkv, i, q_dim + 2 * kv, s.embd);
        } else {
            linear(Role::Q, i, q_dim, s.embd);
            linear(Role::K, i, kv, s.embd);
            linear(Role::V, i, kv, s.embd);
        }
        linear(Role::AttnOut, i, s.embd, q_dim);
        if (spec.mlp == MlpKind::Experts) {
            const float w_embd = 1.0f / std::sqrt(static_cast<float>(s.embd));
            add(names.weight(Role::Router, i), s.experts, s.embd, Planned::Fill::Random, w_embd);
            for (int64_t e = 0; e < s.experts; ++e) {
                add(names.weight(Role::ExpertGate, i, e), s.ff, s.embd, Planned::Fill::Random, w_embd);
                add(names.weight(Role::ExpertUp, i, e), s.ff, s.embd, Planned::Fill::Random, w_embd);
                add(names.weight(Role::ExpertDown, i, e), s.embd, s.ff, Planned::Fill::Random,
                    1.0f / std::sqrt(static_cast<float>(s.ff)));
            }
            continue;
        }
        if (spec.mlp == MlpKind::Gated && !spec.fused_gate_up) linear(Role::Gate, i, s.ff, s.embd);
        linear(Role::Up, i, (spec.fused_gate_up ? 2 : 1) * s.ff, s.embd);
        linear(Role::Down, i, s.embd, s.ff);
    }
    norm(Role::OutputNorm, -1);
    if (!s.tied) linear(Role::Output, -1, s.vocab, s.embd);
    return out;
}

// The settings under the keys the decoder reads: llama.cpp's for GGUF, the family's
// config.json keys (DecoderSpec::keys) for HF.
void write_settings(const SyntheticShape &s, Checkpoint &ck) {
    const DecoderSpec spec = decoder_spec(s.architecture);
    const int64_t head_dim = s.embd / s.heads;
    const int64_t rot = s.rot_dims > 0 ? s.rot_dims : head_dim;
    const double eps = 1e-5, theta = 10000.0;
    if (ck.source == Checkpoint::Source::Gguf) {
        const std::string a = std::string(s.architecture) + ".";
        auto u = [&](const std::string &key, int64_t v) {
            ck.gguf_metadata[a + key] = MetaValue::from_uint(static_cast<uint64_t>(v));
        };
        ck.gguf_metadata["general.architecture"] = MetaValue::from_string(s.architecture);
        u("vocab_size", s.vocab);
        u("embedding_length", s.embd);
        u("block_count", s.layers);
        u("attention.head_count", s.heads);
        u("attention.head_count_kv", s.kv_heads);
        u("feed_forward_length", s.ff);
        u("context_length", s.ctx);
        u("rope.dimension_count", rot);
        ck.gguf_metadata[a + "rope.freq_base"] = MetaValue::from_float(theta);
        ck.gguf_metadata[a + (spec.norm == NormKind::Rms ? "attention.layer_norm_rms_epsilon"
                                                         : "attention.layer_norm_epsilon")] = MetaValue::from_float(eps);
        if (s.experts > 0) {
            u("expert_count", s.experts);
            u("expert_used_count", s.experts_used);
        }
        return;
    }
    const HfKeys &k = spec.keys;
    nlohmann::json &c = ck.hf_config;
    auto set = [&](const char *key, const nlohmann::json &v) {
        if (*key) c[key] = v;
    };
    set(k.vocab, s.vocab);
    set(k.hidden, s.embd);
    set(k.layers, s.layers);
    set(k.heads, s.heads);
    set(k.kv_heads, s.kv_heads);
    set(k.ff, s.ff);
    set(k.ctx, s.ctx);
    set(k.norm_eps, eps);
    set(k.rope_theta, theta);
    if (rot != head_dim) {
        if (*k.rotary_dims)
            set(k.rotary_dims, rot);
        else
            set(k.rotary_fraction, static_cast<double>(rot) / static_cast<double>(head_dim));
    }
    if (s.experts > 0) {
        c["num_local_experts"] = s.experts;
        c["num_experts_per_tok"] = s.experts_used;
    }
    c["tie_word_embeddings"] = s.tied;
    c["bos_token_id"] = 1;
    c["eos_token_id"] = 2;
}

Checkpoint empty_checkpoint(const SyntheticShape &s) {
    Checkpoint ck;
    ck.source = s.source;
    ck.path = std::string("synthetic:") + s.name;
    ck.architecture = s.architecture;
    return ck;
}

// The loaded weights (each matrix in the type the loader will give it) plus the largest tensor
// twice while it is converted (bf16 source and f32 copy).
double memory_needed(const std::vector<Planned> &tensors, const LoadOptions &options) {
    std::optional<QuantPlan> plan;
    if (options.quantize) plan.emplace(*options.quantize);
    double kept = 0.0, transient = 0.0;
    for (const Planned &p : tensors) {
        const bool matrix = p.shape.size() == 2;
        std::optional<QuantFormat> format;
        // The loader keys a rearranged tensor by its canonical name.
        if (plan && matrix)
            format = plan->format_for(p.ref.transform == Transform::None ? p.ref.name : p.ref.canonical_name);
        if (format) {
            const int64_t rows = p.ref.transform == Transform::Transpose ? p.shape[1] : p.shape[0];
            const int64_t cols = p.n / rows;
            kept += static_cast<double>(weight_type_for(*format, plan->options().compute).row_bytes(cols)) *
                    static_cast<double>(rows);
        } else {
            kept += 4.0 * static_cast<double>(p.n);
        }
        transient = std::max(transient, 6.0 * static_cast<double>(p.n));
    }
    return kept + transient;
}

void check_memory(const SyntheticShape &s, const std::vector<Planned> &tensors, const LoadOptions &options) {
    const double bytes = memory_needed(tensors, options);
    const double physical = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
    char message[200];
    std::snprintf(message, sizeof message, "synthetic model '%s' needs %.1f GB to build%s; this machine has %.1f GB",
                  s.name, bytes / 1e9, options.quantize ? "" : " in f32", physical / 1e9);
    require(bytes < 0.8 * physical, Status::OutOfMemory, message);
}

}  // namespace

const std::vector<SyntheticShape> &synthetic_shapes() {
    using S = Checkpoint::Source;
    static const std::vector<SyntheticShape> shapes = {
        {"stories260k", "LlamaForCausalLM", S::HuggingFace, 512, 64, 5, 8, 4, 172, 512, 0, 0, 0, true, {}},
        {"tinyllama-1.1b", "LlamaForCausalLM", S::HuggingFace, 32000, 2048, 22, 32, 4, 5632, 2048, 0, 0, 0, false, {}},
        {"llama-7b", "LlamaForCausalLM", S::HuggingFace, 32000, 4096, 32, 32, 32, 11008, 4096, 0, 0, 0, false, {}},
        // EleutherAI/gpt-j-6b: partial rotary (64 of 256 dims), biases on the MLP and the head.
        {"gptj-6b", "gptj", S::Gguf, 50400, 4096, 28, 16, 16, 16384, 2048, 64, 0, 0, false,
         {Role::Up, Role::Down, Role::Output}},
        // tiiuae/falcon-7b: multi-query (one kv head of 64), parallel block, tied head.
        {"falcon-7b", "falcon", S::Gguf, 65024, 4544, 32, 71, 1, 18176, 2048, 0, 0, 0, true, {}},
        // mistralai/Mixtral-8x7B-v0.1: 8 SwiGLU experts, 2 per token.
        {"mixtral-8x7b", "MixtralForCausalLM", S::HuggingFace, 32000, 4096, 32, 32, 8, 14336, 32768, 0, 8, 2, false,
         {}},
    };
    return shapes;
}

const std::string &synthetic_shape_names() {
    static const std::string names = [] {
        std::string n;
        for (const SyntheticShape &s : synthetic_shapes()) n += std::string(n.empty() ? "" : ", ") + s.name;
        return n;
    }();
    return names;
}

const SyntheticShape &synthetic_shape(const std::string &name) {
    for (const SyntheticShape &s : synthetic_shapes())
        if (name == s.name) return s;
    fail(Status::InvalidArgument, "unknown synthetic model '" + name + "' (known: " + synthetic_shape_names() + ")");
}

uint64_t synthetic_param_count(const SyntheticShape &shape) {
    uint64_t n = 0;
    for (const Planned &p : plan_tensors(shape, empty_checkpoint(shape))) n += static_cast<uint64_t>(p.n);
    return n;
}

std::unique_ptr<Model> create_synthetic_model(const SyntheticShape &s, uint64_t seed, const LoadOptions &options) {
    auto model = std::make_unique<Model>();
    Checkpoint &ck = model->checkpoint;
    ck = empty_checkpoint(s);
    write_settings(s, ck);
    std::vector<Planned> tensors = plan_tensors(s, ck);
    check_memory(s, tensors, options);

    // Address space for every tensor, page-aligned so that releasing one leaves the others;
    // memory is committed only where a tensor is being made.
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGE_SIZE));
    size_t total = 0;
    std::vector<size_t> offsets;
    for (const Planned &p : tensors) {
        offsets.push_back(total);
        total += (static_cast<size_t>(p.n) * sizeof(uint16_t) + page - 1) / page * page;
    }
    std::shared_ptr<MappedFile> memory = MappedFile::anonymous(ck.path, total);
    ck.files.push_back(memory);
    auto fills = std::make_shared<std::map<std::string, Planned>>();
    for (size_t i = 0; i < tensors.size(); ++i) {
        const Planned &p = tensors[i];
        TensorView t;
        t.name = p.ref.name;
        t.dtype = DType::BF16;
        t.shape = p.shape;
        t.data = memory->data() + offsets[i];
        t.nbytes = static_cast<size_t>(p.n) * sizeof(uint16_t);
        ck.tensors[t.name] = t;
        (*fills)[t.name] = p;
    }
    auto pool = std::make_shared<ThreadPool>(options.n_threads);
    ck.produce = [fills, pool, memory, seed](const TensorView &t) {
        const Planned &p = fills->at(t.name);
        uint16_t *dst = reinterpret_cast<uint16_t *>(memory->mutable_data() + (t.data - memory->data()));
        if (p.fill == Planned::Fill::Random) {
            fill_uniform(dst, p.n, p.scale, mix(seed + p.index), *pool);
        } else {
            const uint16_t v = f32_to_bf16(p.fill == Planned::Fill::Ones ? 1.0f : 0.0f);
            std::fill(dst, dst + p.n, v);
        }
    };

    build_architecture(*model, options);
    // Every tensor was converted or quantized: the checkpoint's memory and views are spent.
    model->checkpoint.produce = nullptr;
    model->checkpoint.tensors.clear();
    model->checkpoint.files.clear();
    model->tokenizer = std::make_unique<ByteTokenizer>(static_cast<int32_t>(s.vocab));
    return model;
}

std::unique_ptr<Model> create_synthetic_model(const std::string &shape_name, uint64_t seed, const LoadOptions &options) {
    return create_synthetic_model(synthetic_shape(shape_name), seed, options);
}

}  // namespace llmrt
