#include "library.h"

#include "args.h"
#include "interrupt.h"
#include "progress.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <fstream>
#include <iterator>

#include <fcntl.h>
#include <unistd.h>

namespace cli {

void check(llmrt_status status, const std::string &what) {
    if (status == LLMRT_OK) {
        return;
    }
    std::string message = what;
    const char *detail = llmrt_last_error();
    if (detail && *detail) {
        message += ": ";
        message += detail;
    }
    message += " (";
    message += llmrt_status_string(status);
    message += ")";
    throw LibraryError(status, message);
}

namespace {

// "f32, f16, bf16, int8": the names the library gives a closed set's values (name_of counts up
// from 0 until NULL: llmrt_kv_type_name, llmrt_scale_type_name, llmrt_compute_type_name).
std::string names_of(const char *(*name_of)(int32_t)) {
    std::string out;
    for (int32_t v = 0; name_of(v); ++v) out += (v ? ", " : "") + std::string(name_of(v));
    return out;
}

int32_t value_named(const char *flag, const std::string &name, const char *(*name_of)(int32_t)) {
    for (int32_t v = 0; name_of(v); ++v)
        if (name == name_of(v)) return v;
    throw UsageError(std::string(flag) + ": '" + name + "' is not one of " + names_of(name_of));
}

}  // namespace

llmrt_quant_params quant_params(const QuantSettings &s) {
    llmrt_quant_params params;
    llmrt_quant_params_init(&params);
    params.weight_dtype = s.weight_dtype.c_str();
    params.algorithm = s.algorithm.c_str();
    params.group_size = s.group_size;
    params.asym = s.asym ? 1 : 0;
    params.scale_type = value_named("--scale-dtype", s.scale_dtype, llmrt_scale_type_name);
    if (!s.compute_dtype.empty()) {
        params.compute_type = value_named("--compute-dtype", s.compute_dtype, llmrt_compute_type_name);
    }
    params.tensor_overrides = s.has_overrides ? s.overrides.c_str() : nullptr;
    params.calibration_path = s.calibration_path.empty() ? nullptr : s.calibration_path.c_str();
    params.n_samples = s.n_samples;
    params.seq_len = s.seq_len;
    params.seed = s.seed;
    params.gptq_damp = s.damp;
    params.gptq_act_order = s.act_order ? 1 : 0;
    params.gptq_clip_grid = s.clip_grid;
    params.output_format = s.output_format.c_str();
    if (s.sq_alpha) params.sq_alpha = *s.sq_alpha;
    params.sq_alpha_auto = s.sq_alpha_auto ? 1 : 0;
    if (s.sq_alpha_min) params.sq_alpha_min = *s.sq_alpha_min;
    if (s.sq_alpha_max) params.sq_alpha_max = *s.sq_alpha_max;
    if (s.sq_alpha_step) params.sq_alpha_step = *s.sq_alpha_step;
    if (s.sq_act_percentile) params.sq_act_percentile = *s.sq_act_percentile;
    if (!s.sq_criterion.empty()) params.sq_criterion = s.sq_criterion.c_str();
    if (!s.sq_activations.empty()) params.sq_activations = s.sq_activations.c_str();
    if (!s.sq_keep.empty()) params.sq_keep = s.sq_keep.c_str();
    return params;
}

QuantizerPtr create_quantizer(const llmrt_quant_params &params) {
    llmrt_quantizer *quantizer = nullptr;
    check(llmrt_quantizer_create(&params, &quantizer), "invalid quantization settings");
    return QuantizerPtr(quantizer);
}

namespace {

// Every rank of a tensor-parallel run computes the same results: only rank 0 prints them, so
// `mpirun -np N llmrt ...` prints one answer. The others' stdout and stderr go to /dev/null.
void silence_unless_rank0(const llmrt_model *model) {
    if (llmrt_model_tp_rank(model) == 0) {
        return;
    }
    std::fflush(stdout);
    std::fflush(stderr);
    const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null_fd < 0) {
        return; // nowhere to send it: printing twice is better than failing
    }
    ::dup2(null_fd, STDOUT_FILENO);
    ::dup2(null_fd, STDERR_FILENO);
    ::close(null_fd);
}

// Runs load(params) with params filled from quant: in-memory quantization with a progress bar
// that Ctrl-C stops, or just the compute type for weights stored quantized.
template <typename Load>
ModelPtr load_with(const QuantSettings &quant, const std::string &what, Load load) {
    llmrt_model_params params;
    llmrt_model_params_init(&params);
    params.tensor_parallel = quant.tensor_parallel ? 1 : 0;
    llmrt_model *model = nullptr;
    if (!quant.quantizes()) {
        if (!quant.compute_dtype.empty()) {
            params.compute_type = value_named("--compute-dtype", quant.compute_dtype, llmrt_compute_type_name);
        }
        check(load(params, &model), what);
        silence_unless_rank0(model);
        return ModelPtr(model);
    }
    llmrt_quant_params qparams = quant_params(quant);
    ProgressBar bar("quantizing to " + quant.weight_dtype, ProgressBar::Mode::TerminalOnly);
    bar.attach(&qparams);
    params.quantize = &qparams;
    llmrt_status status;
    {
        StopOnInterrupt stop_on_ctrl_c;
        status = load(params, &model);
    }
    bar.finish();
    ModelPtr owned(model);
    if (interrupt_requested()) {
        throw Interrupted(); // cancelled, or Ctrl-C came after the last tensor: stop either way
    }
    check(status, what);
    silence_unless_rank0(model);
    return owned;
}

} // namespace

