// GGUF files holding llama.cpp's Q8_0 / Q4_0 / Q4_1 blocks load and run: their blocks are
// repacked into our int8/int4 types without re-rounding, so the model computes exactly what the
// same model with the blocks' dequantized values in f32 computes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unistd.h>

#include "formats/gguf_writer.h"
#include "models/model.h"
#include "runtime/context.h"

namespace llmrt {

// Found by gtest through argument-dependent lookup, so it lives in DType's namespace.
void PrintTo(DType t, std::ostream *os) { *os << dtype_name(t); }

namespace {

const std::string kStories = std::string(LLMRT_SOURCE_DIR) + "/models/stories260K/stories260K.gguf";

void put_f16(std::vector<uint8_t> &out, float v) {
    const uint16_t h = f32_to_f16(v);
    out.push_back(static_cast<uint8_t>(h & 0xFF));
    out.push_back(static_cast<uint8_t>(h >> 8));
}

// llama.cpp's reference quantizers (quantize_row_q8_0/q4_0/q4_1_ref), one block of 32 at a time.
std::vector<uint8_t> quantize_blocks(DType type, const float *x, int64_t n) {
    std::vector<uint8_t> out;
    for (int64_t b = 0; b < n; b += 32) {
        const float *v = x + b;
        if (type == DType::Q8_0) {
            float amax = 0.0f;
            for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(v[j]));
            const float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
            put_f16(out, d);
            for (int j = 0; j < 32; ++j) out.push_back(static_cast<uint8_t>(static_cast<int8_t>(std::lround(v[j] * id))));
        } else if (type == DType::Q4_0) {
            float amax = 0.0f, max = 0.0f;
            for (int j = 0; j < 32; ++j)
                if (std::fabs(v[j]) > amax) amax = std::fabs(v[j]), max = v[j];
            const float d = max / -8.0f, id = d ? 1.0f / d : 0.0f;
            put_f16(out, d);
            for (int j = 0; j < 16; ++j) {
                const int q0 = std::min(15, static_cast<int>(v[j] * id + 8.5f));
                const int q1 = std::min(15, static_cast<int>(v[j + 16] * id + 8.5f));
                out.push_back(static_cast<uint8_t>(q0 | (q1 << 4)));
            }
        } else {  // Q4_1
            float lo = v[0], hi = v[0];
            for (int j = 1; j < 32; ++j) lo = std::min(lo, v[j]), hi = std::max(hi, v[j]);
            const float d = (hi - lo) / 15.0f, id = d ? 1.0f / d : 0.0f;
            put_f16(out, d);
            put_f16(out, lo);
            for (int j = 0; j < 16; ++j) {
                const int q0 = std::min(15, static_cast<int>((v[j] - lo) * id + 0.5f));
                const int q1 = std::min(15, static_cast<int>((v[j + 16] - lo) * id + 0.5f));
                out.push_back(static_cast<uint8_t>(q0 | (q1 << 4)));
            }
        }
    }
    return out;
}

// Writes stories260K twice: with every 32-aligned matrix in `type`, and with those same blocks
// dequantized to f32.
void write_pair(DType type, const std::string &blocks_path, const std::string &dequant_path) {
    const Checkpoint ck = read_gguf_checkpoint(kStories);
    GgufWriter blocks, dequant;
    for (const auto &kv : ck.gguf_metadata) {
        if (kv.first == "general.alignment") continue;
        blocks.set(kv.first, kv.second);
        dequant.set(kv.first, kv.second);
    }
    for (const auto &entry : ck.tensors) {
        const TensorView &t = entry.second;
        std::vector<float> f32(static_cast<size_t>(t.n_elements()));
        tensor_to_f32(t, f32.data());
        if (t.shape.size() == 2 && t.shape[1] % 32 == 0) {
            const std::vector<uint8_t> q = quantize_blocks(type, f32.data(), t.n_elements());
            blocks.add_tensor(t.name, type, t.shape, q.data(), q.size());
            TensorView view = t;
            view.dtype = type;
            view.data = q.data();
            view.nbytes = q.size();
            tensor_to_f32(view, f32.data());
        } else {
            blocks.add_tensor(t.name, DType::F32, t.shape, f32.data(), f32.size() * 4);
        }
        dequant.add_tensor(t.name, DType::F32, t.shape, f32.data(), f32.size() * 4);
    }
    blocks.write(blocks_path);
    dequant.write(dequant_path);
}

std::vector<float> last_logits(const Model &model) {
    ContextOptions opt;
    opt.n_ctx = 64;
    opt.n_threads = 1;
    Context ctx(model, opt);
    const int32_t ids[] = {1, 403, 407, 261, 378, 432, 383};
    ctx.decode(ids, 7);
    return std::vector<float>(ctx.last_logits(), ctx.last_logits() + model.hparams().n_vocab);
}

class GgufBlocks : public ::testing::TestWithParam<DType> {};

TEST_P(GgufBlocks, RunNativelyAsTheirDequantizedValues) {
    char dir[] = "/tmp/llmrt-gguf-blocks-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    const std::string blocks_path = std::string(dir) + "/blocks.gguf", dequant_path = std::string(dir) + "/f32.gguf";
    write_pair(GetParam(), blocks_path, dequant_path);

    LoadOptions exact;
    exact.compute = ComputeDtype::F32;  // f32 dot products: the comparison is then exact up to summation order
    const auto blocks = load_model(blocks_path, exact);
    const auto dequant = load_model(dequant_path);
    const char *expected = GetParam() == DType::Q8_0   ? "int8_g32_sym_fp16"
                           : GetParam() == DType::Q4_0 ? "int4_g32_sym_fp16"
                                                       : "int4_g32_asym_fp16";
    EXPECT_EQ(blocks->weights->main_type(), expected);
    EXPECT_LT(blocks->weights->weight_bytes(), dequant->weights->weight_bytes() / 2);
    const std::vector<float> a = last_logits(*blocks), b = last_logits(*dequant);
    for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-4f) << i;

    // The default (fastest) compute type runs too. With int8 dot products the activations are
    // quantized per group of 32 as well, which moves logits by about 1% of their range.
    const auto fast = load_model(blocks_path);
    const std::vector<float> c = last_logits(*fast);
    float max_diff = 0.0f, lo = a[0], hi = a[0];
    for (size_t i = 0; i < a.size(); ++i) {
        max_diff = std::max(max_diff, std::fabs(a[i] - c[i]));
        lo = std::min(lo, a[i]);
        hi = std::max(hi, a[i]);
    }
    EXPECT_LT(max_diff, 0.02f * (hi - lo));
    EXPECT_EQ(std::max_element(a.begin(), a.end()) - a.begin(), std::max_element(c.begin(), c.end()) - c.begin());
    std::remove(blocks_path.c_str());
    std::remove(dequant_path.c_str());
    rmdir(dir);
}

INSTANTIATE_TEST_SUITE_P(LlamaCppTypes, GgufBlocks, ::testing::Values(DType::Q8_0, DType::Q4_0, DType::Q4_1),
                         [](const auto &info) { return std::string(dtype_name(info.param)); });

}  // namespace
}  // namespace llmrt
