// The kernel table's rows (names, support tests, references) and the dispatch rules over them:
// resolve_compute and best_kernel on this CPU and with LLMRT_ISA lowering the ISA.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "core/error.h"
#include "kernels/kernel_table.h"
#include "kernels/weight_types.h"

namespace llmrt {
namespace {

constexpr KernelFamily kFamilies[] = {KernelFamily::F32, KernelFamily::Int, KernelFamily::Lut};
constexpr ComputeDtype kComputes[] = {ComputeDtype::F32, ComputeDtype::BF16, ComputeDtype::Int8};
constexpr ComputeDtype kWanted[] = {ComputeDtype::Auto, ComputeDtype::F32, ComputeDtype::BF16, ComputeDtype::Int8};

std::string family_part(KernelFamily f) {
    switch (f) {
        case KernelFamily::F32: return "f32";
        case KernelFamily::Int: return "int";
        default: return "lut";
    }
}

std::string compute_part(ComputeDtype c) {
    switch (c) {
        case ComputeDtype::F32: return "f32";
        case ComputeDtype::BF16: return "bf16";
        case ComputeDtype::Int8: return "int8";
        default: return "auto";
    }
}

// What follows <family>_<compute>_ in a row's name.
std::string isa_part(const KernelRow &row) {
    const std::string prefix = family_part(row.family) + "_" + compute_part(row.compute) + "_";
    const std::string name = row.name;
    return name.compare(0, prefix.size(), prefix) == 0 ? name.substr(prefix.size()) : "";
}

CpuFeatures avx2_cpu() {
    CpuFeatures f;
    f.avx2 = f.fma = f.f16c = true;
    return f;
}
CpuFeatures avx512_cpu() {
    CpuFeatures f = avx2_cpu();
    f.avx512f = f.avx512bw = f.avx512vl = f.avx512dq = true;
    return f;
}

QuantFormat int4_format() {
    QuantFormat f;
    f.kind = QuantKind::Int4;
    return f;
}
QuantFormat nf4_format() {
    QuantFormat f;
    f.kind = QuantKind::NF4;
    return f;
}

TEST(KernelTable, NamesFollowTheRuleAndAreUnique) {
    const std::set<std::string> isas = {"scalar", "avx2", "avx512", "avx512vnni", "avx512bf16"};
    std::set<std::string> seen;
    for (const KernelRow &row : kernel_table()) {
        SCOPED_TRACE(row.name);
        EXPECT_NE(row.compute, ComputeDtype::Auto);
        EXPECT_EQ(isas.count(isa_part(row)), 1u) << "not <family>_<compute>_<isa> with a known isa";
        EXPECT_TRUE(seen.insert(row.name).second) << "registered twice";
        // The row's functions are its family's.
        EXPECT_EQ(row.f32.matmul != nullptr, row.family == KernelFamily::F32);
        EXPECT_EQ(row.integer.matmul != nullptr, row.family == KernelFamily::Int);
        EXPECT_EQ(row.lut.matmul != nullptr, row.family == KernelFamily::Lut);
        if (row.family != KernelFamily::Int) {
            EXPECT_EQ(row.integer.prepare, nullptr);
        }
        EXPECT_EQ(row.lut.prepare == nullptr, row.lut.prepared_bytes == nullptr);
    }
    EXPECT_GE(seen.size(), 15u);
}

// A row runs with the features and ISA level its name says, and not with one thing less.
TEST(KernelTable, SupportTestsMatchTheIsaInTheName) {
    CpuFeatures vnni = avx512_cpu(), bf16 = avx512_cpu();
    vnni.avx512vnni = true;
    bf16.avx512bf16 = true;
    for (const KernelRow &row : kernel_table()) {
        SCOPED_TRACE(row.name);
        const std::string isa = isa_part(row);
        if (isa == "scalar") {
            EXPECT_TRUE(row.supported(CpuFeatures{}, Isa::Scalar));
        } else if (isa == "avx2") {
            EXPECT_TRUE(row.supported(avx2_cpu(), Isa::Avx2));
            EXPECT_FALSE(row.supported(CpuFeatures{}, Isa::Scalar));
            EXPECT_FALSE(row.supported(avx512_cpu(), Isa::Scalar));  // LLMRT_ISA=scalar
        } else if (isa == "avx512") {
            EXPECT_TRUE(row.supported(avx512_cpu(), Isa::Avx512));
            EXPECT_FALSE(row.supported(avx2_cpu(), Isa::Avx2));
            EXPECT_FALSE(row.supported(avx512_cpu(), Isa::Avx2));  // LLMRT_ISA=avx2
        } else if (isa == "avx512vnni" || isa == "avx512bf16") {
            const CpuFeatures &with = isa == "avx512vnni" ? vnni : bf16;
            const CpuFeatures &other = isa == "avx512vnni" ? bf16 : vnni;
            EXPECT_TRUE(row.supported(with, Isa::Avx512));
            EXPECT_FALSE(row.supported(avx512_cpu(), Isa::Avx512));
            EXPECT_FALSE(row.supported(other, Isa::Avx512));
            EXPECT_FALSE(row.supported(with, Isa::Avx2));  // LLMRT_ISA=avx2
        } else {
            ADD_FAILURE() << "unknown isa " << isa;
        }
    }
}

// Each compute type a family has comes with one scalar reference, and every family runs f32
// on any CPU, so resolve_compute always lands on a kernel.
TEST(KernelTable, EachComputeTypeHasOneScalarReference) {
    for (KernelFamily family : kFamilies) {
        for (ComputeDtype compute : kComputes) {
            SCOPED_TRACE(family_part(family) + " " + compute_part(compute));
            int rows = 0, references = 0;
            for (const KernelRow &row : kernel_table()) {
                if (row.family != family || row.compute != compute) continue;
                ++rows;
                if (row.role == KernelRole::Kernel) continue;
                ++references;
                EXPECT_EQ(isa_part(row), "scalar") << row.name;
                EXPECT_EQ(reference_kernel(family, compute), &row);
            }
            if (rows > 0) {
                EXPECT_EQ(references, 1);
            } else {
                EXPECT_EQ(reference_kernel(family, compute), nullptr);
            }
        }
        const KernelRow *f32 = reference_kernel(family, ComputeDtype::F32);
        ASSERT_NE(f32, nullptr);
        EXPECT_EQ(f32->role, KernelRole::Reference) << "f32 must be dispatched where nothing faster runs";
    }
}

// What the weight types chose before the table, spelled out: int8 dot products need VNNI, bf16
// needs AVX512-BF16, both at the AVX512 level LLMRT_ISA allows; lut runs BF16 for Int8; f32 is
// always f32.
TEST(KernelTable, ResolveComputeOnThisCpu) {
    const bool avx512 = selected_isa() == Isa::Avx512;
    const bool vnni = avx512 && cpu_features().avx512vnni;
    const bool bf16 = avx512 && cpu_features().avx512bf16;
    using C = ComputeDtype;
    EXPECT_EQ(resolve_compute(KernelFamily::Int, C::Auto), vnni ? C::Int8 : bf16 ? C::BF16 : C::F32);
    EXPECT_EQ(resolve_compute(KernelFamily::Int, C::Int8), vnni ? C::Int8 : C::F32);
    EXPECT_EQ(resolve_compute(KernelFamily::Int, C::BF16), bf16 ? C::BF16 : C::F32);
    EXPECT_EQ(resolve_compute(KernelFamily::Int, C::F32), C::F32);
    for (C wanted : {C::Auto, C::Int8, C::BF16})
        EXPECT_EQ(resolve_compute(KernelFamily::Lut, wanted), bf16 ? C::BF16 : C::F32) << compute_part(wanted);
    EXPECT_EQ(resolve_compute(KernelFamily::Lut, C::F32), C::F32);
    for (C wanted : kWanted) EXPECT_EQ(resolve_compute(KernelFamily::F32, wanted), C::F32) << compute_part(wanted);
}

TEST(KernelTable, BestKernelOnThisCpu) {
    const Isa isa = selected_isa();
    const std::string level = isa == Isa::Avx512 ? "avx512" : isa == Isa::Avx2 ? "avx2" : "scalar";
    EXPECT_STREQ(best_kernel(KernelFamily::F32, ComputeDtype::F32).name, ("f32_f32_" + level).c_str());
    EXPECT_STREQ(best_kernel(KernelFamily::Int, ComputeDtype::F32).name, ("int_f32_" + level).c_str());
    EXPECT_STREQ(best_kernel(KernelFamily::Lut, ComputeDtype::F32).name, ("lut_f32_" + level).c_str());
    if (isa == Isa::Avx512 && cpu_features().avx512vnni) {
        EXPECT_STREQ(best_kernel(KernelFamily::Int, ComputeDtype::Int8).name, "int_int8_avx512vnni");
    }
    if (isa == Isa::Avx512 && cpu_features().avx512bf16) {
        EXPECT_STREQ(best_kernel(KernelFamily::Int, ComputeDtype::BF16).name, "int_bf16_avx512bf16");
        EXPECT_STREQ(best_kernel(KernelFamily::Lut, ComputeDtype::BF16).name, "lut_bf16_avx512bf16");
    }
    // Whatever is asked for, the resolved compute has a kernel that runs here.
    for (KernelFamily family : kFamilies)
        for (ComputeDtype wanted : kWanted) {
            const ComputeDtype c = resolve_compute(family, wanted);
            const KernelRow &row = best_kernel(family, c);
            EXPECT_EQ(row.family, family);
            EXPECT_EQ(row.compute, c);
            EXPECT_NE(row.role, KernelRole::ReferenceOnly) << row.name;
            EXPECT_TRUE(kernel_enabled(row)) << row.name;
        }
    // Compute types a family does not run are refused, not substituted.
    EXPECT_THROW(best_kernel(KernelFamily::F32, ComputeDtype::BF16), Error);
    EXPECT_THROW(best_kernel(KernelFamily::Lut, ComputeDtype::Int8), Error);
    EXPECT_THROW(best_kernel(KernelFamily::Int, ComputeDtype::Auto), Error);
}

TEST(KernelTable, WeightTypesComputeWhatTheTableResolves) {
    for (ComputeDtype wanted : kWanted) {
        SCOPED_TRACE(compute_part(wanted));
        EXPECT_EQ(weight_type_for(int4_format(), wanted).compute(), resolve_compute(KernelFamily::Int, wanted));
        EXPECT_EQ(weight_type_for(nf4_format(), wanted).compute(), resolve_compute(KernelFamily::Lut, wanted));
        EXPECT_EQ(find_weight_type("f32", wanted)->compute(), resolve_compute(KernelFamily::F32, wanted));
    }
}

// The choices in a process whose LLMRT_ISA is `value`, where the ISA level becomes `level`
// (selected_isa() is read once per process, so each setting runs in a fresh child process).
void expect_choices_with_env(const char *value, Isa level) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            setenv("LLMRT_ISA", value, 1);
            const std::string suffix = isa_name(level);
            const bool avx512 = level == Isa::Avx512;
            const bool vnni = avx512 && cpu_features().avx512vnni;
            const bool bf16 = avx512 && cpu_features().avx512bf16;
            const ComputeDtype int_auto = vnni ? ComputeDtype::Int8 : bf16 ? ComputeDtype::BF16 : ComputeDtype::F32;
            const ComputeDtype lut_auto = bf16 ? ComputeDtype::BF16 : ComputeDtype::F32;
            bool ok = selected_isa() == level;
            ok = ok && resolve_compute(KernelFamily::Int, ComputeDtype::Auto) == int_auto;
            ok = ok && resolve_compute(KernelFamily::Lut, ComputeDtype::Int8) == lut_auto;
            ok = ok && weight_type_for(int4_format(), ComputeDtype::Auto).compute() == int_auto;
            ok = ok && weight_type_for(nf4_format(), ComputeDtype::Auto).compute() == lut_auto;
            for (KernelFamily family : kFamilies) {
                const std::string want = family_part(family) + "_f32_" + suffix;
                const std::string got = best_kernel(family, ComputeDtype::F32).name;
                if (got != want) std::fprintf(stderr, "best f32 kernel %s, expected %s\n", got.c_str(), want.c_str());
                ok = ok && got == want;
            }
            std::exit(ok ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "")
        << "LLMRT_ISA=" << value;
}

TEST(KernelTable, EnvironmentLowersIsa) {
    const Isa best = best_supported_isa();
    expect_choices_with_env("scalar", Isa::Scalar);
    expect_choices_with_env("avx2", best >= Isa::Avx2 ? Isa::Avx2 : best);
    expect_choices_with_env("avx512", best);
}

}  // namespace
}  // namespace llmrt
