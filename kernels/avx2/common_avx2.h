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

}  // namespace llmrt::avx2
