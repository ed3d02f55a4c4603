#include "core/thread_pool.h"

#include "llmrt.h"  // LLMRT_MAX_THREADS

#include <immintrin.h>

#include <chrono>
#include <exception>
#include <string>
#include <system_error>

#include "core/error.h"

namespace llmrt {
namespace {
// About 100 microseconds of pause instructions: longer than a typical gap between the
// parallel sections of one token, far shorter than a scheduler time slice.
constexpr int kSpinIterations = 1 << 14;
}

int ThreadPool::default_thread_count() {
    unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : static_cast<int>(n);
}

ThreadPool::ThreadPool(int n_threads)
    : n_threads_(n_threads > 0 ? n_threads : default_thread_count()) {
    require(n_threads_ <= LLMRT_MAX_THREADS, Status::InvalidArgument,
            "n_threads is " + std::to_string(n_threads_) + ", at most " + std::to_string(LLMRT_MAX_THREADS) +
                " are supported");
    workers_.reserve(static_cast<size_t>(n_threads_ - 1));
    for (int i = 1; i < n_threads_; ++i) {
        try {
            workers_.emplace_back([this, i] { worker_loop(i); });
        } catch (const std::system_error &e) {
            // A process or container limit (ulimit -u, a pids cgroup): the started workers must
            // be stopped and joined here, as no destructor runs for a half-built pool.
            stop_workers();
            fail(Status::OutOfMemory, "could not start worker thread " + std::to_string(i) + " of " +
                                              std::to_string(n_threads_ - 1) + " (" + e.what() +
                                              "): the process may have reached its thread limit; use fewer threads");
        }
    }
}

ThreadPool::~ThreadPool() { stop_workers(); }

void ThreadPool::stop_workers() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_.store(true);
        generation_.fetch_add(1);
    }
    wake_.notify_all();
    for (auto &t : workers_) t.join();
    workers_.clear();
}

void ThreadPool::set_profiling(bool enabled) {
    profiling_ = enabled;
    stats_ = PoolStats();
}

PoolStats ThreadPool::take_stats() {
    const PoolStats taken = stats_;
    stats_ = PoolStats();
    return taken;
}

void ThreadPool::run_raw(Task task, void *ctx) {
    if (profiling_) ++stats_.runs;
    if (n_threads_ == 1) {
        task(ctx, 0, 1);
        return;
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        task_ = task;
        task_ctx_ = ctx;
        pending_.store(n_threads_ - 1, std::memory_order_release);
        generation_.fetch_add(1, std::memory_order_acq_rel);
    }
    wake_.notify_all();
    // Workers hold a pointer to the task: wait for them even if our share throws.
    std::exception_ptr error;
    try {
        task(ctx, 0, n_threads_);
    } catch (...) {
        error = std::current_exception();
    }
    wait_for_workers();
    if (error) std::rethrow_exception(error);
}

void ThreadPool::wait_for_workers() {
    // The clock is read only when profiling: off, the barrier costs what it always did.
    using Clock = std::chrono::steady_clock;
    const bool timed = profiling_;
    const Clock::time_point start = timed ? Clock::now() : Clock::time_point();
    // Spin first (the usual wait is microseconds), then yield so that a core shared with other
    // processes is not burnt while a descheduled worker finishes.
    for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins) {
        if (spins < kSpinIterations) {
            _mm_pause();
        } else {
            std::this_thread::yield();
        }
    }
    if (timed) stats_.barrier_wait_seconds += std::chrono::duration<double>(Clock::now() - start).count();
}

void ThreadPool::worker_loop(int ith) {
    uint64_t seen = 0;
    for (;;) {
        for (int spins = 0; generation_.load(std::memory_order_acquire) == seen && spins < kSpinIterations; ++spins)
            _mm_pause();
        if (generation_.load(std::memory_order_acquire) == seen) {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return generation_.load() != seen; });
        }
        if (stop_.load()) return;
        Task task;
        void *ctx;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            seen = generation_.load();
            task = task_;
            ctx = task_ctx_;
        }
        task(ctx, ith, n_threads_);
        pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
}

}  // namespace llmrt
