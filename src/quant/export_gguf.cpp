// Quantized model -> GGUF (quant/export.h).
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "formats/gguf_writer.h"
#include "kernels/weight_types.h"
#include "models/decoder.h"
#include "models/registry.h"
#include "models/tensor_roles.h"
#include "quant/export.h"
#include "tokenizer/sentencepiece_model.h"

namespace llmrt {
namespace {

// HF architectures whose llama.cpp metadata this file knows how to write, by GGUF name.
struct HfArch {
    const char *hf, *gguf;
};
const HfArch kHfArchitectures[] = {{"LlamaForCausalLM", "llama"}};

const char *gguf_architecture(const std::string &hf) {
    for (const HfArch &a : kHfArchitectures)
        if (hf == a.hf) return a.gguf;
    return nullptr;
}

DType block_dtype(GgufBlockType t) {
    switch (t) {
        case GgufBlockType::Q8_0: return DType::Q8_0;
        case GgufBlockType::Q4_0: return DType::Q4_0;
        default: return DType::Q4_1;
    }
}

// llama.cpp's llama_ftype for a file whose bulk is `format`: MOSTLY_Q4_0 = 2, MOSTLY_Q4_1 = 3,
// MOSTLY_Q8_0 = 7, ALL_F32 = 0.
uint32_t file_type_of(const QuantFormat &format) {
    const std::optional<GgufBlockType> t = gguf_block_type_for(format);
    if (!t) return 0;
    return *t == GgufBlockType::Q8_0 ? 7u : *t == GgufBlockType::Q4_0 ? 2u : 3u;
}

// What llama.cpp's converter does to Llama's q/k rows (convert_hf_to_gguf.py, permute()): within
// each head, HF's [first halves; second halves] become adjacent pairs. Whole rows move, so it
// applies to packed rows as well.
std::vector<uint8_t> permute_qk_rows(const std::vector<uint8_t> &src, int64_t rows, int64_t n_head,
                                     const std::string &name) {
    require(n_head > 0 && rows % n_head == 0 && (rows / n_head) % 2 == 0, Status::Unsupported,
            "tensor '" + name + "': " + std::to_string(rows) + " rows do not split into " + std::to_string(n_head) +
                " heads of an even size");
    const size_t row_bytes = src.size() / static_cast<size_t>(rows);
    const int64_t hd = rows / n_head, half = hd / 2;
    std::vector<uint8_t> dst(src.size());
    for (int64_t h = 0; h < n_head; ++h)
        for (int64_t i = 0; i < 2; ++i)
            for (int64_t j = 0; j < half; ++j)
                std::memcpy(dst.data() + static_cast<size_t>(h * hd + 2 * j + i) * row_bytes,
                            src.data() + static_cast<size_t>(h * hd + i * half + j) * row_bytes, row_bytes);
    return dst;
}

std::string read_whole(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    require(in.is_open(), Status::Unsupported,
            "GGUF export needs the SentencePiece model " + path + " for the tokenizer metadata");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

uint32_t u32_of(int64_t v, const char *what) {
    require(v >= 0 && v <= static_cast<int64_t>(UINT32_MAX), Status::Unsupported,
            std::string("GGUF export: ") + what + " " + std::to_string(v) + " does not fit the file");
    return static_cast<uint32_t>(v);
}

// llama.cpp's keys for a Llama HF checkpoint (convert_hf_to_gguf.py's LlamaModel), read with the
// same config.json names and defaults the loader uses (DecoderSpec).
void write_hf_llama_metadata(GgufWriter &w, const Model &model, const DecoderSpec &spec, const char *arch) {
    const nlohmann::json &c = model.checkpoint.hf_config;
    const HyperParams &hp = model.hparams();
    const std::string a = arch;
    auto number = [&](const char *key, double fallback) {
        auto it = c.find(key);
        return it != c.end() && it->is_number() ? it->get<double>() : fallback;
    };
    auto scaling = c.find("rope_scaling");
    require(scaling == c.end() || scaling->is_null(), Status::Unsupported,
            model.checkpoint.path + ": GGUF export does not write rope_scaling (the model has one)");
    w.set_string("general.architecture", a);
    w.set_u32(a + ".context_length", u32_of(hp.n_ctx_train, "context length"));
    w.set_u32(a + ".embedding_length", u32_of(hp.n_embd, "embedding length"));
    w.set_u32(a + ".block_count", u32_of(hp.n_layer, "block count"));
    w.set_u32(a + ".feed_forward_length", u32_of(hp.n_ff, "feed-forward length"));
    w.set_u32(a + ".attention.head_count", u32_of(hp.n_head, "head count"));
    w.set_u32(a + ".attention.head_count_kv", u32_of(hp.n_head_kv, "kv head count"));
    w.set_f32(a + ".rope.freq_base", static_cast<float>(number(spec.keys.rope_theta, 10000.0)));
    w.set_f32(a + ".attention.layer_norm_rms_epsilon",
              static_cast<float>(number(spec.keys.norm_eps, spec.default_norm_eps)));
    w.set_u32(a + ".rope.dimension_count", u32_of(hp.head_dim, "rope dimensions"));
    if (hp.head_dim * hp.n_head != hp.n_embd) {
        w.set_u32(a + ".attention.key_length", u32_of(hp.head_dim, "head size"));
        w.set_u32(a + ".attention.value_length", u32_of(hp.head_dim, "head size"));
    }
    w.set_u32(a + ".vocab_size", u32_of(hp.n_vocab, "vocabulary size"));

    const std::string spm_path = model.checkpoint.path + "/tokenizer.model";
    const SpmModelData spm = parse_sentencepiece_model(read_whole(spm_path), spm_path);
    std::vector<int32_t> types;
    for (TokenType t : spm.types) types.push_back(static_cast<int32_t>(t));
    w.set_string("tokenizer.ggml.model", "llama");
    w.set_string_array("tokenizer.ggml.tokens", spm.pieces);
    w.set_f32_array("tokenizer.ggml.scores", spm.scores);
    w.set_i32_array("tokenizer.ggml.token_type", types);
    // config.json's ids win over the SentencePiece model's, as the HF tokenizer loader has it.
    auto id = [&](const char *key, int32_t fallback) {
        auto it = c.find(key);
        return it != c.end() && it->is_number_integer() ? it->get<int32_t>() : fallback;
    };
    const int32_t bos = id("bos_token_id", spm.bos_id), eos = id("eos_token_id", spm.eos_id);
    if (bos >= 0) w.set_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(bos));
    if (eos >= 0) w.set_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(eos));
    if (spm.unk_id >= 0) w.set_u32("tokenizer.ggml.unknown_token_id", static_cast<uint32_t>(spm.unk_id));
    w.set_bool("tokenizer.ggml.add_bos_token", spm.add_bos);
    w.set_bool("tokenizer.ggml.add_eos_token", spm.add_eos);
}

}  // namespace

