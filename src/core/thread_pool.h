// A persistent pool of worker threads. run() calls a function on every thread (the caller takes
// part as thread 0) and returns when all are done. Workers spin briefly before sleeping, because
// decode issues hundreds of short parallel sections per token.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace llmrt {

// What a pool counts while profiling (set_profiling): the parallel sections it ran, and the time
// the calling thread spent waiting for workers after finishing its own share (load imbalance,
// wake-up latency, a descheduled worker).
struct PoolStats {
    double barrier_wait_seconds = 0.0;
    uint64_t runs = 0;
};

class ThreadPool {
public:
    // n_threads <= 0 means one per hardware core. Throws Error: INVALID_ARGUMENT above
    // LLMRT_MAX_THREADS, OUT_OF_MEMORY when a thread cannot be started (nothing is left running).
    explicit ThreadPool(int n_threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool &) = delete;
    ThreadPool &operator=(const ThreadPool &) = delete;

    int size() const { return n_threads_; }

    // fn(thread_index, n_threads) runs once on each thread. No allocation: fn is passed by
    // reference for the duration of the call. One caller at a time (a pool belongs to one
    // context). An exception from the caller's share is rethrown after the workers finish;
    // fn must not throw on worker threads.
    template <class F>
    void run(F &&fn) {
        using Fn = std::remove_reference_t<F>;
        auto trampoline = [](void *ctx, int ith, int nth) { (*static_cast<Fn *>(ctx))(ith, nth); };
        run_raw(trampoline, const_cast<void *>(static_cast<const void *>(&fn)));
    }

    // Splits [0, n) into contiguous chunks, one per thread: fn(begin, end).
    template <class F>
    void parallel_for(int64_t n, F &&fn) {
        run([&](int ith, int nth) {
            const int64_t chunk = (n + nth - 1) / nth;
            const int64_t begin = chunk * ith;
            const int64_t end = begin + chunk < n ? begin + chunk : n;
            if (begin < end) fn(begin, end);
        });
    }

    static int default_thread_count();

    // Off by default: then run() reads no clock. Switching either way zeroes the counts.
    void set_profiling(bool enabled);
    // The counts since the last call (or since profiling was switched), zeroing them.
    PoolStats take_stats();

private:
    using Task = void (*)(void *, int, int);
    void run_raw(Task task, void *ctx);
    void stop_workers();
    void wait_for_workers();
    void worker_loop(int ith);

    int n_threads_;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::atomic<uint64_t> generation_{0};
    std::atomic<int> pending_{0};
    std::atomic<bool> stop_{false};
    Task task_ = nullptr;
    void *task_ctx_ = nullptr;
    // Touched only by the calling thread, like the rest of run()'s caller side.
    bool profiling_ = false;
    PoolStats stats_;
};

}  // namespace llmrt
