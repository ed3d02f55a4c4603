// Memory read-bandwidth probe, so that bench can say how close decode gets to the machine's limit
// measured in the same run (the machine is shared: absolute numbers drift, ratios from one run hold).
#pragma once

#include <cstddef>

namespace cli {

struct BandwidthOptions {
    int n_threads = 1;
    size_t bytes = size_t(1) << 30; // far larger than any cache
    int runs = 5;                   // the best run is reported
};

// Reads a buffer of options.bytes with n_threads threads, each summing 64-bit words of its own
// slice, and returns the best run in GB/s (1e9 bytes). Runs in a child process so the buffer does
// not count towards the caller's peak RSS. Throws std::runtime_error on failure.
double measure_read_bandwidth_gbps(const BandwidthOptions &options);

} // namespace cli
