#include "models/ops.h"

#include <algorithm>
#include <cmath>

#include "core/float16.h"
#include "formats/tensor.h"
#include "kernels/vec.h"

namespace llmrt {

void rms_norm(const float *x, const float *weight, float *out, int64_t n, int64_t width, float eps,
              float weight_offset) {
    for (int64_t r = 0; r < n; ++r) {
        const float *xr = x + r * width;
        float *o = out + r * width;
        const double sum = dot_f32(xr, xr, width);
        const float inv = static_cast<float>(1.0 / std::sqrt(sum / static_cast<double>(width) + eps));
        for (int64_t i = 0; i < width; ++i) o[i] = xr[i] * inv * (weight[i] + weight_offset);
    }
}

void layer_norm(const float *x, const float *weight, const float *bias, float *out, int64_t n, int64_t width,
                float eps) {
    for (int64_t r = 0; r < n; ++r) {
        const float *xr = x + r * width;
        float *o = out + r * width;
        double sum = 0.0;
        for (int64_t i = 0; i < width; ++i) sum += xr[i];
        const double mean = sum / static_cast<double>(width);
        double var = 0.0;
        for (int64_t i = 0; i < width; ++i) var += (xr[i] - mean) * (xr[i] - mean);
        const double inv = 1.0 / std::sqrt(var / static_cast<double>(width) + eps);
        for (int64_t i = 0; i < width; ++i) {
            const float y = static_cast<float>((xr[i] - mean) * inv) * weight[i];
            o[i] = bias ? y + bias[i] : y;
        }
    }
}

namespace {

float activation(Activation act, float x) {
    switch (act) {
        case Activation::Silu: return x / (1.0f + std::exp(-x));
        case Activation::GeluExact: return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
        case Activation::GeluTanh: {
            const float inner = 0.79788456080286536f * (x + 0.044715f * x * x * x);
            return 0.5f * x * (1.0f + std::tanh(inner));
        }
        case Activation::Relu: return x > 0.0f ? x : 0.0f;
    }
    return x;
}

}  // namespace

void activate(Activation act, float *x, int64_t count) {
    for (int64_t i = 0; i < count; ++i) x[i] = activation(act, x[i]);
}

void act_mul(Activation act, const float *gate, const float *up, float *out, int64_t count) {
    if (act == Activation::Silu) {
        silu_mul_f32(gate, up, out, count);
        return;
    }
    for (int64_t i = 0; i < count; ++i) out[i] = activation(act, gate[i]) * up[i];
}

std::vector<float> alibi_slopes(int64_t n_head, float max_bias) {
    int64_t n_floor = 1;
    while (n_floor * 2 <= n_head) n_floor *= 2;
    const double m0 = std::pow(2.0, -static_cast<double>(max_bias) / static_cast<double>(n_floor));
    const double m1 = std::pow(2.0, -static_cast<double>(max_bias) / 2.0 / static_cast<double>(n_floor));
    std::vector<float> slopes(static_cast<size_t>(n_head));
    for (int64_t h = 0; h < n_head; ++h)
        slopes[static_cast<size_t>(h)] = static_cast<float>(
            h < n_floor ? std::pow(m0, static_cast<double>(h + 1)) : std::pow(m1, static_cast<double>(2 * (h - n_floor) + 1)));
    return slopes;
}

void add_inplace(float *x, const float *y, int64_t count) {
    for (int64_t i = 0; i < count; ++i) x[i] += y[i];
}

void add_bias(float *x, const float *bias, int64_t n, int64_t width) {
    for (int64_t r = 0; r < n; ++r) add_inplace(x + r * width, bias, width);
}

void silu_mul(const float *gate, const float *up, float *out, int64_t count) { silu_mul_f32(gate, up, out, count); }

std::vector<double> rope_inverse_frequencies(double theta, int64_t rot_dims, const RopeScaling &scaling) {
    std::vector<double> inv(static_cast<size_t>(rot_dims / 2));
    for (size_t i = 0; i < inv.size(); ++i)
        inv[i] = std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(rot_dims));
    if (scaling.kind == RopeScaling::Kind::Linear) {
        for (double &f : inv) f /= scaling.factor;
    } else if (scaling.kind == RopeScaling::Kind::Llama3) {
        // Llama 3.1: long wavelengths are stretched by `factor`, short ones kept, the band
        // between interpolated smoothly.
        const double pi = 3.14159265358979323846;
        const double low_wavelen = scaling.original_max_positions / scaling.low_freq_factor;
        const double high_wavelen = scaling.original_max_positions / scaling.high_freq_factor;
        for (double &f : inv) {
            const double wavelen = 2.0 * pi / f;
            if (wavelen < high_wavelen) continue;
            if (wavelen > low_wavelen) {
                f /= scaling.factor;
                continue;
            }
            const double smooth = (scaling.original_max_positions / wavelen - scaling.low_freq_factor) /
                                  (scaling.high_freq_factor - scaling.low_freq_factor);
            f = (1.0 - smooth) * f / scaling.factor + smooth * f;
        }
    }
    return inv;
}

