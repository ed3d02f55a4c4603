#include "formats/hf_quantized.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "core/error.h"
#include "formats/checked_math.h"

namespace llmrt {
namespace {

using nlohmann::json;

std::string lower(std::string s) {
    for (char &c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// The first of `keys` present and not null, or nullptr.
const json *field(const json &q, std::initializer_list<const char *> keys) {
    for (const char *k : keys) {
        auto it = q.find(k);
        if (it != q.end() && !it->is_null()) return &*it;
    }
    return nullptr;
}

int64_t int_field(const json &q, std::initializer_list<const char *> keys, int64_t fallback, const std::string &where) {
    const json *v = field(q, keys);
    if (!v) return fallback;
    require(v->is_number_integer(), Status::Format,
            where + ": quantization_config." + *keys.begin() + " is not an integer");
    return v->get<int64_t>();
}

bool bool_field(const json &q, const char *key, bool fallback, const std::string &where) {
    const json *v = field(q, {key});
    if (!v) return fallback;
    require(v->is_boolean(), Status::Format, where + ": quantization_config." + key + " is not true or false");
    return v->get<bool>();
}

std::string string_field(const json &q, const char *key, const std::string &fallback, const std::string &where) {
    const json *v = field(q, {key});
    if (!v) return fallback;
    require(v->is_string(), Status::Format, where + ": quantization_config." + key + " is not a string");
    return v->get<std::string>();
}

uint32_t load_u32(const uint8_t *p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);  // little-endian hosts only, like the rest of the readers
    return v;
}

// The tensor, checked to be of dtype `dtype` (or a float one when `dtype` is F16) and shape `shape`.
const TensorView &part(const Checkpoint &ckpt, const std::string &name, DType dtype,
                       const std::vector<int64_t> &shape) {
    const TensorView &t = ckpt.get(name);
    const bool float_ok =
        dtype == DType::F16 && (t.dtype == DType::F16 || t.dtype == DType::F32 || t.dtype == DType::BF16);
    require(t.dtype == dtype || float_ok, Status::Format,
            ckpt.path + ": tensor '" + name + "' is " + dtype_name(t.dtype) + ", expected " +
                (dtype == DType::F16 ? std::string("F16, BF16 or F32") : std::string(dtype_name(dtype))));
    require(t.shape == shape, Status::Format,
            ckpt.path + ": tensor '" + name + "' has shape " + shape_to_string(t.shape) + ", expected " +
                shape_to_string(shape));
    return t;
}

}  // namespace

std::string HfQuantConfig::describe() const {
    std::string s = method == Method::Gptq ? (zeros_minus_one ? "GPTQ" : "GPTQ v2") : "AWQ";
    s += " " + std::to_string(bits) + "-bit";
    s += group_size < 0 ? std::string(" per-channel") : " group " + std::to_string(group_size);
    if (desc_act) s += " act-order";
    return s;
}

HfQuantConfig read_hf_quant_config(const json &config, const std::string &where) {
    auto it = config.find("quantization_config");
    require(it != config.end() && it->is_object(), Status::Format,
            where + ": holds packed quantized weights (.qweight) but config.json has no quantization_config object");
    const json &q = *it;
    const std::string method = lower(string_field(q, "quant_method", "", where));
    HfQuantConfig c;
    if (method == "gptq") {
        c.method = HfQuantConfig::Method::Gptq;
        c.bits = static_cast<int>(int_field(q, {"bits"}, 4, where));
        c.group_size = int_field(q, {"group_size"}, 128, where);
        c.sym = bool_field(q, "sym", true, where);
        c.desc_act = bool_field(q, "desc_act", false, where);
        require(!bool_field(q, "is_marlin_format", false, where), Status::Unsupported,
                where + ": GPTQ checkpoints in Marlin format are not supported (\"gptq\" and \"gptq_v2\" are)");
        const std::string format = lower(string_field(q, "checkpoint_format", "gptq", where));
        require(format == "gptq" || format == "gptq_v2", Status::Unsupported,
                where + ": GPTQ checkpoint_format \"" + format + "\" is not supported (\"gptq\" and \"gptq_v2\" are)");
        c.zeros_minus_one = format == "gptq";
        require(c.bits == 4 || c.bits == 8, Status::Unsupported,
                where + ": GPTQ with " + std::to_string(c.bits) + " bits is not supported (4 and 8 are)");
        require(c.group_size == -1 || c.group_size > 0, Status::Format,
                where + ": quantization_config.group_size " + std::to_string(c.group_size) + " is not -1 or positive");
    } else if (method == "awq") {
        c.method = HfQuantConfig::Method::Awq;
        c.bits = static_cast<int>(int_field(q, {"bits", "w_bit"}, 4, where));
        c.group_size = int_field(q, {"group_size", "q_group_size"}, 128, where);
        c.sym = false;
        c.zeros_minus_one = false;
        const std::string version = lower(string_field(q, "version", "gemm", where));
        require(version == "gemm", Status::Unsupported,
                where + ": AWQ version \"" + version + "\" is not supported (\"gemm\" is)");
        require(bool_field(q, "zero_point", true, where), Status::Unsupported,
                where + ": AWQ without zero points (zero_point false) is not supported");
        require(c.bits == 4, Status::Unsupported,
                where + ": AWQ with " + std::to_string(c.bits) + " bits is not supported (4 is)");
        require(c.group_size > 0, Status::Unsupported,
                where + ": AWQ group_size " + std::to_string(c.group_size) + " is not supported (a positive one is)");
    } else {
        fail(Status::Unsupported, where + ": quantization_config.quant_method \"" + method +
                                      "\" is not supported (\"gptq\" and \"awq\" are)");
    }
    return c;
}

bool has_hf_quantized_linear(const Checkpoint &checkpoint, const std::string &prefix) {
    return checkpoint.find(prefix + ".qweight") != nullptr;
}

std::vector<int64_t> hf_quantized_linear_shape(const Checkpoint &ckpt, const std::string &prefix) {
    const HfQuantConfig config = read_hf_quant_config(ckpt.hf_config, ckpt.path + "/config.json");
    const TensorView &qweight = ckpt.get(prefix + ".qweight");
    const TensorView &scales = ckpt.get(prefix + ".scales");
    for (const TensorView *t : {&qweight, &scales})
        require(t->shape.size() == 2, Status::Format,
                ckpt.path + ": tensor '" + t->name + "' has shape " + shape_to_string(t->shape) + ", not 2-D");
    const int64_t per = config.method == HfQuantConfig::Method::Gptq ? 32 / config.bits : 1;
    int64_t in = 0;
    require(checked_mul(qweight.shape[0], per, in), Status::Format,
            ckpt.path + ": tensor '" + qweight.name + "' has shape " + shape_to_string(qweight.shape) + ", too large");
    return {scales.shape[1], in};
}

HfQuantLinear read_hf_quantized_linear(const Checkpoint &ckpt, const HfQuantConfig &config, const std::string &prefix,
                                       int64_t rows, int64_t cols) {
    const bool gptq = config.method == HfQuantConfig::Method::Gptq;
    const int bits = config.bits;
    const int64_t per = 32 / bits;
    const uint32_t mask = (1u << bits) - 1u;
    HfQuantLinear q;
    q.bits = bits;
    q.rows = rows;
    q.cols = cols;
    q.group_size = config.group_size < 0 ? cols : config.group_size;
    require(rows > 0 && cols > 0 && q.group_size > 0, Status::Format,
            ckpt.path + ": quantized Linear '" + prefix + "' has an empty shape");
    q.n_groups = (cols + q.group_size - 1) / q.group_size;
    const std::string what = ckpt.path + ": " + config.describe() + " Linear '" + prefix + "' of [" +
                             std::to_string(rows) + ", " + std::to_string(cols) + "]";
    // Words pack `per` values along one dimension: it must hold whole words.
    const int64_t packed_dim = gptq ? cols : rows;
    require(packed_dim % per == 0, Status::Format,
            what + ": " + std::to_string(packed_dim) + (gptq ? " inputs" : " outputs") + " are not whole words of " +
                std::to_string(per) + " values");
    require(rows % per == 0, Status::Format,
            what + ": " + std::to_string(rows) + " outputs are not whole zero-point words of " + std::to_string(per));
    if (!gptq)
        require(cols % q.group_size == 0, Status::Format,
                what + ": AWQ needs whole groups, " + std::to_string(cols) + " inputs are not");

    const std::vector<int64_t> qweight_shape =
        gptq ? std::vector<int64_t>{cols / per, rows} : std::vector<int64_t>{cols, rows / per};
    const TensorView &qweight = part(ckpt, prefix + ".qweight", DType::I32, qweight_shape);
    const TensorView &qzeros = part(ckpt, prefix + ".qzeros", DType::I32, {q.n_groups, rows / per});
    const TensorView &scales = part(ckpt, prefix + ".scales", DType::F16, {q.n_groups, rows});
    q.f16_scales = scales.dtype == DType::F16;

    // g_idx: GPTQ saves it always (AutoGPTQ); older files without it have consecutive groups.
    q.g_idx.resize(static_cast<size_t>(cols));
    const TensorView *g_idx = gptq ? ckpt.find(prefix + ".g_idx") : nullptr;
    if (g_idx) {
        part(ckpt, prefix + ".g_idx", DType::I32, {cols});
        for (int64_t i = 0; i < cols; ++i) {
            const int32_t g = static_cast<int32_t>(load_u32(g_idx->data + 4 * i));
            require(g >= 0 && g < q.n_groups, Status::Format,
                    ckpt.path + ": tensor '" + g_idx->name + "' puts input " + std::to_string(i) + " in group " +
                        std::to_string(g) + ", outside [0, " + std::to_string(q.n_groups) + ")");
            q.g_idx[static_cast<size_t>(i)] = g;
        }
    } else {
        require(!(gptq && config.desc_act), Status::Format,
                ckpt.path + ": act-order GPTQ Linear '" + prefix + "' has no g_idx tensor");
        for (int64_t i = 0; i < cols; ++i) q.g_idx[static_cast<size_t>(i)] = static_cast<int32_t>(i / q.group_size);
    }

    // Scales, [n_groups, rows] in the file.
    std::vector<float> file_scales(static_cast<size_t>(q.n_groups * rows));
    tensor_to_f32(scales, file_scales.data());
    q.scales.resize(static_cast<size_t>(rows * q.n_groups));
    for (int64_t g = 0; g < q.n_groups; ++g)
        for (int64_t o = 0; o < rows; ++o)
            q.scales[static_cast<size_t>(o * q.n_groups + g)] = file_scales[static_cast<size_t>(g * rows + o)];

    // AWQ's interleaved order: the nibble holding output j of a word.
    static const int kAwqNibble[8] = {0, 4, 1, 5, 2, 6, 3, 7};
    auto field_of = [&](uint32_t word, int64_t j) {
        const int64_t k = gptq ? j : kAwqNibble[j];
        return static_cast<int32_t>((word >> (bits * k)) & mask);
    };

    // Zero points: qzeros [n_groups, rows / per], both formats packed along the outputs.
    q.zeros.resize(static_cast<size_t>(rows * q.n_groups));
    const int32_t zero_offset = config.zeros_minus_one ? 1 : 0;
    for (int64_t g = 0; g < q.n_groups; ++g)
        for (int64_t o = 0; o < rows; ++o) {
            const uint32_t word = load_u32(qzeros.data + 4 * (g * (rows / per) + o / per));
            q.zeros[static_cast<size_t>(o * q.n_groups + g)] = field_of(word, o % per) + zero_offset;
        }

    // Codes into [rows, cols].
    q.codes.resize(static_cast<size_t>(rows * cols));
    if (gptq) {
        // qweight [cols / per, rows]: word [r, o] holds inputs r*per .. r*per + per - 1.
        for (int64_t r = 0; r < cols / per; ++r)
            for (int64_t o = 0; o < rows; ++o) {
                const uint32_t word = load_u32(qweight.data + 4 * (r * rows + o));
                uint8_t *dst = q.codes.data() + o * cols + r * per;
                for (int64_t j = 0; j < per; ++j) dst[j] = static_cast<uint8_t>(field_of(word, j));
            }
    } else {
        // qweight [cols, rows / 8]: word [i, c] holds outputs 8c .. 8c + 7.
        for (int64_t i = 0; i < cols; ++i)
            for (int64_t c = 0; c < rows / per; ++c) {
                const uint32_t word = load_u32(qweight.data + 4 * (i * (rows / per) + c));
                for (int64_t j = 0; j < per; ++j)
                    q.codes[static_cast<size_t>((c * per + j) * cols + i)] = static_cast<uint8_t>(field_of(word, j));
            }
    }
    return q;
}

}  // namespace llmrt
