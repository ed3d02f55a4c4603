// StableLM 2: LayerNorm, partial rotary (halves), q/k/v biases, SwiGLU; parallel when asked.
#include "models/decoder.h"

namespace llmrt {
namespace {

void configure(const ConfigReader &cfg, DecoderSpec &spec, DecoderSettings &) {
    spec.parallel = cfg.bool_or("use_parallel_residual", "{arch}.use_parallel_residual", false);
}

}  // namespace

DecoderSpec stablelm_spec() {
    DecoderSpec s;
    s.norm = NormKind::Layer;
    s.default_norm_eps = 1e-5f;
    s.keys.norm_eps = "layer_norm_eps";
    s.names.overrides = {{Role::OutputNorm, "model.norm"}};
    s.configure = configure;
    return s;
}

}  // namespace llmrt