void rope_angles(const std::vector<double> &inv_freq, int64_t pos0, int64_t n, float *cos_out, float *sin_out) {
    const size_t half = inv_freq.size();
    for (int64_t t = 0; t < n; ++t) {
        const double pos = static_cast<double>(pos0 + t);
        for (size_t i = 0; i < half; ++i) {
            const double a = pos * inv_freq[i];
            cos_out[static_cast<size_t>(t) * half + i] = static_cast<float>(std::cos(a));
            sin_out[static_cast<size_t>(t) * half + i] = static_cast<float>(std::sin(a));
        }
    }
}

void apply_rope(float *x, int64_t n, int64_t n_heads, int64_t head_dim, int64_t rot_dims,
                RopePairing pairing, const float *cos, const float *sin) {
    const int64_t half = rot_dims / 2;
    for (int64_t t = 0; t < n; ++t) {
        const float *c = cos + t * half;
        const float *s = sin + t * half;
        for (int64_t h = 0; h < n_heads; ++h) {
            float *v = x + (t * n_heads + h) * head_dim;
            for (int64_t i = 0; i < half; ++i) {
                const int64_t a = pairing == RopePairing::Interleaved ? 2 * i : i;
                const int64_t b = pairing == RopePairing::Interleaved ? 2 * i + 1 : i + half;
                const float x0 = v[a], x1 = v[b];
                v[a] = x0 * c[i] - x1 * s[i];
                v[b] = x0 * s[i] + x1 * c[i];
            }
        }
    }
}

namespace {

float round_f16(float x) { return f16_to_f32(f32_to_f16(x)); }

// softmax over scores[0, n) in place.
void softmax_inplace(float *scores, int64_t n) {
    float max_score = -INFINITY;
    for (int64_t j = 0; j < n; ++j) max_score = std::max(max_score, scores[j]);
    const float inv = 1.0f / exp_shift_sum_f32(scores, n, max_score);
    for (int64_t j = 0; j < n; ++j) scores[j] *= inv;
}

// ALiBi: the scores of keys at positions [first, first + n_keys) seen from query position q_pos.
void add_alibi(float *scores, int64_t n_keys, int64_t first, int64_t q_pos, float slope) {
    for (int64_t j = 0; j < n_keys; ++j) scores[j] += slope * static_cast<float>(first + j - q_pos);
}

// One (token, head) pair over n_keys positions: softmax(q . K^T * scale + alibi) . V.
void attend_f32(const float *q, const float *keys, const float *values, float *out, int64_t n_keys,
                int64_t stride, int64_t head_dim, float scale, float *scores, int64_t first, int64_t q_pos,
                const float *slope) {
    attn_scores_f32(q, keys, n_keys, stride, head_dim, scale, scores);
    if (slope) add_alibi(scores, n_keys, first, q_pos, *slope);
    softmax_inplace(scores, n_keys);
    attn_values_f32(scores, values, n_keys, stride, head_dim, out);
}

// As an f16 dot product computes it: q and the attention weights rounded to f16 too.
void attend_f16(const float *q, const uint16_t *keys, const uint16_t *values, float *out, int64_t n_keys,
                int64_t stride, int64_t head_dim, float scale, float *scores, float *q16, int64_t first,
                int64_t q_pos, const float *slope) {
    for (int64_t d = 0; d < head_dim; ++d) q16[d] = round_f16(q[d]);
    vec_kernels().attn_scores_f16(q16, keys, n_keys, stride, head_dim, scale, scores);
    if (slope) add_alibi(scores, n_keys, first, q_pos, *slope);
    softmax_inplace(scores, n_keys);
    for (int64_t j = 0; j < n_keys; ++j) scores[j] = round_f16(scores[j]);
    vec_kernels().attn_values_f16(scores, values, n_keys, stride, head_dim, out);
}

// bf16 and int8 caches: each key and value row converted as it is read (not vectorised yet).
float key_dot(const KvLayerView &kv, int64_t at, const float *q, int64_t head_dim) {
    float s = 0.0f;
    if (kv.type == KvType::BF16) {
        const uint16_t *k = kv.k16() + at;
        for (int64_t d = 0; d < head_dim; ++d) s += q[d] * bf16_to_f32(k[d]);
        return s;
    }
    const int8_t *k = kv.k8() + at;
    for (int64_t d = 0; d < head_dim; ++d) s += q[d] * static_cast<float>(k[d]);
    return s * kv.k_scale_at(at);
}

void add_value(const KvLayerView &kv, int64_t at, float p, float *out, int64_t head_dim) {
    if (kv.type == KvType::BF16) {
        const uint16_t *v = kv.v16() + at;
        for (int64_t d = 0; d < head_dim; ++d) out[d] += p * bf16_to_f32(v[d]);
        return;
    }
    const int8_t *v = kv.v8() + at;
    const float w = p * kv.v_scale_at(at);
    for (int64_t d = 0; d < head_dim; ++d) out[d] += w * static_cast<float>(v[d]);
}

// attend_f32 over a bf16 or q8 cache: keys and values at element offsets at + j * stride.
void attend_converted(const float *q, const KvLayerView &kv, int64_t at, float *out, int64_t n_keys,
                      int64_t head_dim, float scale, float *scores, int64_t first, int64_t q_pos, const float *slope) {
    for (int64_t j = 0; j < n_keys; ++j) scores[j] = key_dot(kv, at + j * kv.stride, q, head_dim) * scale;
    if (slope) add_alibi(scores, n_keys, first, q_pos, *slope);
    softmax_inplace(scores, n_keys);
    std::fill(out, out + head_dim, 0.0f);
    for (int64_t j = 0; j < n_keys; ++j) add_value(kv, at + j * kv.stride, scores[j], out, head_dim);
}

}  // namespace

