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

}  // namespace llmrt::avx512
