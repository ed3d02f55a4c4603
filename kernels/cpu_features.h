// What the CPU can do, read once from CPUID, and which kernel ISA level to use.
#pragma once

namespace llmrt {

enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };

// A flag is true only when the CPU has the instructions AND the OS saves the register state they
// use (XCR0), so a true flag means the instructions can be executed.
struct CpuFeatures {
    bool avx2 = false, fma = false, f16c = false;
    bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false, avx512vnni = false,
         avx512bf16 = false;
};

const CpuFeatures &cpu_features();

// Best ISA the CPU supports (ignores LLMRT_ISA).
Isa best_supported_isa();

// Best ISA this CPU supports, lowered by the environment variable LLMRT_ISA
// ("scalar", "avx2", "avx512") so tests can exercise every path. Read once.
Isa selected_isa();
const char *isa_name(Isa isa);

}  // namespace llmrt
