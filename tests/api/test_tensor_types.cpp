// llmrt_model_n_tensor_types / llmrt_model_tensor_type: a model's tensors by type, as stored in
// its file and as loaded, on llama.cpp's K-quant GGUF, a bf16 Hugging Face directory and a
// synthetic model.
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

struct Stats {
    std::string type;
    int32_t n_tensors;
    uint64_t n_params;
    uint64_t n_bytes;
    bool operator==(const Stats &o) const {
        return type == o.type && n_tensors == o.n_tensors && n_params == o.n_params && n_bytes == o.n_bytes;
    }
};

std::ostream &operator<<(std::ostream &os, const Stats &s) {
    return os << "{" << s.type << ", " << s.n_tensors << ", " << s.n_params << ", " << s.n_bytes << "}";
}

std::vector<Stats> types(const llmrt_model *m, int32_t as_loaded) {
    std::vector<Stats> out;
    const int32_t n = llmrt_model_n_tensor_types(m, as_loaded);
    for (int32_t i = 0; i < n; ++i) {
        llmrt_tensor_type_stats s;
        EXPECT_EQ(llmrt_model_tensor_type(m, as_loaded, i, &s), LLMRT_OK) << llmrt_last_error();
        EXPECT_EQ(s.struct_size, sizeof(s));
        out.push_back({s.type, s.n_tensors, s.n_params, s.n_bytes});
    }
    return out;
}

uint64_t sum_params(const std::vector<Stats> &v) {
    uint64_t n = 0;
    for (const Stats &s : v) n += s.n_params;
    return n;
}

uint64_t sum_bytes(const std::vector<Stats> &v) {
    uint64_t n = 0;
    for (const Stats &s : v) n += s.n_bytes;
    return n;
}

// What every model's lists satisfy: sorted by parameters, most first; the loaded ones add up to
// the model's parameter and byte counts, and the first is the model's weight type.
void expect_consistent(const llmrt_model *m) {
    for (int32_t as_loaded : {0, 1}) {
        const std::vector<Stats> v = types(m, as_loaded);
        ASSERT_FALSE(v.empty());
        for (size_t i = 1; i < v.size(); ++i) EXPECT_GE(v[i - 1].n_params, v[i].n_params) << "not sorted";
    }
    const std::vector<Stats> loaded = types(m, 1);
    EXPECT_EQ(sum_params(loaded), llmrt_model_n_params(m));
    EXPECT_EQ(sum_bytes(loaded), llmrt_model_weight_bytes(m));
    EXPECT_EQ(loaded.front().type, llmrt_model_weight_type(m));
}

const std::string kQ4KM = "models/debdoc-8M-gguf/debdoc-8M-Q4_K_M.gguf";

}  // namespace

TEST(TensorTypes, GgufQ4KMAsStoredAndAsLoaded) {
    test::ModelPtr m = test::load(test::shared_path(kQ4KM));
    ASSERT_TRUE(m);
    // Obtained once with llama.cpp's gguf-py (GGUFReader: per tensor_type.name, the count and the
    // sums of n_elements and n_bytes over reader.tensors), not with llmrt:
    //   Q4_K 49 tensors 6422528 elements 3612672 bytes; Q6_K 9, 1966080, 1612800; F32 17, 4352, 17408.
    const std::vector<Stats> want = {
        {"q4_k", 49, 6422528, 3612672},
        {"q6_k", 9, 1966080, 1612800},
        {"f32", 17, 4352, 17408},
    };
    const std::vector<Stats> file = types(m.get(), 0);
    EXPECT_EQ(file, want);
    // The model uses every tensor of this file, so both lists count the same parameters.
    EXPECT_EQ(sum_params(file), llmrt_model_n_params(m.get()));
    expect_consistent(m.get());

    // As loaded: the blocks repacked exactly into llmrt's int types, the norms in f32.
    const std::vector<Stats> loaded = types(m.get(), 1);
    int32_t n_tensors = 0;
    for (const Stats &s : loaded) {
        n_tensors += s.n_tensors;
        EXPECT_TRUE(s.type == "f32" || s.type.rfind("int", 0) == 0) << s;
    }
    EXPECT_EQ(n_tensors, 75);
    EXPECT_EQ(loaded.back(), (Stats{"f32", 17, 4352, 17408}));
}

