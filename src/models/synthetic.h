// Random-weight models with the shapes of real ones, so speed can be measured without
// downloading weights. A shape names its family (a registry name) and the real model's
// hyper-parameters; the tensors are the ones that family's declaration asks for, named by the
// role table, and go through the same Checkpoint -> WeightStore -> decoder path as real files.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "formats/checkpoint.h"
#include "models/model.h"
#include "models/tensor_roles.h"

namespace llmrt {

struct SyntheticShape {
    const char *name;
    const char *architecture;  // a registry name (models/registry.cpp)
    // Gguf: llama.cpp's metadata keys and tensor names; HuggingFace: the family's config.json
    // keys and tensor names (Mixtral: llmrt does not read llama.cpp's merged expert tensors).
    Checkpoint::Source source;
    int64_t vocab, embd, layers, heads, kv_heads, ff, ctx;
    int64_t rot_dims = 0;  // rotated dims of each head; 0: all of them
    int64_t experts = 0, experts_used = 0;
    bool tied = false;          // no output matrix: the head is the token embedding
    std::vector<Role> biases;   // roles whose linear layer has a bias (LayerNorms always have one)
};

// The known shapes, in the order help texts list them.
const std::vector<SyntheticShape> &synthetic_shapes();
// "stories260k, tinyllama-1.1b, ...": for help texts and messages.
const std::string &synthetic_shape_names();
// Throws Error(Status::InvalidArgument) listing the known names.
const SyntheticShape &synthetic_shape(const std::string &name);

// The parameters the model built from the shape has (every tensor of the checkpoint), without
// building it.
uint64_t synthetic_param_count(const SyntheticShape &shape);

// Builds the model; each tensor is generated (bf16) just before the loader converts or
// quantizes it and dropped after, so the peak is the loaded weights plus one tensor. Throws
// Error(Status::OutOfMemory) naming the shape and the memory needed when that is more than
// this machine has.
std::unique_ptr<Model> create_synthetic_model(const SyntheticShape &shape, uint64_t seed,
                                              const LoadOptions &options = {});

}  // namespace llmrt
