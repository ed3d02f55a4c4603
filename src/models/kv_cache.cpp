#include "models/kv_cache.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/float16.h"

namespace llmrt {
namespace {

size_t element_bytes(KvType type) {
    switch (type) {
    case KvType::F32: return 4;
    case KvType::F16:
    case KvType::BF16: return 2;
    case KvType::Int8: return 1;
    }
    return 4;
}

}  // namespace

const char *kv_type_name(KvType type) {
    switch (type) {
    case KvType::F32: return "f32";
    case KvType::F16: return "f16";
    case KvType::BF16: return "bf16";
    case KvType::Int8: return "int8";
    }
    return "?";
}

KvCache::KvCache(KvType type, int64_t n_layer, int64_t n_ctx, int64_t kv_dim, int64_t head_dim, int64_t n_seq)
    : type_(type), n_ctx_(n_ctx), kv_dim_(kv_dim), head_dim_(head_dim), n_layer_(n_layer), n_seq_(n_seq) {
    require(head_dim > 0 && kv_dim % head_dim == 0, Status::Internal, "KvCache: kv_dim is not a multiple of head_dim");
    require(n_seq >= 1, Status::Internal, "KvCache: n_seq must be >= 1");
    const size_t n = static_cast<size_t>(n_seq * n_layer * n_ctx * kv_dim);
    k_ = AlignedBuffer<uint8_t>(n * element_bytes(type));
    v_ = AlignedBuffer<uint8_t>(n * element_bytes(type));
    if (type == KvType::Int8) {
        k_scale_ = AlignedBuffer<float>(n / static_cast<size_t>(head_dim));
        v_scale_ = AlignedBuffer<float>(n / static_cast<size_t>(head_dim));
    }
}

// count elements (whole positions) from src into dst in the cache's type; Q8 writes one scale
// per head_dim values to scales.
void KvCache::store_rows(const float *src, int64_t count, uint8_t *dst, float *scales) const {
    switch (type_) {
    case KvType::F32:
        std::memcpy(dst, src, static_cast<size_t>(count) * sizeof(float));
        return;
    case KvType::F16: {
        auto *d = reinterpret_cast<uint16_t *>(dst);
        for (int64_t i = 0; i < count; ++i) d[i] = f32_to_f16(src[i]);
        return;
    }
    case KvType::BF16: {
        auto *d = reinterpret_cast<uint16_t *>(dst);
        for (int64_t i = 0; i < count; ++i) d[i] = f32_to_bf16(src[i]);
        return;
    }
    case KvType::Int8: {
        auto *d = reinterpret_cast<int8_t *>(dst);
        for (int64_t r = 0; r < count / head_dim_; ++r) {
            const float *x = src + r * head_dim_;
            float amax = 0.0f;
            for (int64_t i = 0; i < head_dim_; ++i) amax = std::max(amax, std::fabs(x[i]));
            // NaN and inf keep the scale NaN/inf, so attention gives NaN rather than a finite lie.
            const float scale = amax / 127.0f;
            const float inv = scale > 0.0f ? 1.0f / scale : 0.0f;
            scales[r] = scale;
            for (int64_t i = 0; i < head_dim_; ++i) {
                const float q = std::nearbyint(x[i] * inv);
                d[r * head_dim_ + i] = static_cast<int8_t>(std::isfinite(q) ? std::clamp(q, -127.0f, 127.0f) : 0.0f);
            }
        }
        return;
    }
    }
}

void KvCache::store(int64_t layer, int64_t pos, int64_t n, const float *k, const float *v, int64_t seq) {
    const size_t at = offset(seq, layer, pos);
    const size_t bytes = at * element_bytes(type_);
    const size_t scale_offset = at / static_cast<size_t>(head_dim_);
    float *ks = type_ == KvType::Int8 ? k_scale_.data() + scale_offset : nullptr;
    float *vs = type_ == KvType::Int8 ? v_scale_.data() + scale_offset : nullptr;
    store_rows(k, n * kv_dim_, k_.data() + bytes, ks);
    store_rows(v, n * kv_dim_, v_.data() + bytes, vs);
}

// The inverse of store_rows: count elements of the cache's type to f32.
void KvCache::load_rows(const uint8_t *src, const float *scales, int64_t count, float *dst) const {
    switch (type_) {
    case KvType::F32:
        std::memcpy(dst, src, static_cast<size_t>(count) * sizeof(float));
        return;
    case KvType::F16: {
        const auto *s = reinterpret_cast<const uint16_t *>(src);
        for (int64_t i = 0; i < count; ++i) dst[i] = f16_to_f32(s[i]);
        return;
    }
    case KvType::BF16: {
        const auto *s = reinterpret_cast<const uint16_t *>(src);
        for (int64_t i = 0; i < count; ++i) dst[i] = bf16_to_f32(s[i]);
        return;
    }
    case KvType::Int8: {
        const auto *s = reinterpret_cast<const int8_t *>(src);
        for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<float>(s[i]) * scales[i / head_dim_];
        return;
    }
    }
}

void KvCache::move_positions(int64_t src, int64_t dst, int64_t n) {
    require(n >= 0 && dst >= 0 && dst <= src && src + n <= n_ctx_, Status::Internal,
            "KvCache::move_positions: positions outside the cache");
    const size_t esize = element_bytes(type_);
    const size_t count = static_cast<size_t>(n * kv_dim_);
    const size_t heads = static_cast<size_t>(kv_dim_ / head_dim_);
    for (int64_t layer = 0; layer < n_layer_; ++layer) {
        const size_t from = offset(0, layer, src), to = offset(0, layer, dst);
        // memmove: the ranges overlap when fewer positions are dropped than moved.
        std::memmove(k_.data() + to * esize, k_.data() + from * esize, count * esize);
        std::memmove(v_.data() + to * esize, v_.data() + from * esize, count * esize);
        if (type_ != KvType::Int8) continue;
        const size_t hd = static_cast<size_t>(head_dim_);
        std::memmove(k_scale_.data() + to / hd, k_scale_.data() + from / hd, static_cast<size_t>(n) * heads * sizeof(float));
        std::memmove(v_scale_.data() + to / hd, v_scale_.data() + from / hd, static_cast<size_t>(n) * heads * sizeof(float));
    }
}

void KvCache::load_keys(int64_t layer, int64_t pos, int64_t n, float *out) const {
    const size_t offset = this->offset(0, layer, pos);
    const float *scales = type_ == KvType::Int8 ? k_scale_.data() + offset / static_cast<size_t>(head_dim_) : nullptr;
    load_rows(k_.data() + offset * element_bytes(type_), scales, n * kv_dim_, out);
}

void KvCache::store_keys(int64_t layer, int64_t pos, int64_t n, const float *k) {
    const size_t offset = this->offset(0, layer, pos);
    float *scales = type_ == KvType::Int8 ? k_scale_.data() + offset / static_cast<size_t>(head_dim_) : nullptr;
    store_rows(k, n * kv_dim_, k_.data() + offset * element_bytes(type_), scales);
}

KvLayerView KvCache::layer(int64_t layer, int64_t seq) const {
    KvLayerView view;
    const size_t offset = this->offset(seq, layer, 0);
    view.type = type_;
    view.stride = kv_dim_;
    view.head_dim = head_dim_;
    view.k = k_.data() + offset * element_bytes(type_);
    view.v = v_.data() + offset * element_bytes(type_);
    if (type_ == KvType::Int8) {
        view.k_scale = k_scale_.data() + offset / static_cast<size_t>(head_dim_);
        view.v_scale = v_scale_.data() + offset / static_cast<size_t>(head_dim_);
    }
    return view;
}

void KvCache::copy_seq(int64_t src, int64_t dst, int64_t first, int64_t n) {
    require(src >= 0 && src < n_seq_ && dst >= 0 && dst < n_seq_ && src != dst && first >= 0 && first <= n &&
                n <= n_ctx_,
            Status::Internal, "KvCache::copy_seq: bad sequences or positions");
    const size_t count = static_cast<size_t>((n - first) * kv_dim_);
    const size_t esize = element_bytes(type_);
    for (int64_t layer = 0; layer < n_layer_; ++layer) {
        const size_t from = offset(src, layer, first), to = offset(dst, layer, first);
        std::memcpy(k_.data() + to * esize, k_.data() + from * esize, count * esize);
        std::memcpy(v_.data() + to * esize, v_.data() + from * esize, count * esize);
        if (type_ == KvType::Int8) {
            const size_t h = static_cast<size_t>(head_dim_);
            std::memcpy(k_scale_.data() + to / h, k_scale_.data() + from / h, count / h * sizeof(float));
            std::memcpy(v_scale_.data() + to / h, v_scale_.data() + from / h, count / h * sizeof(float));
        }
    }
}

}  // namespace llmrt
