#include "models/quant_plan.h"

#include "core/error.h"

namespace llmrt {
namespace {

// Embeddings and the output head decide every token: keep them at 8 bits by default, as the
// reference runtimes do, whatever the body is quantized to.
const char *kDefaultOverrides = "token_embd.*=int8;output.*=int8;*embed_tokens.*=int8;lm_head.*=int8";

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
    const std::string list = options.tensor_overrides.value_or(kDefaultOverrides);
    size_t start = 0;
    while (start <= list.size()) {
        const size_t end = std::min(list.find(';', start), list.size());
        const std::string item = trim(list.substr(start, end - start));
        start = end + 1;
        if (item.empty()) continue;
        const size_t eq = item.rfind('=');
        require(eq != std::string::npos && eq > 0, Status::InvalidArgument,
                "tensor override '" + item + "' is not of the form pattern=dtype");
        Rule rule{trim(item.substr(0, eq)), std::nullopt};
        const std::string dtype = trim(item.substr(eq + 1));
        if (dtype != "f32" && dtype != "fp32") {
            const auto kind = parse_quant_kind(dtype);
            require(kind.has_value(), Status::InvalidArgument,
                    "tensor override '" + item + "': unknown dtype '" + dtype + "'");
            QuantFormat f = options.format;
            f.kind = *kind;
            if (f.kind != QuantKind::Int8 && f.kind != QuantKind::Int4) f.asym = false;
            rule.format = f;
        }
        rules_.push_back(rule);
    }
}

std::optional<QuantFormat> QuantPlan::format_for(const std::string &tensor_name) const {
    for (const Rule &r : rules_)
        if (tensor_pattern_matches(r.pattern, tensor_name)) return r.format;
    return options_.format;
}

}  // namespace llmrt
