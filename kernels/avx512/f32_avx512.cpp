// F32 matmul with AVX512: the register tile of f32_gemm.h, sized for 32 zmm registers.
//
// Measured on a 2-core AVX512 Zen 5 VM, W 2048 x 5632 (46 MB, 8 copies in rotation so every call
// reads DRAM): GEMV 40 GB/s on 1 thread and 45-50 GB/s on 2 (best 53), against 40 and 45-47 GB/s
// from measure_read_bandwidth_gbs. GEMM m=128, K=2048: 335 GFLOP/s (N=2048), 306-325 (N=5632).
#include "kernels/avx512/common_avx512.h"  // first: sets a diagnostic pragma

#include "kernels/f32_gemm.h"
#include "kernels/f32_kernels.h"

namespace llmrt {
namespace {

struct Kernel : avx512::F32Fma {
    static constexpr bool kMaskedTail = true;
    // GEMM register tile: 4 x rows by 6 W rows = 24 accumulators + 4 x vectors + 1 W vector (of 32).
    static constexpr int kMr = 4;
    static constexpr int kNr = 6;
    // GEMV: W rows streamed at once. Eight independent rows (one accumulator each) keep enough loads
    // and FMAs in flight, and x is loaded once per 8 W vectors.
    static constexpr int kGemvRows = 8;
    // K block of about kKcTarget floats: the x tile (kMr rows, 16 KB) stays in L1 while a block of
    // W rows (kWBlockBytes) stays in L2 and is reused by every x tile.
    static constexpr int64_t kKcTarget = 1024;
    static constexpr int64_t kWBlockBytes = 256 * 1024;

    static __m512 load_w(const float *p) { return _mm512_loadu_ps(p); }
    static __mmask16 tail_mask(int64_t n) { return avx512::tail_mask(n); }
    static __m512 load_tail(const float *p, __mmask16 mask) { return _mm512_maskz_loadu_ps(mask, p); }
};

}  // namespace

void f32_matmul_rows_avx512(const Matrix &w, const float *x, int64_t m, int64_t ldx, float *y, int64_t ldy,
                            int64_t r0, int64_t r1) {
    f32_matmul_drive<Kernel>(w, x, m, ldx, y, ldy, r0, r1);
}

}  // namespace llmrt
