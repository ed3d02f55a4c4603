#include "models/kv_cache.h"

#include <cstring>

#include "formats/tensor.h"

namespace llmrt {

KvCache::KvCache(KvType type, int64_t n_layer, int64_t n_ctx, int64_t kv_dim)
    : type_(type), n_ctx_(n_ctx), kv_dim_(kv_dim) {
    const size_t n = static_cast<size_t>(n_layer * n_ctx * kv_dim);
    if (type == KvType::F32) {
        k32_ = AlignedBuffer<float>(n);
        v32_ = AlignedBuffer<float>(n);
    } else {
        k16_ = AlignedBuffer<uint16_t>(n);
        v16_ = AlignedBuffer<uint16_t>(n);
    }
}

void KvCache::store(int64_t layer, int64_t pos, int64_t n, const float *k, const float *v) {
    const size_t offset = static_cast<size_t>((layer * n_ctx_ + pos) * kv_dim_);
    const size_t count = static_cast<size_t>(n * kv_dim_);
    if (type_ == KvType::F32) {
        std::memcpy(k32_.data() + offset, k, count * sizeof(float));
        std::memcpy(v32_.data() + offset, v, count * sizeof(float));
        return;
    }
    for (size_t i = 0; i < count; ++i) {
        k16_[offset + i] = f32_to_f16(k[i]);
        v16_[offset + i] = f32_to_f16(v[i]);
    }
}

KvLayerView KvCache::layer(int64_t layer) const {
    KvLayerView view;
    const size_t offset = static_cast<size_t>(layer * n_ctx_ * kv_dim_);
    view.stride = kv_dim_;
    if (type_ == KvType::F32) {
        view.k32 = k32_.data() + offset;
        view.v32 = v32_.data() + offset;
    } else {
        view.k16 = k16_.data() + offset;
        view.v16 = v16_.data() + offset;
    }
    return view;
}

}  // namespace llmrt
