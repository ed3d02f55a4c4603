// llmrt info: what a model is (architecture, sizes, special tokens, tensor types), without running it.
#include "args.h"
#include "library.h"
#include "output.h"
#include "quant_flags.h"

#include <cstdio>
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

// The model's tensors by type (llmrt_model_tensor_type): in the file, or as loaded.
json tensor_types(const llmrt_model *model, bool as_loaded) {
    json types = json::array();
    const int32_t n = llmrt_model_n_tensor_types(model, as_loaded);
    for (int32_t i = 0; i < n; ++i) {
        llmrt_tensor_type_stats s;
        check(llmrt_model_tensor_type(model, as_loaded, i, &s), "tensor type");
        const double bits = s.n_params == 0 ? 0.0
                                            : static_cast<double>(s.n_bytes) * 8.0 /
                                                  static_cast<double>(s.n_params);
        types.push_back({
            {"type", s.type},
            {"n_tensors", s.n_tensors},
            {"n_params", s.n_params},
            {"n_bytes", s.n_bytes},
            {"bits_per_weight", bits},
        });
    }
    return types;
}

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
        {"file_tensor_types", tensor_types(model, false)},
        {"loaded_tensor_types", tensor_types(model, true)},
    };
}

void print_types(const char *title, const json &types) {
    Table table({"type", "tensors", "parameters", "bytes", "bits/weight"});
    for (const auto &t : types) {
        table.add_row({t["type"].get<std::string>(), std::to_string(t["n_tensors"].get<int32_t>()),
                       std::to_string(t["n_params"].get<uint64_t>()),
                       human_bytes(static_cast<double>(t["n_bytes"].get<uint64_t>())),
                       format("%.2f", t["bits_per_weight"].get<double>())});
    }
    std::printf("\n%s\n%s", title, table.markdown().c_str());
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
    // A synthetic model has no file: its "file" types are those it is generated in.
    const bool synthetic = source.rfind("synthetic:", 0) == 0;
    print_types(synthetic ? "tensor types as generated:" : "tensor types in the file:",
                d["file_tensor_types"]);
    if (d["loaded_tensor_types"] != d["file_tensor_types"]) {
        print_types("tensor types as loaded:", d["loaded_tensor_types"]);
    }
}

} // namespace

int run_info(int argc, char **argv) {
    InfoOptions o;
    ArgParser args("info", "-m PATH | --synthetic NAME [--weight-dtype T ...] [--json]",
                   "Shows a model's architecture, weight type, sizes, special tokens and its tensor types "
                   "(in the file, and as loaded when that differs: after quantizing it in memory "
                   "with --weight-dtype, for instance).");
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
