// Helpers shared by the AVX512 kernels (include only from files in kernels/avx512/, before any
// other header, because of the pragma below).
#pragma once

// GCC 12.2's AVX512 intrinsics (even _mm512_castps512_ps256) use self-initialized "undefined"
// vectors, which trip -Werror=uninitialized wherever they are inlined (GCC PR 105593, fixed in
// 12.3). The warning cannot be silenced around the system header alone, so it is off for the
// AVX512 translation units when built by GCC 12.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include <cstdint>

namespace llmrt::avx512 {

// Lanes [0, n) set, n in [0, 16). Masked loads neither read nor fault on the other lanes.
inline __mmask16 tail_mask(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }

inline float hsum(__m512 v) { return _mm512_reduce_add_ps(v); }

// The fp32 FMA operations of a register tile (the V of dot_gemm.h), for a kernel's struct to
// derive from and add its W loads and sizes.
struct F32Fma {
    using Elem = float;
    using Vec = __m512;
    using Acc = __m512;
    static constexpr int kStep = 16;
    static __m512 zero() { return _mm512_setzero_ps(); }
    static __m512 load_x(const float *p) { return _mm512_loadu_ps(p); }
    static __m512 fma(__m512 acc, __m512 x, __m512 w) { return _mm512_fmadd_ps(x, w, acc); }
    static float sum(__m512 v) { return hsum(v); }
};

}  // namespace llmrt::avx512
