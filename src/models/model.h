// A loaded model: immutable after load, shared by every context and thread that uses it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/aligned_buffer.h"
#include "formats/checkpoint.h"
#include "models/architecture.h"
#include "models/weights.h"
#include "tokenizer/tokenizer.h"

namespace llmrt {

// The tensors of one type: how many, their elements and their bytes.
struct TensorTypeStats {
    std::string type;  // "f32", "bf16", "q4_k"... or a weight type name ("int4_g32_sym_fp32")
    int64_t n_tensors = 0;
    uint64_t n_params = 0;
    uint64_t n_bytes = 0;
};

// The checkpoint's tensors by their type in the file: formats' DType names in lower case, and the
// weight type's name for tensors an llmrt file stores packed. Every tensor of the file counts,
// also one the architecture does not use. Sorted by parameters, most first (then by name).
std::vector<TensorTypeStats> file_tensor_types(const Checkpoint &checkpoint);
// The tensors the model holds (WeightStore::tensors()) by their type in memory, after GGUF blocks
// are repacked or weights quantized on load. Sorted like file_tensor_types.
std::vector<TensorTypeStats> loaded_tensor_types(const WeightStore &weights);

struct Model {
    Checkpoint checkpoint;                          // owns the mapped files the weights point into
    std::unique_ptr<WeightStore> weights;           // what the architecture's matrices point into
    std::unique_ptr<Architecture> arch;
    std::unique_ptr<Tokenizer> tokenizer;
    // Set by build_architecture. A synthetic model has no file: its file types are those of the
    // bf16 tensors it is generated in (freed once converted).
    std::vector<TensorTypeStats> file_types;
    std::vector<TensorTypeStats> loaded_types;

    const HyperParams &hparams() const { return arch->hparams(); }
};

// Reads the checkpoint at path (HF directory or GGUF file), its tokenizer, and builds the
// architecture. Throws Error.
std::unique_ptr<Model> load_model(const std::string &path, const LoadOptions &options = {});

// A random-weight model of a known shape (models/synthetic.h lists them), built in memory with a
// byte-level stand-in tokenizer. Throws Error.
std::unique_ptr<Model> create_synthetic_model(const std::string &shape, uint64_t seed, const LoadOptions &options = {});

// Builds the architecture (and its weights) for a model whose checkpoint is filled in.
void build_architecture(Model &model, const LoadOptions &options);

}  // namespace llmrt
