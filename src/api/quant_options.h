// llmrt_quant_params -> QuantOptions, shared by the quantizer and llmrt_model_load.
#pragma once

#include "llmrt.h"
#include "models/quant_plan.h"

namespace llmrt {

// Throws Error(INVALID_ARGUMENT) naming the bad field. The progress callback is wrapped.
QuantOptions to_quant_options(const llmrt_quant_params &params);

}  // namespace llmrt
