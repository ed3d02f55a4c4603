// Memory read-bandwidth probe: what `llmrt bench` reports next to the GB/s a GEMV achieves.
#pragma once

#include <cstddef>

#include "core/thread_pool.h"

namespace llmrt {

// Sums a buffer of `bytes` (should be much larger than the last-level cache) with SIMD loads,
// split over the pool; returns the best of `reps` passes in GB/s (1e9 bytes per second).
// Allocates and touches the buffer on every call, so it is not cheap.
double measure_read_bandwidth_gbs(ThreadPool &pool, size_t bytes = size_t{1} << 30, int reps = 5);

}  // namespace llmrt
