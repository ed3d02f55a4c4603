// Mixtral: Llama's attention with a mixture of SwiGLU experts (top-k of a router, softmax over
// the chosen logits).
#include "models/decoder.h"

namespace llmrt {

DecoderSpec mixtral_spec() {
    DecoderSpec s;
    s.mlp = MlpKind::Experts;
    return s;
}

}  // namespace llmrt
