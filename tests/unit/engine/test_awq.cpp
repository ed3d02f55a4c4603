// AWQ against round to nearest: on a layer whose input has a few large-magnitude channels, the
// searched scales must give a lower output error ||W X^T - Q(W s)(X / s)^T||^2 than round to
// nearest, for every weight type; and on a real model the folded scales (norms, up's rows) must
// travel with the written file: reloaded, it computes the same logits as the model in memory.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/quant_format.h"
#include "kernels/weight_types.h"
#include "models/model.h"
#include "quant/awq.h"
#include "quant/quantizer.h"

namespace llmrt {
namespace {

QuantFormat format(QuantKind kind, int32_t group) {
    QuantFormat f;
    f.kind = kind;
    f.group_size = group;
    return f;
}

std::vector<float> random_weights(int64_t rows, int64_t cols, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> n(0.0f, 0.05f);
    std::vector<float> w(static_cast<size_t>(rows * cols));
    for (float &v : w) v = n(rng);
    return w;
}

// Inputs with a few channels (every 23rd) 20 times larger than the rest, as activations have.
std::vector<float> inputs_with_large_channels(int64_t n, int64_t cols, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(n * cols));
    for (int64_t t = 0; t < n; ++t)
        for (int64_t c = 0; c < cols; ++c) x[static_cast<size_t>(t * cols + c)] = (c % 23 == 0 ? 20.0f : 1.0f) * g(rng);
    return x;
}

TEST(Awq, OutputErrorIsBelowRoundToNearestWithLargeInputChannels) {
    ThreadPool pool(2);
    const int64_t cols = 256, n = 2048;
    const std::vector<float> x = inputs_with_large_channels(n, cols, 1);
    Hessian h(cols);
    h.add(x.data(), n, pool);
    std::vector<double> mean_abs(static_cast<size_t>(cols), 0.0);
    for (int64_t t = 0; t < n; ++t)
        for (int64_t c = 0; c < cols; ++c) mean_abs[static_cast<size_t>(c)] += std::fabs(x[t * cols + c]) / n;
    const std::vector<float> w1 = random_weights(64, cols, 2), w2 = random_weights(32, cols, 3);
    for (const QuantFormat &f : {format(QuantKind::Int4, 32), format(QuantKind::Int4, 128), format(QuantKind::Int4, -1),
                                 format(QuantKind::NF4, 32), format(QuantKind::FP4, 32), format(QuantKind::Int8, 32),
                                 format(QuantKind::FP8_E4M3, 32)}) {
        SCOPED_TRACE(quant_format_name(f));
        const WeightType &type = weight_type_for(f, ComputeDtype::F32);
        const std::vector<AwqLinear> group = {{w1.data(), 64, &type}, {w2.data(), 32, &type}};
        const AwqResult r = awq_search(group, cols, mean_abs, h, AwqOptions{}, pool);
        std::printf("%s: alpha %.2f, error %.5g, round to nearest %.5g\n", quant_format_name(f).c_str(), r.alpha,
                    r.error, r.rtn_error);
        EXPECT_GT(r.alpha, 0.0);
        EXPECT_LT(r.error, 0.9 * r.rtn_error);
        // The error reported is the one of the weights the folded model computes with.
        double check = 0.0;
        for (const AwqLinear &l : group) {
            std::vector<float> q(static_cast<size_t>(l.rows * cols)), row(static_cast<size_t>(cols));
            std::vector<uint8_t> packed(type.row_bytes(cols));
            for (int64_t rr = 0; rr < l.rows; ++rr) {
                for (int64_t c = 0; c < cols; ++c) row[static_cast<size_t>(c)] = l.w[rr * cols + c] * r.scales[c];
                type.pack_row(row.data(), cols, packed.data());
                type.unpack_row(packed.data(), cols, q.data() + rr * cols);
                for (int64_t c = 0; c < cols; ++c) q[static_cast<size_t>(rr * cols + c)] /= r.scales[c];
            }
            check += layer_output_error(l.w, q.data(), l.rows, cols, h, pool);
        }
        EXPECT_NEAR(check, r.error, 1e-3 * r.error);
    }
}

TEST(Awq, EqualsRoundToNearestWithoutActivationStructure) {
    ThreadPool pool(1);
    const int64_t cols = 64;
    Hessian h(cols);
    std::vector<float> eye(static_cast<size_t>(cols * cols), 0.0f);
    for (int64_t i = 0; i < cols; ++i) eye[static_cast<size_t>(i * cols + i)] = 1.0f;
    h.add(eye.data(), cols, pool);
    const std::vector<double> mean_abs(static_cast<size_t>(cols), 1.0);  // every channel alike: s = 1
    const std::vector<float> w = random_weights(8, cols, 4);
    const WeightType &type = weight_type_for(format(QuantKind::Int4, 32), ComputeDtype::F32);
    const AwqResult r = awq_search({{w.data(), 8, &type}}, cols, mean_abs, h, AwqOptions{}, pool);
    EXPECT_EQ(r.error, r.rtn_error);
    for (float s : r.scales) EXPECT_EQ(s, 1.0f);
}

std::vector<float> logits_of(const Model &model, const std::vector<int32_t> &tokens) {
    const HyperParams &hp = model.hparams();
    const int64_t n = static_cast<int64_t>(tokens.size());
    ThreadPool pool(2);
    KvCache cache(KvType::F32, hp.n_layer, n, model.arch->kv_dim(), hp.head_dim);
    AlignedBuffer<float> workspace(model.arch->workspace_floats(n, n, pool.size()));
    std::vector<float> logits(static_cast<size_t>(n * hp.n_vocab));
    ForwardBatch batch;
    batch.tokens = tokens.data();
    batch.n = n;
    batch.all_logits = true;
    model.arch->forward(batch, cache, workspace.data(), pool, logits.data());
    return logits;
}

const float *stored(const Model &model, const std::string &name) {
    for (const StoredTensor &t : model.weights->tensors())
        if (t.name == name) return reinterpret_cast<const float *>(t.data);
    return nullptr;
}

TEST(Awq, FoldedScalesAreInTheWrittenFile) {
    const std::string src = std::string(LLMRT_SHARED_DIR) + "/models/stories260K-hf";
    QuantOptions o;
    o.format = format(QuantKind::Int4, 32);
    o.algorithm = "awq";
    o.calibration_path = std::string(LLMRT_SHARED_DIR) + "/data/calibration/tinyshakespeare.txt";
    o.n_samples = 8;
    o.seq_len = 64;
    // Embeddings and head kept in f32, so the model in memory computes with what the file holds.
    o.tensor_overrides = parse_tensor_overrides("embed_tokens=f32;lm_head=f32");
    const std::unique_ptr<Model> quantized = quantize_model(src, o);
    const std::string path = ::testing::TempDir() + "/awq_fold.llmrt";
    write_quantized_model(*quantized, path, o);
    const std::unique_ptr<Model> reloaded = load_model(path);
    const std::unique_ptr<Model> original = load_model(src);

    // Some norm was folded (so the comparison below sees it).
    int folded = 0;
    const int64_t d = original->hparams().n_embd;
    for (int64_t il = 0; il < original->hparams().n_layer; ++il)
        for (const char *norm : {"input_layernorm", "post_attention_layernorm"}) {
            const std::string name = "model.layers." + std::to_string(il) + "." + norm + ".weight";
            const float *a = stored(*original, name), *b = stored(*reloaded, name);
            ASSERT_NE(a, nullptr) << name;
            ASSERT_NE(b, nullptr) << name;
            bool differs = false;
            for (int64_t c = 0; c < d; ++c) differs = differs || a[c] != b[c];
            folded += differs;
        }
    EXPECT_GT(folded, 0);

    const std::vector<int32_t> tokens = {1, 403, 407, 261, 378, 290, 300, 12, 44, 500};
    const std::vector<float> a = logits_of(*quantized, tokens), b = logits_of(*reloaded, tokens);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5) << i;
    std::remove(path.c_str());
}

}  // namespace
}  // namespace llmrt
