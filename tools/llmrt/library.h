// Thin C++ conveniences over the public C API (include/llmrt.h): owning handles, a status check
// that turns failures into exceptions, and the model/context set-up every subcommand shares.
#pragma once

#include "llmrt.hpp"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <optional>
#include <string>
#include <vector>

namespace cli {

class ArgParser;

// A failed llmrt call. The message already includes llmrt_last_error(), captured at once because
// the next library call on this thread may overwrite it.
struct LibraryError : std::runtime_error {
    LibraryError(llmrt_status status, const std::string &message)
        : std::runtime_error(message), status(status) {}
    llmrt_status status;
};

// Ctrl-C arrived: the tool stops what it is doing and exits with 130 like other Unix tools.
struct Interrupted : std::runtime_error {
    Interrupted() : std::runtime_error("interrupted") {}
};

// Throws LibraryError("<what>: <last error> (<status name>)") unless status is LLMRT_OK.
void check(llmrt_status status, const std::string &what);

// The handles' owners are llmrt.hpp's; the short names keep the tool's code readable.
using ModelPtr = llmrt::model_ptr;
using ContextPtr = llmrt::context_ptr;
using SamplerPtr = llmrt::sampler_ptr;
using QuantizerPtr = llmrt::quantizer_ptr;

// A choice of weight quantization (llmrt_quant_params) in owned strings, and the compute type for
// weights a file already stores quantized. Default-constructed: keep the file's types.
struct QuantSettings {
    std::string weight_dtype;  // "" or "f32": no quantization
    std::string algorithm = "rtn";
    int32_t group_size = 32;
    bool asym = false;
    std::string scale_dtype = "fp32";
    std::string compute_dtype; // "": the library's default ("auto")
    bool has_overrides = false; // false: the library's defaults (embeddings and head in int8)
    std::string overrides;
    // Calibrated algorithms (gptq).
    std::string calibration_path;
    int32_t n_samples = 128;
    int32_t seq_len = 512;
    uint64_t seed = 0;
    float damp = 0.01f;
    bool act_order = false;
    int clip_grid = 0;
    std::string output_format = "llmrt";  // llmrt quantize only: llmrt, hf-gptq or gguf
    // SmoothQuant (llmrt_quant_params' sq_* fields); unset / "": the library's defaults.
    std::optional<float> sq_alpha, sq_alpha_min, sq_alpha_max, sq_alpha_step, sq_act_percentile;
    bool sq_alpha_auto = false;
    std::string sq_criterion, sq_activations, sq_keep;

    // Not a quantization choice but loaded with them: shard the model over the MPI ranks
    // (llmrt_model_params.tensor_parallel). Ranks other than 0 then stay silent.
    bool tensor_parallel = false;

    bool quantizes() const { return !weight_dtype.empty() && weight_dtype != "f32"; }
};

// Registers --tensor-parallel for a command whose every rank makes the same library calls.
void add_tensor_parallel_flag(ArgParser &args, bool *on);

// llmrt_quant_params pointing into s's strings, so valid while s lives. No progress callback.
llmrt_quant_params quant_params(const QuantSettings &s);
QuantizerPtr create_quantizer(const llmrt_quant_params &params);

// With quant.quantizes(), the weights are quantized in memory while loading (progress drawn on a
// terminal; Ctrl-C stops it and throws Interrupted); otherwise quant.compute_dtype, if set,
// applies to weights the file stores quantized.
ModelPtr load_model(const std::string &path, const QuantSettings &quant = QuantSettings());
ModelPtr create_synthetic_model(const std::string &shape_name, uint64_t seed,
                                const QuantSettings &quant = QuantSettings());
// "random-weight model of a known shape (stories260k, ...)": --synthetic's help, from the library.
std::string synthetic_shapes_help();
// The synthetic shape if one is named, else the model at path.
ModelPtr open_model(const std::string &path, const std::string &synthetic, uint64_t seed,
                    const QuantSettings &quant = QuantSettings());

struct ContextOptions {
    int32_t n_ctx = 0;     // 0: the library's default
    int32_t n_batch = 0;   // 0: the library's default
    int32_t n_threads = 0; // 0: the library's default
    bool logits_all = false;
    std::string kv_type;   // "f32", "f16", "bf16", "int8"; "": the library's default
    int32_t n_seq_max = 1; // sequences the context holds (bench --parallel, beam search)
};
// Registers --kv-type for a command that makes a context.
void add_kv_type_flag(ArgParser &args, std::string *kv_type);
ContextPtr create_context(llmrt_model *model, const ContextOptions &options);

std::vector<llmrt_token> tokenize(const llmrt_model *model, const std::string &text,
                                  bool add_special);
// The whole file, bytes as they are (NUL bytes included). Throws std::runtime_error if it cannot
// be opened.
std::string read_file(const std::string &path);
// The model's chat template called name (nullptr: the default one); "" when it has none.
std::string model_chat_template(const llmrt_model *model, const char *name);
// The raw bytes of one token (possibly part of a UTF-8 character).
std::string token_piece(const llmrt_model *model, llmrt_token token);

} // namespace cli
