#include "quant_flags.h"

#include <algorithm>
#include <optional>

namespace cli {

namespace {

std::vector<std::string> split_list(const std::string &text) {
    std::vector<std::string> items;
    size_t start = 0;
    while (true) {
        const size_t comma = text.find(',', start);
        items.push_back(text.substr(start, comma - start));
        if (comma == std::string::npos) {
            return items;
        }
        start = comma + 1;
    }
}

// llmrt_quantizer_create validates every field and names the bad one. It only looks at the
// settings, so a rejection there (an unknown name, or one this build lacks such as an algorithm
// not implemented) is a command-line mistake (exit 2); any other failure is the library's.
void validate(const QuantSettings &settings) {
    llmrt_quantizer *quantizer = nullptr;
    const llmrt_quant_params params = quant_params(settings);
    const llmrt_status status = llmrt_quantizer_create(&params, &quantizer);
    llmrt_quantizer_free(quantizer);
    if (status == LLMRT_ERR_INVALID_ARGUMENT || status == LLMRT_ERR_UNSUPPORTED) {
        throw UsageError(llmrt_last_error());
    }
    check(status, "cannot check the quantization settings");
}

std::optional<float> number_flag(const char *name, const std::string &text) {
    if (text.empty()) {
        return std::nullopt;
    }
    try {
        size_t used = 0;
        const float v = std::stof(text, &used);
        if (used == text.size()) {
            return v;
        }
    } catch (const std::exception &) {
    }
    throw UsageError(std::string(name) + ": '" + text + "' is not a number");
}

void add_smoothquant_settings(const QuantFlags &flags, QuantSettings *s) {
    s->sq_alpha_auto = flags.sq_alpha == "auto";
    if (!s->sq_alpha_auto) {
        s->sq_alpha = number_flag("--sq-alpha", flags.sq_alpha);
    }
    s->sq_alpha_min = number_flag("--sq-alpha-min", flags.sq_alpha_min);
    s->sq_alpha_max = number_flag("--sq-alpha-max", flags.sq_alpha_max);
    s->sq_alpha_step = number_flag("--sq-alpha-step", flags.sq_alpha_step);
    s->sq_act_percentile = number_flag("--sq-act-percentile", flags.sq_percentile);
    s->sq_criterion = flags.sq_criterion;
    s->sq_activations = flags.sq_act;
    s->sq_keep = flags.sq_keep;
    std::replace(s->sq_keep.begin(), s->sq_keep.end(), ',', ';');  // the library's separator
}

// "int8, int4, nf4, ...": the library's list, so the help cannot miss a type.
std::string weight_dtype_list() {
    std::string out;
    for (int32_t i = 0; i < llmrt_weight_dtype_count(); ++i)
        out += (i ? ", " : "") + std::string(llmrt_weight_dtype_name(i));
    return out;
}

} // namespace

void add_quant_flags(ArgParser &args, QuantFlags *flags, QuantFlagUse use) {
    switch (use) {
    case QuantFlagUse::Quantize:
        flags->weight_dtype = "int4";
        args.string(nullptr, "--weight-dtype", "T", ("weight type: " + weight_dtype_list()).c_str(),
                    &flags->weight_dtype);
        args.string(nullptr, "--method", "M",
                    "rtn (round to nearest), gptq (calibrated: needs --calib; int8/int4 layers), awq "
                    "(activation-aware scales, calibrated: needs --calib; every weight type) or "
                    "smoothquant (int8 weights and activations, W8A8; needs --calib; defaults to "
                    "--weight-dtype int8 --group-size -1)",
                    &flags->algorithm);
        args.string(nullptr, "--algorithm", "M", "the same as --method", &flags->algorithm);
        args.string(nullptr, "--calib", "FILE",
                    "calibration text for gptq/awq: plain text, or JSONL with a \"text\" field (not your "
                    "evaluation text)",
                    &flags->calibration_path);
        args.integer(nullptr, "--nsamples", "N", "calibration samples (default 128)", &flags->n_samples, 1,
                     1 << 20);
        args.integer(nullptr, "--seqlen", "N", "tokens per calibration sample (default 512)", &flags->seq_len, 2,
                     1 << 20);
        args.uint64(nullptr, "--calib-seed", "S", "where the samples are drawn from (default 0)",
                    &flags->calib_seed);
        args.string(nullptr, "--damp", "F", "gptq: dampening, share of the Hessian's mean diagonal (0.01)",
                    &flags->damp);
        args.flag(nullptr, "--act-order", "gptq: columns by decreasing Hessian diagonal (static groups)",
                  &flags->act_order);
        args.integer(nullptr, "--gptq-clip", "N",
                     "gptq: search each group's range shrink on N steps down to 0.8 (0 = off, as the reference; 20 is good)",
                     &flags->clip_grid, 0, 1000);
        args.string(nullptr, "--output-format", "F",
                    "llmrt (default), hf-gptq (a Hugging Face GPTQ directory: int4/int8 Linears, the rest "
                    "f32) or gguf (llama.cpp: Q4_0 = int4 g32 sym fp16, Q4_1 = asym, Q8_0 = int8 g32 sym fp16)",
                    &flags->output_format);
        args.string(nullptr, "--sq-alpha", "F|auto",
                    "smoothquant: migration strength alpha in [0, 1] (0.5), or auto: searched per layer group",
                    &flags->sq_alpha);
        args.string(nullptr, "--sq-alpha-min", "F", "smoothquant auto: smallest alpha tried (0.5)", &flags->sq_alpha_min);
        args.string(nullptr, "--sq-alpha-max", "F", "smoothquant auto: largest alpha tried (0.95)", &flags->sq_alpha_max);
        args.string(nullptr, "--sq-alpha-step", "F", "smoothquant auto: alpha grid step (0.05)", &flags->sq_alpha_step);
        args.string(nullptr, "--sq-criterion", "mean|max",
                    "smoothquant auto: a layer group's error, mean or max over its layers (mean)", &flags->sq_criterion);
        args.string(nullptr, "--sq-act", "dynamic|static",
                    "smoothquant: int8 activations with one scale per token (dynamic) or one calibrated "
                    "scale per layer (static)",
                    &flags->sq_act);
        args.string(nullptr, "--sq-act-percentile", "P",
                    "smoothquant static: scale from this percentile of |x| (100 = max)", &flags->sq_percentile);
        args.string(nullptr, "--sq-keep", "NAMES",
                    "smoothquant: tensors kept in f32, name substrings or globs separated by ';' or ','",
                    &flags->sq_keep);
        break;
    case QuantFlagUse::Load:
        args.string(nullptr, "--weight-dtype", "T",
                    ("quantize the weights in memory while loading: " + weight_dtype_list() +
                     "; f32 = keep the file's types (the default)")
                        .c_str(),
                    &flags->weight_dtype);
        break;
    case QuantFlagUse::LoadList:
        args.string(nullptr, "--weight-dtype", "T[,T...]",
                    ("quantize the weights in memory while loading, one set of rows per type: f32 "
                     "(the file's types), " + weight_dtype_list())
                        .c_str(),
                    &flags->weight_dtype);
        break;
    }
    const bool quantize = use == QuantFlagUse::Quantize;
    args.integer(nullptr, "--group-size", "G",
                 quantize ? "values per scale: 32, 64, 128, or -1 for one group per output channel"
                          : "with --weight-dtype: values per scale (32, 64, 128, -1 = per channel)",
                 &flags->group_size, -1, 1 << 30);
    args.string(nullptr, "--alg", "sym|asym",
                quantize ? "int8/int4: scale only (sym) or scale and minimum (asym) per group"
                         : "with --weight-dtype: int8/int4 symmetric or asymmetric groups",
                &flags->alg);
    args.string(nullptr, "--scheme", "sym|asym", "the same as --alg", &flags->alg);
    args.string(nullptr, "--scale-dtype", "S",
                quantize ? "type of the group scales: fp32, bf16 or fp16"
                         : "with --weight-dtype: type of the group scales (fp32, bf16, fp16)",
                &flags->scale_dtype);
    args.string(nullptr, "--compute-dtype", "C",
                quantize ? "type the dot products run in: auto (fastest on this CPU), int8, bf16, fp32"
                         : "dot products of quantized weights in auto (fastest on this CPU), int8, "
                           "bf16 or fp32; alone, for a file already quantized",
                &flags->compute_dtype);
    args.string(nullptr, "--overrides", "\"PAT=T;...\"",
                "tensors kept in another type: name substring or glob = weight dtype (int8), full type "
                "(int8_g128_sym_fp16) or f32; \"\" quantizes everything (default: embeddings and output "
                "head in int8)",
                &flags->overrides);
}

std::vector<QuantSettings> quant_settings(const ArgParser &args, const QuantFlags &flags,
                                          QuantFlagUse use) {
    if (flags.alg != "sym" && flags.alg != "asym") {
        throw UsageError("--alg: '" + flags.alg + "' is neither sym nor asym");
    }
    QuantSettings base;
    base.algorithm = flags.algorithm;
    base.group_size = flags.group_size;
    base.asym = flags.alg == "asym";
    base.scale_dtype = flags.scale_dtype;
    base.compute_dtype = args.given("--compute-dtype") ? flags.compute_dtype : "";
    base.has_overrides = args.given("--overrides");
    base.overrides = flags.overrides;
    base.calibration_path = flags.calibration_path;
    base.n_samples = flags.n_samples;
    base.seq_len = flags.seq_len;
    base.seed = flags.calib_seed;
    try {
        base.damp = std::stof(flags.damp);
    } catch (const std::exception &) {
        throw UsageError("--damp: '" + flags.damp + "' is not a number");
    }
    base.act_order = flags.act_order;
    base.clip_grid = flags.clip_grid;
    base.output_format = flags.output_format;
    add_smoothquant_settings(flags, &base);

    std::vector<std::string> dtypes;
    if (use == QuantFlagUse::Quantize) {
        dtypes = {flags.weight_dtype};
        // SmoothQuant's recipe, unless asked otherwise: int8 weights, one scale per output channel.
        if (flags.algorithm == "smoothquant") {
            if (!args.given("--weight-dtype")) {
                dtypes = {"int8"};
            }
            if (!args.given("--group-size")) {
                base.group_size = -1;
            }
        }
    } else if (!args.given("--weight-dtype")) {
        // Only the compute type may be chosen for a file's own types; the other flags describe
        // a quantization, so without one they would be silently ignored.
        for (const char *name : {"--group-size", "--alg", "--scale-dtype", "--overrides"}) {
            if (args.given(name)) {
                throw UsageError(std::string(name) + " needs --weight-dtype");
            }
        }
        dtypes = {""};
    } else {
        dtypes = use == QuantFlagUse::LoadList ? split_list(flags.weight_dtype)
                                                : std::vector<std::string>{flags.weight_dtype};
    }

    std::vector<QuantSettings> settings;
    for (const std::string &dtype : dtypes) {
        if (args.given("--weight-dtype") && dtype.empty()) {
            throw UsageError("--weight-dtype: '" + flags.weight_dtype + "' names an empty type");
        }
        QuantSettings s = base;
        s.weight_dtype = dtype;
        if (use == QuantFlagUse::Quantize && dtype == "f32") {
            throw UsageError("--weight-dtype: f32 is not a quantized type");
        }
        if (s.quantizes()) {
            validate(s);
        } else if (!s.compute_dtype.empty()) {
            // No quantization to validate; check the compute type alone, as int8 would use it.
            QuantSettings probe;
            probe.weight_dtype = "int8";
            probe.compute_dtype = s.compute_dtype;
            validate(probe);
        }
        for (const QuantSettings &earlier : settings) {
            if (earlier.weight_dtype == s.weight_dtype) {
                throw UsageError("--weight-dtype lists '" + dtype + "' twice");
            }
        }
        settings.push_back(s);
    }
    return settings;
}

} // namespace cli
