// llmrt info: what a model is (architecture, sizes, special tokens), without running it.
#include "args.h"
#include "library.h"
#include "output.h"
#include "quant_flags.h"

#include <string>

namespace cli {

namespace {

struct InfoOptions {
    std::string model_path;
    std::string synthetic;
    uint64_t seed = 42;
    QuantFlags quant;
    bool json = false;
};

json describe(const llmrt_model *model) {
    return {
        {"architecture", llmrt_model_architecture(model)},
        {"weight_type", llmrt_model_weight_type(model)},
        {"n_params", llmrt_model_n_params(model)},
        {"n_vocab", llmrt_model_n_vocab(model)},
        {"n_ctx_train", llmrt_model_n_ctx_train(model)},
        {"n_embd", llmrt_model_n_embd(model)},
        {"n_layer", llmrt_model_n_layer(model)},
        {"weight_bytes", llmrt_model_weight_bytes(model)},
        {"bos", llmrt_model_bos(model)},
        {"eos", llmrt_model_eos(model)},
    };
}

void print_text(const std::string &source, const json &d) {
    const auto params = d["n_params"].get<uint64_t>();
    const auto bytes = d["weight_bytes"].get<uint64_t>();
    print_fields({
        {"model", source},
        {"architecture", d["architecture"].get<std::string>()},
        {"weight type", d["weight_type"].get<std::string>()},
        {"parameters", format("%llu (%.2f M)", static_cast<unsigned long long>(params), params / 1e6)},
        {"vocab", std::to_string(d["n_vocab"].get<int32_t>())},
        {"n_ctx_train", std::to_string(d["n_ctx_train"].get<int32_t>())},
        {"n_embd", std::to_string(d["n_embd"].get<int32_t>())},
        {"n_layer", std::to_string(d["n_layer"].get<int32_t>())},
        {"weight bytes", format("%llu (%s)", static_cast<unsigned long long>(bytes),
                                human_bytes(static_cast<double>(bytes)).c_str())},
        {"bos", std::to_string(d["bos"].get<int32_t>())},
        {"eos", std::to_string(d["eos"].get<int32_t>())},
    });
}

} // namespace

int run_info(int argc, char **argv) {
    InfoOptions o;
    ArgParser args("info", "-m PATH | --synthetic NAME [--weight-dtype T ...] [--json]",
                   "Shows a model's architecture, weight type, sizes and special tokens (after quantizing "
                   "it in memory with --weight-dtype).");
    args.string("-m", "--model", "PATH", "model: GGUF file, llmrt file or Hugging Face directory",
                &o.model_path);
    const std::string synthetic_help = synthetic_shapes_help();
    args.string(nullptr, "--synthetic", "NAME", synthetic_help.c_str(), &o.synthetic);
    args.uint64(nullptr, "--seed", "S", "weight seed for --synthetic", &o.seed);
    add_quant_flags(args, &o.quant, QuantFlagUse::Load);
    args.flag(nullptr, "--json", "print JSON", &o.json);
    if (!args.parse(argc, argv)) {
        return 0;
    }
    if (args.given("--model") == args.given("--synthetic")) {
        throw UsageError("give exactly one of -m/--model and --synthetic");
    }
    const QuantSettings quant = quant_settings(args, o.quant, QuantFlagUse::Load).front();

    const ModelPtr model = open_model(o.model_path, o.synthetic, o.seed, quant);
    json d = describe(model.get());
    const std::string source = args.given("--model") ? o.model_path : "synthetic:" + o.synthetic;
    if (o.json) {
        d["model"] = source;
        print_json(d);
    } else {
        print_text(source, d);
    }
    return 0;
}

} // namespace cli
