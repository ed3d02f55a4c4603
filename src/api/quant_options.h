// llmrt_quant_params -> QuantOptions, shared by the quantizer and llmrt_model_load.
#pragma once

#include "llmrt.h"
#include "models/quant_plan.h"

namespace llmrt {

// Throws Error(INVALID_ARGUMENT) naming the bad field. The progress callback is wrapped.
QuantOptions to_quant_options(const llmrt_quant_params &params);

// A compute type given as LLMRT_COMPUTE_* and, from API 1.0, as a name (NULL: not given); the
// name is read when given and must agree with value unless value is LLMRT_COMPUTE_AUTO.
ComputeDtype compute_type_of(const char *name, int32_t value);

}  // namespace llmrt
