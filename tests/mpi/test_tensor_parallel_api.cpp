// llmrt_model_params.tensor_parallel through the C API. Run alone it checks the defaults, the
// refused values and a one-rank (singleton MPI) model; under `mpirun -np N` every rank also checks
// that the sharded model's logits are those of the same model loaded unsharded, within 1e-4 (the
// partial sums of the split projections are added in another order, nothing else differs).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

const std::string kModel = test::source_path("models/stories260K/stories260K.gguf");

// quantize: nullptr keeps the file's types.
llmrt_status load(int32_t tensor_parallel, llmrt_model **out, const llmrt_quant_params *quantize = nullptr) {
    llmrt_model_params p;
    llmrt_model_params_init(&p);
    p.tensor_parallel = tensor_parallel;
    p.quantize = quantize;
    return llmrt_model_load(kModel.c_str(), &p, out);
}

llmrt_quant_params quantized(const char *dtype, int32_t group_size) {
    llmrt_quant_params q;
    llmrt_quant_params_init(&q);
    q.weight_dtype = dtype;
    q.group_size = group_size;
    q.tensor_overrides = "";  // every matrix in that type, the row-parallel ones too
    return q;
}

#if LLMRT_TEST_HAVE_MPI
// The logits after every token of a 70-token prompt (prefill, 64 rows and more in one matmul) and
// after 8 decoded tokens (matmuls of one row).
std::vector<float> logits_of(llmrt_model *m) {
    const int32_t n_vocab = llmrt_model_n_vocab(m);
    test::ContextPtr ctx = test::context(m, 128, 1, 1);
    std::vector<int32_t> prompt = test::tokenize(m, "Once upon a time, there was a little girl named Lily who liked");
    while (prompt.size() < 70) prompt.push_back(static_cast<int32_t>(prompt.size() * 7 % n_vocab));
    EXPECT_EQ(llmrt_decode(ctx.get(), prompt.data(), static_cast<int32_t>(prompt.size())), LLMRT_OK) << llmrt_last_error();
    std::vector<float> all;
    for (int32_t i = 0; i < static_cast<int32_t>(prompt.size()); ++i) {
        const float *l = llmrt_get_logits_ith(ctx.get(), i);
        all.insert(all.end(), l, l + n_vocab);
    }
    for (int step = 0; step < 8; ++step) {
        int32_t next = test::argmax(all.data() + all.size() - n_vocab, n_vocab);
        EXPECT_EQ(llmrt_decode(ctx.get(), &next, 1), LLMRT_OK) << llmrt_last_error();
        const float *l = llmrt_get_logits(ctx.get());
        all.insert(all.end(), l, l + n_vocab);
    }
    return all;
}
#endif

TEST(TensorParallel, OffByDefault) {
    llmrt_model_params p;
    llmrt_model_params_init(&p);
    EXPECT_EQ(p.tensor_parallel, 0);
    test::ModelPtr m = test::load(kModel);
    EXPECT_EQ(llmrt_model_tp_rank(m.get()), 0);
    EXPECT_EQ(llmrt_model_tp_size(m.get()), 1);
    EXPECT_EQ(llmrt_model_tp_rank(nullptr), 0);
    EXPECT_EQ(llmrt_model_tp_size(nullptr), 1);
}

TEST(TensorParallel, OtherValuesAreRefused) {
    llmrt_model *m = nullptr;
    EXPECT_EQ(load(2, &m), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(m, nullptr);
    EXPECT_NE(std::string(llmrt_last_error()).find("tensor_parallel"), std::string::npos) << llmrt_last_error();
}

TEST(TensorParallel, OlderStructsLeaveItOff) {
    // A caller built against API 1.3 has no such field: whatever follows its struct is not read.
    llmrt_model_params p;
    llmrt_model_params_init(&p);
    p.struct_size = static_cast<uint32_t>(offsetof(llmrt_model_params, tensor_parallel));
    p.tensor_parallel = 7;
    llmrt_model *m = nullptr;
    ASSERT_EQ(llmrt_model_load(kModel.c_str(), &p, &m), LLMRT_OK) << llmrt_last_error();
    test::ModelPtr owned(m);
    EXPECT_EQ(llmrt_model_tp_size(m), 1);
}

#if LLMRT_TEST_HAVE_MPI
double max_difference(const std::vector<float> &a, const std::vector<float> &b) {
    EXPECT_EQ(a.size(), b.size());
    double worst = 0.0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) worst = std::max(worst, std::fabs(double(a[i]) - double(b[i])));
    return worst;
}

// The logits of the model loaded sharded over the ranks and loaded whole, on every rank.
struct ShardedAndWhole {
    std::vector<float> sharded, whole;
};

ShardedAndWhole logits_sharded_and_whole(const llmrt_quant_params *quantize) {
    llmrt_model *m = nullptr;
    EXPECT_EQ(load(1, &m, quantize), LLMRT_OK) << llmrt_last_error();
    if (!m) return {};
    test::ModelPtr sharded(m);
    const char *world = std::getenv("OMPI_COMM_WORLD_SIZE");  // set by mpirun; alone: a singleton
    EXPECT_EQ(llmrt_model_tp_size(m), world ? std::atoi(world) : 1);
    EXPECT_LT(llmrt_model_tp_rank(m), llmrt_model_tp_size(m));
    llmrt_model *w = nullptr;
    EXPECT_EQ(load(0, &w, quantize), LLMRT_OK) << llmrt_last_error();
    if (!w) return {};
    test::ModelPtr whole(w);
    EXPECT_STREQ(llmrt_model_weight_type(m), llmrt_model_weight_type(w));
    return {logits_of(sharded.get()), logits_of(whole.get())};
}

