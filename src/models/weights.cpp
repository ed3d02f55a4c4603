#include "models/weights.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "core/error.h"
#include "formats/gguf_blocks.h"
#include "kernels/weight_types.h"

namespace llmrt {
namespace {

// The block types with a fast repack of their own (kernels/weight_types.h).
std::optional<GgufBlockType> fast_repack_type(DType t) {
    switch (t) {
        case DType::Q8_0: return GgufBlockType::Q8_0;
        case DType::Q4_0: return GgufBlockType::Q4_0;
        case DType::Q4_1: return GgufBlockType::Q4_1;
        default: return std::nullopt;
    }
}

// Rows of llama.cpp blocks into `type` (exact_int_format of their layout), block by block.
void repack_blocks(const GgufBlockLayout &l, const uint8_t *src, int64_t rows, int64_t cols, const WeightType &type,
                   uint8_t *dst) {
    const int64_t per_row = cols / l.values;
    std::vector<uint8_t> codes(static_cast<size_t>(cols));
    std::vector<float> scales(static_cast<size_t>(cols / l.group)), mins(scales.size());
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t b = 0; b < per_row; ++b) {
            const int64_t g0 = b * l.values / l.group;
            decode_gguf_block(l, src + static_cast<size_t>(r * per_row + b) * l.bytes, codes.data() + b * l.values,
                              scales.data() + g0, mins.data() + g0);
        }
        pack_int_codes_row(type, cols, codes.data(), scales.data(), mins.data(), dst + r * type.row_bytes(cols));
    }
}

}  // namespace

QuantFormat exact_int_format(const GgufBlockLayout &l) {
    QuantFormat f;
    f.kind = l.code_bits == 4 ? QuantKind::Int4 : QuantKind::Int8;
    f.group_size = static_cast<int32_t>(l.group);
    f.asym = l.asym;
    f.scale = l.fp16_scales ? ScaleDtype::F16 : ScaleDtype::F32;
    return f;
}

WeightStore::WeightStore(const Checkpoint &checkpoint, const LoadOptions &options)
    : ckpt_(checkpoint), options_(options) {
    if (options_.quantize) plan_.emplace(*options_.quantize);
    for (const auto &entry : ckpt_.tensors)
        if (entry.second.shape.size() == 2) ++n_matrices_expected_;
}

WeightStore::~WeightStore() = default;

ThreadPool &WeightStore::pool() {
    if (!pool_) pool_ = std::make_unique<ThreadPool>(options_.n_threads);
    return *pool_;
}

bool same_shape(const std::vector<int64_t> &actual, const std::vector<int64_t> &expected) {
    std::vector<int64_t> a, b;
    for (int64_t d : actual)
        if (d != 1) a.push_back(d);
    for (int64_t d : expected)
        if (d != 1) b.push_back(d);
    return a == b;
}

const TensorView &WeightStore::checked(const std::string &name, const std::vector<int64_t> &shape) const {
    const TensorView &t = ckpt_.get(name);
    require(same_shape(t.shape, shape), Status::Format,
            ckpt_.path + ": tensor '" + name + "' has shape " + shape_to_string(t.shape) + ", expected " +
                shape_to_string(shape));
    return t;
}

void WeightStore::record(const std::string &name, const std::string &type, std::vector<int64_t> shape,
                         const uint8_t *data, size_t nbytes, uint64_t params) {
    tensors_.push_back({name, type, std::move(shape), data, nbytes});
    n_params_ += params;
    weight_bytes_ += nbytes;
    count_type(type, static_cast<int64_t>(params));
}

void WeightStore::count_type(const std::string &type, int64_t params) {
    auto it = std::find_if(params_by_type_.begin(), params_by_type_.end(),
                           [&](const auto &p) { return p.first == type; });
    if (it == params_by_type_.end()) it = params_by_type_.insert(params_by_type_.end(), {type, 0});
    it->second += static_cast<uint64_t>(params);
    main_type_ = std::max_element(params_by_type_.begin(), params_by_type_.end(),
                                  [](const auto &a, const auto &b) { return a.second < b.second; })
                     ->first;
}

