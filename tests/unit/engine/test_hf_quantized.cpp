// GPTQ / AWQ Hugging Face checkpoints (formats/hf_quantized.h) and their exact repacking into
// llmrt's int formats (models/weights.cpp): every quantized Linear of every checkpoint in
// ../shared/models/quantized-hf/ unpacks to the reference's dequantized float32 weights bit for
// bit (sha256 of the values), and its codes and zero points to the reference's; known-answer bit
// layouts; malformed tensors and unsupported variants; the input permutation of act-order
// matrices in matmul against a scalar product.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <algorithm>
#include <cstdio>
#include <random>

#include "core/error.h"
#include "core/float16.h"
#include "core/thread_pool.h"
#include "formats/hf_quantized.h"
#include "kernels/matmul.h"
#include "kernels/weight_types.h"
#include "models/weights.h"

namespace llmrt {
namespace {

// ---- SHA-256 (FIPS 180-4), for the reference's hashes ----

std::string sha256_hex(const uint8_t *data, size_t n) {
    static const uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    std::vector<uint8_t> msg(data, data + n);
    msg.push_back(0x80);
    while (msg.size() % 64 != 56) msg.push_back(0);
    const uint64_t bits = static_cast<uint64_t>(n) * 8;
    for (int i = 7; i >= 0; --i) msg.push_back(static_cast<uint8_t>(bits >> (8 * i)));
    auto rotr = [](uint32_t x, int r) { return (x >> r) | (x << (32 - r)); };
    for (size_t off = 0; off < msg.size(); off += 64) {
        uint32_t w[64];
        for (int i = 0; i < 16; ++i)
            w[i] = static_cast<uint32_t>(msg[off + 4 * i]) << 24 | static_cast<uint32_t>(msg[off + 4 * i + 1]) << 16 |
                   static_cast<uint32_t>(msg[off + 4 * i + 2]) << 8 | msg[off + 4 * i + 3];
        for (int i = 16; i < 64; ++i) {
            const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
        for (int i = 0; i < 64; ++i) {
            const uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
            const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
        }
        h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
    }
    char out[65];
    for (int i = 0; i < 8; ++i) std::snprintf(out + 8 * i, 9, "%08x", h[i]);
    return std::string(out, 64);
}

TEST(Sha256, KnownAnswer) {
    const std::string abc = "abc";
    EXPECT_EQ(sha256_hex(reinterpret_cast<const uint8_t *>(abc.data()), abc.size()),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// ---- the shared checkpoints against reference/quantized-hf.json ----

std::string shared(const std::string &rel) { return std::string(LLMRT_SHARED_DIR) + "/" + rel; }

const nlohmann::json &reference() {
    static const nlohmann::json ref = [] {
        std::ifstream in(shared("reference/quantized-hf.json"));
        return nlohmann::json::parse(in);
    }();
    return ref;
}

// The matrix's values in the original [rows, cols] order (undoing its input permutation).
std::vector<float> unpacked(const Matrix &m) {
    std::vector<float> out(static_cast<size_t>(m.rows * m.cols)), row(static_cast<size_t>(m.cols));
    for (int64_t r = 0; r < m.rows; ++r) {
        m.type->unpack_row(m.row(r), m.cols, row.data());
        for (int64_t k = 0; k < m.cols; ++k)
            out[static_cast<size_t>(r * m.cols + (m.in_perm ? m.in_perm[k] : k))] = row[static_cast<size_t>(k)];
    }
    return out;
}

TEST(HfQuantized, EveryLinearOfEveryCheckpointUnpacksToTheReferenceExactly) {
    const nlohmann::json &ref = reference();
    ASSERT_EQ(ref["checkpoints"].size(), 6u);
    for (const auto &ck : ref["checkpoints"]) {
        const std::string name = ck["name"].get<std::string>();
        SCOPED_TRACE(name);
        const Checkpoint ckpt = read_hf_checkpoint(shared(ck["model_dir"].get<std::string>()));
        const HfQuantConfig config = read_hf_quant_config(ckpt.hf_config, name);
        EXPECT_EQ(config.bits, ck["bits"].get<int>());
        EXPECT_EQ(config.group_size, ck["group_size"].get<int64_t>());
        WeightStore store(ckpt, LoadOptions{});
        ASSERT_EQ(ck["tensors"].size(), 14u);
        int n_permuted = 0;
        for (const auto &item : ck["tensors"].items()) {
            const std::string tensor = item.key();
            SCOPED_TRACE(tensor);
            const auto &t = item.value();
            const int64_t rows = t["shape"][0].get<int64_t>(), cols = t["shape"][1].get<int64_t>();
            const std::string prefix = tensor.substr(0, tensor.size() - std::string(".weight").size());

            // Codes and effective zero points as the file holds them.
            const HfQuantLinear q = read_hf_quantized_linear(ckpt, config, prefix, rows, cols);
            EXPECT_EQ(sha256_hex(q.codes.data(), q.codes.size()), t["codes_sha256_u8_out_in"].get<std::string>());
            std::vector<uint8_t> zeros(q.zeros.begin(), q.zeros.end());
            EXPECT_EQ(sha256_hex(zeros.data(), zeros.size()), t["zero_points_sha256_u8_out_groups"].get<std::string>());

            // The repacked matrix holds exactly the reference's float32 values.
            const Matrix m = store.matrix(tensor, rows, cols);
            ASSERT_NE(m.type->format(), nullptr);
            const QuantFormat &f = *m.type->format();
            EXPECT_EQ(f.kind, config.bits == 4 ? QuantKind::Int4 : QuantKind::Int8);
            EXPECT_EQ(f.group_size, config.group_size);
            // sym GPTQ keeps the fp16 scales as they are; zero points need the asym fp32 min.
            EXPECT_EQ(f.asym, !(config.method == HfQuantConfig::Method::Gptq && config.sym));
            EXPECT_EQ(f.scale, f.asym ? ScaleDtype::F32 : ScaleDtype::F16);
            const bool monotonic = t.value("g_idx_monotonic", true);
            EXPECT_EQ(m.in_perm != nullptr, !monotonic);
            n_permuted += m.in_perm != nullptr;
            const std::vector<float> w = unpacked(m);
            EXPECT_EQ(sha256_hex(reinterpret_cast<const uint8_t *>(w.data()), w.size() * sizeof(float)),
                      t["sha256_f32le"].get<std::string>());
            const auto first16 = t["first16"].get<std::vector<double>>();
            for (size_t i = 0; i < first16.size(); ++i) EXPECT_EQ(static_cast<double>(w[i]), first16[i]) << i;
            double sum = 0.0;
            for (float v : w) sum += v;
            EXPECT_NEAR(sum, t["sum"].get<double>(), 1e-9 * (1.0 + std::fabs(sum)));
            // The decoder agrees with the packed matrix.
            for (int64_t o = 0; o < rows; o += 37)
                for (int64_t i = 0; i < cols; i += 11)
                    ASSERT_EQ(q.value(o, i), w[static_cast<size_t>(o * cols + i)]);
        }
        EXPECT_EQ(n_permuted, ck["desc_act"].get<bool>() ? 14 : 0);
    }
}

// GPTQModel's gptq_v2 stores the zero points themselves: a v1 checkpoint converted the way
// GPTQModel converts (+0x11111111 per 4-bit word) loads to the same values.
TEST(HfQuantized, GptqV2ZerosLoadLikeV1) {
    for (const char *dir : {"gptq-g64-asym", "gptq-g32-sym-descact"}) {
        SCOPED_TRACE(dir);
        Checkpoint ckpt = read_hf_checkpoint(shared(std::string("models/quantized-hf/synthetic-llama/") + dir));
        ckpt.hf_config["quantization_config"]["checkpoint_format"] = "gptq_v2";
        std::vector<std::vector<uint8_t>> v2_zeros;
        for (auto &entry : ckpt.tensors) {
            TensorView &t = entry.second;
            if (entry.first.size() < 7 || entry.first.compare(entry.first.size() - 7, 7, ".qzeros") != 0) continue;
            std::vector<uint8_t> bytes(t.data, t.data + t.nbytes);
            for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
                uint32_t word;
                std::memcpy(&word, &bytes[i], 4);
                word += 0x11111111u;
                std::memcpy(&bytes[i], &word, 4);
            }
            v2_zeros.push_back(std::move(bytes));
            t.data = v2_zeros.back().data();
        }
        ASSERT_EQ(v2_zeros.size(), 14u);
        const nlohmann::json *ck = nullptr;
        for (const auto &x : reference()["checkpoints"])
            if (x["name"] == dir) ck = &x;
        ASSERT_NE(ck, nullptr);
        WeightStore store(ckpt, LoadOptions{});
        for (const auto &item : (*ck)["tensors"].items()) {
            const Matrix m = store.matrix(item.key(), item.value()["shape"][0].get<int64_t>(),
                                          item.value()["shape"][1].get<int64_t>());
            const std::vector<float> w = unpacked(m);
            EXPECT_EQ(sha256_hex(reinterpret_cast<const uint8_t *>(w.data()), w.size() * sizeof(float)),
                      item.value()["sha256_f32le"].get<std::string>())
                << item.key();
        }
    }
}

// q/k/v (and gate/up) share a permutation: one pointer, so matmul_group gathers x once.
TEST(HfQuantized, ActOrderMatricesSharingAnInputSharePermutation) {
    const Checkpoint ckpt =
        read_hf_checkpoint(shared("models/quantized-hf/synthetic-llama/gptq-g32-sym-descact"));
    WeightStore store(ckpt, LoadOptions{});
    const std::string p = "model.layers.0.";
    const Matrix q = store.matrix(p + "self_attn.q_proj.weight", 128, 128);
    const Matrix k = store.matrix(p + "self_attn.k_proj.weight", 32, 128);
    const Matrix o = store.matrix(p + "self_attn.o_proj.weight", 128, 128);
    ASSERT_NE(q.in_perm, nullptr);
    EXPECT_EQ(q.in_perm, k.in_perm);
    EXPECT_NE(q.in_perm, o.in_perm);
}

// Quantizing while loading re-quantizes the exact values (in their original column order: no
// permutation survives into a written file).
TEST(HfQuantized, QuantizingWhileLoadingStartsFromTheExactValues) {
    const Checkpoint ckpt =
        read_hf_checkpoint(shared("models/quantized-hf/synthetic-llama/gptq-g32-sym-descact"));
    LoadOptions options;
    options.quantize.emplace();
    options.quantize->format.kind = QuantKind::Int8;
    options.quantize->format.group_size = 32;
    WeightStore store(ckpt, options);
    const std::string name = "model.layers.0.mlp.down_proj.weight";
    const Matrix m = store.matrix(name, 128, 320);
    EXPECT_EQ(m.type->name(), "int8_g32_sym_fp32");
    EXPECT_EQ(m.in_perm, nullptr);
    const HfQuantLinear q = read_hf_quantized_linear(ckpt, read_hf_quant_config(ckpt.hf_config, "config"),
                                                     "model.layers.0.mlp.down_proj", 128, 320);
    const std::vector<float> w = unpacked(m);
    float amax = 0.0f;
    for (int64_t o = 0; o < 128; ++o)
        for (int64_t i = 0; i < 320; ++i) amax = std::max(amax, std::fabs(q.value(o, i)));
    for (int64_t o = 0; o < 128; ++o)  // within half an int8 step of the largest group
        for (int64_t i = 0; i < 320; ++i) ASSERT_NEAR(w[static_cast<size_t>(o * 320 + i)], q.value(o, i), amax / 254);
}

// ---- known-answer layouts and malformed tensors, on checkpoints built in memory ----

struct Fake {
    Checkpoint ckpt;
    std::vector<std::vector<uint8_t>> storage;
    void add(const std::string &name, DType dtype, std::vector<int64_t> shape, std::vector<uint8_t> bytes) {
        storage.push_back(std::move(bytes));
        TensorView t;
        t.name = name;
        t.dtype = dtype;
        t.shape = std::move(shape);
        t.data = storage.back().data();
        t.nbytes = storage.back().size();
        ckpt.tensors[name] = t;
    }
    void add_i32(const std::string &name, std::vector<int64_t> shape, const std::vector<uint32_t> &v) {
        std::vector<uint8_t> b(v.size() * 4);
        std::memcpy(b.data(), v.data(), b.size());
        add(name, DType::I32, std::move(shape), std::move(b));
    }
    void add_f16(const std::string &name, std::vector<int64_t> shape, float value, size_t n) {
        std::vector<uint8_t> b(n * 2);
        const uint16_t h = f32_to_f16(value);
        for (size_t i = 0; i < n; ++i) std::memcpy(b.data() + 2 * i, &h, 2);
        add(name, DType::F16, std::move(shape), std::move(b));
    }
};

HfQuantConfig gptq4(int64_t group) {
    HfQuantConfig c;
    c.method = HfQuantConfig::Method::Gptq;
    c.bits = 4;
    c.group_size = group;
    return c;
}

// GPTQ 4-bit, 8 outputs x 32 inputs, one group: qweight [4, 8], qzeros [1, 1], scales [1, 8].
Fake gptq_fake() {
    Fake f;
    f.ckpt.path = "fake";
    std::vector<uint32_t> qweight(4 * 8, 0x88888888u);
    qweight[0 * 8 + 0] = 0x87654321u;  // output 0, inputs 0..7 hold codes 1..8
    f.add_i32("P.qweight", {4, 8}, qweight);
    f.add_i32("P.qzeros", {1, 1}, {0x76543210u});  // output j: stored j, zero j + 1
    f.add_f16("P.scales", {1, 8}, 0.5f, 8);
    std::vector<uint32_t> g_idx(32, 0);
    f.add_i32("P.g_idx", {32}, g_idx);
    return f;
}

TEST(HfQuantized, GptqKnownAnswerLayout) {
    Fake f = gptq_fake();
    const HfQuantLinear q = read_hf_quantized_linear(f.ckpt, gptq4(32), "P", 8, 32);
    for (int i = 0; i < 8; ++i) EXPECT_EQ(q.codes[static_cast<size_t>(i)], i + 1);
    EXPECT_EQ(q.codes[8], 8);
    for (int o = 0; o < 8; ++o) EXPECT_EQ(q.zeros[static_cast<size_t>(o)], o + 1);
    EXPECT_EQ(q.value(0, 0), 0.5f * (1 - 1));
    EXPECT_EQ(q.value(3, 0), 0.5f * (8 - 4));
    HfQuantConfig v2 = gptq4(32);
    v2.zeros_minus_one = false;
    EXPECT_EQ(read_hf_quantized_linear(f.ckpt, v2, "P", 8, 32).zeros[5], 5);
}

TEST(HfQuantized, AwqKnownAnswerLayout) {
    Fake f;
    f.ckpt.path = "fake";
    // 8 outputs x 32 inputs, group 32: qweight [32, 1], qzeros [1, 1], scales [1, 8].
    std::vector<uint32_t> qweight(32, 0);
    qweight[0] = 0x75316420u;  // input 0: outputs 0..7 hold codes 0..7
    f.add_i32("P.qweight", {32, 1}, qweight);
    f.add_i32("P.qzeros", {1, 1}, {0x75316420u});
    f.add_f16("P.scales", {1, 8}, 0.25f, 8);
    HfQuantConfig c;
    c.method = HfQuantConfig::Method::Awq;
    c.group_size = 32;
    c.zeros_minus_one = false;
    const HfQuantLinear q = read_hf_quantized_linear(f.ckpt, c, "P", 8, 32);
    for (int o = 0; o < 8; ++o) {
        EXPECT_EQ(q.codes[static_cast<size_t>(o * 32)], o);
        EXPECT_EQ(q.zeros[static_cast<size_t>(o)], o);
    }
}

// One group over the whole input (GPTQ group_size -1) maps onto the one-scale-per-row layout.
TEST(HfQuantized, PerChannelGroupsLoadExactly) {
    Fake f = gptq_fake();
    f.ckpt.hf_config = {{"quantization_config", {{"quant_method", "gptq"}, {"bits", 4}, {"group_size", -1}}}};
    WeightStore store(f.ckpt, LoadOptions{});
    const Matrix m = store.matrix("P.weight", 8, 32);
    EXPECT_EQ(m.type->name(), "int4_grow_asym_fp32");
    EXPECT_EQ(m.in_perm, nullptr);
    HfQuantConfig c = gptq4(-1);
    const HfQuantLinear q = read_hf_quantized_linear(f.ckpt, c, "P", 8, 32);
    const std::vector<float> w = unpacked(m);
    for (int64_t o = 0; o < 8; ++o)
        for (int64_t i = 0; i < 32; ++i) EXPECT_EQ(w[static_cast<size_t>(o * 32 + i)], q.value(o, i));
}

void expect_format_error(const Fake &f, const std::string &tensor) {
    try {
        read_hf_quantized_linear(f.ckpt, gptq4(32), "P", 8, 32);
        ADD_FAILURE() << "no error for " << tensor;
    } catch (const Error &e) {
        EXPECT_EQ(e.status(), Status::Format) << e.what();
        EXPECT_NE(std::string(e.what()).find(tensor), std::string::npos) << e.what();
    }
}

TEST(HfQuantized, MalformedTensorsAreNamedFormatErrors) {
    {
        Fake f = gptq_fake();
        f.ckpt.tensors["P.qweight"].shape = {8, 4};
        expect_format_error(f, "P.qweight");
    }
    {
        Fake f = gptq_fake();
        std::memset(f.storage.back().data() + 4 * 7, 0xff, 4);  // g_idx[7] = -1
        expect_format_error(f, "P.g_idx");
    }
    {
        Fake f = gptq_fake();
        const uint32_t two = 2;  // group 2 of 1
        std::memcpy(f.storage.back().data(), &two, 4);
        expect_format_error(f, "P.g_idx");
    }
    {
        Fake f = gptq_fake();
        f.ckpt.tensors.erase("P.scales");
        expect_format_error(f, "P.scales");
    }
    {
        Fake f = gptq_fake();
        f.ckpt.tensors["P.qzeros"].dtype = DType::F32;
        expect_format_error(f, "P.qzeros");
    }
}

// -1 when the config is accepted, else the status it is refused with.
int config_status(const nlohmann::json &q) {
    try {
        read_hf_quant_config({{"quantization_config", q}}, "config.json");
    } catch (const Error &e) {
        return static_cast<int>(e.status());
    }
    return -1;
}
constexpr int kOk = -1;
constexpr int kUnsupported = static_cast<int>(Status::Unsupported);
constexpr int kFormat = static_cast<int>(Status::Format);

TEST(HfQuantized, UnsupportedVariantsAreRefused) {
    EXPECT_EQ(config_status({{"quant_method", "gptq"}, {"bits", 4}, {"group_size", 128}}), kOk);
    EXPECT_EQ(config_status({{"quant_method", "gptq"}, {"bits", 4}, {"checkpoint_format", "gptq_v2"}}), kOk);
    EXPECT_EQ(config_status({{"quant_method", "awq"}, {"bits", 4}, {"group_size", 128}, {"version", "GEMM"}}),
              kOk);
    EXPECT_EQ(config_status({{"quant_method", "gptq"}, {"bits", 3}}), kUnsupported);
    EXPECT_EQ(config_status({{"quant_method", "gptq"}, {"bits", 2}}), kUnsupported);
    EXPECT_EQ(config_status({{"quant_method", "gptq"}, {"checkpoint_format", "marlin"}}), kUnsupported);
    EXPECT_EQ(config_status({{"quant_method", "gptq"}, {"is_marlin_format", true}}), kUnsupported);
    EXPECT_EQ(config_status({{"quant_method", "awq"}, {"version", "gemv"}}), kUnsupported);
    EXPECT_EQ(config_status({{"quant_method", "awq"}, {"version", "gemv_fast"}}), kUnsupported);
    EXPECT_EQ(config_status({{"quant_method", "awq"}, {"version", "gemm"}, {"bits", 8}}), kUnsupported);
    EXPECT_EQ(config_status({{"quant_method", "bitsandbytes"}}), kUnsupported);
    EXPECT_EQ(config_status({{"quant_method", "gptq"}, {"bits", "four"}}), kFormat);
}

TEST(HfQuantized, GroupSizesWithoutAnIntFormatAreUnsupported) {
    // Group 8 is not a multiple of 16: no llmrt int format holds it.
    Fake f;
    f.ckpt.path = "fake";
    f.ckpt.hf_config = {{"quantization_config", {{"quant_method", "gptq"}, {"bits", 4}, {"group_size", 8}}}};
    f.add_i32("P.qweight", {4, 8}, std::vector<uint32_t>(32, 0x88888888u));
    f.add_i32("P.qzeros", {4, 1}, std::vector<uint32_t>(4, 0x77777777u));
    f.add_f16("P.scales", {4, 8}, 1.0f, 32);
    WeightStore store(f.ckpt, LoadOptions{});
    try {
        store.matrix("P.weight", 8, 32);
        ADD_FAILURE() << "group 8 accepted";
    } catch (const Error &e) {
        EXPECT_EQ(e.status(), Status::Unsupported) << e.what();
        EXPECT_NE(std::string(e.what()).find("group size 8"), std::string::npos) << e.what();
    }
}

// ---- matmul with an input permutation, against a scalar product ----

TEST(HfQuantized, PermutedMatmulMatchesScalar) {
    const int64_t rows = 24, cols = 64, m = 3;
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> w(static_cast<size_t>(rows * cols)), x(static_cast<size_t>(m * cols));
    for (float &v : w) v = u(rng);
    for (float &v : x) v = u(rng);
    std::vector<int32_t> perm(static_cast<size_t>(cols));
    for (int64_t k = 0; k < cols; ++k) perm[static_cast<size_t>(k)] = static_cast<int32_t>(k);
    std::shuffle(perm.begin(), perm.end(), rng);
    ThreadPool pool(2);
    for (const char *type_name : {"f32", "int4_g32_asym_fp32", "int8_g32_sym_fp16"}) {
        SCOPED_TRACE(type_name);
        const WeightType *type = find_weight_type(type_name, ComputeDtype::F32);
        ASSERT_NE(type, nullptr);
        // Stored columns in permuted order: stored[r, k] = w[r, perm[k]].
        std::vector<float> stored(w.size());
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t k = 0; k < cols; ++k)
                stored[static_cast<size_t>(r * cols + k)] = w[static_cast<size_t>(r * cols + perm[k])];
        std::vector<uint8_t> packed(static_cast<size_t>(rows) * type->row_bytes(cols));
        for (int64_t r = 0; r < rows; ++r)
            type->pack_row(stored.data() + r * cols, cols, packed.data() + r * type->row_bytes(cols));
        Matrix a{type, rows, cols, packed.data(), perm.data()};
        Matrix b{type, rows, cols, packed.data(), nullptr};  // unpermuted: a different product
        // Expected: the dequantized stored values, un-permuted, dotted with x in double.
        std::vector<float> deq(stored.size());
        for (int64_t r = 0; r < rows; ++r) type->unpack_row(a.row(r), cols, deq.data() + r * cols);
        std::vector<float> ya(static_cast<size_t>(m * rows)), yb(ya.size()), yg(ya.size());
        matmul(a, x.data(), m, ya.data(), pool);
        const MatmulOutput group[2] = {{&a, yg.data()}, {&b, yb.data()}};
        matmul_group(group, 2, x.data(), m, pool);
        for (int64_t i = 0; i < m; ++i)
            for (int64_t r = 0; r < rows; ++r) {
                double want = 0.0, unpermuted = 0.0;
                for (int64_t k = 0; k < cols; ++k) {
                    want += static_cast<double>(deq[static_cast<size_t>(r * cols + k)]) *
                            x[static_cast<size_t>(i * cols + perm[static_cast<size_t>(k)])];
                    unpermuted += static_cast<double>(deq[static_cast<size_t>(r * cols + k)]) *
                                  x[static_cast<size_t>(i * cols + k)];
                }
                const size_t p = static_cast<size_t>(i * rows + r);
                EXPECT_NEAR(ya[p], want, 1e-4);
                EXPECT_NEAR(yg[p], want, 1e-4);
                EXPECT_NEAR(yb[p], unpermuted, 1e-4);
            }
    }
}

}  // namespace
}  // namespace llmrt
