// Helpers shared by the AVX2 kernels (include only from files in kernels/avx2/).
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace llmrt::avx2 {

// Lanes [0, n) set, n in [0, 8). vmaskmovps neither reads nor faults on the other lanes.
inline __m256i tail_mask(int64_t n) {
    static const int32_t kTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256(reinterpret_cast<const __m256i *>(kTable + 8 - n));
}

inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// The fp32 FMA operations of a register tile (the V of dot_gemm.h), for a kernel's struct to
// derive from and add its W loads and sizes.
struct F32Fma {
    using Elem = float;
    using Vec = __m256;
    using Acc = __m256;
    static constexpr int kStep = 8;
    static __m256 zero() { return _mm256_setzero_ps(); }
    static __m256 load_x(const float *p) { return _mm256_loadu_ps(p); }
    static __m256 fma(__m256 acc, __m256 x, __m256 w) { return _mm256_fmadd_ps(x, w, acc); }
    static float sum(__m256 v) { return hsum(v); }
};

}  // namespace llmrt::avx2
