// The staged real checkpoints: stories260K as GGUF and as a Hugging Face directory, and a BF16
// synthetic Llama.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "format_test_util.h"
#include "formats/checkpoint.h"

namespace llmrt {
namespace {

TEST(StoriesGguf, ReadsHeaderMetadataAndTensors) {
    const Checkpoint ckpt = read_gguf_checkpoint(test::stories_gguf());
    EXPECT_EQ(ckpt.source, Checkpoint::Source::Gguf);
    EXPECT_EQ(ckpt.architecture, "llama");
    EXPECT_EQ(ckpt.tensors.size(), 48u);
    EXPECT_EQ(ckpt.gguf_metadata.size(), 19u);
    EXPECT_TRUE(ckpt.hf_config.empty());

    const TensorView &embd = ckpt.get("token_embd.weight");
    EXPECT_EQ(embd.dtype, DType::F32);
    EXPECT_EQ(embd.shape, (std::vector<int64_t>{512, 64}));
    EXPECT_EQ(embd.nbytes, 512u * 64u * 4u);
    EXPECT_EQ(ckpt.get("blk.0.ffn_gate.weight").shape, (std::vector<int64_t>{172, 64}));
    EXPECT_EQ(ckpt.get("blk.0.attn_k.weight").shape, (std::vector<int64_t>{32, 64}));
    EXPECT_EQ(ckpt.get("output_norm.weight").shape, (std::vector<int64_t>{64}));
    EXPECT_EQ(ckpt.find("nope"), nullptr);

    EXPECT_EQ(ckpt.gguf_metadata.at("llama.context_length").as_int(), 2048);
    EXPECT_EQ(ckpt.gguf_metadata.at("llama.rope.dimension_count").as_int(), 8);
    EXPECT_NEAR(ckpt.gguf_metadata.at("llama.attention.layer_norm_rms_epsilon").as_double(), 1e-5, 1e-12);
    const MetaValue &tokens = ckpt.gguf_metadata.at("tokenizer.ggml.tokens");
    ASSERT_EQ(tokens.kind, MetaValue::Kind::Array);
    ASSERT_EQ(tokens.array.size(), 512u);
    for (const MetaValue &t : tokens.array) EXPECT_EQ(t.kind, MetaValue::Kind::String);
    EXPECT_EQ(tokens.array[1].s, "<s>");
    EXPECT_EQ(ckpt.gguf_metadata.at("tokenizer.ggml.model").s, "llama");
    EXPECT_EQ(ckpt.gguf_metadata.at("tokenizer.ggml.scores").array.size(), 512u);

    // Every tensor lies inside the single mapping; the manifest says data starts at 14176 and the
    // last tensor ends at EOF.
    ASSERT_EQ(ckpt.files.size(), 1u);
    const uint8_t *base = ckpt.files[0]->data();
    size_t max_end = 0;
    for (const auto &[name, t] : ckpt.tensors) {
        EXPECT_GE(t.data, base + 14176) << name;
        max_end = std::max(max_end, static_cast<size_t>(t.data - base) + t.nbytes);
    }
    EXPECT_EQ(max_end, ckpt.files[0]->size());
    EXPECT_EQ(std::memcmp(embd.data, ckpt.get("output.weight").data, embd.nbytes), 0);
}

TEST(StoriesHf, ReadsConfigAndTensors) {
    const Checkpoint ckpt = read_hf_checkpoint(test::stories_hf());
    EXPECT_EQ(ckpt.source, Checkpoint::Source::HuggingFace);
    EXPECT_EQ(ckpt.architecture, "LlamaForCausalLM");
    EXPECT_EQ(ckpt.tensors.size(), 47u);
    EXPECT_EQ(ckpt.hf_config.at("hidden_size"), 64);
    EXPECT_EQ(ckpt.hf_config.at("eos_token_id"), 2);
    EXPECT_TRUE(ckpt.gguf_metadata.empty());
    const TensorView &embd = ckpt.get("model.embed_tokens.weight");
    EXPECT_EQ(embd.shape, (std::vector<int64_t>{512, 64}));
    EXPECT_EQ(ckpt.get("model.layers.4.mlp.down_proj.weight").shape, (std::vector<int64_t>{64, 172}));
}

TEST(StoriesHf, EmbeddingsEqualTheGgufBytes) {
    const Checkpoint gguf = read_gguf_checkpoint(test::stories_gguf());
    const Checkpoint hf = read_hf_checkpoint(test::stories_hf());
    const TensorView &a = gguf.get("token_embd.weight");
    const TensorView &b = hf.get("model.embed_tokens.weight");
    ASSERT_EQ(a.nbytes, b.nbytes);
    EXPECT_EQ(std::memcmp(a.data, b.data, a.nbytes), 0);
    // Norm weights need no permutation either.
    const TensorView &c = gguf.get("blk.2.ffn_norm.weight");
    const TensorView &d = hf.get("model.layers.2.post_attention_layernorm.weight");
    ASSERT_EQ(c.nbytes, d.nbytes);
    EXPECT_EQ(std::memcmp(c.data, d.data, c.nbytes), 0);
}

TEST(SyntheticLlama, ConvertsBf16ToF32) {
    const Checkpoint ckpt = read_checkpoint(test::synthetic_llama());
    EXPECT_EQ(ckpt.architecture, "LlamaForCausalLM");
    const TensorView &embd = ckpt.get("model.embed_tokens.weight");
    EXPECT_EQ(embd.dtype, DType::BF16);
    EXPECT_EQ(embd.shape, (std::vector<int64_t>{4096, 128}));
    std::vector<float> values(static_cast<size_t>(embd.n_elements()));
    tensor_to_f32(embd, values.data());
    double sum_sq = 0;
    for (size_t i = 0; i < values.size(); ++i) {
        ASSERT_TRUE(std::isfinite(values[i])) << i;
        uint16_t raw;
        std::memcpy(&raw, embd.data + 2 * i, 2);
        ASSERT_EQ(f32_to_bf16(values[i]), raw) << i;  // exact: bf16 -> f32 -> bf16
        sum_sq += double(values[i]) * values[i];
    }
    EXPECT_GT(sum_sq, 0.0);
    for (const auto &[name, t] : ckpt.tensors) {
        std::vector<float> out(static_cast<size_t>(t.n_elements()));
        tensor_to_f32(t, out.data());
    }
}

TEST(ReadCheckpoint, DispatchesOnWhatThePathIs) {
    EXPECT_EQ(read_checkpoint(test::stories_gguf()).source, Checkpoint::Source::Gguf);
    EXPECT_EQ(read_checkpoint(test::stories_hf()).source, Checkpoint::Source::HuggingFace);
}

}  // namespace
}  // namespace llmrt
