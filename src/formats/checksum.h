// The checksum of llmrt files: CRC-32C (Castagnoli, as in iSCSI, ext4 and SSE4.2's crc32
// instruction), one per tensor, embedded file and header. The writer, the reader and
// `llmrt check` all use this one function.
//
// Cheap enough to verify at every load. Measured on the 2-core AMD EPYC (Zen 5) VM, shared with
// other jobs, over a 754 MB llmrt file (TinyLlama 1.1B int4) already in the page cache: one
// stream 3.3-4.2 GB/s, three streams 6-10 GB/s. `llmrt info` takes 0.20 s without verification
// and 0.62-0.71 s with it, but most of that is faulting in the mapped pages, which the first
// forward pass does anyway: the time to the first generated token went from 1.30-1.79 s to
// 1.44-1.49 s.
#pragma once

#include <cstddef>
#include <cstdint>

namespace llmrt {

// CRC-32C of n bytes, continuing from a previous result (0 to start): crc32c(ab) ==
// crc32c(b, crc32c(a)). Uses the crc32 instruction where the CPU has SSE4.2, a table otherwise;
// both give the same value ("123456789" -> 0xe3069283).
uint32_t crc32c(const uint8_t *data, size_t n, uint32_t previous = 0);

}  // namespace llmrt