TEST(TensorTypes, HuggingFaceBf16LoadsAsF32) {
    test::ModelPtr m = test::load(test::shared_path("models/synthetic/llama"));
    ASSERT_TRUE(m);
    const std::vector<Stats> file = types(m.get(), 0);
    ASSERT_EQ(file.size(), 1u);
    EXPECT_EQ(file[0].type, "bf16");
    EXPECT_EQ(file[0].n_bytes, 2 * file[0].n_params);
    const std::vector<Stats> loaded = types(m.get(), 1);
    ASSERT_EQ(loaded.size(), 1u);
    EXPECT_EQ(loaded[0].type, "f32");
    EXPECT_EQ(loaded[0].n_bytes, 4 * loaded[0].n_params);
    EXPECT_EQ(loaded[0].n_params, file[0].n_params);
    EXPECT_EQ(loaded[0].n_tensors, file[0].n_tensors);
    expect_consistent(m.get());
}

TEST(TensorTypes, QuantizedOnLoad) {
    llmrt_quant_params q;
    llmrt_quant_params_init(&q);
    q.weight_dtype = "int4";
    llmrt_model_params p;
    llmrt_model_params_init(&p);
    p.quantize = &q;
    p.n_threads = 2;
    llmrt_model *raw = nullptr;
    ASSERT_EQ(llmrt_model_load(test::shared_path("models/synthetic/llama").c_str(), &p, &raw), LLMRT_OK)
        << llmrt_last_error();
    test::ModelPtr m(raw);
    EXPECT_EQ(types(m.get(), 0).front().type, "bf16");
    const std::vector<Stats> loaded = types(m.get(), 1);
    bool has_int4 = false;
    for (const Stats &s : loaded) has_int4 = has_int4 || s.type.rfind("int4_g32", 0) == 0;
    EXPECT_TRUE(has_int4) << loaded.front();
    expect_consistent(m.get());
}

TEST(TensorTypes, SyntheticModelCountsItsBf16Source) {
    llmrt_model *raw = nullptr;
    ASSERT_EQ(llmrt_model_create_synthetic("stories260k", 1, nullptr, &raw), LLMRT_OK) << llmrt_last_error();
    test::ModelPtr m(raw);
    const std::vector<Stats> file = types(m.get(), 0);
    ASSERT_EQ(file.size(), 1u);
    EXPECT_EQ(file[0].type, "bf16");
    EXPECT_EQ(file[0].n_params, llmrt_model_n_params(m.get()));
    expect_consistent(m.get());
}

TEST(TensorTypes, BadArguments) {
    test::ModelPtr m = test::load(test::shared_path(kQ4KM));
    ASSERT_TRUE(m);
    llmrt_tensor_type_stats s;
    const int32_t n = llmrt_model_n_tensor_types(m.get(), 0);
    for (int32_t index : {-1, n, INT32_MAX}) {
        EXPECT_EQ(llmrt_model_tensor_type(m.get(), 0, index, &s), LLMRT_ERR_INVALID_ARGUMENT) << index;
        EXPECT_NE(std::string(llmrt_last_error()).find("out of range"), std::string::npos) << llmrt_last_error();
    }
    EXPECT_EQ(llmrt_model_tensor_type(m.get(), 1, llmrt_model_n_tensor_types(m.get(), 1), &s),
              LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_model_tensor_type(m.get(), 0, 0, nullptr), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_model_tensor_type(nullptr, 0, 0, &s), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_model_n_tensor_types(nullptr, 0), 0);
    EXPECT_EQ(llmrt_model_tensor_type_sized(m.get(), 0, 0, &s, 0), LLMRT_ERR_INVALID_ARGUMENT);
}

TEST(TensorTypes, OlderCallersSmallerStructIsWrittenOnlyAsFarAsItGoes) {
    test::ModelPtr m = test::load(test::shared_path(kQ4KM));
    ASSERT_TRUE(m);
    // A caller built when the struct ended after `type`: the library must not write past it.
    llmrt_tensor_type_stats s;
    std::memset(&s, 0xAB, sizeof(s));
    const uint32_t old_size = offsetof(llmrt_tensor_type_stats, n_tensors);
    ASSERT_EQ(llmrt_model_tensor_type_sized(m.get(), 0, 0, &s, old_size), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(s.struct_size, old_size);
    EXPECT_STREQ(s.type, "q4_k");
    const unsigned char *bytes = reinterpret_cast<const unsigned char *>(&s);
    for (size_t i = old_size; i < sizeof(s); ++i) EXPECT_EQ(bytes[i], 0xAB) << "byte " << i << " was written";
}