namespace {

// Attention of n query rows, row t at position pos_of(t) over the cache layer view_of(t): the
// one loop both the single- and the multi-sequence forms run. max_keys bounds pos_of(t) + 1.
template <class ViewOf, class PosOf>
void attention_rows(const float *q, ViewOf view_of, PosOf pos_of, float *out, int64_t n, int64_t max_keys,
                    const AttentionShape &shape, float *scratch, ThreadPool &pool) {
    const int64_t group = shape.n_head / shape.n_head_kv;
    const int64_t q_stride = shape.n_head * shape.head_dim;
    const int64_t per_thread = max_keys + shape.head_dim;
    // A work item is one token's query heads that share a KV head, so a thread reads each K/V
    // row once per group (from its cache after the first head) rather than every thread reading
    // all of them; with too few items for the threads (one KV head, one token), one query head.
    const int64_t heads_per_item = n * shape.n_head_kv >= 2 * pool.size() ? group : 1;
    const int64_t items_per_token = shape.n_head / heads_per_item;
    const int64_t n_items = n * items_per_token;
    auto work = [&](int ith, int nth) {
        float *scores = scratch + static_cast<int64_t>(ith) * per_thread;
        float *q16 = scores + max_keys;
        for (int64_t item = ith; item < n_items; item += nth) {
            const int64_t t = item / items_per_token;
            const KvLayerView kv = view_of(t);
            const int64_t q_pos = pos_of(t);
            for (int64_t h = (item % items_per_token) * heads_per_item, last = h + heads_per_item; h < last; ++h) {
                const int64_t first = shape.window > 0 ? std::max<int64_t>(0, q_pos + 1 - shape.window) : 0;
                const int64_t kv_offset = first * kv.stride + (h / group) * shape.head_dim;
                const float *qh = q + t * q_stride + h * shape.head_dim;
                float *oh = out + t * q_stride + h * shape.head_dim;
                const float *slope = shape.alibi ? shape.alibi + h : nullptr;
                const int64_t n_keys = q_pos + 1 - first;
                switch (kv.type) {
                case KvType::F32:
                    attend_f32(qh, kv.k32() + kv_offset, kv.v32() + kv_offset, oh, n_keys, kv.stride, shape.head_dim,
                               shape.scale, scores, first, q_pos, slope);
                    break;
                case KvType::F16:
                    attend_f16(qh, kv.k16() + kv_offset, kv.v16() + kv_offset, oh, n_keys, kv.stride, shape.head_dim,
                               shape.scale, scores, q16, first, q_pos, slope);
                    break;
                case KvType::BF16:
                case KvType::Int8:
                    attend_converted(qh, kv, kv_offset, oh, n_keys, shape.head_dim, shape.scale, scores, first, q_pos,
                                     slope);
                    break;
                }
            }
        }
    };
    // Small attention (short contexts, small models) is cheaper than waking the other threads.
    if (n * shape.n_head * max_keys * shape.head_dim < (int64_t{1} << 16)) {
        work(0, 1);
    } else {
        pool.run(work);
    }
}

}  // namespace

void causal_attention(const float *q, const KvLayerView &kv, float *out, int64_t n, int64_t pos0,
                      const AttentionShape &shape, float *scratch, ThreadPool &pool) {
    attention_rows(
        q, [&](int64_t) { return kv; }, [&](int64_t t) { return pos0 + t; }, out, n, pos0 + n, shape, scratch, pool);
}

void multi_sequence_attention(const float *q, const KvCache &cache, int64_t layer, const int32_t *seq_ids,
                              const int64_t *positions, float *out, int64_t n, const AttentionShape &shape,
                              float *scratch, ThreadPool &pool) {
    int64_t max_keys = 0;
    for (int64_t t = 0; t < n; ++t) max_keys = std::max(max_keys, positions[t] + 1);
    attention_rows(
        q, [&](int64_t t) { return cache.layer(layer, seq_ids[t]); }, [&](int64_t t) { return positions[t]; }, out, n,
        max_keys, shape, scratch, pool);
}

}  // namespace llmrt
