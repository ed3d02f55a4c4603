// F32 matmul with AVX2 + FMA: the register tile of f32_gemm.h (one accumulator per (x row, W row)
// pair, reduced at the end of a K block), sized for 16 ymm registers.
#include <immintrin.h>

#include "kernels/avx2/common_avx2.h"
#include "kernels/f32_gemm.h"
#include "kernels/f32_kernels.h"

namespace llmrt {
namespace {

struct Kernel : avx2::F32Fma {
    static constexpr bool kMaskedTail = true;
    // GEMM register tile: 3 x rows by 4 W rows = 12 accumulators + 3 x vectors + 1 W vector (of 16).
    static constexpr int kMr = 3;
    static constexpr int kNr = 4;
    // GEMV: 8 W rows at once (8 accumulators + x + W of 16 registers), as in the AVX512 kernel.
    static constexpr int kGemvRows = 8;
    // K block and W block, as in the AVX512 kernel.
    static constexpr int64_t kKcTarget = 1024;
    static constexpr int64_t kWBlockBytes = 256 * 1024;

    static __m256 load_w(const float *p) { return _mm256_loadu_ps(p); }
    static __m256i tail_mask(int64_t n) { return avx2::tail_mask(n); }
    static __m256 load_tail(const float *p, __m256i mask) { return _mm256_maskload_ps(p, mask); }
};

}  // namespace

void f32_matmul_rows_avx2(const Matrix &w, const float *x, int64_t m, int64_t ldx, float *y, int64_t ldy, int64_t r0,
                          int64_t r1) {
    f32_matmul_drive<Kernel>(w, x, m, ldx, y, ldy, r0, r1);
}

}  // namespace llmrt
