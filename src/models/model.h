// A loaded model: immutable after load, shared by every context and thread that uses it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/aligned_buffer.h"
#include "formats/checkpoint.h"
#include "models/architecture.h"
#include "models/weights.h"
#include "tokenizer/tokenizer.h"

namespace llmrt {

struct Model {
    Checkpoint checkpoint;                          // owns the mapped files the weights point into
    std::unique_ptr<WeightStore> weights;           // what the architecture's matrices point into
    std::unique_ptr<Architecture> arch;
    std::unique_ptr<Tokenizer> tokenizer;

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
