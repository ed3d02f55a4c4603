#include "formats/checksum.h"

#include <nmmintrin.h>

#include <array>
#include <cstring>

namespace llmrt {
namespace {

constexpr uint32_t kPolynomial = 0x82f63b78;  // Castagnoli, bit-reversed

constexpr std::array<uint32_t, 256> make_table() {
    std::array<uint32_t, 256> table{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
        table[i] = c;
    }
    return table;
}
constexpr std::array<uint32_t, 256> kTable = make_table();

// ---- combining: crc(AB) from crc(A), crc(B) and len(B), as zlib's crc32_combine does ----

// a * b modulo the polynomial, in the bit-reversed representation.
constexpr uint32_t multiply_mod(uint32_t a, uint32_t b) {
    uint32_t product = 0;
    for (uint32_t m = uint32_t{1} << 31; m != 0; m >>= 1) {
        if (a & m) product ^= b;
        b = (b & 1) ? (b >> 1) ^ kPolynomial : b >> 1;
    }
    return product;
}

// x^(2^k) modulo the polynomial, k = 0..63.
constexpr std::array<uint32_t, 64> make_powers() {
    std::array<uint32_t, 64> powers{};
    uint32_t p = uint32_t{1} << 30;  // x^1
    for (size_t k = 0; k < powers.size(); ++k) {
        powers[k] = p;
        p = multiply_mod(p, p);
    }
    return powers;
}
constexpr std::array<uint32_t, 64> kPowers = make_powers();

// The CRC of A followed by B, where crc_b covers len_b bytes: crc_a shifted over len_b zero
// bytes (multiplied by x^(8 len_b)) plus crc_b.
uint32_t combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b) {
    uint32_t shift = uint32_t{1} << 31;  // x^0
    for (size_t k = 3; len_b != 0; len_b >>= 1, ++k)
        if (len_b & 1) shift = multiply_mod(kPowers[k], shift);
    return multiply_mod(shift, crc_a) ^ crc_b;
}

// ---- the register over bytes (not inverted) ----

uint32_t register_table(const uint8_t *p, size_t n, uint32_t crc) {
    for (size_t i = 0; i < n; ++i) crc = kTable[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return crc;
}

__attribute__((target("sse4.2"))) inline uint64_t step8(uint64_t crc, const uint8_t *p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return _mm_crc32_u64(crc, v);
}

__attribute__((target("sse4.2"))) uint32_t register_sse42(const uint8_t *p, size_t n, uint32_t crc) {
    uint64_t c = crc;
    for (; n >= 8; n -= 8, p += 8) c = step8(c, p);
    uint32_t c32 = static_cast<uint32_t>(c);
    for (; n > 0; --n, ++p) c32 = _mm_crc32_u8(c32, *p);
    return c32;
}

// Below this, one stream; above, the two combines (a few hundred nanoseconds) are noise.
constexpr size_t kThreeStreamMin = size_t{64} << 10;

// One crc32 instruction has a latency of 3 cycles but a throughput of 1 per cycle: three
// independent streams over the thirds of the buffer, combined at the end, run 2-3 times as fast
// as one (measured in checksum.h).
__attribute__((target("sse4.2"))) uint32_t crc_sse42(const uint8_t *p, size_t n) {
    if (n < kThreeStreamMin) return ~register_sse42(p, n, ~uint32_t{0});
    const size_t third = n / 3 / 8 * 8;
    const uint8_t *pa = p, *pb = p + third, *pc = p + 2 * third;
    uint64_t a = 0xffffffff, b = 0xffffffff, c = 0xffffffff;
    for (size_t i = 0; i < third; i += 8) {
        a = step8(a, pa + i);
        b = step8(b, pb + i);
        c = step8(c, pc + i);
    }
    const uint32_t crc_c = ~register_sse42(pc + third, n - 3 * third, static_cast<uint32_t>(c));
    const uint32_t crc_ab = combine(~static_cast<uint32_t>(a), ~static_cast<uint32_t>(b), third);
    return combine(crc_ab, crc_c, n - 2 * third);
}

bool have_sse42() {
    static const bool yes = __builtin_cpu_supports("sse4.2");
    return yes;
}

}  // namespace

uint32_t crc32c(const uint8_t *data, size_t n, uint32_t previous) {
    const uint32_t crc = have_sse42() ? crc_sse42(data, n) : ~register_table(data, n, ~uint32_t{0});
    return previous == 0 ? crc : combine(previous, crc, n);
}

}  // namespace llmrt
