// Quantization: the quantizer handle and the options shared with llmrt_model_load.
#include "api/handles.h"
#include "api/quant_options.h"
#include "quant/quantizer.h"

using llmrt::guarded;
using llmrt::require_arg;

struct llmrt_quantizer {
    llmrt::QuantOptions options;
    llmrt_progress_callback progress = nullptr;
    void *progress_user_data = nullptr;
};

namespace llmrt {

namespace {
std::string text_or(const char *s, const char *fallback) { return s ? s : fallback; }
}  // namespace

QuantOptions to_quant_options(const llmrt_quant_params &p) {
    QuantOptions o;
    const std::string dtype = text_or(p.weight_dtype, "int4");
    const auto kind = parse_quant_kind(dtype);
    require_arg(kind.has_value(), ("unknown weight_dtype '" + dtype + "' (int8, int4, nf4, fp4, fp8_e4m3, fp8_e5m2)").c_str());
    o.format.kind = *kind;
    o.format.group_size = p.group_size;
    o.format.asym = p.asym != 0;
    const std::string scale = text_or(p.scale_dtype, "fp32");
    const auto scale_dtype = parse_scale_dtype(scale);
    require_arg(scale_dtype.has_value(), ("unknown scale_dtype '" + scale + "' (fp32, bf16, fp16)").c_str());
    o.format.scale = *scale_dtype;
    const std::string compute = text_or(p.compute_dtype, "auto");
    const auto compute_dtype = parse_compute_dtype(compute);
    require_arg(compute_dtype.has_value(), ("unknown compute_dtype '" + compute + "' (auto, fp32, bf16, int8)").c_str());
    o.compute = *compute_dtype;
    o.algorithm = text_or(p.algorithm, "rtn");
    if (p.tensor_overrides) o.tensor_overrides = std::string(p.tensor_overrides);
    if (p.calibration_path) o.calibration_path = p.calibration_path;
    o.n_samples = p.n_samples;
    o.seq_len = p.seq_len;
    o.seed = p.seed;
    o.gptq_damp = p.gptq_damp;
    o.gptq_act_order = p.gptq_act_order != 0;
    o.gptq_clip_grid = p.gptq_clip_grid;
    o.output_format = text_or(p.output_format, "llmrt");
    const std::string problem = validate_quant_format(o.format);
    require_arg(problem.empty(), problem.c_str());
    QuantPlan validate(o);  // rejects bad overrides and algorithms now, not halfway through a model
    if (p.progress) {
        const llmrt_progress_callback cb = p.progress;
        void *user_data = p.progress_user_data;
        o.progress = [cb, user_data](float fraction, const std::string &tensor) {
            return cb(fraction, tensor.c_str(), user_data) == 0;
        };
    }
    return o;
}

}  // namespace llmrt

extern "C" {

void llmrt_quant_params_init_sized(llmrt_quant_params *given, uint32_t struct_size) {
    llmrt_quant_params defaults{};
    llmrt_quant_params *params = &defaults;
    params->struct_size = sizeof(llmrt_quant_params);
    params->weight_dtype = "int4";
    params->algorithm = "rtn";
    params->group_size = 32;
    params->asym = 0;
    params->scale_dtype = "fp32";
    params->compute_dtype = "auto";
    params->tensor_overrides = nullptr;
    params->progress = nullptr;
    params->progress_user_data = nullptr;
    params->calibration_path = nullptr;
    params->n_samples = 128;
    params->seq_len = 512;
    params->seed = 0;
    params->gptq_damp = 0.01f;
    params->gptq_act_order = 0;
    params->gptq_clip_grid = 0;
    params->output_format = "llmrt";
    llmrt::write_params(given, struct_size, defaults);
}

llmrt_status llmrt_quantizer_create(const llmrt_quant_params *params, llmrt_quantizer **out) {
    return guarded([&] {
        require_arg(out != nullptr, "out is NULL");
        *out = nullptr;
        const llmrt_quant_params p = llmrt::read_params(params, llmrt_quant_params_init_sized);
        auto q = std::make_unique<llmrt_quantizer>();
        q->options = llmrt::to_quant_options(p);
        *out = q.release();
    });
}

void llmrt_quantizer_free(llmrt_quantizer *quantizer) { delete quantizer; }

llmrt_status llmrt_quantize(llmrt_quantizer *quantizer, const char *input_path, const char *output_path) {
    return guarded([&] {
        require_arg(quantizer && input_path && output_path, "quantizer, input_path and output_path must not be NULL");
        require_arg(*input_path && *output_path, "input_path and output_path must not be empty");
        llmrt::quantize_to_file(input_path, output_path, quantizer->options);
    });
}

}  // extern "C"
