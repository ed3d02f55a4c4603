#include "models/quant_plan.h"

#include "core/error.h"

namespace llmrt {
namespace {

// Embeddings and the output head decide every token: keep them at 8 bits by default, as the
// reference runtimes do, whatever the body is quantized to.
const char *kDefaultOverrides = "token_embd.*=int8;output.*=int8;*embed_tokens.*=int8;lm_head.*=int8";
// A GPTQ checkpoint quantizes the Linears of the blocks only (AutoGPTQ's habit): embeddings and
// head stay float, which is also all its format can hold for an embedding.
const char *kGptqDefaultOverrides = "token_embd.*=f32;output.*=f32;*embed_tokens.*=f32;lm_head.*=f32";

bool glob(const char *p, const char *s) {
    // Iterative glob with backtracking to the last '*': linear in practice for tensor names.
    const char *star = nullptr, *resume = nullptr;
    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p == *s) {
            ++p;
            ++s;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*') ++p;
    return *p == '\0';
}

std::string trim(const std::string &s) {
    const size_t b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

}  // namespace

bool tensor_pattern_matches(const std::string &pattern, const std::string &name) {
    if (pattern.find('*') == std::string::npos && name.find(pattern) != std::string::npos) return true;
    return glob(pattern.c_str(), name.c_str());
}

namespace {

// A kind ("int8") keeps the base format's group, scheme and scale type; a full weight type name
// ("int8_g32_sym_fp16") sets them all, so one plan can mix group sizes and scale types.
QuantFormat override_format(const std::string &item, const std::string &dtype, const QuantFormat &base) {
    if (const auto kind = parse_quant_kind(dtype)) {
        QuantFormat f = base;
        f.kind = *kind;
        if (f.kind != QuantKind::Int8 && f.kind != QuantKind::Int4) f.asym = false;
        return f;
    }
    const auto full = parse_quant_format(dtype);
    require(full.has_value(), Status::InvalidArgument,
            "tensor override '" + item + "': unknown dtype '" + dtype + "' (a kind such as int8, or a weight type such as int8_g32_sym_fp16)");
    const std::string problem = validate_quant_format(*full);
    require(problem.empty(), Status::InvalidArgument, "tensor override '" + item + "': " + problem);
    return *full;
}

}  // namespace

std::vector<TensorOverride> parse_tensor_overrides(const std::string &list) {
    std::vector<TensorOverride> out;
    size_t start = 0;
    while (start <= list.size()) {
        const size_t end = std::min(list.find(';', start), list.size());
        const std::string item = trim(list.substr(start, end - start));
        start = end + 1;
        if (item.empty()) continue;
        const size_t eq = item.rfind('=');
        require(eq != std::string::npos && eq > 0, Status::InvalidArgument,
                "tensor override '" + item + "' is not of the form pattern=dtype");
        out.push_back({trim(item.substr(0, eq)), trim(item.substr(eq + 1))});
    }
    return out;
}

QuantPlan::QuantPlan(const QuantOptions &options) : options_(options) {
    const std::string problem = validate_quant_format(options.format);
    require(problem.empty(), Status::InvalidArgument, problem);
    require(options.algorithm == "rtn" || options.algorithm == "gptq" || options.algorithm == "awq" ||
                options.algorithm == "smoothquant",
            Status::Unsupported,
            "quantization algorithm '" + options.algorithm +
                "' is not supported (supported: rtn, gptq, awq, smoothquant)");
    // W8A8: int8 weights; their activations are int8 whatever the group size.
    require(options.algorithm != "smoothquant" || options.format.kind == QuantKind::Int8, Status::InvalidArgument,
            "smoothquant quantizes weights to int8 (weight dtype int8, group size -1 is the recipe's)");
    for (const std::string &p : options.keep_f32)
        if (!trim(p).empty()) rules_.push_back({trim(p), std::nullopt});  // first: they win over the overrides
    require(options.algorithm == "rtn" || !options.calibration_path.empty(), Status::InvalidArgument,
            "quantization algorithm '" + options.algorithm + "' needs a calibration text");
    require(options.n_samples > 0 && options.seq_len > 1 && options.gptq_damp > 0.0, Status::InvalidArgument,
            "calibration needs n_samples > 0, seq_len > 1 and a positive dampening");
    require(options.output_format == "llmrt" || options.output_format == "hf-gptq" || options.output_format == "gguf",
            Status::InvalidArgument,
            "output format '" + options.output_format + "' is not supported (llmrt, hf-gptq, gguf)");
    const std::vector<TensorOverride> overrides = options.tensor_overrides.value_or(
        parse_tensor_overrides(options.output_format == "hf-gptq" ? kGptqDefaultOverrides : kDefaultOverrides));
    for (const TensorOverride &o : overrides) {
        const std::string item = o.pattern + "=" + o.dtype;  // how errors name it
        require(!trim(o.pattern).empty() && !trim(o.dtype).empty(), Status::InvalidArgument,
                "tensor override '" + item + "' needs a pattern and a dtype");
        Rule rule{trim(o.pattern), std::nullopt};
        const std::string dtype = trim(o.dtype);
        if (dtype != "f32" && dtype != "fp32") rule.format = override_format(item, dtype, options.format);
        rules_.push_back(rule);
    }
}

std::optional<QuantFormat> QuantPlan::format_for(const std::string &tensor_name) const {
    for (const Rule &r : rules_)
        if (tensor_pattern_matches(r.pattern, tensor_name)) return r.format;
    return options_.format;
}

}  // namespace llmrt
