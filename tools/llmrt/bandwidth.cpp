#include "bandwidth.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace cli {

namespace {

using Clock = std::chrono::steady_clock;

// Eight independent sums so the loop is limited by loads, not by one add chain; the compiler
// turns them into vector adds.
uint64_t sum_words(const uint64_t *words, size_t n) {
    uint64_t s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int k = 0; k < 8; ++k) {
            s[k] += words[i + k];
        }
    }
    for (; i < n; ++i) {
        s[0] += words[i];
    }
    return s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}

struct Slice {
    size_t begin = 0;
    size_t end = 0;
};

// Splits n words into n_threads slices whose starts are 64-byte aligned.
std::vector<Slice> split(size_t n, int n_threads) {
    std::vector<Slice> slices(static_cast<size_t>(n_threads));
    const size_t per_thread = (n / static_cast<size_t>(n_threads)) & ~size_t(7);
    for (size_t t = 0; t < slices.size(); ++t) {
        slices[t].begin = t * per_thread;
        slices[t].end = t + 1 == slices.size() ? n : (t + 1) * per_thread;
    }
    return slices;
}

// Fills word i with i from the threads that will later read it, so pages are first touched (and
// placed) by their reader, and the expected total is known.
void fill(uint64_t *words, const std::vector<Slice> &slices) {
    std::vector<std::thread> threads;
    for (const Slice &s : slices) {
        threads.emplace_back([words, s] {
            for (size_t i = s.begin; i < s.end; ++i) {
                words[i] = i;
            }
        });
    }
    for (auto &t : threads) {
        t.join();
    }
}

// One timed pass: all threads start together on a flag; the pass lasts from the first start to
// the last finish. Returns seconds; adds the sum of all words to *total.
double timed_pass(const uint64_t *words, const std::vector<Slice> &slices, uint64_t *total) {
    const size_t n = slices.size();
    std::vector<Clock::time_point> starts(n), ends(n);
    std::vector<uint64_t> sums(n);
    std::atomic<size_t> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (size_t t = 0; t < n; ++t) {
        threads.emplace_back([&, t] {
            ready.fetch_add(1);
            while (!go.load(std::memory_order_acquire)) {
                std::this_thread::yield();
            }
            starts[t] = Clock::now();
            sums[t] = sum_words(words + slices[t].begin, slices[t].end - slices[t].begin);
            ends[t] = Clock::now();
        });
    }
    while (ready.load() < n) {
        std::this_thread::yield();
    }
    go.store(true, std::memory_order_release);
    for (auto &t : threads) {
        t.join();
    }
    for (uint64_t s : sums) {
        *total += s;
    }
    const auto first = *std::min_element(starts.begin(), starts.end());
    const auto last = *std::max_element(ends.begin(), ends.end());
    return std::chrono::duration<double>(last - first).count();
}

double probe_in_this_process(const BandwidthOptions &options) {
    const size_t n_words = options.bytes / sizeof(uint64_t);
    void *mem = mmap(nullptr, n_words * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        throw std::runtime_error("bandwidth probe: cannot allocate " +
                                 std::to_string(options.bytes) + " bytes");
    }
    // Huge pages keep TLB misses out of the measurement (a hint; fine if refused).
    madvise(mem, n_words * sizeof(uint64_t), MADV_HUGEPAGE);
    auto *words = static_cast<uint64_t *>(mem);
    const std::vector<Slice> slices = split(n_words, options.n_threads);
    fill(words, slices);

    double best_seconds = 0.0;
    for (int run = 0; run < options.runs; ++run) {
        uint64_t total = 0;
        const double seconds = timed_pass(words, slices, &total);
        // Checking the sum uses every word read, so the compiler cannot drop the reads, and it
        // also proves the threads covered the whole buffer exactly once.
        const uint64_t expected = n_words % 2 == 0 ? (n_words / 2) * (n_words - 1)
                                                   : n_words * ((n_words - 1) / 2);
        if (total != expected) {
            munmap(mem, n_words * sizeof(uint64_t));
            throw std::runtime_error("bandwidth probe: wrong checksum");
        }
        if (run == 0 || seconds < best_seconds) {
            best_seconds = seconds;
        }
    }
    munmap(mem, n_words * sizeof(uint64_t));
    return static_cast<double>(n_words * sizeof(uint64_t)) / best_seconds / 1e9;
}

bool read_all(int fd, void *buf, size_t size) {
    auto *p = static_cast<char *>(buf);
    while (size > 0) {
        const ssize_t n = read(fd, p, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

} // namespace

double measure_read_bandwidth_gbps(const BandwidthOptions &options) {
    if (options.n_threads < 1 || options.runs < 1 || options.bytes < 64 * 1024) {
        throw std::runtime_error("bandwidth probe: bad options");
    }
    int fds[2];
    if (pipe(fds) != 0) {
        throw std::runtime_error("bandwidth probe: pipe failed");
    }
    const pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        throw std::runtime_error("bandwidth probe: fork failed");
    }
    if (pid == 0) {
        // Child: let Ctrl-C end it directly (the parent blocks SIGINT for its watcher thread).
        signal(SIGINT, SIG_DFL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
        close(fds[0]);
        double result = -1.0;
        try {
            result = probe_in_this_process(options);
        } catch (...) {
            result = -1.0;
        }
        const bool ok = write(fds[1], &result, sizeof result) == sizeof result;
        _exit(ok && result > 0 ? 0 : 1);
    }
    close(fds[1]);
    double result = -1.0;
    const bool got = read_all(fds[0], &result, sizeof result);
    close(fds[0]);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    if (!got || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0 || !(result > 0)) {
        throw std::runtime_error("bandwidth probe failed (could not allocate or read " +
                                 std::to_string(options.bytes >> 20) + " MiB?)");
    }
    return result;
}

} // namespace cli