void export_gguf(const Model &model, const std::string &path, const QuantOptions &options) {
    const Checkpoint &ckpt = model.checkpoint;
    const bool from_gguf = ckpt.source == Checkpoint::Source::Gguf;
    const char *arch = from_gguf ? nullptr : gguf_architecture(ckpt.architecture);
    require(from_gguf || arch, Status::Unsupported,
            ckpt.path + ": GGUF export from a Hugging Face " + ckpt.architecture +
                " checkpoint is not supported (from LlamaForCausalLM and from GGUF files it is)");
    const DecoderSpec spec = decoder_spec(ckpt.architecture);

    GgufWriter w;
    if (from_gguf) {
        for (const auto &kv : ckpt.gguf_metadata)
            if (kv.first != kGgufAlignmentKey) w.set(kv.first, kv.second);
    } else {
        write_hf_llama_metadata(w, model, spec, arch);
    }
    w.set_u32("general.file_type", file_type_of(options.format));
    w.set_u32("general.quantization_version", 2);  // ggml's block layouts of today (QK4_0 = 32...)

    const HyperParams &hp = model.hparams();
    for (const StoredTensor &t : model.weights->tensors()) {
        std::string name = t.name;
        std::optional<RoleName> role;
        if (!from_gguf) {
            role = role_of_tensor(t.name, spec.names);
            require(role.has_value(), Status::Unsupported, "tensor '" + t.name + "' has no GGUF name");
            name = role->gguf;
        }
        const bool permute = !from_gguf && spec.gguf_qk_interleaved && (role->role == Role::Q || role->role == Role::K);
        const int64_t n_head = role && role->role == Role::K ? hp.n_head_kv : hp.n_head;
        if (t.type_name == "f32") {
            if (!permute) {
                w.add_tensor(name, DType::F32, t.shape, t.data, t.nbytes);
                continue;
            }
            const std::vector<uint8_t> rows(t.data, t.data + t.nbytes);
            const std::vector<uint8_t> out = permute_qk_rows(rows, t.shape[0], n_head, t.name);
            w.add_tensor(name, DType::F32, t.shape, out.data(), out.size());
            continue;
        }
        const WeightType *type = find_weight_type(t.type_name, ComputeDtype::Auto);
        const std::optional<GgufBlockType> found =
            type && type->format() ? gguf_block_type_for(*type->format()) : std::nullopt;
        require(found.has_value(), Status::Unsupported,
                "tensor '" + t.name + "' is " + t.type_name +
                    ", which GGUF cannot hold exactly (Q4_0 = int4_g32_sym_fp16, Q4_1 = int4_g32_asym_fp16, "
                    "Q8_0 = int8_g32_sym_fp16, F32 = f32)");
        require(t.shape.size() == 2 && t.shape[1] % 32 == 0, Status::Unsupported,
                "tensor '" + t.name + "' of shape " + shape_to_string(t.shape) +
                    ": GGUF blocks need rows of whole 32-value blocks");
        const GgufBlockType block = found.value_or(GgufBlockType::Q8_0);  // checked above
        const int64_t rows = t.shape[0], cols = t.shape[1];
        std::vector<uint8_t> blocks(dtype_bytes(block_dtype(block), rows * cols));
        unpack_gguf_rows(block, *type, t.data, rows, cols, blocks.data());
        if (permute) blocks = permute_qk_rows(blocks, rows, n_head, t.name);
        w.add_tensor(name, block_dtype(block), t.shape, blocks.data(), blocks.size());
    }
    w.write(path);
}

}  // namespace llmrt
