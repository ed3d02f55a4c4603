// Qwen2: Llama's block with q/k/v biases (found in the file, as every bias is).
#include "models/decoder.h"

namespace llmrt {

DecoderSpec qwen2_spec() { return DecoderSpec{}; }

}  // namespace llmrt
