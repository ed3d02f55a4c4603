// Where the time of a context's forward passes goes: calls, seconds and weight bytes read per op,
// kept apart for decode steps (one token) and prefill steps (a batch), which behave differently
// (decode streams every weight once, prefill is compute-bound). A forward pass reaches the
// profiler through a pointer that is nullptr when profiling is off, so off costs one pointer test
// per op. Used by one thread at a time: ops are timed on the thread that runs the forward pass.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "core/thread_pool.h"

namespace llmrt {

// The ops a forward pass times. Matmuls are told apart by the role of their weight because each
// role has its own size, and decode time is mostly the time to read weights. Matrices that share
// their input run as one group (q/k/v, gate/up: one barrier), so they are timed as one.
enum class ProfileOp {
    Embedding,
    Norm,
    MatmulAttnQkv,
    MatmulAttnOutput,
    MatmulFfnGateUp,
    MatmulFfnDown,
    MatmulOutput,
    Attention,
    Rope,
    Elementwise,  // bias adds, residual adds, SiLU
    KvStore,
    Collective,  // tensor parallelism's all-reduce of partial sums across ranks
    Count
};
constexpr size_t kProfileOpCount = static_cast<size_t>(ProfileOp::Count);

// "matmul.attn_qkv", "attention", ...: the names the C API reports.
const char *profile_op_name(ProfileOp op);

struct OpTotals {
    uint64_t calls = 0;
    double seconds = 0.0;
    uint64_t bytes = 0;  // weight bytes read, summed over calls
};

struct PhaseTotals {
    uint64_t steps = 0;   // forward passes
    uint64_t tokens = 0;
    double seconds = 0.0; // whole forward passes: the ops' seconds are part of it
    std::array<OpTotals, kProfileOpCount> ops{};
    // Time the calling thread waited for the pool's workers (included in the ops' seconds),
    // and the parallel sections run.
    double barrier_wait_seconds = 0.0;
    uint64_t pool_runs = 0;
};

class Profiler {
public:
    // Ops until end_step belong to a forward pass of n_tokens: a decode step when it evaluates
    // one token per sequence (streams the weights for them all), else prefill.
    void begin_step(int64_t n_tokens, bool one_per_sequence);
    void add(ProfileOp op, double seconds, uint64_t bytes);
    void end_step(double seconds, const PoolStats &pool);

    const PhaseTotals &decode() const { return decode_; }
    const PhaseTotals &prefill() const { return prefill_; }

private:
    PhaseTotals &current() { return in_prefill_ ? prefill_ : decode_; }

    PhaseTotals decode_;
    PhaseTotals prefill_;
    bool in_prefill_ = false;
    int64_t step_tokens_ = 0;
};

// Times one op from construction to destruction; does nothing when profiler is nullptr.
class ProfileScope {
public:
    using Clock = std::chrono::steady_clock;

    ProfileScope(Profiler *profiler, ProfileOp op, uint64_t bytes = 0) : profiler_(profiler), op_(op), bytes_(bytes) {
        if (profiler_) start_ = Clock::now();
    }
    ~ProfileScope() {
        if (profiler_) profiler_->add(op_, std::chrono::duration<double>(Clock::now() - start_).count(), bytes_);
    }
    ProfileScope(const ProfileScope &) = delete;
    ProfileScope &operator=(const ProfileScope &) = delete;

private:
    Profiler *profiler_;
    ProfileOp op_;
    uint64_t bytes_;
    Clock::time_point start_;
};

}  // namespace llmrt