Matrix WeightStore::replace(const std::string &name, const Matrix &old, const WeightType &type,
                            AlignedBuffer<uint8_t> data) {
    auto it = std::find_if(tensors_.begin(), tensors_.end(), [&](const StoredTensor &t) { return t.name == name; });
    require(it != tensors_.end(), Status::Internal, "no stored tensor '" + name + "' to replace");
    Matrix m = old;
    m.type = &type;
    require(data.size() >= m.nbytes(), Status::Internal, "a replacement for '" + name + "' is too small");
    m.data = data.data();
    const int64_t params = old.rows * old.cols;
    count_type(it->type_name, -params);
    it->type_name = type.format() ? quant_format_name(*type.format()) : type.name();
    count_type(it->type_name, params);
    weight_bytes_ = weight_bytes_ - it->nbytes + m.nbytes();
    it->data = m.data;
    it->nbytes = m.nbytes();
    owned_.push_back(std::move(data));
    return m;
}

StoredTensor &WeightStore::stored(const std::string &name) {
    auto it = std::find_if(tensors_.begin(), tensors_.end(), [&](const StoredTensor &t) { return t.name == name; });
    require(it != tensors_.end(), Status::Internal, "no stored tensor '" + name + "'");
    return *it;
}

void WeightStore::give_back(const uint8_t *data, size_t nbytes) {
    for (AlignedBuffer<uint8_t> &buffer : owned_) {
        if (buffer.data() == data) {
            buffer = AlignedBuffer<uint8_t>();
            return;
        }
    }
    for (const auto &file : ckpt_.files)
        if (file->contains(data)) file->release(data, nbytes);
}

Matrix WeightStore::keep_part(const std::string &name, const Matrix &whole, const std::vector<IndexRange> &rows,
                              IndexRange cols) {
    StoredTensor &t = stored(name);
    const WeightType &type = *whole.type;
    const bool all_cols = cols.begin == 0 && cols.end == whole.cols;
    const int64_t step = type.column_step(whole.cols);
    require(all_cols || (cols.begin % step == 0 && (cols.end % step == 0 || cols.end == whole.cols)), Status::Unsupported,
            "tensor parallelism: '" + name + "' would be split at columns " + std::to_string(cols.begin) + ".." +
                std::to_string(cols.end) + ", inside its quantization groups of " + std::to_string(step) +
                " (use fewer ranks or another group size)");
    require(all_cols || whole.in_perm == nullptr, Status::Unsupported,
            "tensor parallelism: '" + name + "' is an act-order GPTQ matrix, whose input features cannot be split");
    Matrix part = whole;
    part.cols = cols.size();
    part.rows = 0;
    for (const IndexRange &r : rows) part.rows += r.size();
    const size_t src_row = type.row_bytes(whole.cols), dst_row = type.row_bytes(part.cols);
    AlignedBuffer<uint8_t> data(static_cast<size_t>(part.rows) * dst_row);
    uint8_t *dst = data.data();
    for (const IndexRange &r : rows) {
        for (int64_t i = r.begin; i < r.end; ++i, dst += dst_row) {
            const uint8_t *src = whole.data + static_cast<size_t>(i) * src_row;
            if (all_cols)
                std::memcpy(dst, src, src_row);
            else
                type.slice_row(src, whole.cols, cols.begin, cols.end, dst);
        }
    }
    give_back(whole.data, whole.nbytes());
    part.data = data.data();
    weight_bytes_ = weight_bytes_ - t.nbytes + part.nbytes();
    t.shape = {part.rows, part.cols};
    t.data = part.data;
    t.nbytes = part.nbytes();
    owned_.push_back(std::move(data));
    return part;
}

const float *WeightStore::keep_vector_part(const std::string &name, const float *whole,
                                           const std::vector<IndexRange> &parts) {
    StoredTensor &t = stored(name);
    int64_t n = 0;
    for (const IndexRange &r : parts) n += r.size();
    AlignedBuffer<uint8_t> data(static_cast<size_t>(n) * sizeof(float));
    float *dst = reinterpret_cast<float *>(data.data());
    for (const IndexRange &r : parts) dst = std::copy(whole + r.begin, whole + r.end, dst);
    give_back(reinterpret_cast<const uint8_t *>(whole), t.nbytes);
    weight_bytes_ = weight_bytes_ - t.nbytes + static_cast<size_t>(n) * sizeof(float);
    t.shape = {n};
    t.data = data.data();
    t.nbytes = static_cast<size_t>(n) * sizeof(float);
    owned_.push_back(std::move(data));
    return reinterpret_cast<const float *>(t.data);
}

