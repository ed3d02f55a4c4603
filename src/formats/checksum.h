// The checksum of llmrt files: CRC-32C (Castagnoli, as in iSCSI, ext4 and SSE4.2's crc32
// instruction), one per tensor, embedded file and header. The writer, the reader and
// `llmrt check` all use this one function.
#pragma once

#include <cstddef>
#include <cstdint>

namespace llmrt {

// CRC-32C of n bytes, continuing from a previous result (0 to start): crc32c(ab) ==
// crc32c(b, crc32c(a)). Uses the crc32 instruction where the CPU has SSE4.2, a table otherwise;
// both give the same value ("123456789" -> 0xe3069283).
uint32_t crc32c(const uint8_t *data, size_t n, uint32_t previous = 0);

}  // namespace llmrt
