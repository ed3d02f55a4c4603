// llmrt quantize: a checkpoint in, one packed llmrt file out (llmrt_quantizer). Shows progress on
// stderr, then the sizes before and after. The library writes under a temporary name and renames
// when complete, so a failure or Ctrl-C leaves no partial file and never touches an existing one.
#include "args.h"
#include "interrupt.h"
#include "library.h"
#include "output.h"
#include "progress.h"
#include "quant_flags.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>

namespace cli {

namespace {

namespace fs = std::filesystem;

struct QuantizeOptions {
    std::string input;
    std::string output;
    QuantFlags quant;
    bool json = false;
};

// What the input occupies on disk: a file's size (GGUF, llmrt), or for a Hugging Face directory
// the sum of its *.safetensors files (config and tokenizer files are noise next to the weights).
uint64_t input_size_on_disk(const std::string &path) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
        return fs::file_size(path, ec);
    }
    uint64_t total = 0;
    for (const fs::directory_entry &entry : fs::directory_iterator(path, ec)) {
        if (entry.path().extension() == ".safetensors" && entry.is_regular_file(ec)) {
            total += entry.file_size(ec);
        }
    }
    return total;
}

bool same_file(const std::string &a, const std::string &b) {
    std::error_code ec;
    return a == b || fs::equivalent(a, b, ec);
}

} // namespace

int run_quantize(int argc, char **argv) {
    QuantizeOptions o;
    ArgParser args("quantize",
                   "-m IN -o OUT [--weight-dtype int4] [--group-size 32] [--alg sym|asym] "
                   "[--scale-dtype fp32|bf16] [--compute-dtype auto|int8|bf16|fp32] "
                   "[--overrides \"PAT=T;...\"] [--json]",
                   "Quantizes the weights of a checkpoint (Hugging Face directory or GGUF file) by "
                   "round-to-nearest and writes one llmrt file that loads by mmap, then prints the "
                   "size before and after. OUT is written under a temporary name and renamed when "
                   "complete: an error or Ctrl-C leaves no partial file and an existing OUT as it was.");
    args.string("-m", "--model", "IN", "checkpoint: Hugging Face directory or GGUF file (not yet quantized)",
                &o.input);
    args.string("-o", "--output", "OUT", "file (or HF GPTQ directory) to write", &o.output);
    add_quant_flags(args, &o.quant, QuantFlagUse::Quantize);
    args.flag(nullptr, "--json", "print JSON (progress stays on stderr)", &o.json);
    if (!args.parse(argc, argv)) {
        return 0;
    }
    args.require("--model");
    args.require("--output");
    if (o.input.empty() || o.output.empty()) {
        throw UsageError("-m/--model and -o/--output must not be empty");
    }
    if (same_file(o.input, o.output)) {
        throw UsageError("-o/--output '" + o.output + "' is the input: write to another file");
    }
    const QuantSettings settings = quant_settings(args, o.quant, QuantFlagUse::Quantize).front();

    llmrt_quant_params params = quant_params(settings);
    ProgressBar bar("quantize", ProgressBar::Mode::Always);
    bar.attach(&params);
    const QuantizerPtr quantizer = create_quantizer(params);

    const auto start = std::chrono::steady_clock::now();
    llmrt_status status;
    {
        StopOnInterrupt stop_on_ctrl_c;
        status = llmrt_quantize(quantizer.get(), o.input.c_str(), o.output.c_str());
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bar.finish();
    if (status == LLMRT_CANCELLED && interrupt_requested()) {
        throw Interrupted(); // the library has removed its temporary file
    }
    // The paths are in the message because the library's own text may not mention them.
    check(status, "cannot quantize '" + o.input + "' to '" + o.output + "'");

    const uint64_t input_bytes = input_size_on_disk(o.input);
    // An HF GPTQ export is a directory: counted like an HF input.
    const uint64_t output_bytes = input_size_on_disk(o.output);
    // Opening the result confirms it loads and gives its weight type as the library names it.
    const ModelPtr model = load_model(o.output);
    const double ratio = output_bytes > 0 ? static_cast<double>(input_bytes) / static_cast<double>(output_bytes) : 0.0;

    if (o.json) {
        print_json({
            {"input", o.input},
            {"output", o.output},
            {"input_bytes", input_bytes},
            {"output_bytes", output_bytes},
            {"ratio", ratio},
            {"seconds", seconds},
            {"weight_type", llmrt_model_weight_type(model.get())},
            {"weight_dtype", settings.weight_dtype},
            {"algorithm", settings.algorithm},
            {"output_format", settings.output_format},
            {"group_size", settings.group_size},
            {"alg", settings.asym ? "asym" : "sym"},
            {"scale_dtype", settings.scale_dtype},
            {"compute_dtype", settings.compute_dtype.empty() ? "auto" : settings.compute_dtype},
            {"tensor_overrides", settings.has_overrides ? json(settings.overrides) : json(nullptr)},
            {"n_params", llmrt_model_n_params(model.get())},
            {"weight_bytes", llmrt_model_weight_bytes(model.get())},
        });
    } else {
        print_fields({
            {"input", o.input},
            {"output", o.output},
            {"weight type", llmrt_model_weight_type(model.get())},
            {"size before", format("%llu (%s)", static_cast<unsigned long long>(input_bytes),
                                   human_bytes(static_cast<double>(input_bytes)).c_str())},
            {"size after", format("%llu (%s)", static_cast<unsigned long long>(output_bytes),
                                  human_bytes(static_cast<double>(output_bytes)).c_str())},
            {"ratio", format("%.2fx smaller", ratio)},
            {"time", format("%.2f s", seconds)},
        });
    }
    return 0;
}

} // namespace cli