std::string act_amax_name(const std::string &matrix_name) { return matrix_name + ".act_amax"; }

void WeightStore::set_act_amax(const std::string &name, float amax) {
    const std::string key = act_amax_name(name);
    auto it = std::find_if(tensors_.begin(), tensors_.end(), [&](const StoredTensor &t) { return t.name == key; });
    owned_.emplace_back(sizeof(float));
    std::memcpy(owned_.back().data(), &amax, sizeof amax);
    if (it != tensors_.end()) {
        it->data = owned_.back().data();
        return;
    }
    record(key, "f32", {1}, owned_.back().data(), sizeof(float), 0);
}

float *WeightStore::replace_vector(const std::string &name, const float *data, int64_t n) {
    auto it = std::find_if(tensors_.begin(), tensors_.end(), [&](const StoredTensor &t) { return t.name == name; });
    require(it != tensors_.end() && it->type_name == "f32" && it->nbytes == static_cast<size_t>(n) * sizeof(float),
            Status::Internal, "no stored f32 vector '" + name + "' of " + std::to_string(n) + " to replace");
    owned_.emplace_back(static_cast<size_t>(n) * sizeof(float));
    float *dst = reinterpret_cast<float *>(owned_.back().data());
    std::copy(data, data + n, dst);
    it->data = owned_.back().data();
    return dst;
}

void WeightStore::report_progress(const std::string &name) {
    ++n_matrices_done_;
    if (!plan_ || !plan_->options().progress) return;
    const float fraction = n_matrices_expected_ == 0
                               ? 1.0f
                               : std::min(1.0f, static_cast<float>(n_matrices_done_) /
                                                    static_cast<float>(n_matrices_expected_));
    require(plan_->options().progress(fraction, name), Status::Cancelled, "quantization was cancelled");
}

void WeightStore::fetch(const TensorView &t) const {
    if (ckpt_.produce) ckpt_.produce(t);
}

void WeightStore::release(const TensorView &t) const {
    for (const auto &file : ckpt_.files)
        if (file->contains(t.data)) file->release(t.data, t.nbytes);
}

const float *WeightStore::as_f32(const TensorView &t) {
    require(t.dtype != DType::Packed, Status::Format,
            ckpt_.path + ": tensor '" + t.name + "' is quantized but must be floating point");
    fetch(t);
    const int64_t n = t.n_elements();
    // f32 data that is suitably aligned is used in place, straight from the mapping.
    if (t.dtype == DType::F32 && reinterpret_cast<uintptr_t>(t.data) % alignof(float) == 0) {
        record(t.name, "f32", t.shape, t.data, t.nbytes, static_cast<uint64_t>(n));
        return reinterpret_cast<const float *>(t.data);
    }
    owned_.emplace_back(static_cast<size_t>(n) * sizeof(float));
    float *dst = reinterpret_cast<float *>(owned_.back().data());
    tensor_to_f32(t, dst);
    release(t);  // only the f32 copy is read from now on
    record(t.name, "f32", t.shape, owned_.back().data(), static_cast<size_t>(n) * sizeof(float),
           static_cast<uint64_t>(n));
    return dst;
}

void WeightStore::pack_into(const float *f32, const WeightType &type, int64_t rows, int64_t cols, uint8_t *dst) {
    const size_t row_bytes = type.row_bytes(cols);
    pool().parallel_for(rows, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) type.pack_row(f32 + r * cols, cols, dst + static_cast<size_t>(r) * row_bytes);
    });
}

const uint8_t *WeightStore::quantize(const TensorView &t, const WeightType &type, int64_t rows, int64_t cols) {
    const size_t row_bytes = type.row_bytes(cols);
    owned_.emplace_back(row_bytes * static_cast<size_t>(rows));
    uint8_t *dst = owned_.back().data();
    fetch(t);
    const GgufBlockLayout *blocks = gguf_block_layout(t.dtype);
    if (blocks && type.format() && *type.format() == exact_int_format(*blocks)) {
        // Exact, no re-rounding.
        require(cols % blocks->values == 0, Status::Format,
                ckpt_.path + ": tensor '" + t.name + "' has rows of " + std::to_string(cols) + " values, not whole " +
                    blocks->name + " blocks of " + std::to_string(blocks->values));
        const size_t src_row = t.nbytes / static_cast<size_t>(rows);
        const std::optional<GgufBlockType> fast = fast_repack_type(t.dtype);
        pool().parallel_for(rows, [&](int64_t r0, int64_t r1) {
            const uint8_t *in = t.data + static_cast<size_t>(r0) * src_row;
            uint8_t *out = dst + static_cast<size_t>(r0) * row_bytes;
            if (fast)
                repack_gguf_rows(*fast, in, r1 - r0, cols, type, out);
            else
                repack_blocks(*blocks, in, r1 - r0, cols, type, out);
        });
    } else {
        // One f32 copy of this tensor at a time: peak memory stays one matrix above the output.
        AlignedBuffer<float> f32(static_cast<size_t>(rows * cols));
        tensor_to_f32(t, f32.data());
        pack_into(f32.data(), type, rows, cols, dst);
    }
    // The source is no longer needed: keep only the packed copy resident (the peak stays one
    // copy of the weights plus one tensor).
    release(t);
    return dst;
}

