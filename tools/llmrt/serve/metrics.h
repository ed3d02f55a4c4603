// Counters for GET /metrics (Prometheus text format). Written by the scheduler and the routes,
// read by the metrics route: plain atomics, no lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace cli::serve {

struct Metrics {
    std::atomic<uint64_t> requests_total{0};     // generation requests accepted
    std::atomic<uint64_t> requests_rejected{0};  // 503: the queue was full
    std::atomic<uint64_t> prompt_tokens{0};
    std::atomic<uint64_t> generated_tokens{0};

    // The exposition text, with the scheduler's gauges.
    std::string prometheus_text(int active_slots, int queued) const;
};

}  // namespace cli::serve
