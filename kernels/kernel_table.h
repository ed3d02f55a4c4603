// The one dispatch table of the weight families' matmul kernels, after ggml's type traits: a row
// per (weight family, compute type, ISA) with its matmul, its activation prepare and the test of
// whether a CPU runs it. The weight types take their kernels from here (best_kernel) and the
// kernel tests iterate the rows, so a new kernel is chosen and tested by being registered in
// kernel_table.cpp.
#pragma once

#include <cstddef>

#include "kernels/cpu_features.h"
#include "kernels/f32_kernels.h"
#include "kernels/int_quant.h"
#include "kernels/lut_kernels.h"
#include "kernels/quant_format.h"

namespace llmrt {

// f32: rows of plain floats (weight_f32.cpp). int: int8/int4 codes with scales (weight_int.cpp,
// int_quant.h). lut: nf4/fp4/fp8 codes looked up in a table of values (weight_lut.cpp, lut_kernels.h).
enum class KernelFamily { F32, Int, Lut };

enum class KernelRole {
    Kernel,         // dispatched where the CPU runs it
    Reference,      // the accuracy reference of its (family, compute), also dispatched where nothing
                    // faster runs (f32 compute on CPUs without AVX2)
    ReferenceOnly,  // the accuracy reference, never dispatched: a CPU without a SIMD kernel for this
                    // compute type runs f32 instead
};

// The families' matmuls read different row geometries, so each has its own signature; a row
// fills in the functions of its family and leaves the others null.
struct F32KernelFns {
    F32MatmulFn matmul;
};
struct IntKernelFns {
    IntMatmulFn matmul;
    IntPrepareFn prepare;  // nullptr: the kernel reads x itself
};
struct LutKernelFns {
    LutMatmulFn matmul;
    LutPreparedBytesFn prepared_bytes;  // both nullptr: the kernel reads x itself
    LutPrepareFn prepare;
};

struct KernelRow {
    const char *name;  // <family>_<compute>_<isa>, e.g. "int_int8_avx512vnni"
    KernelFamily family;
    ComputeDtype compute;  // never Auto
    KernelRole role;
    // Whether a CPU with these features runs the kernel when kernels up to ISA level `level` are
    // allowed.
    bool (*supported)(const CpuFeatures &cpu, Isa level);
    F32KernelFns f32;
    IntKernelFns integer;
    LutKernelFns lut;
};

struct KernelRows {
    const KernelRow *first;
    size_t count;
    const KernelRow *begin() const { return first; }
    const KernelRow *end() const { return first + count; }
    size_t size() const { return count; }
};

// Every row, by family and compute type, the fastest first within each (family, compute).
KernelRows kernel_table();

// This CPU runs the row at the ISA level LLMRT_ISA allows (selected_isa()): what dispatch uses.
bool kernel_enabled(const KernelRow &row);
// This CPU can execute the row, whatever LLMRT_ISA says: what the tests run.
bool kernel_runs_on_cpu(const KernelRow &row);

// The compute type a family runs on this CPU when `wanted` is asked for: Auto is the fastest one
// it has an enabled kernel for; an explicit type falls back when it has none (kernel_table.cpp).
ComputeDtype resolve_compute(KernelFamily family, ComputeDtype wanted);

// The first row of the table for (family, compute) that dispatch may pick and that is enabled.
// compute must come from resolve_compute (Status::Internal otherwise).
const KernelRow &best_kernel(KernelFamily family, ComputeDtype compute);

// The accuracy reference for (family, compute); nullptr when the family has no such compute type.
const KernelRow *reference_kernel(KernelFamily family, ComputeDtype compute);

}  // namespace llmrt
