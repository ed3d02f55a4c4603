#include "kernels/bandwidth.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/aligned_buffer.h"
#include "kernels/cpu_features.h"
#include "kernels/vec.h"

namespace llmrt {
namespace {

// Ranges start on page boundaries so each thread first-touches (and on NUMA systems, places)
// exactly the pages it later reads.
constexpr int64_t kPageFloats = 4096 / sizeof(float);

struct Range {
    int64_t begin, end;
};

Range thread_range(int64_t n, int ith, int nth) {
    const int64_t pages = (n + kPageFloats - 1) / kPageFloats;
    const int64_t p0 = pages * ith / nth, p1 = pages * (ith + 1) / nth;
    return {std::min(n, p0 * kPageFloats), std::min(n, p1 * kPageFloats)};
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

double measure_read_bandwidth_gbs(ThreadPool &pool, size_t bytes, int reps) {
    const int64_t n = static_cast<int64_t>(std::max<size_t>(bytes, 4096) / sizeof(float));
    AlignedBuffer<float> buffer(static_cast<size_t>(n));
    float *data = buffer.data();
    pool.run([&](int ith, int nth) {
        const Range r = thread_range(n, ith, nth);
        std::fill(data + r.begin, data + r.end, 1.0f);
    });

    // The machine's best loads, even when LLMRT_ISA lowers the kernels: this measures memory.
    const VecKernels &vk = vec_kernels_for(best_supported_isa());
    std::vector<float> partial(static_cast<size_t>(pool.size()), 0.0f);
    double best = std::numeric_limits<double>::infinity();
    for (int rep = 0; rep < std::max(reps, 1); ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
        pool.run([&](int ith, int nth) {
            const Range r = thread_range(n, ith, nth);
            partial[static_cast<size_t>(ith)] = vk.sum(data + r.begin, r.end - r.begin);
        });
        best = std::min(best, seconds_since(t0));
    }
    // Consume the sums so no pass can be dropped as dead code.
    volatile float sink = 0.0f;
    for (float p : partial) sink = sink + p;
    return static_cast<double>(n) * sizeof(float) / best / 1e9;
}

}  // namespace llmrt
