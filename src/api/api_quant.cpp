// Quantization: the quantizer handle and the options shared with llmrt_model_load.
#include <algorithm>

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

static_assert(static_cast<int32_t>(llmrt::ScaleDtype::F32) == LLMRT_SCALE_F32 &&
                  static_cast<int32_t>(llmrt::ScaleDtype::BF16) == LLMRT_SCALE_BF16 &&
                  static_cast<int32_t>(llmrt::ScaleDtype::F16) == LLMRT_SCALE_F16,
              "LLMRT_SCALE_* follow llmrt::ScaleDtype");
static_assert(static_cast<int32_t>(llmrt::ComputeDtype::Auto) == LLMRT_COMPUTE_AUTO &&
                  static_cast<int32_t>(llmrt::ComputeDtype::F32) == LLMRT_COMPUTE_F32 &&
                  static_cast<int32_t>(llmrt::ComputeDtype::BF16) == LLMRT_COMPUTE_BF16 &&
                  static_cast<int32_t>(llmrt::ComputeDtype::Int8) == LLMRT_COMPUTE_INT8,
              "LLMRT_COMPUTE_* follow llmrt::ComputeDtype");

namespace llmrt {

namespace {
std::string text_or(const char *s, const char *fallback) { return s ? s : fallback; }

// The type a constant (LLMRT_SCALE_*, LLMRT_COMPUTE_*) or its API 1.0 name says; both given must
// agree unless the constant is at its default. field names the pair in errors.
template <class T>
T type_of(const char *name, int32_t value, int32_t count, T fallback, std::optional<T> (*parse)(std::string_view),
          const char *(*name_of)(int32_t), const std::string &field) {
    require_arg(value >= 0 && value < count, (field + "_type " + std::to_string(value) + " is not one of its constants").c_str());
    const T from_value = static_cast<T>(value);
    if (!name) return from_value;
    std::string names;
    for (int32_t i = 0; i < count; ++i) names += (i ? ", " : "") + std::string(name_of(i));
    const std::optional<T> from_name = parse(name);
    require_arg(from_name.has_value(), ("unknown " + field + "_dtype '" + name + "' (" + names + ")").c_str());
    require_arg(from_value == fallback || from_value == *from_name,
                (field + "_dtype '" + name + "' and " + field + "_type " + name_of(value) + " disagree: set one").c_str());
    return *from_name;
}

std::optional<std::vector<TensorOverride>> overrides_of(const llmrt_quant_params &p) {
    require_arg(!(p.tensor_overrides && p.overrides), "set tensor_overrides or overrides, not both");
    if (p.tensor_overrides) return parse_tensor_overrides(p.tensor_overrides);
    if (!p.overrides) {
        require_arg(p.n_overrides == 0, "n_overrides is set but overrides is NULL");
        return std::nullopt;
    }
    require_arg(p.n_overrides >= 0, "n_overrides must not be negative");
    std::vector<TensorOverride> list;
    for (int32_t i = 0; i < p.n_overrides; ++i) {
        const llmrt_tensor_override &t = p.overrides[i];
        require_arg(t.pattern && t.dtype, ("overrides[" + std::to_string(i) + "] has a NULL pattern or dtype").c_str());
        list.push_back({t.pattern, t.dtype});
    }
    return list;
}
}  // namespace

ComputeDtype compute_type_of(const char *name, int32_t value) {
    return type_of(name, value, kComputeDtypeCount, ComputeDtype::Auto, parse_compute_dtype, llmrt_compute_type_name,
                   "compute");
}

QuantOptions to_quant_options(const llmrt_quant_params &p) {
    QuantOptions o;
    const std::string dtype = text_or(p.weight_dtype, "int4");
    const auto kind = parse_quant_kind(dtype);
    require_arg(kind.has_value(), ("unknown weight_dtype '" + dtype + "' (" + quant_kind_list() + ")").c_str());
    o.format.kind = *kind;
    o.format.group_size = p.group_size;
    o.format.asym = p.asym != 0;
    o.format.scale = type_of(p.scale_dtype, p.scale_type, kScaleDtypeCount, ScaleDtype::F32, parse_scale_dtype,
                             llmrt_scale_type_name, "scale");
    o.compute = compute_type_of(p.compute_dtype, p.compute_type);
    o.algorithm = text_or(p.algorithm, "rtn");
    o.tensor_overrides = overrides_of(p);
    if (p.calibration_path) o.calibration_path = p.calibration_path;
    o.n_samples = p.n_samples;
    o.seq_len = p.seq_len;
    o.seed = p.seed;
    o.gptq_damp = p.gptq_damp;
    o.gptq_act_order = p.gptq_act_order != 0;
    o.gptq_clip_grid = p.gptq_clip_grid;
    o.output_format = text_or(p.output_format, "llmrt");
    SmoothQuantOptions &sq = o.smoothquant;
    sq.alpha = p.sq_alpha;
    sq.auto_alpha = p.sq_alpha_auto != 0;
    sq.alpha_min = p.sq_alpha_min;
    sq.alpha_max = p.sq_alpha_max;
    sq.alpha_step = p.sq_alpha_step;
    const std::string criterion = text_or(p.sq_criterion, "mean");
    require_arg(criterion == "mean" || criterion == "max", ("unknown sq_criterion '" + criterion + "' (mean, max)").c_str());
    sq.criterion_max = criterion == "max";
    const std::string acts = text_or(p.sq_activations, "dynamic");
    require_arg(acts == "dynamic" || acts == "static",
                ("unknown sq_activations '" + acts + "' (dynamic, static)").c_str());
    sq.static_act = acts == "static";
    sq.act_percentile = p.sq_act_percentile;
    require_arg(sq.alpha >= 0.0 && sq.alpha <= 1.0, "sq_alpha must be in [0, 1]");
    require_arg(!sq.auto_alpha || (sq.alpha_min >= 0.0 && sq.alpha_max <= 1.0 && sq.alpha_min <= sq.alpha_max &&
                                   sq.alpha_step > 0.0),
                "the sq_alpha search needs 0 <= sq_alpha_min <= sq_alpha_max <= 1 and sq_alpha_step > 0");
    require_arg(sq.act_percentile > 0.0 && sq.act_percentile <= 100.0, "sq_act_percentile must be in (0, 100]");
    const std::string keep = text_or(p.sq_keep, "");
    for (size_t start = 0; start <= keep.size();) {
        const size_t end = std::min(keep.find(';', start), keep.size());
        if (end > start) o.keep_f32.push_back(keep.substr(start, end - start));
        start = end + 1;
    }
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

int32_t llmrt_weight_dtype_count(void) { return llmrt::quant_kind_count(); }

const char *llmrt_weight_dtype_name(int32_t index) {
    if (index < 0 || index >= llmrt::quant_kind_count()) return nullptr;
    return llmrt::quant_kind_name(llmrt::quant_kind_at(index));
}

void llmrt_quant_params_init_sized(llmrt_quant_params *given, uint32_t struct_size) {
    llmrt_quant_params defaults{};
    llmrt_quant_params *params = &defaults;
    params->struct_size = sizeof(llmrt_quant_params);
    params->weight_dtype = "int4";
    params->algorithm = "rtn";
    params->group_size = 32;
    params->asym = 0;
    params->scale_dtype = nullptr;
    params->compute_dtype = nullptr;
    params->tensor_overrides = nullptr;
    params->overrides = nullptr;
    params->n_overrides = 0;
    params->scale_type = LLMRT_SCALE_F32;
    params->compute_type = LLMRT_COMPUTE_AUTO;
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
    // SmoothQuant's defaults are QuantOptions' (one place for the library, the C API and the CLI).
    const llmrt::SmoothQuantOptions sq;
    params->sq_alpha = static_cast<float>(sq.alpha);
    params->sq_alpha_auto = sq.auto_alpha ? 1 : 0;
    params->sq_alpha_min = static_cast<float>(sq.alpha_min);
    params->sq_alpha_max = static_cast<float>(sq.alpha_max);
    params->sq_alpha_step = static_cast<float>(sq.alpha_step);
    params->sq_criterion = sq.criterion_max ? "max" : "mean";
    params->sq_activations = sq.static_act ? "static" : "dynamic";
    params->sq_act_percentile = static_cast<float>(sq.act_percentile);
    params->sq_keep = nullptr;
    llmrt::write_params(given, struct_size, defaults);
}

const char *llmrt_scale_type_name(int32_t scale_type) {
    if (scale_type < 0 || scale_type >= llmrt::kScaleDtypeCount) return nullptr;
    return llmrt::scale_dtype_name(static_cast<llmrt::ScaleDtype>(scale_type));
}

const char *llmrt_compute_type_name(int32_t compute_type) {
    if (compute_type < 0 || compute_type >= llmrt::kComputeDtypeCount) return nullptr;
    return llmrt::compute_dtype_name(static_cast<llmrt::ComputeDtype>(compute_type));
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
