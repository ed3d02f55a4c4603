#include <gtest/gtest.h>

#include "core/error.h"
#include "models/quant_plan.h"

namespace llmrt {
namespace {

QuantOptions int4_options() {
    QuantOptions o;
    o.format.kind = QuantKind::Int4;
    o.format.group_size = 32;
    return o;
}

TEST(QuantPlan, DefaultsKeepEmbeddingsAndHeadInInt8) {
    QuantPlan plan(int4_options());
    EXPECT_EQ(plan.format_for("token_embd.weight")->kind, QuantKind::Int8);
    EXPECT_EQ(plan.format_for("output.weight")->kind, QuantKind::Int8);
    EXPECT_EQ(plan.format_for("model.embed_tokens.weight")->kind, QuantKind::Int8);
    EXPECT_EQ(plan.format_for("lm_head.weight")->kind, QuantKind::Int8);
    // "output" inside a layer's name is not the head.
    EXPECT_EQ(plan.format_for("blk.0.attn_output.weight")->kind, QuantKind::Int4);
    EXPECT_EQ(plan.format_for("model.layers.3.mlp.down_proj.weight")->kind, QuantKind::Int4);
}

TEST(QuantPlan, OverridesByGlobAndSubstringInOrder) {
    QuantOptions o = int4_options();
    o.tensor_overrides = parse_tensor_overrides("down_proj=int8; *.layers.0.*=f32 ;*=nf4");
    QuantPlan plan(o);
    EXPECT_EQ(plan.format_for("model.layers.5.mlp.down_proj.weight")->kind, QuantKind::Int8);
    EXPECT_FALSE(plan.format_for("model.layers.0.self_attn.q_proj.weight").has_value());
    EXPECT_EQ(plan.format_for("model.layers.1.self_attn.q_proj.weight")->kind, QuantKind::NF4);
}

TEST(QuantPlan, OverrideByFullTypeNameSetsGroupSchemeAndScale) {
    QuantOptions o = int4_options();
    o.format.group_size = 128;
    o.tensor_overrides = parse_tensor_overrides("embed_tokens=int4_g16_asym_fp16;lm_head=int8");
    QuantPlan plan(o);
    EXPECT_EQ(quant_format_name(*plan.format_for("model.embed_tokens.weight")), "int4_g16_asym_fp16");
    EXPECT_EQ(quant_format_name(*plan.format_for("lm_head.weight")), "int8_g128_sym_fp32");
    o.tensor_overrides = parse_tensor_overrides("lm_head=int4_g33_sym_fp32");
    EXPECT_THROW(QuantPlan{o}, Error);
}

TEST(QuantPlan, EmptyOverridesQuantizeEverything) {
    QuantOptions o = int4_options();
    o.tensor_overrides = parse_tensor_overrides("");
    EXPECT_EQ(QuantPlan(o).format_for("token_embd.weight")->kind, QuantKind::Int4);
}

TEST(QuantPlan, BadOverridesThrow) {
    QuantOptions o = int4_options();
    EXPECT_THROW(parse_tensor_overrides("abc"), Error);
    o.tensor_overrides = parse_tensor_overrides("abc=int2");
    EXPECT_THROW(QuantPlan{o}, Error);
    o.tensor_overrides = std::vector<TensorOverride>{TensorOverride{"", "int8"}};  // an empty pattern (array form)
    EXPECT_THROW(QuantPlan{o}, Error);
}

TEST(QuantFormatNames, RoundTrip) {
    for (const char *name : {"int4_g32_sym_fp32", "int8_grow_asym_bf16", "nf4_g64_sym_fp32", "fp8_e4m3_g128_sym_bf16",
                             "fp8_e5m2_g32_sym_fp32", "fp4_g32_sym_fp32"}) {
        const auto f = parse_quant_format(name);
        ASSERT_TRUE(f.has_value()) << name;
        EXPECT_EQ(quant_format_name(*f), name);
    }
    EXPECT_FALSE(parse_quant_format("int4_g33_sym_fp32").has_value());
    EXPECT_FALSE(parse_quant_format("nf4_g32_asym_fp32").has_value());
    EXPECT_FALSE(parse_quant_format("int4").has_value());
    EXPECT_FALSE(parse_quant_format("int4_gx_sym_fp32").has_value());
}

}  // namespace
}  // namespace llmrt