ModelPtr load_model(const std::string &path, const QuantSettings &quant) {
    // The path is in the message because the library's own text may not mention it.
    return load_with(quant, "cannot load model '" + path + "'",
                     [&](const llmrt_model_params &params, llmrt_model **out) {
                         return llmrt_model_load(path.c_str(), &params, out);
                     });
}

ModelPtr create_synthetic_model(const std::string &shape_name, uint64_t seed,
                                const QuantSettings &quant) {
    return load_with(quant, "cannot create synthetic model '" + shape_name + "'",
                     [&](const llmrt_model_params &params, llmrt_model **out) {
                         return llmrt_model_create_synthetic(shape_name.c_str(), seed, &params, out);
                     });
}

std::string synthetic_shapes_help() {
    return std::string("random-weight model of a known shape (") + llmrt_synthetic_shapes() + ")";
}

ModelPtr open_model(const std::string &path, const std::string &synthetic, uint64_t seed,
                    const QuantSettings &quant) {
    return synthetic.empty() ? load_model(path, quant) : create_synthetic_model(synthetic, seed, quant);
}


void add_tensor_parallel_flag(ArgParser &args, bool *on) {
    args.flag(nullptr, "--tensor-parallel",
              "shard the weights over the ranks of mpirun -np N (tensor parallelism); only rank 0 prints", on);
}

void add_kv_type_flag(ArgParser &args, std::string *kv_type) {
    args.string(nullptr, "--kv-type", "T", ("KV cache type: " + names_of(llmrt_kv_type_name) + " (default f32)").c_str(), kv_type);
}

ContextPtr create_context(llmrt_model *model, const ContextOptions &options) {
    llmrt_context_params params;
    llmrt_context_params_init(&params);
    // Zero keeps the library's default rather than asking for a zero-sized window or batch.
    if (options.n_ctx > 0) {
        params.n_ctx = options.n_ctx;
    }
    if (options.n_batch > 0) {
        params.n_batch = options.n_batch;
    }
    if (options.n_threads > 0) {
        params.n_threads = options.n_threads;
    }
    params.logits_all = options.logits_all ? 1 : 0;
    if (!options.kv_type.empty()) params.kv_type = value_named("--kv-type", options.kv_type, llmrt_kv_type_name);
    params.n_seq_max = options.n_seq_max;
    llmrt_context *ctx = nullptr;
    check(llmrt_context_create(model, &params, &ctx), "cannot create context");
    return ContextPtr(ctx);
}

std::vector<llmrt_token> tokenize(const llmrt_model *model, const std::string &text,
                                  bool add_special) {
    // A token covers at least one byte, so bytes + a few specials is always enough; one call.
    // The length goes with the text: a NUL byte in a file is text like any other byte.
    std::vector<llmrt_token> tokens(std::min<size_t>(text.size() + 8, INT32_MAX));
    int32_t n_tokens = 0;
    llmrt_status status = llmrt_tokenize_n(model, text.data(), text.size(), add_special ? 1 : 0,
                                           tokens.data(), static_cast<int32_t>(tokens.size()), &n_tokens);
    if (status == LLMRT_ERR_BUFFER_TOO_SMALL) {
        tokens.resize(static_cast<size_t>(n_tokens));
        status = llmrt_tokenize_n(model, text.data(), text.size(), add_special ? 1 : 0, tokens.data(),
                                  static_cast<int32_t>(tokens.size()), &n_tokens);
    }
    check(status, "cannot tokenize");
    tokens.resize(static_cast<size_t>(n_tokens));
    return tokens;
}

std::string model_chat_template(const llmrt_model *model, const char *name) {
    size_t length = 0;
    const llmrt_status sized = llmrt_model_chat_template(model, name, nullptr, 0, &length);
    if (sized != LLMRT_ERR_BUFFER_TOO_SMALL) {
        check(sized, "cannot read the model's chat template");
        return "";
    }
    std::string text(length + 1, '\0');
    check(llmrt_model_chat_template(model, name, text.data(), text.size(), &length),
          "cannot read the model's chat template");
    text.resize(length);
    return text;
}

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot open '" + path + "'");
    }
    return std::string{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string token_piece(const llmrt_model *model, llmrt_token token) {
    std::string piece(32, '\0');
    size_t length = 0;
    llmrt_status status = llmrt_token_to_piece_v2(model, token, piece.data(), piece.size(), &length);
    if (status == LLMRT_ERR_BUFFER_TOO_SMALL) {
        piece.resize(length);
        status = llmrt_token_to_piece_v2(model, token, piece.data(), piece.size(), &length);
    }
    check(status, "cannot convert token " + std::to_string(token) + " to text");
    piece.resize(length);
    return piece;
}

} // namespace cli
