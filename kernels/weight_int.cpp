// PLACEHOLDER until the int8/int4 family lands: reports the types as unsupported.
#include "core/error.h"
#include "kernels/quant_families.h"
#include "kernels/weight_types.h"

namespace llmrt {

std::unique_ptr<WeightType> make_int_weight_type(const QuantFormat &format, ComputeDtype) {
    fail(LLMRT_ERR_UNSUPPORTED, "weight type " + quant_format_name(format) + " is not available yet");
}

void repack_gguf_rows(GgufBlockType, const uint8_t *, int64_t, int64_t, const WeightType &, uint8_t *) {
    fail(LLMRT_ERR_UNSUPPORTED, "GGUF block repacking is not available yet");
}

}  // namespace llmrt
