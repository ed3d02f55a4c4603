// llmrt_model_params.tensor_parallel through the C API. Run alone it checks the defaults, the
// refused values and a one-rank (singleton MPI) model; under `mpirun -np N` every rank also checks
// that the sharded model's logits equal, bit for bit, those of the same model loaded unsharded.
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

const std::string kModel = test::source_path("models/stories260K/stories260K.gguf");

llmrt_status load(int32_t tensor_parallel, llmrt_model **out) {
    llmrt_model_params p;
    llmrt_model_params_init(&p);
    p.tensor_parallel = tensor_parallel;
    return llmrt_model_load(kModel.c_str(), &p, out);
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

TEST(TensorParallel, ShardedLogitsEqualUnsharded) {
    llmrt_model *m = nullptr;
    const llmrt_status status = load(1, &m);
#if LLMRT_TEST_HAVE_MPI
    ASSERT_EQ(status, LLMRT_OK) << llmrt_last_error();
    test::ModelPtr sharded(m);
    const char *world = std::getenv("OMPI_COMM_WORLD_SIZE");  // set by mpirun; alone: a singleton
    EXPECT_EQ(llmrt_model_tp_size(m), world ? std::atoi(world) : 1);
    EXPECT_LT(llmrt_model_tp_rank(m), llmrt_model_tp_size(m));
    test::ModelPtr whole = test::load(kModel);
    const std::vector<float> want = logits_of(whole.get()), got = logits_of(sharded.get());
    ASSERT_EQ(got.size(), want.size());
    EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0)
        << "rank " << llmrt_model_tp_rank(m) << " of " << llmrt_model_tp_size(m) << ": logits differ";
#else
    EXPECT_EQ(status, LLMRT_ERR_UNSUPPORTED);
    EXPECT_NE(std::string(llmrt_last_error()).find("MPI"), std::string::npos) << llmrt_last_error();
#endif
}

#if LLMRT_TEST_HAVE_MPI
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
