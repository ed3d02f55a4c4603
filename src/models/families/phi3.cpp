// Phi-3: Llama's block with q/k/v in one matrix and gate/up in one matrix.
#include "models/decoder.h"

namespace llmrt {

DecoderSpec phi3_spec() {
    DecoderSpec s;
    s.fused_qkv = true;
    s.fused_gate_up = true;
    s.names.overrides = {{Role::Up, "mlp.gate_up_proj"}};
    return s;
}

}  // namespace llmrt
