#include "quant/quantizer.h"

#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "core/error.h"
#include "formats/llmrt_file.h"
#include "models/model.h"
#include "quant/calibration.h"
#include "quant/export.h"
#include "quant/smoothquant.h"

namespace llmrt {
namespace {

// The share of the progress bar spent quantizing; the rest is writing the file.
constexpr float kQuantizeShare = 0.8f;

// The tokenizer files of an HF directory travel inside the llmrt file.
void embed_tokenizer_files(const std::string &dir, std::map<std::string, std::string> &files) {
    for (const char *name : {"tokenizer.model", "tokenizer.json", "tokenizer_config.json"}) {
        const std::string path = dir + "/" + name;
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        std::ifstream in(path, std::ios::binary);
        std::ostringstream content;
        content << in.rdbuf();
        require(in.good() || in.eof(), Status::Io, "cannot read " + path);
        files[name] = content.str();
    }
}

// SmoothQuant's W8A8 computes in int8 whatever was asked: its activation scales are int8's.
ComputeDtype planned_compute(const QuantOptions &o) {
    return o.algorithm == "smoothquant" ? ComputeDtype::Int8 : o.compute;
}

// [[pattern, dtype], ...] as given, or null for the defaults.
nlohmann::json overrides_json(const QuantOptions &o) {
    if (!o.tensor_overrides) return nullptr;
    nlohmann::json list = nlohmann::json::array();
    for (const TensorOverride &t : *o.tensor_overrides) list.push_back({t.pattern, t.dtype});
    return list;
}

nlohmann::json describe(const QuantOptions &o) {
    nlohmann::json calibration;
    if (o.algorithm == "gptq")
        calibration = {{"text", o.calibration_path}, {"n_samples", o.n_samples}, {"seq_len", o.seq_len},
                       {"seed", o.seed},           {"damp", o.gptq_damp},     {"act_order", o.gptq_act_order},
                       {"clip_grid", o.gptq_clip_grid}};
    else if (o.algorithm != "rtn")
        calibration = {{"text", o.calibration_path}, {"n_samples", o.n_samples}, {"seq_len", o.seq_len},
                       {"seed", o.seed}};
    if (o.algorithm == "smoothquant") {
        const SmoothQuantOptions &sq = o.smoothquant;
        calibration["alpha"] = sq.auto_alpha ? nlohmann::json("auto") : nlohmann::json(sq.alpha);
        if (sq.auto_alpha)
            calibration["alpha_grid"] = {sq.alpha_min, sq.alpha_max, sq.alpha_step, sq.criterion_max ? "max" : "mean"};
        calibration["activations"] = sq.static_act ? "static" : "dynamic";
        if (sq.static_act) calibration["act_percentile"] = sq.act_percentile;
        calibration["keep_f32"] = o.keep_f32;
    }
    return {{"algorithm", o.algorithm},
            {"calibration", calibration},
            {"weight_dtype", quant_kind_name(o.format.kind)},
            {"group_size", o.format.group_size},
            {"asym", o.format.asym},
            {"scale_dtype", scale_dtype_name(o.format.scale)},
            {"compute_dtype", compute_dtype_name(planned_compute(o))},
            {"tensor_overrides", overrides_json(o)}};
}

// GPTQ or AWQ: the model in f32, then calibrated block by block (quant/calibration.h).
std::unique_ptr<Model> load_calibrated(const std::string &input_path, const QuantOptions &options) {
    std::unique_ptr<Model> model = load_model(input_path, LoadOptions{});
    for (const StoredTensor &t : model->weights->tensors())
        require(t.type_name == "f32", Status::Unsupported,
                input_path + " is already quantized (tensor '" + t.name + "' is " + t.type_name +
                    "): quantize the original checkpoint instead");
    CalibrationOptions c;
    c.path = options.calibration_path;
    c.n_samples = options.n_samples;
    c.seq_len = options.seq_len;
    c.seed = options.seed;
    GptqOptions g;
    g.damp = options.gptq_damp;
    g.act_order = options.gptq_act_order;
    g.clip_grid = options.gptq_clip_grid;
    QuantOptions planned = options;
    planned.compute = planned_compute(options);
    const QuantPlan plan(planned);
    std::function<bool(float, const std::string &)> progress;
    if (options.progress)
        progress = [&](float fraction, const std::string &what) { return options.progress(fraction * kQuantizeShare, what); };
    const std::vector<std::vector<int32_t>> samples = calibration_samples(*model->tokenizer, c);
    if (options.algorithm == "awq")
        quantize_with_awq(*model, plan, samples, AwqOptions{}, 0, progress);
    else if (options.algorithm == "smoothquant")
        quantize_with_smoothquant(*model, plan, samples, options.smoothquant, 0, progress);
    else
        quantize_with_gptq(*model, plan, samples, g, 0, progress);
    return model;
}

}  // namespace

void quantize_to_file(const std::string &input_path, const std::string &output_path, const QuantOptions &options) {
    const std::unique_ptr<Model> model = quantize_model(input_path, options);
    write_quantized_model(*model, output_path, options);
}

std::unique_ptr<Model> quantize_model(const std::string &input_path, const QuantOptions &options) {
    std::unique_ptr<Model> model;
    if (options.algorithm != "rtn") {
        model = load_calibrated(input_path, options);
    } else {
        LoadOptions load;
        load.quantize = options;
        if (options.progress) {
            load.quantize->progress = [&](float fraction, const std::string &tensor) {
                return options.progress(fraction * kQuantizeShare, tensor);
            };
        }
        // An input that is already quantized is refused by the loader (WeightStore).
        model = load_model(input_path, load);
    }
    return model;
}

void write_quantized_model(const Model &model, const std::string &output_path, const QuantOptions &options) {
    if (options.output_format == "hf-gptq") return export_hf_gptq(model, output_path, options);
    if (options.output_format == "gguf") return export_gguf(model, output_path, options);
    const Checkpoint &ckpt = model.checkpoint;

    LlmrtFileContents contents = llmrt_file_contents_of(ckpt);
    contents.tensors.clear();
    for (const StoredTensor &t : model.weights->tensors()) {
        LlmrtFileTensor out;
        out.name = t.name;
        out.dtype = t.type_name == "f32" ? DType::F32 : DType::Packed;
        if (out.dtype == DType::Packed) out.packed_type = t.type_name;
        out.shape = t.shape;
        out.data = t.data;
        out.nbytes = t.nbytes;
        contents.tensors.push_back(std::move(out));
    }
    if (ckpt.source == Checkpoint::Source::HuggingFace) embed_tokenizer_files(ckpt.path, contents.embedded_files);
    contents.quantization_info = describe(options);
    if (options.progress) {
        contents.progress = [&](size_t written, size_t total) {
            const float share = total ? static_cast<float>(written) / static_cast<float>(total) : 1.0f;
            return options.progress(kQuantizeShare + (1.0f - kQuantizeShare) * share, "writing " + output_path);
        };
    }
    write_llmrt_file(output_path, contents);
}

}  // namespace llmrt
