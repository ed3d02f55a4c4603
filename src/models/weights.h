// Turns checkpoint tensors into what the kernels read: Matrix views (mapped directly when the
// file already holds f32 in the right layout, converted otherwise) and f32 vectors. Checks every
// shape against what the architecture expects.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/aligned_buffer.h"
#include "formats/checkpoint.h"
#include "kernels/matrix.h"

namespace llmrt {

class WeightStore {
public:
    explicit WeightStore(const Checkpoint &checkpoint) : ckpt_(checkpoint) {}

    // A [rows, cols] matrix (PyTorch Linear layout: rows = out features).
    Matrix matrix(const std::string &name, int64_t rows, int64_t cols);
    // A vector of n floats (norm weights, biases).
    const float *vector(const std::string &name, int64_t n);
    const float *optional_vector(const std::string &name, int64_t n);
    bool has(const std::string &name) const { return ckpt_.find(name) != nullptr; }

    // Storage created by the model itself (synthetic models).
    float *allocate(size_t n_floats);

    uint64_t n_params() const { return n_params_; }
    uint64_t weight_bytes() const { return weight_bytes_; }

private:
    const TensorView &checked(const std::string &name, const std::vector<int64_t> &shape) const;
    const float *as_f32(const TensorView &t);

    const Checkpoint &ckpt_;
    std::vector<AlignedBuffer<float>> owned_;
    uint64_t n_params_ = 0;
    uint64_t weight_bytes_ = 0;
};

}  // namespace llmrt
