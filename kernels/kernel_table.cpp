#include "kernels/kernel_table.h"

#include <string>

#include "core/error.h"

namespace llmrt {
namespace {

// The support tests. VNNI and AVX512-BF16 come on top of the AVX512 level: their files are built
// with the AVX512 flags too (cpu_features.cpp), and LLMRT_ISA below avx512 turns them off.
bool on_any_cpu(const CpuFeatures &, Isa) { return true; }
bool on_avx2(const CpuFeatures &, Isa level) { return level >= Isa::Avx2; }
bool on_avx512(const CpuFeatures &, Isa level) { return level >= Isa::Avx512; }
bool on_avx512vnni(const CpuFeatures &cpu, Isa level) { return level >= Isa::Avx512 && cpu.avx512vnni; }
bool on_avx512bf16(const CpuFeatures &cpu, Isa level) { return level >= Isa::Avx512 && cpu.avx512bf16; }

using SupportFn = bool (*)(const CpuFeatures &, Isa);

constexpr KernelRow f32_row(const char *name, KernelRole role, SupportFn supported, F32MatmulFn matmul) {
    return {name, KernelFamily::F32, ComputeDtype::F32, role, supported, {matmul}, {nullptr, nullptr},
            {nullptr, nullptr, nullptr}};
}
constexpr KernelRow int_row(const char *name, ComputeDtype compute, KernelRole role, SupportFn supported,
                            IntMatmulFn matmul, IntPrepareFn prepare) {
    return {name, KernelFamily::Int, compute, role, supported, {nullptr}, {matmul, prepare},
            {nullptr, nullptr, nullptr}};
}
constexpr KernelRow lut_row(const char *name, ComputeDtype compute, KernelRole role, SupportFn supported,
                            LutMatmulFn matmul, LutPreparedBytesFn prepared_bytes, LutPrepareFn prepare) {
    return {name, KernelFamily::Lut, compute, role, supported, {nullptr}, {nullptr, nullptr},
            {matmul, prepared_bytes, prepare}};
}

// Within a (family, compute) the fastest first: best_kernel takes the first enabled row.
constexpr KernelRow kTable[] = {
    f32_row("f32_f32_avx512", KernelRole::Kernel, &on_avx512, &f32_matmul_rows_avx512),
    f32_row("f32_f32_avx2", KernelRole::Kernel, &on_avx2, &f32_matmul_rows_avx2),
    f32_row("f32_f32_scalar", KernelRole::Reference, &on_any_cpu, &f32_matmul_rows_scalar),

    int_row("int_int8_avx512vnni", ComputeDtype::Int8, KernelRole::Kernel, &on_avx512vnni, &int_matmul_int8_vnni,
            &int_prepare_int8_avx512),
    int_row("int_int8_scalar", ComputeDtype::Int8, KernelRole::ReferenceOnly, &on_any_cpu, &int_matmul_ref_int8,
            nullptr),
    int_row("int_bf16_avx512bf16", ComputeDtype::BF16, KernelRole::Kernel, &on_avx512bf16,
            &int_matmul_bf16_avx512bf16, &int_prepare_bf16_avx512),
    int_row("int_bf16_scalar", ComputeDtype::BF16, KernelRole::ReferenceOnly, &on_any_cpu, &int_matmul_ref_bf16,
            nullptr),
    int_row("int_f32_avx512", ComputeDtype::F32, KernelRole::Kernel, &on_avx512, &int_matmul_f32_avx512,
            &int_prepare_f32_avx512),
    int_row("int_f32_avx2", ComputeDtype::F32, KernelRole::Kernel, &on_avx2, &int_matmul_f32_avx2,
            &int_prepare_ref_f32),
    int_row("int_f32_scalar", ComputeDtype::F32, KernelRole::Reference, &on_any_cpu, &int_matmul_ref_f32, nullptr),

    lut_row("lut_bf16_avx512bf16", ComputeDtype::BF16, KernelRole::Kernel, &on_avx512bf16,
            &lut_bf16_matmul_rows_avx512bf16, &lut_bf16_prepared_bytes, &lut_bf16_prepare_avx512bf16),
    lut_row("lut_bf16_scalar", ComputeDtype::BF16, KernelRole::ReferenceOnly, &on_any_cpu,
            &lut_bf16_matmul_rows_scalar, nullptr, nullptr),
    lut_row("lut_f32_avx512", ComputeDtype::F32, KernelRole::Kernel, &on_avx512, &lut_f32_matmul_rows_avx512,
            &lut_f32_prepared_bytes, &lut_f32_prepare),
    lut_row("lut_f32_avx2", ComputeDtype::F32, KernelRole::Kernel, &on_avx2, &lut_f32_matmul_rows_avx2,
            &lut_f32_prepared_bytes, &lut_f32_prepare),
    lut_row("lut_f32_scalar", ComputeDtype::F32, KernelRole::Reference, &on_any_cpu, &lut_f32_matmul_rows_scalar,
            nullptr, nullptr),
};

bool dispatched(const KernelRow &row) { return row.role != KernelRole::ReferenceOnly; }

// Some row of the family computes in `compute`, whether or not this CPU runs it.
bool family_has(KernelFamily family, ComputeDtype compute) {
    for (const KernelRow &row : kernel_table())
        if (row.family == family && row.compute == compute) return true;
    return false;
}

const KernelRow *find_best(KernelFamily family, ComputeDtype compute) {
    for (const KernelRow &row : kernel_table())
        if (row.family == family && row.compute == compute && dispatched(row) && kernel_enabled(row)) return &row;
    return nullptr;
}

}  // namespace

KernelRows kernel_table() { return {kTable, sizeof kTable / sizeof kTable[0]}; }

bool kernel_enabled(const KernelRow &row) { return row.supported(cpu_features(), selected_isa()); }
bool kernel_runs_on_cpu(const KernelRow &row) { return row.supported(cpu_features(), best_supported_isa()); }

// Auto takes the first of int8, bf16, f32 (4, 2 and 1 products per 32-bit lane) that the family
// runs here. An explicit type the family has kernels for is kept where this CPU runs one and is
// otherwise f32, which every CPU runs (int: Int8 needs VNNI, BF16 needs AVX512-BF16). A type the
// family has no kernels for at all is asked for its speed, so the next type of Auto's order
// stands in: lut has no Int8 (its codes are not integers), and BF16 does the same job with 2
// products per lane where available.
ComputeDtype resolve_compute(KernelFamily family, ComputeDtype wanted) {
    constexpr ComputeDtype kFastestFirst[] = {ComputeDtype::Int8, ComputeDtype::BF16, ComputeDtype::F32};
    constexpr size_t kN = sizeof kFastestFirst / sizeof kFastestFirst[0];
    size_t first = 0;
    if (wanted != ComputeDtype::Auto) {
        if (family_has(family, wanted)) return find_best(family, wanted) ? wanted : ComputeDtype::F32;
        while (first + 1 < kN && kFastestFirst[first] != wanted) ++first;
    }
    for (size_t i = first; i < kN; ++i)
        if (find_best(family, kFastestFirst[i])) return kFastestFirst[i];
    return ComputeDtype::F32;  // every family's scalar f32 row runs everywhere
}

const KernelRow &best_kernel(KernelFamily family, ComputeDtype compute) {
    const KernelRow *row = find_best(family, compute);
    if (row == nullptr)
        fail(Status::Internal, std::string("no enabled kernel computes in ") + compute_dtype_name(compute) +
                                     " for this weight family (compute not resolved with resolve_compute?)");
    return *row;
}

const KernelRow *reference_kernel(KernelFamily family, ComputeDtype compute) {
    for (const KernelRow &row : kernel_table())
        if (row.family == family && row.compute == compute && row.role != KernelRole::Kernel) return &row;
    return nullptr;
}

}  // namespace llmrt
