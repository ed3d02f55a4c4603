// Turns checkpoint tensors into what the kernels read: Matrix views in a weight type (mapped in
// place when the file already holds the kernels' layout, converted or quantized otherwise) and
// f32 vectors. Checks every shape against what the architecture expects, and remembers what it
// produced so a quantized model can be written out.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/aligned_buffer.h"
#include "core/communicator.h"
#include "core/thread_pool.h"
#include "formats/checkpoint.h"
#include "formats/gguf_blocks.h"
#include "formats/hf_quantized.h"
#include "kernels/matrix.h"
#include "kernels/quant_format.h"
#include "models/quant_plan.h"

namespace llmrt {

// Our int type holding a llama.cpp block type's values exactly (formats/gguf_blocks.h): what a
// GGUF tensor of that type is repacked into at load.
QuantFormat exact_int_format(const GgufBlockLayout &layout);

struct LoadOptions {
    std::optional<QuantOptions> quantize;      // quantize matrices while loading
    ComputeDtype compute = ComputeDtype::Auto;  // for matrices already quantized in the file
    int n_threads = 0;
    // Set: every Linear's output rows are sharded over these ranks (models/tensor_parallel.h).
    std::shared_ptr<const Communicator> tensor_parallel;
};

// Indices [begin, end) of rows, columns or heads.
struct IndexRange {
    int64_t begin = 0, end = 0;
    int64_t size() const { return end - begin; }
};

// One tensor as the model uses it, in the form an llmrt file stores.
struct StoredTensor {
    std::string name;
    std::string type_name;  // "f32" or a quantized format name
    std::vector<int64_t> shape;
    const uint8_t *data = nullptr;
    size_t nbytes = 0;
};

// Whether a tensor's shape is the expected one. A 1-D tensor may be stored as [1, n] or [n]:
// only the dims that are not 1 are compared, which is where GGUF and safetensors writers disagree.
// Where a matrix's Matrix::act_amax is stored: "<name>.act_amax", one f32.
std::string act_amax_name(const std::string &matrix_name);

bool same_shape(const std::vector<int64_t> &actual, const std::vector<int64_t> &expected);

// A tensor the file keeps in another layout than the model computes with (GPT-2's transposed
// Conv1D, fused qkv in per-head order...): its shape in the file, the f32 rearrangement into the
// model's [rows, cols], and the name the result is kept (and written to llmrt files) under.
struct Rearranged {
    std::vector<int64_t> file_shape;
    std::function<void(const float *in, float *out)> apply;
    std::string stored_name;
};

class WeightStore {
public:
    WeightStore(const Checkpoint &checkpoint, const LoadOptions &options);
    ~WeightStore();

    // A [rows, cols] matrix (PyTorch Linear layout: rows = out features). A GPTQ/AWQ Linear
    // (no "P.weight" but "P.qweight", formats/hf_quantized.h) is repacked exactly into our int4/int8
    // type of its group size; act-order ones get an input permutation (Matrix::in_perm).
    Matrix matrix(const std::string &name, int64_t rows, int64_t cols);
    // A vector of n floats (norm weights, biases): always f32.
    const float *vector(const std::string &name, int64_t n);
    const float *optional_vector(const std::string &name, int64_t n);
    // The same from a tensor rearranged on the way (quantized, when quantizing, after it).
    Matrix matrix(const std::string &name, int64_t rows, int64_t cols, const Rearranged &how);
    const float *vector(const std::string &name, int64_t n, const Rearranged &how);
    bool has(const std::string &name) const { return ckpt_.find(name) != nullptr; }
    // "P" when `name` is "P.weight", absent, and the checkpoint has "P.qweight" (GPTQ/AWQ); "" otherwise.
    std::string hf_quantized_prefix(const std::string &name) const;
    const Checkpoint &checkpoint() const { return ckpt_; }

