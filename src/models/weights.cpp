#include "models/weights.h"

#include <cstdint>

#include "core/error.h"

namespace llmrt {
namespace {

std::string shape_string(const std::vector<int64_t> &shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

}  // namespace

const TensorView &WeightStore::checked(const std::string &name, const std::vector<int64_t> &shape) const {
    const TensorView &t = ckpt_.get(name);
    // A 1-D tensor may be stored as [1, n] or [n]; compare element order only through the dims
    // that are not 1, which is what GGUF and safetensors writers disagree on.
    std::vector<int64_t> a, b;
    for (int64_t d : t.shape)
        if (d != 1) a.push_back(d);
    for (int64_t d : shape)
        if (d != 1) b.push_back(d);
    require(a == b, LLMRT_ERR_FORMAT,
            ckpt_.path + ": tensor '" + name + "' has shape " + shape_string(t.shape) + ", expected " +
                shape_string(shape));
    require(dtype_block_size(t.dtype) == 1, LLMRT_ERR_UNSUPPORTED,
            ckpt_.path + ": tensor '" + name + "' is stored as " + dtype_name(t.dtype) +
                ", which this version loads only as a weight matrix of a quantized type");
    return t;
}

const float *WeightStore::as_f32(const TensorView &t) {
    const int64_t n = t.n_elements();
    n_params_ += static_cast<uint64_t>(n);
    weight_bytes_ += static_cast<uint64_t>(n) * sizeof(float);
    // f32 data that is suitably aligned is used in place, straight from the mapping.
    if (t.dtype == DType::F32 && reinterpret_cast<uintptr_t>(t.data) % alignof(float) == 0)
        return reinterpret_cast<const float *>(t.data);
    float *dst = allocate(static_cast<size_t>(n));
    tensor_to_f32(t, dst);
    return dst;
}

float *WeightStore::allocate(size_t n_floats) {
    owned_.emplace_back(n_floats);
    return owned_.back().data();
}

Matrix WeightStore::matrix(const std::string &name, int64_t rows, int64_t cols) {
    const TensorView &t = checked(name, {rows, cols});
    Matrix m;
    m.type = &weight_type_f32();
    m.rows = rows;
    m.cols = cols;
    m.data = reinterpret_cast<const uint8_t *>(as_f32(t));
    return m;
}

const float *WeightStore::vector(const std::string &name, int64_t n) { return as_f32(checked(name, {n})); }

const float *WeightStore::optional_vector(const std::string &name, int64_t n) {
    return has(name) ? vector(name, n) : nullptr;
}

}  // namespace llmrt
