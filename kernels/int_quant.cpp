// The int8/int4 row layout (see int_quant.h): geometry, round-to-nearest packing, unpacking, and
// the scalar activation prepare. Built without ISA flags, so scalar float code here is never
// contracted into FMAs: unpack_row's values match llama.cpp's dequantization bit for bit.
#include "kernels/int_quant.h"

#include <algorithm>
#include <cmath>

namespace llmrt {

IntGeom int_geom(const QuantFormat &format, int64_t cols) {
    IntGeom g;
    g.int4 = format.kind == QuantKind::Int4;
    g.asym = format.asym;
    g.scale = format.scale;
    g.cols = cols;
    g.row_scale = format.group_size < 0 || format.group_size >= cols;
    g.block = g.row_scale ? kRowBlock32 : format.group_size;
    g.quads = g.block / 4;
    g.nblocks = (cols + g.block - 1) / g.block;
    g.nsb = (g.nblocks + kSbBlocks - 1) / kSbBlocks;
    g.tail = g.nblocks - (g.nsb > 0 ? (g.nsb - 1) * kSbBlocks : 0);
    g.param_bytes = scale_dtype_bytes(g.scale);
    g.nparams = g.asym ? 2 : 1;
    g.block_qbytes = g.int4 ? 2 : 4;
    g.zero = g.int4 ? 8 : 128;
    g.qmax = g.int4 ? 15 : 255;
    g.sb_code_bytes = g.quads * kSbBlocks * g.block_qbytes;
    g.code_bytes = g.nsb > 0 ? (g.nsb - 1) * g.sb_code_bytes + g.quads * g.tail * g.block_qbytes : 0;
    g.n_row_params = g.row_scale ? 1 : g.nblocks;
    g.sb_bytes = g.sb_code_bytes + (g.row_scale ? 0 : kSbBlocks * g.param_bytes * g.nparams);
    g.row_bytes = g.code_bytes + g.n_row_params * g.param_bytes * g.nparams;
    return g;
}

BlockParams block_params(const IntGeom &g, const uint8_t *row, int64_t b) {
    const SbLayout l = sb_layout(g, b / kSbBlocks);
    const int64_t j = g.row_scale ? 0 : b % kSbBlocks;
    return {load_scale(row + l.scales, j, g.scale), g.asym ? load_scale(row + l.mins, j, g.scale) : 0.0f};
}

void put_block_params(const IntGeom &g, uint8_t *row, int64_t b, float scale, float min) {
    const SbLayout l = sb_layout(g, b / kSbBlocks);
    const int64_t j = g.row_scale ? 0 : b % kSbBlocks;
    store_scale(row + l.scales, j, g.scale, scale);
    if (g.asym) store_scale(row + l.mins, j, g.scale, min);
}

void put_block_codes(const IntGeom &g, uint8_t *row, int64_t b, const uint8_t *codes) {
    const SbLayout l = sb_layout(g, b / kSbBlocks);
    const int64_t j = b % kSbBlocks;
    uint8_t *p = row + l.codes + j * g.block_qbytes;
    for (int64_t q = 0; q < g.quads; ++q, p += l.qrow_bytes) {
        const uint8_t *c = codes + 4 * q;
        if (g.int4) {
            p[0] = static_cast<uint8_t>(c[0] | (c[1] << 4));
            p[1] = static_cast<uint8_t>(c[2] | (c[3] << 4));
        } else {
            std::memcpy(p, c, 4);
        }
    }
}

void get_block_codes(const IntGeom &g, const uint8_t *row, int64_t b, uint8_t *codes) {
    const SbLayout l = sb_layout(g, b / kSbBlocks);
    const int64_t j = b % kSbBlocks;
    const uint8_t *p = row + l.codes + j * g.block_qbytes;
    for (int64_t q = 0; q < g.quads; ++q, p += l.qrow_bytes) {
        uint8_t *c = codes + 4 * q;
        if (g.int4) {
            c[0] = p[0] & 0x0f;
            c[1] = p[0] >> 4;
            c[2] = p[1] & 0x0f;
            c[3] = p[1] >> 4;
        } else {
            std::memcpy(c, p, 4);
        }
    }
}

namespace {

// Scale (as stored), min (as stored) and 1 / scale of one group.
struct GroupQuant {
    float scale, min, inv;
};

float stored(const IntGeom &g, float v) { return round_to_scale(g.scale, v); }

GroupQuant choose_group_quant(const IntGeom &g, const float *x, int64_t n) {
    GroupQuant p{0.0f, 0.0f, 0.0f};
    if (n <= 0) return p;
    if (g.asym) {
        const auto mm = std::minmax_element(x, x + n);
        p.min = stored(g, *mm.first);
        p.scale = stored(g, (*mm.second - *mm.first) / static_cast<float>(g.qmax));
    } else if (g.int4) {
        // llama.cpp's Q4_0 choice: the value of largest magnitude maps to code 0 (-8 * scale), so
        // all 16 levels are used, one more than with amax / 7 (smaller error on Gaussian rows).
        float vmax = 0.0f;
        for (int64_t k = 0; k < n; ++k)
            if (std::fabs(x[k]) > std::fabs(vmax)) vmax = x[k];
        p.scale = stored(g, vmax / -8.0f);
    } else {
        float amax = 0.0f;
        for (int64_t k = 0; k < n; ++k) amax = std::max(amax, std::fabs(x[k]));
        p.scale = stored(g, amax / 127.0f);
    }
    p.inv = p.scale != 0.0f ? 1.0f / p.scale : 0.0f;
    return p;
}

uint8_t quantize_code(const IntGeom &g, float v, const GroupQuant &p) {
    float q = g.asym ? std::nearbyint((v - p.min) * p.inv) : std::nearbyint(v * p.inv) + static_cast<float>(g.zero);
    if (!(q >= 0.0f)) q = 0.0f;  // also NaN
    if (q > static_cast<float>(g.qmax)) q = static_cast<float>(g.qmax);
    return static_cast<uint8_t>(q);
}

}  // namespace

BlockParams int_group_params(const IntGeom &g, const float *x, int64_t n) {
    const GroupQuant p = choose_group_quant(g, x, n);
    return {p.scale, p.min};
}

uint8_t int_quantize_code(const IntGeom &g, float v, BlockParams p) {
    return quantize_code(g, v, {p.scale, p.min, p.scale != 0.0f ? 1.0f / p.scale : 0.0f});
}

void int_pack_row(const IntGeom &g, const float *src, uint8_t *dst) {
    std::memset(dst, 0, static_cast<size_t>(g.row_bytes));
    uint8_t codes[kMaxIntGroup];
    GroupQuant p{};
    if (g.row_scale) {
        p = choose_group_quant(g, src, g.cols);
        put_block_params(g, dst, 0, p.scale, p.min);
    }
    for (int64_t b = 0; b < g.nblocks; ++b) {
        const float *x = src + b * g.block;
        const int64_t len = g.block_len(b);
        if (!g.row_scale) {
            p = choose_group_quant(g, x, len);
            put_block_params(g, dst, b, p.scale, p.min);
        }
        for (int64_t k = 0; k < len; ++k) codes[k] = quantize_code(g, x[k], p);
        std::fill(codes + len, codes + g.block, uint8_t{0});
        put_block_codes(g, dst, b, codes);
    }
}

void int_unpack_row(const IntGeom &g, const uint8_t *row, float *out) {
    uint8_t codes[kMaxIntGroup];
    for (int64_t b = 0; b < g.nblocks; ++b) {
        const BlockParams p = block_params(g, row, b);
        get_block_codes(g, row, b, codes);
        const int64_t len = g.block_len(b);
        for (int64_t k = 0; k < len; ++k) out[b * g.block + k] = code_value(g, codes[k], p);
    }
}

int64_t prep_sb_bytes(const IntGeom &g, ComputeDtype compute) {
    switch (compute) {
        case ComputeDtype::Int8: return 2 * 64 + g.quads * 64;
        case ComputeDtype::BF16: return 64 + g.quads * 64 * 2;
        default: return 64 + g.quads * 64 * 4;
    }
}

void int_prepare_ref(const IntGeom &g, ComputeDtype compute, const float *x, int64_t m, uint8_t *prepared) {
    const int64_t psb = prep_sb_bytes(g, compute);
    const int64_t prow = g.nsb * psb;
    std::memset(prepared, 0, static_cast<size_t>(m * prow));
    for (int64_t i = 0; i < m; ++i) {
        const float row_amax = compute == ComputeDtype::Int8 && x_per_row(g) ? x_amax(x + i * g.cols, g.cols) : 0.0f;
        for (int64_t b = 0; b < g.nblocks; ++b) {
            const int j = static_cast<int>(b % kSbBlocks);
            uint8_t *sb = prepared + i * prow + (b / kSbBlocks) * psb;
            float *lanes = reinterpret_cast<float *>(sb);  // prepared buffers are at least 4-byte aligned
            const float *xb = x + i * g.cols + b * g.block;
            const int64_t len = g.block_len(b);
            if (compute == ComputeDtype::Int8) {
                const float amax = x_quant_amax(g, x_amax(xb, len), row_amax);
                const bool finite = x_block_finite(amax);
                const float inv = x_block_inv(amax);
                int32_t sum = 0;
                for (int64_t k = 0; k < len; ++k) {
                    const float v = finite ? xb[k] : 0.0f;
                    const int q = x_quantize(v, inv);
                    sum += q;
                    sb[128 + (k / 4) * 64 + prep_pos(g, compute, j, static_cast<int>(k % 4))] =
                        static_cast<uint8_t>(static_cast<int8_t>(q));
                }
                const float dx = x_block_dx(amax);
                lanes[j] = dx;
                lanes[16 + j] = dx * static_cast<float>(sum);
            } else if (compute == ComputeDtype::BF16) {
                float sum = 0.0f;
                uint16_t *xs = reinterpret_cast<uint16_t *>(sb + 64);
                for (int64_t k = 0; k < len; ++k) {
                    const uint16_t h = f32_to_bf16(xb[k]);
                    sum += bf16_to_f32(h);
                    xs[(k / 4) * 64 + prep_pos(g, compute, j, static_cast<int>(k % 4))] = h;
                }
                lanes[j] = sum;
            } else {
                float sum = 0.0f;
                float *xs = reinterpret_cast<float *>(sb + 64);
                for (int64_t k = 0; k < len; ++k) {
                    sum += xb[k];
                    xs[(k / 4) * 64 + prep_pos(g, compute, j, static_cast<int>(k % 4))] = xb[k];
                }
                lanes[j] = sum;
            }
        }
    }
}

void int_prepare_ref_f32(const IntGeom &g, const float *x, int64_t m, uint8_t *prepared) {
    int_prepare_ref(g, ComputeDtype::F32, x, m, prepared);
}
void int_prepare_ref_bf16(const IntGeom &g, const float *x, int64_t m, uint8_t *prepared) {
    int_prepare_ref(g, ComputeDtype::BF16, x, m, prepared);
}
void int_prepare_ref_int8(const IntGeom &g, const float *x, int64_t m, uint8_t *prepared) {
    int_prepare_ref(g, ComputeDtype::Int8, x, m, prepared);
}

// Each block of dst lies inside one block of src (the slice starts on a block of src, and dst's
// blocks are src's groups or, for one scale per row, share that scale), so its parameters are
// that block's.
void int_slice_row(const IntGeom &src, const uint8_t *row, int64_t c0, const IntGeom &dst, uint8_t *out) {
    std::memset(out, 0, static_cast<size_t>(dst.row_bytes));
    uint8_t src_codes[kMaxIntGroup], codes[kMaxIntGroup];
    int64_t loaded = -1;
    for (int64_t b = 0; b < dst.nblocks; ++b) {
        const int64_t first = c0 + b * dst.block;  // src column of the block's first code
        for (int64_t i = 0; i < dst.block; ++i) {
            if (i >= dst.block_len(b)) {
                codes[i] = 0;
                continue;
            }
            const int64_t sb = (first + i) / src.block;
            if (sb != loaded) {
                get_block_codes(src, row, sb, src_codes);
                loaded = sb;
            }
            codes[i] = src_codes[first + i - sb * src.block];
        }
        const BlockParams p = block_params(src, row, first / src.block);
        put_block_params(dst, out, b, p.scale, p.min);
        put_block_codes(dst, out, b, codes);
    }
}

}  // namespace llmrt
