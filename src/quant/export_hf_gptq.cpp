// Quantized model -> Hugging Face GPTQ directory (quant/export.h).
#include <cmath>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "core/error.h"
#include "formats/hf_gptq_writer.h"
#include "kernels/weight_types.h"
#include "models/decoder.h"
#include "models/registry.h"
#include "models/tensor_roles.h"
#include "quant/export.h"

namespace llmrt {
namespace {

bool read_if_present(const std::string &path, std::string &content) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    require(in.good() || in.eof(), Status::Io, "cannot read " + path);
    content = s.str();
    return true;
}

bool ends_with(const std::string &s, const std::string &suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A packed int tensor as GPTQ's (codes, scales, zero points). value = scale * (code - zero) holds
// a sym group exactly (zero 8 or 128) and an asym one when its min is -scale * zero for an
// integer zero, which GPTQ's quantizer guarantees and a min-max quantizer (ours) generally does not.
HfQuantLinear to_gptq(const StoredTensor &t, const WeightType &type, int64_t group_size) {
    const QuantFormat &f = *type.format();
    HfQuantLinear q;
    q.bits = f.kind == QuantKind::Int4 ? 4 : 8;
    q.rows = t.shape[0];
    q.cols = t.shape[1];
    q.group_size = group_size < 0 ? q.cols : group_size;
    q.n_groups = (q.cols + q.group_size - 1) / q.group_size;
    q.f16_scales = f.scale == ScaleDtype::F16;
    q.codes.resize(static_cast<size_t>(q.rows * q.cols));
    q.scales.resize(static_cast<size_t>(q.rows * q.n_groups));
    q.zeros.resize(q.scales.size());
    q.g_idx.resize(static_cast<size_t>(q.cols));
    for (int64_t i = 0; i < q.cols; ++i) q.g_idx[static_cast<size_t>(i)] = static_cast<int32_t>(i / q.group_size);
    const int32_t sym_zero = q.bits == 4 ? 8 : 128;
    const size_t row_bytes = type.row_bytes(q.cols);
    std::vector<float> scales(static_cast<size_t>(q.n_groups)), mins(scales.size());
    for (int64_t r = 0; r < q.rows; ++r) {
        unpack_int_codes_row(type, q.cols, t.data + static_cast<size_t>(r) * row_bytes,
                             q.codes.data() + r * q.cols, scales.data(), mins.data());
        for (int64_t g = 0; g < q.n_groups; ++g) {
            const size_t p = static_cast<size_t>(r * q.n_groups + g);
            const float scale = scales[static_cast<size_t>(g)];
            q.scales[p] = scale;
            if (!f.asym) {
                q.zeros[p] = sym_zero;
                continue;
            }
            const float min = mins[static_cast<size_t>(g)];
            const float zero = scale != 0.0f ? std::nearbyint(-min / scale) : 0.0f;
            require(-(scale * zero) == min && zero >= 0.0f && zero <= static_cast<float>(sym_zero * 2),
                    Status::Unsupported,
                    "tensor '" + t.name + "' (" + t.type_name + "), row " + std::to_string(r) + ", group " +
                        std::to_string(g) + ": its minimum " + std::to_string(min) + " is not -scale * zero for an "
                        "integer zero point, which HF GPTQ stores (asym export needs GPTQ-style zero points)");
            q.zeros[p] = static_cast<int32_t>(zero);
        }
    }
    return q;
}

}  // namespace

void export_hf_gptq(const Model &model, const std::string &dir, const QuantOptions &options) {
    const Checkpoint &ckpt = model.checkpoint;
    require(ckpt.source == Checkpoint::Source::HuggingFace, Status::Unsupported,
            ckpt.path + ": HF GPTQ export needs a Hugging Face checkpoint as its source (its config.json and tensor "
                        "names); this one is GGUF");
    const QuantFormat &f = options.format;
    require(f.kind == QuantKind::Int4 || f.kind == QuantKind::Int8, Status::Unsupported,
            std::string("HF GPTQ holds int4 and int8 weights, not ") + quant_kind_name(f.kind));
    require(f.scale != ScaleDtype::BF16, Status::Unsupported,
            "HF GPTQ stores float16 scales (float32 is read too), not bf16: use scale_dtype fp16");

    std::string config_text;
    require(read_if_present(ckpt.path + "/config.json", config_text), Status::Io, "cannot read " + ckpt.path + "/config.json");
    nlohmann::json config = nlohmann::json::parse(config_text, nullptr, false);
    require(config.is_object(), Status::Format, ckpt.path + "/config.json is not a JSON object");
    config.erase("quantization_config");
    config["torch_dtype"] = "float32";  // what the unquantized tensors are written in

    HfGptqWriter w(f.kind == QuantKind::Int4 ? 4 : 8, f.group_size, !f.asym);
    const DecoderSpec spec = decoder_spec(ckpt.architecture);
    bool has_output = false;
    for (const StoredTensor &t : model.weights->tensors()) {
        const std::optional<RoleName> role = role_of_tensor(t.name, spec.names);
        if (role && role->role == Role::Output) has_output = true;
    }
    for (const StoredTensor &t : model.weights->tensors()) {
        // A tensor rearranged on load is stored under its GGUF name: the source has no tensor of it.
        require(ckpt.find(t.name) != nullptr || (ends_with(t.name, ".weight") &&
                                                 has_hf_quantized_linear(ckpt, t.name.substr(0, t.name.size() - 7))),
                Status::Unsupported,
                "tensor '" + t.name + "' was rearranged on load and has no Hugging Face name to export it under");
        if (t.type_name == "f32") {
            w.add_f32(t.name, t.shape, reinterpret_cast<const float *>(t.data));
            continue;
        }
        const WeightType *type = find_weight_type(t.type_name, ComputeDtype::Auto);
        const QuantFormat *tf = type ? type->format() : nullptr;
        const std::optional<RoleName> role = role_of_tensor(t.name, spec.names);
        const bool embedding = role && role->role == Role::TokenEmbd;
        if (embedding && tf && !has_output) {
            fail(Status::Unsupported, "tensor '" + t.name + "' (" + t.type_name +
                                          ") is a quantized embedding tied to the output head, which HF GPTQ cannot "
                                          "hold: keep it in f32 (tensor override '" + t.name + "=f32')");
        }
        if (embedding && type) {
            // Looked up, never multiplied: its dequantized rows are exactly what the runtime reads.
            const int64_t rows = t.shape[0], cols = t.shape[1];
            std::vector<float> values(static_cast<size_t>(rows * cols));
            for (int64_t r = 0; r < rows; ++r)
                type->unpack_row(t.data + static_cast<size_t>(r) * type->row_bytes(cols), cols, values.data() + r * cols);
            w.add_f32(t.name, t.shape, values.data());
            continue;
        }
        require(tf && (tf->kind == QuantKind::Int4 || tf->kind == QuantKind::Int8) && tf->kind == f.kind &&
                    tf->group_size == f.group_size && tf->asym == f.asym && tf->scale == f.scale &&
                    t.shape.size() == 2 && ends_with(t.name, ".weight"),
                Status::Unsupported,
                "tensor '" + t.name + "' is " + t.type_name + ": an HF GPTQ checkpoint holds its Linears in one type (" +
                    quant_format_name(f) + ") and the rest in f32");
        if (role && role->role == Role::Output) w.set_lm_head_quantized(true);
        w.add_linear(t.name.substr(0, t.name.size() - 7), to_gptq(t, *type, f.group_size));
    }
    w.set_config(config);
    for (const char *name : {"tokenizer.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                             "generation_config.json"}) {
        std::string content;
        if (read_if_present(ckpt.path + "/" + name, content)) w.add_file(name, std::move(content));
    }
    w.write(dir);
}

}  // namespace llmrt
