// The closed sets of llmrt_quant_params and llmrt_model_params as constants (LLMRT_SCALE_*,
// LLMRT_COMPUTE_*), their names, and the API 1.0 string fields that still work beside them.
#include <string>

#include "test_support.h"

namespace {

const std::string kModel = test::source_path("models/stories260K/stories260K.gguf");

// Loads stories260K quantized in memory with q; the status, and the weight type on success.
llmrt_status load_quantized(const llmrt_quant_params &q, std::string *weight_type) {
    llmrt_model_params mp;
    llmrt_model_params_init(&mp);
    mp.quantize = &q;
    llmrt_model *m = nullptr;
    const llmrt_status st = llmrt_model_load(kModel.c_str(), &mp, &m);
    const test::ModelPtr owned(m);
    if (st == LLMRT_OK) *weight_type = llmrt_model_weight_type(m);
    return st;
}

llmrt_quant_params int4_params() {
    llmrt_quant_params q;
    llmrt_quant_params_init(&q);
    q.weight_dtype = "int4";
    q.tensor_overrides = "";  // everything in int4: the weight type names one format
    return q;
}

}  // namespace

TEST(TypeConstants, NamesCountUpFromZero) {
    const char *scales[] = {"fp32", "bf16", "fp16"};
    const int32_t scale_values[] = {LLMRT_SCALE_F32, LLMRT_SCALE_BF16, LLMRT_SCALE_F16};
    for (int32_t i = 0; i < 3; ++i) {
        EXPECT_EQ(scale_values[i], i);
        EXPECT_STREQ(llmrt_scale_type_name(i), scales[i]);
    }
    EXPECT_EQ(llmrt_scale_type_name(3), nullptr);
    EXPECT_EQ(llmrt_scale_type_name(-1), nullptr);
    const char *computes[] = {"auto", "fp32", "bf16", "int8"};
    const int32_t compute_values[] = {LLMRT_COMPUTE_AUTO, LLMRT_COMPUTE_F32, LLMRT_COMPUTE_BF16, LLMRT_COMPUTE_INT8};
    for (int32_t i = 0; i < 4; ++i) {
        EXPECT_EQ(compute_values[i], i);
        EXPECT_STREQ(llmrt_compute_type_name(i), computes[i]);
    }
    EXPECT_EQ(llmrt_compute_type_name(4), nullptr);
}

TEST(TypeConstants, DefaultsAreTheConstantsWithTheStringsUnset) {
    llmrt_quant_params q;
    llmrt_quant_params_init(&q);
    EXPECT_EQ(q.scale_type, LLMRT_SCALE_F32);
    EXPECT_EQ(q.compute_type, LLMRT_COMPUTE_AUTO);
    EXPECT_EQ(q.scale_dtype, nullptr);
    EXPECT_EQ(q.compute_dtype, nullptr);
    llmrt_model_params mp;
    llmrt_model_params_init(&mp);
    EXPECT_EQ(mp.compute_type, LLMRT_COMPUTE_AUTO);
    EXPECT_EQ(mp.compute_dtype, nullptr);
}

TEST(TypeConstants, ScaleTypeDecidesTheStoredScales) {
    std::string type;
    llmrt_quant_params q = int4_params();
    ASSERT_EQ(load_quantized(q, &type), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(type, "int4_g32_sym_fp32");
    q.scale_type = LLMRT_SCALE_F16;
    ASSERT_EQ(load_quantized(q, &type), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(type, "int4_g32_sym_fp16");
    q.scale_type = LLMRT_SCALE_BF16;
    ASSERT_EQ(load_quantized(q, &type), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(type, "int4_g32_sym_bf16");
}

TEST(TypeConstants, TheOlderStringsStillWorkAndMustAgree) {
    std::string type;
    llmrt_quant_params q = int4_params();
    q.scale_dtype = "bf16";  // API 1.0 code: the constant left at its default
    ASSERT_EQ(load_quantized(q, &type), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(type, "int4_g32_sym_bf16");
    q.scale_type = LLMRT_SCALE_BF16;  // both, agreeing
    EXPECT_EQ(load_quantized(q, &type), LLMRT_OK) << llmrt_last_error();
    q.scale_type = LLMRT_SCALE_F16;  // both, disagreeing
    EXPECT_EQ(load_quantized(q, &type), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(llmrt_last_error()).find("disagree"), std::string::npos) << llmrt_last_error();
    q = int4_params();
    q.compute_dtype = "int7";
    EXPECT_EQ(load_quantized(q, &type), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(llmrt_last_error()).find("auto, fp32, bf16, int8"), std::string::npos) << llmrt_last_error();
}

TEST(TypeConstants, ValuesOutsideTheSetAreInvalid) {
    std::string type;
    llmrt_quant_params q = int4_params();
    q.scale_type = 3;
    EXPECT_EQ(load_quantized(q, &type), LLMRT_ERR_INVALID_ARGUMENT);
    q = int4_params();
    q.compute_type = -1;
    EXPECT_EQ(load_quantized(q, &type), LLMRT_ERR_INVALID_ARGUMENT);
    llmrt_quantizer *quantizer = nullptr;
    EXPECT_EQ(llmrt_quantizer_create(&q, &quantizer), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(quantizer, nullptr);
    llmrt_model_params mp;
    llmrt_model_params_init(&mp);
    mp.compute_type = 4;
    llmrt_model *m = nullptr;
    EXPECT_EQ(llmrt_model_load(kModel.c_str(), &mp, &m), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(m, nullptr);
    mp.compute_type = LLMRT_COMPUTE_F32;
    ASSERT_EQ(llmrt_model_load(kModel.c_str(), &mp, &m), LLMRT_OK) << llmrt_last_error();
    llmrt_model_free(m);
}