std::string WeightStore::hf_quantized_prefix(const std::string &name) const {
    const std::string suffix = ".weight";
    if (ckpt_.packed_file || ckpt_.find(name) || name.size() <= suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
        return "";
    const std::string prefix = name.substr(0, name.size() - suffix.size());
    return has_hf_quantized_linear(ckpt_, prefix) ? prefix : "";
}

const int32_t *WeightStore::shared_perm(const std::vector<int32_t> &perm) {
    // q/k/v (and gate/up) share their input and, in real checkpoints, their permutation: one
    // pointer lets matmul_group gather x once for all of them.
    for (const auto &p : perms_)
        if (p == perm) return p.data();
    perms_.push_back(perm);
    return perms_.back().data();
}

// A GPTQ/AWQ Linear. Without a quantization plan it is repacked exactly: its codes as they are,
// its float16 scales, and its zero points either as our sym zero (when every one is 8 or 128:
// value = scale * (code - zero), the same product) or as the asym min = -scale * zero, which
// float32 holds exactly (an 11-bit scale times a zero below 2^9), so scale * code + min rounds
// nowhere and equals scale * (code - zero). Act-order groups (g_idx not i / group) are made
// consecutive by ordering the input columns by group, and the matrix keeps that order as its
// input permutation. With a plan, the exact values are quantized like any float weight.
Matrix WeightStore::hf_quantized_matrix(const std::string &name, const std::string &prefix, int64_t rows,
                                        int64_t cols) {
    if (!hf_quant_) hf_quant_ = read_hf_quant_config(ckpt_.hf_config, ckpt_.path + "/config.json");
    const HfQuantLinear q = read_hf_quantized_linear(ckpt_, *hf_quant_, prefix, rows, cols);
    Matrix m;
    m.rows = rows;
    m.cols = cols;
    const uint64_t params = static_cast<uint64_t>(rows * cols);
    if (plan_) {
        const std::optional<QuantFormat> target = plan_->format_for(name);
        owned_.emplace_back(static_cast<size_t>(rows * cols) * sizeof(float));
        float *f32 = reinterpret_cast<float *>(owned_.back().data());
        for (int64_t o = 0; o < rows; ++o)
            for (int64_t i = 0; i < cols; ++i) f32[o * cols + i] = q.value(o, i);
        if (!target) {
            m.type = &weight_type_f32();
            m.data = owned_.back().data();
            record(name, "f32", {rows, cols}, m.data, m.nbytes(), params);
        } else {
            m.type = &weight_type_for(*target, plan_->options().compute);
            AlignedBuffer<uint8_t> packed(m.nbytes());
            pack_into(f32, *m.type, rows, cols, packed.data());
            owned_.back() = std::move(packed);
            m.data = owned_.back().data();
            record(name, quant_format_name(*target), {rows, cols}, m.data, m.nbytes(), params);
        }
        report_progress(name);
        return m;
    }

    const std::string what = ckpt_.path + ": " + hf_quant_->describe() + " Linear '" + prefix + "'";
    QuantFormat f;
    f.kind = q.bits == 4 ? QuantKind::Int4 : QuantKind::Int8;
    f.group_size = q.n_groups == 1 ? -1 : static_cast<int32_t>(q.group_size);
    const int32_t sym_zero = q.bits == 4 ? 8 : 128;
    f.asym = !std::all_of(q.zeros.begin(), q.zeros.end(), [&](int32_t z) { return z == sym_zero; });
    f.scale = !f.asym && q.f16_scales ? ScaleDtype::F16 : ScaleDtype::F32;
    const std::string invalid = validate_quant_format(f);
    require(invalid.empty(), Status::Unsupported,
            what + ": group size " + std::to_string(q.group_size) + " has no llmrt int format (" + invalid + ")");

    // Columns ordered by group (stable); every group must hold group_size columns (the last one the rest).
    std::vector<int64_t> start(static_cast<size_t>(q.n_groups) + 1, 0);
    for (int32_t g : q.g_idx) ++start[static_cast<size_t>(g) + 1];
    for (int64_t g = 0; g < q.n_groups; ++g) {
        const int64_t want = std::min(q.group_size, cols - g * q.group_size);
        require(start[static_cast<size_t>(g) + 1] == want, Status::Unsupported,
                what + ": g_idx puts " + std::to_string(start[static_cast<size_t>(g) + 1]) + " inputs in group " +
                    std::to_string(g) + ", llmrt's groups hold " + std::to_string(want));
        start[static_cast<size_t>(g) + 1] += start[static_cast<size_t>(g)];
    }
    std::vector<int32_t> perm(static_cast<size_t>(cols));
    bool identity = true;
    for (int64_t i = 0; i < cols; ++i) {
        const int64_t k = start[static_cast<size_t>(q.g_idx[static_cast<size_t>(i)])]++;
        perm[static_cast<size_t>(k)] = static_cast<int32_t>(i);
        identity = identity && k == i;
    }
    if (!identity) m.in_perm = shared_perm(perm);

    m.type = &weight_type_for(f, options_.compute);
    owned_.emplace_back(m.nbytes());
    uint8_t *dst = owned_.back().data();
    const size_t row_bytes = m.type->row_bytes(cols);
    // Whole blocks (of the group, or of 32 for one group per row): codes past cols are 0.
    const int64_t padded = (cols + 31) / 32 * 32 + std::min(q.group_size, cols);
    pool().parallel_for(rows, [&](int64_t r0, int64_t r1) {
        std::vector<uint8_t> codes(static_cast<size_t>(padded), 0);
        std::vector<float> scales(static_cast<size_t>(q.n_groups)), mins(scales.size());
        for (int64_t r = r0; r < r1; ++r) {
            const uint8_t *src = q.codes.data() + r * cols;
            for (int64_t k = 0; k < cols; ++k) codes[static_cast<size_t>(k)] = src[perm[static_cast<size_t>(k)]];
            for (int64_t g = 0; g < q.n_groups; ++g) {
                const size_t p = static_cast<size_t>(r * q.n_groups + g);
                scales[static_cast<size_t>(g)] = q.scales[p];
                mins[static_cast<size_t>(g)] = -(q.scales[p] * static_cast<float>(q.zeros[p]));
            }
            pack_int_codes_row(*m.type, cols, codes.data(), scales.data(), mins.data(),
                               dst + static_cast<size_t>(r) * row_bytes);
        }
    });
    // Note: an input permutation is not part of StoredTensor; only a quantization plan writes
    // files, and with one the values are re-quantized in the original column order above.
    m.data = dst;
    record(name, quant_format_name(f), {rows, cols}, m.data, m.nbytes(), params);
    for (const char *part : {".qweight", ".qzeros", ".scales", ".g_idx"})
        if (const TensorView *t = ckpt_.find(prefix + part))
            for (const auto &file : ckpt_.files)
                if (file->contains(t->data)) file->release(t->data, t->nbytes);
    report_progress(name);
    return m;
}

Matrix WeightStore::matrix(const std::string &name, int64_t rows, int64_t cols) {
    const std::string quantized = hf_quantized_prefix(name);
    if (!quantized.empty()) return hf_quantized_matrix(name, quantized, rows, cols);
    const TensorView &t = checked(name, {rows, cols});
    Matrix m;
    m.rows = rows;
    m.cols = cols;
    if (t.dtype == DType::Packed) {
        // Already in a kernel layout (an llmrt file): use it in place.
        require(!plan_, Status::Unsupported,
                ckpt_.path + " is already quantized: quantize the original checkpoint instead");
        m.type = find_weight_type(t.packed_type, options_.compute);
        require(m.type != nullptr, Status::Unsupported,
                ckpt_.path + ": tensor '" + name + "' has unknown weight type '" + t.packed_type + "'");
        require(t.nbytes == m.nbytes(), Status::Format,
                ckpt_.path + ": tensor '" + name + "' holds " + std::to_string(t.nbytes) + " bytes, its type needs " +
                    std::to_string(m.nbytes()));
        m.data = t.data;
        record(name, t.packed_type, t.shape, t.data, t.nbytes, static_cast<uint64_t>(rows * cols));
        if (ckpt_.find(act_amax_name(name))) {
            m.act_amax = vector(act_amax_name(name), 1)[0];
            require(m.act_amax == kActPerToken || (m.act_amax > 0.0f && std::isfinite(m.act_amax)), Status::Format,
                    ckpt_.path + ": tensor '" + act_amax_name(name) + "' is neither a max |x| nor per-token (-1)");
        }
        report_progress(name);
        return m;
    }
    std::optional<QuantFormat> target;
    ComputeDtype compute = options_.compute;
    if (plan_) {
        target = plan_->format_for(name);
        compute = plan_->options().compute;
    } else if (const GgufBlockLayout *blocks = gguf_block_layout(t.dtype)) {
        target = exact_int_format(*blocks);  // llama.cpp's blocks, repacked exactly
    }
    if (!target) {
        m.type = &weight_type_f32();
        m.data = reinterpret_cast<const uint8_t *>(as_f32(t));
    } else {
        m.type = &weight_type_for(*target, compute);
        m.data = quantize(t, *m.type, rows, cols);
        record(name, quant_format_name(*target), t.shape, m.data, m.nbytes(), static_cast<uint64_t>(rows * cols));
    }
    report_progress(name);
    return m;
}

const float *WeightStore::vector(const std::string &name, int64_t n) { return as_f32(checked(name, {n})); }

std::vector<float> WeightStore::rearranged_f32(const std::string &name, int64_t count, const Rearranged &how) {
    require(hf_quantized_prefix(name).empty(), Status::Unsupported,
            ckpt_.path + ": '" + name + "' is a GPTQ/AWQ Linear of a layout llmrt rearranges on load (fused qkv, "
                         "Conv1D); such packed Linears are not supported yet");
    const TensorView &t = checked(name, how.file_shape);
    require(t.dtype != DType::Packed, Status::Format,
            ckpt_.path + ": tensor '" + name + "' is stored packed, not in the layout of the file it came from");
    std::vector<float> in(static_cast<size_t>(count)), out(static_cast<size_t>(count));
    fetch(t);
    tensor_to_f32(t, in.data());
    release(t);
    how.apply(in.data(), out.data());
    return out;
}

Matrix WeightStore::matrix(const std::string &name, int64_t rows, int64_t cols, const Rearranged &how) {
    std::vector<float> f32 = rearranged_f32(name, rows * cols, how);
    Matrix m;
    m.rows = rows;
    m.cols = cols;
    std::optional<QuantFormat> target;
    if (plan_) target = plan_->format_for(how.stored_name);
    const size_t f32_bytes = f32.size() * sizeof(float);
    if (!target) {
        m.type = &weight_type_f32();
        owned_.emplace_back(f32_bytes);
        std::memcpy(owned_.back().data(), f32.data(), f32_bytes);
        m.data = owned_.back().data();
        record(how.stored_name, "f32", {rows, cols}, m.data, f32_bytes, static_cast<uint64_t>(rows * cols));
    } else {
        m.type = &weight_type_for(*target, plan_->options().compute);
        owned_.emplace_back(m.nbytes());
        pack_into(f32.data(), *m.type, rows, cols, owned_.back().data());
        m.data = owned_.back().data();
        record(how.stored_name, quant_format_name(*target), {rows, cols}, m.data, m.nbytes(),
               static_cast<uint64_t>(rows * cols));
    }
    report_progress(name);
    return m;
}

const float *WeightStore::vector(const std::string &name, int64_t n, const Rearranged &how) {
    std::vector<float> f32 = rearranged_f32(name, n, how);
    const size_t bytes = f32.size() * sizeof(float);
    owned_.emplace_back(bytes);
    std::memcpy(owned_.back().data(), f32.data(), bytes);
    record(how.stored_name, "f32", {n}, owned_.back().data(), bytes, static_cast<uint64_t>(n));
    return reinterpret_cast<const float *>(owned_.back().data());
}

const float *WeightStore::optional_vector(const std::string &name, int64_t n) {
    return has(name) ? vector(name, n) : nullptr;
}

}  // namespace llmrt
