// Maps the architecture a checkpoint names to the family that implements it.
#pragma once

#include <memory>
#include <string>

#include "formats/checkpoint.h"
#include "models/architecture.h"

namespace llmrt {

// Builds the family the checkpoint names, taking its weights through `weights` (which must
// outlive the result). Throws Error(Status::Unsupported) naming the architecture and listing
// the supported ones.
std::unique_ptr<Architecture> create_architecture(const Checkpoint &checkpoint, WeightStore &weights);

struct DecoderSpec;
// The declaration of the family a name (HF class or GGUF general.architecture) stands for.
// Throws Error(Status::Unsupported) like create_architecture.
DecoderSpec decoder_spec(const std::string &architecture);

}  // namespace llmrt