// Under mpirun every rank compares its sharded model's logits with the same model loaded whole.
void expect_sharded_matches_whole(const llmrt_quant_params *quantize) {
    const ShardedAndWhole l = logits_sharded_and_whole(quantize);
    ASSERT_FALSE(l.whole.empty());
    const double worst = max_difference(l.sharded, l.whole);
    EXPECT_LE(worst, 1e-4) << "logits differ by up to " << worst;
}
#endif

TEST(TensorParallel, ShardedLogitsMatchUnsharded) {
#if LLMRT_TEST_HAVE_MPI
    expect_sharded_matches_whole(nullptr);
#else
    llmrt_model *m = nullptr;
    EXPECT_EQ(load(1, &m), LLMRT_ERR_UNSUPPORTED);
    EXPECT_NE(std::string(llmrt_last_error()).find("MPI"), std::string::npos) << llmrt_last_error();
#endif
}

#if LLMRT_TEST_HAVE_MPI
// Quantized at load, then cut: the ranks' matrices hold exactly the whole one's codes and scales,
// which f32 dot products show to within the same 1e-4.
TEST(TensorParallel, QuantizedShardsMatchUnsharded) {
    for (auto q : {quantized("int4", 32), quantized("int8", -1), quantized("fp8_e4m3", 32)}) {
        SCOPED_TRACE(q.weight_dtype);
        q.compute_type = LLMRT_COMPUTE_F32;
        expect_sharded_matches_whole(&q);
    }
}

// With int8 or bf16 dot products, x itself is rounded (to int8 per block, or to bf16) before
// every product, and that rounding jumps: the last-bit differences of the split sums move a few
// values across a rounding boundary. The sharded logits must still stay within 1% of how far
// quantizing itself moved them from the f32 model.
TEST(TensorParallel, QuantizedActivationsStayWithinQuantizationError) {
    const ShardedAndWhole f32 = logits_sharded_and_whole(nullptr);
    for (int32_t compute : {LLMRT_COMPUTE_INT8, LLMRT_COMPUTE_BF16}) {
        SCOPED_TRACE(llmrt_compute_type_name(compute));
        llmrt_quant_params q = quantized("int4", 32);
        q.compute_type = compute;
        const ShardedAndWhole l = logits_sharded_and_whole(&q);
        ASSERT_FALSE(l.whole.empty());
        const double split = max_difference(l.sharded, l.whole), quantization = max_difference(l.whole, f32.whole);
        std::printf("%s: sharded vs whole %.3g, quantized vs f32 %.3g\n", llmrt_compute_type_name(compute), split,
                    quantization);
        EXPECT_LE(split, 0.01 * quantization);  // measured: 0.2% (int8) and 0.4% (bf16) on stories260K
    }
}

// stories260K's attention output has 64 input features, 32 per rank on 2 ranks: groups of 64
// would be cut in half, which is refused (a single rank has nothing to cut).
TEST(TensorParallel, SplitInsideAGroupIsRefused) {
    const llmrt_quant_params q = quantized("nf4", 64);
    llmrt_model *m = nullptr;
    const llmrt_status status = load(1, &m, &q);
    const char *world = std::getenv("OMPI_COMM_WORLD_SIZE");
    if (!world || std::atoi(world) == 1) {
        EXPECT_EQ(status, LLMRT_OK) << llmrt_last_error();
        llmrt_model_free(m);
        return;
    }
    EXPECT_EQ(status, LLMRT_ERR_UNSUPPORTED);
    EXPECT_EQ(m, nullptr);
    EXPECT_NE(std::string(llmrt_last_error()).find("quantization groups"), std::string::npos) << llmrt_last_error();
}

// Sets an environment variable for one scope (the library reads LLMRT_TP_TIMEOUT at each load).
class ScopedEnv {
public:
    ScopedEnv(const char *name, const char *value) : name_(name) { setenv(name, value, 1); }
    ~ScopedEnv() { unsetenv(name_); }
    ScopedEnv(const ScopedEnv &) = delete;
    ScopedEnv &operator=(const ScopedEnv &) = delete;

private:
    const char *name_;
};

TEST(TensorParallel, MalformedTimeoutIsRefused) {
    // Refused before any communication, so every rank fails alike and the ranks stay in step.
    for (const char *value : {"soon", "0", "-1", "nan", "inf", "5s", "1e7"}) {
        ScopedEnv env("LLMRT_TP_TIMEOUT", value);
        llmrt_model *m = nullptr;
        EXPECT_EQ(load(1, &m), LLMRT_ERR_INVALID_ARGUMENT) << value;
        EXPECT_EQ(m, nullptr);
        EXPECT_NE(std::string(llmrt_last_error()).find(std::string("LLMRT_TP_TIMEOUT=") + value + ": expected"),
                  std::string::npos)
            << llmrt_last_error();
    }
    ScopedEnv env("LLMRT_TP_TIMEOUT", "30.5");
    llmrt_model *m = nullptr;
    ASSERT_EQ(load(1, &m), LLMRT_OK) << llmrt_last_error();
    test::ModelPtr owned(m);
}
#endif

}  // namespace