    // Replaces the stored tensor `name` (a matrix) by `data` in `type` (a calibrated quantizer's
    // result) and returns the matrix to use; the store keeps the buffer.
    Matrix replace(const std::string &name, const Matrix &old, const WeightType &type, AlignedBuffer<uint8_t> data);
    // Records the matrix `name`'s Matrix::act_amax as the one-float tensor act_amax_name(name),
    // which matrix() reads back when the file is loaded (SmoothQuant's W8A8 activations).
    void set_act_amax(const std::string &name, float amax);
    // Replaces the stored f32 vector `name` by a copy of n floats (a folded norm's weight) and
    // returns the copy, which the store owns and the caller may modify in place.
    float *replace_vector(const std::string &name, const float *data, int64_t n);

    // Tensor parallelism: the part of matrix `name` (`whole`, made by this store) that this rank
    // computes with, as a matrix of its own with exactly the same values: the row ranges one
    // after another, each cut to columns `cols`. What the whole matrix held is given back (its
    // converted copy freed, or the file pages it was mapped from released), so a rank keeps
    // about its share of the weights. Throws Error(Unsupported) when `cols` would split a
    // quantization group (WeightType::column_step) or an input permutation.
    Matrix keep_part(const std::string &name, const Matrix &whole, const std::vector<IndexRange> &rows,
                     IndexRange cols);
    // The same for the f32 vector `name` (a bias): the ranges one after another.
    const float *keep_vector_part(const std::string &name, const float *whole, const std::vector<IndexRange> &parts);

    uint64_t n_params() const { return n_params_; }
    uint64_t weight_bytes() const { return weight_bytes_; }
    // The type holding most of the parameters, e.g. "f32" or "int4_g32_sym_fp32".
    const std::string &main_type() const { return main_type_; }
    const std::vector<StoredTensor> &tensors() const { return tensors_; }
    const LoadOptions &options() const { return options_; }

private:
    const TensorView &checked(const std::string &name, const std::vector<int64_t> &shape) const;
    // A tensor's data is read between fetch (which makes it, for a synthetic checkpoint) and
    // release (which drops the source's pages once the converted copy exists).
    void fetch(const TensorView &t) const;
    void release(const TensorView &t) const;
    const float *as_f32(const TensorView &t);
    const uint8_t *quantize(const TensorView &t, const WeightType &type, int64_t rows, int64_t cols);
    void pack_into(const float *f32, const WeightType &type, int64_t rows, int64_t cols, uint8_t *dst);
    std::vector<float> rearranged_f32(const std::string &name, int64_t count, const Rearranged &how);
    StoredTensor &stored(const std::string &name);
    // Frees the store's copy holding `data`, or releases the file pages it maps.
    void give_back(const uint8_t *data, size_t nbytes);
    void record(const std::string &name, const std::string &type, std::vector<int64_t> shape, const uint8_t *data,
                size_t nbytes, uint64_t params);
    void count_type(const std::string &type, int64_t params);
    void report_progress(const std::string &name);
    ThreadPool &pool();
    Matrix hf_quantized_matrix(const std::string &name, const std::string &prefix, int64_t rows, int64_t cols);
    const int32_t *shared_perm(const std::vector<int32_t> &perm);

    const Checkpoint &ckpt_;
    LoadOptions options_;
    std::optional<QuantPlan> plan_;
    std::unique_ptr<ThreadPool> pool_;
    std::vector<AlignedBuffer<uint8_t>> owned_;
    std::optional<HfQuantConfig> hf_quant_;             // read at the first GPTQ/AWQ Linear
    std::vector<std::vector<int32_t>> perms_;           // input permutations, one per distinct one
    std::vector<StoredTensor> tensors_;
    std::vector<std::pair<std::string, uint64_t>> params_by_type_;
    std::string main_type_ = "f32";
    uint64_t n_params_ = 0;
    uint64_t weight_bytes_ = 0;
    size_t n_matrices_expected_ = 0;
    size_t n_matrices_done_ = 0;
};

}  // namespace llmrt
