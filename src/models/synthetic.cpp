// Random-weight models with the shapes of real ones, so speed can be measured without
// downloading weights. They go through the same Checkpoint -> Architecture path as real files.
#include <unistd.h>

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/float16.h"
#include "core/thread_pool.h"
#include "models/model.h"
#include "models/registry.h"

namespace llmrt {
namespace {

struct Shape {
    const char *name;
    int64_t vocab, embd, layers, heads, kv_heads, ff, ctx;
    bool tied;
};

const Shape kShapes[] = {
    {"stories260k", 512, 64, 5, 8, 4, 172, 512, true},
    {"tinyllama-1.1b", 32000, 2048, 22, 32, 4, 5632, 2048, false},
    {"llama-7b", 32000, 4096, 32, 32, 32, 11008, 4096, false},
};

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

class SyntheticBuilder {
public:
    SyntheticBuilder(Model &model, uint64_t seed, ThreadPool &pool) : model_(model), seed_(seed), pool_(pool) {}

    void add(const std::string &name, std::vector<int64_t> shape, float scale, bool ones = false) {
        int64_t n = 1;
        for (int64_t d : shape) n *= d;
        model_.owned_data.emplace_back(static_cast<size_t>(n));
        uint16_t *data = model_.owned_data.back().data();
        if (ones) {
            for (int64_t i = 0; i < n; ++i) data[i] = f32_to_bf16(1.0f);
        } else {
            fill_uniform(data, n, scale, mix(seed_ + counter_++), pool_);
        }
        TensorView t;
        t.name = name;
        t.dtype = DType::BF16;
        t.shape = std::move(shape);
        t.data = reinterpret_cast<const uint8_t *>(data);
        t.nbytes = static_cast<size_t>(n) * sizeof(uint16_t);
        model_.checkpoint.tensors[name] = t;
    }

private:
    Model &model_;
    uint64_t seed_;
    ThreadPool &pool_;
    uint64_t counter_ = 0;
};

const Shape &find_shape(const std::string &name) {
    std::string known;
    for (const Shape &s : kShapes) {
        if (name == s.name) return s;
        known += std::string(known.empty() ? "" : ", ") + s.name;
    }
    fail(Status::InvalidArgument, "unknown synthetic model '" + name + "' (known: " + known + ")");
}

// The weights are generated in bf16 (like most published checkpoints), then converted to f32 or
// quantized by the loader, after which the bf16 copy is dropped.
void check_memory(const Shape &s, bool quantized) {
    const double per_layer = 2.0 * s.embd * s.embd + 2.0 * s.embd * (s.embd / s.heads * s.kv_heads) +
                             3.0 * s.embd * s.ff;
    const double params = s.layers * per_layer + (s.tied ? 1.0 : 2.0) * s.vocab * s.embd;
    const double bytes = params * (2.0 + (quantized ? 1.0 : 4.0));
    const double physical = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
    require(bytes < 0.8 * physical, Status::OutOfMemory,
            std::string("synthetic model '") + s.name + "' needs " + std::to_string(bytes / 1e9) +
                " GB to build; this machine has " + std::to_string(physical / 1e9) + " GB");
}

}  // namespace

std::unique_ptr<Model> create_synthetic_model(const std::string &shape_name, uint64_t seed, const LoadOptions &options) {
    const Shape &s = find_shape(shape_name);
    check_memory(s, options.quantize.has_value());
    auto model = std::make_unique<Model>();
    Checkpoint &ck = model->checkpoint;
    ck.source = Checkpoint::Source::HuggingFace;
    ck.path = std::string("synthetic:") + s.name;
    ck.architecture = "LlamaForCausalLM";
    ck.hf_config = {{"model_type", "llama"},          {"vocab_size", s.vocab},
                    {"hidden_size", s.embd},          {"num_hidden_layers", s.layers},
                    {"num_attention_heads", s.heads}, {"num_key_value_heads", s.kv_heads},
                    {"intermediate_size", s.ff},      {"max_position_embeddings", s.ctx},
                    {"rms_norm_eps", 1e-5},           {"rope_theta", 10000.0},
                    {"tie_word_embeddings", s.tied},  {"bos_token_id", 1},
                    {"eos_token_id", 2}};

    ThreadPool pool(options.n_threads);
    SyntheticBuilder b(*model, seed, pool);
    const int64_t kv = s.embd / s.heads * s.kv_heads;
    const float w_embd = 1.0f / std::sqrt(static_cast<float>(s.embd));
    const float w_ff = 1.0f / std::sqrt(static_cast<float>(s.ff));
    b.add("model.embed_tokens.weight", {s.vocab, s.embd}, 1.0f);
    for (int64_t i = 0; i < s.layers; ++i) {
        const std::string p = "model.layers." + std::to_string(i) + ".";
        b.add(p + "input_layernorm.weight", {s.embd}, 0, true);
        b.add(p + "self_attn.q_proj.weight", {s.embd, s.embd}, w_embd);
        b.add(p + "self_attn.k_proj.weight", {kv, s.embd}, w_embd);
        b.add(p + "self_attn.v_proj.weight", {kv, s.embd}, w_embd);
        b.add(p + "self_attn.o_proj.weight", {s.embd, s.embd}, w_embd);
        b.add(p + "post_attention_layernorm.weight", {s.embd}, 0, true);
        b.add(p + "mlp.gate_proj.weight", {s.ff, s.embd}, w_embd);
        b.add(p + "mlp.up_proj.weight", {s.ff, s.embd}, w_embd);
        b.add(p + "mlp.down_proj.weight", {s.embd, s.ff}, w_ff);
    }
    b.add("model.norm.weight", {s.embd}, 0, true);
    if (!s.tied) b.add("lm_head.weight", {s.vocab, s.embd}, w_embd);

    build_architecture(*model, options);
    // Every tensor was converted or quantized: the bf16 source, and the views of it, are spent.
    model->checkpoint.tensors.clear();
    model->owned_data.clear();
    model->tokenizer = std::make_unique<ByteTokenizer>(static_cast<int32_t>(s.vocab));
    return model;
}

}  // namespace llmrt
