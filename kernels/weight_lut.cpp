// PLACEHOLDER until the nf4/fp4/fp8 family lands: reports the types as unsupported.
#include "core/error.h"
#include "kernels/quant_families.h"

namespace llmrt {

std::unique_ptr<WeightType> make_lut_weight_type(const QuantFormat &format, ComputeDtype) {
    fail(LLMRT_ERR_UNSUPPORTED, "weight type " + quant_format_name(format) + " is not available yet");
}

}  // namespace llmrt
