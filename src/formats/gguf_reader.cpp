// GGUF v2/v3 reader. Every count, length, type, offset and size is checked against the file
// before it is used, with overflow-safe arithmetic, so a hostile file produces an Error.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/mapped_file.h"
#include "formats/byte_reader.h"
#include "formats/checked_math.h"
#include "formats/checkpoint.h"
#include "formats/gguf_blocks.h"
#include "formats/gguf.h"

namespace llmrt {
namespace {

// The smallest encodings, used to reject counts that cannot fit in the rest of the file before
// looping or allocating: a key/value pair is a key length (8), a value type (4) and at least one
// value byte; a tensor info is a name length (8), n_dims (4), a ggml type (4) and an offset (8).
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;
// Nested arrays recurse; a crafted file must not be able to exhaust the stack.
constexpr int kMaxArrayDepth = 8;

struct TensorInfo {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;  // outermost first
    uint64_t offset = 0;         // relative to the data section
    size_t nbytes = 0;
};

uint32_t byte_swap(uint32_t v) { return (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24); }

class GgufParser {
public:
    explicit GgufParser(std::shared_ptr<MappedFile> file)
        : file_(std::move(file)), r_(file_->data(), file_->size(), file_->path()) {}

    Checkpoint parse() {
        read_header();
        read_metadata();
        read_tensor_infos();
        Checkpoint ckpt;
        ckpt.source = Checkpoint::Source::Gguf;
        ckpt.path = file_->path();
        place_tensors(ckpt);
        ckpt.architecture = architecture();
        ckpt.gguf_metadata = std::move(metadata_);
        ckpt.files.push_back(file_);
        return ckpt;
    }

private:
    void read_header() {
        r_.set_context("the GGUF header");
        const uint32_t magic = r_.u32();
        if (magic != kGgufMagic) r_.fail_format("not a GGUF file (the first 4 bytes are not \"GGUF\")");
        const uint32_t version = r_.u32();
        if (version != 2 && version != 3) {
            if (byte_swap(version) == 2 || byte_swap(version) == 3) {
                fail(Status::Unsupported, file_->path() + ": big-endian GGUF files are not supported");
            }
            fail(Status::Unsupported, file_->path() + ": GGUF version " + std::to_string(version) +
                                            " is not supported (only versions 2 and 3 are)");
        }
        n_tensors_ = r_.u64();
        n_kv_ = r_.u64();
        if (n_kv_ > r_.remaining() / kMinKvBytes) {
            r_.fail_format("metadata count " + std::to_string(n_kv_) + " cannot fit in the " +
                           std::to_string(r_.remaining()) + " bytes after the header");
        }
        if (n_tensors_ > r_.remaining() / kMinTensorInfoBytes) {
            r_.fail_format("tensor count " + std::to_string(n_tensors_) + " cannot fit in the " +
                           std::to_string(r_.remaining()) + " bytes after the header");
        }
    }

    void read_metadata() {
        for (uint64_t k = 0; k < n_kv_; ++k) {
            r_.set_context("the key of metadata pair #" + std::to_string(k));
            std::string key = r_.string();
            if (key.empty()) r_.fail_format("empty metadata key (pair #" + std::to_string(k) + ")");
            if (metadata_.count(key)) r_.fail_format("duplicate metadata key '" + key + "'");
            r_.set_context("metadata '" + key + "'");
            const uint32_t type = r_.u32();
            if (!gguf_type_valid(type)) {
                r_.fail_format("metadata '" + key + "' has unknown value type " + std::to_string(type));
            }
            metadata_.emplace(std::move(key), read_value(static_cast<GgufType>(type), 0));
        }
    }

    MetaValue read_value(GgufType type, int depth) {
        switch (type) {
            case GgufType::Uint8: return MetaValue::from_uint(r_.u8());
            case GgufType::Int8: return MetaValue::from_int(r_.i8());
            case GgufType::Uint16: return MetaValue::from_uint(r_.u16());
            case GgufType::Int16: return MetaValue::from_int(r_.i16());
            case GgufType::Uint32: return MetaValue::from_uint(r_.u32());
            case GgufType::Int32: return MetaValue::from_int(r_.i32());
            case GgufType::Uint64: return MetaValue::from_uint(r_.u64());
            case GgufType::Int64: return MetaValue::from_int(r_.i64());
            case GgufType::Float32: return MetaValue::from_float(r_.f32());
            case GgufType::Float64: return MetaValue::from_float(r_.f64());
            case GgufType::Bool: return MetaValue::from_bool(r_.u8() != 0);
            case GgufType::String: return MetaValue::from_string(r_.string());
            case GgufType::Array: return read_array(depth + 1);
        }
        r_.fail_format("unknown value type " + std::to_string(static_cast<uint32_t>(type)));
    }

    MetaValue read_array(int depth) {
        if (depth > kMaxArrayDepth) {
            r_.fail_format(r_.context() + " has arrays nested deeper than " + std::to_string(kMaxArrayDepth) +
                           " levels");
        }
        const uint32_t elem_type = r_.u32();
        if (!gguf_type_valid(elem_type)) {
            r_.fail_format(r_.context() + " holds an array with unknown element type " +
                           std::to_string(elem_type));
        }
        const GgufType type = static_cast<GgufType>(elem_type);
        const uint64_t count = r_.u64();
        // Strings take at least their 8-byte length, arrays their type and count.
        uint64_t min_size = gguf_scalar_size(type);
        if (type == GgufType::String) min_size = 8;
        if (type == GgufType::Array) min_size = 4 + 8;
        if (count > r_.remaining() / min_size) {
            r_.fail_format(r_.context() + ": array of " + std::to_string(count) + " " + gguf_type_name(type) +
                           " at offset " + std::to_string(r_.pos() - 12) + " cannot fit in the " +
                           std::to_string(r_.remaining()) + " bytes left in the file");
        }
        std::vector<MetaValue> values;
        values.reserve(static_cast<size_t>(count));
        for (uint64_t i = 0; i < count; ++i) values.push_back(read_value(type, depth));
        return MetaValue::from_array(std::move(values));
    }

    void read_tensor_infos() {
        infos_.reserve(static_cast<size_t>(n_tensors_));
        for (uint64_t t = 0; t < n_tensors_; ++t) {
            r_.set_context("the name of tensor info #" + std::to_string(t));
            infos_.push_back(read_tensor_info());
        }
    }

    TensorInfo read_tensor_info() {
        TensorInfo info;
        info.name = r_.string();
        if (info.name.empty()) r_.fail_format("a tensor info has an empty name");
        const std::string what = "tensor '" + info.name + "'";
        r_.set_context(what);
        const uint32_t n_dims = r_.u32();
        if (n_dims > kGgufMaxDims) {
            r_.fail_format(what + " has " + std::to_string(n_dims) + " dimensions (at most " +
                           std::to_string(kGgufMaxDims) + " are allowed)");
        }
        info.shape.assign(n_dims, 0);
        for (uint32_t d = 0; d < n_dims; ++d) {
            const uint64_t ne = r_.u64();
            if (ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
                r_.fail_format(what + " dimension " + std::to_string(d) + " is " + std::to_string(ne) +
                               ", too large");
            }
            info.shape[n_dims - 1 - d] = static_cast<int64_t>(ne);  // GGUF stores innermost first
        }
        const uint32_t ggml_type = r_.u32();
        if (!dtype_from_ggml_type(ggml_type, info.dtype)) {
            fail(Status::Unsupported,
                 r_.file() + ": " + what + " has ggml type " + std::to_string(ggml_type) + " (" +
                     ggml_type_name(ggml_type) +
                     "), which is not supported (F32, F16, BF16, " + gguf_block_type_names() + " are)");
        }
        info.offset = r_.u64();
        check_size(info, what);
        return info;
    }

    void check_size(TensorInfo &info, const std::string &what) {
        int64_t n = 0;
        if (!checked_element_count(info.shape, n)) {
            r_.fail_format(what + " shape " + shape_to_string(info.shape) + " has too many elements");
        }
        const int64_t block = dtype_block_size(info.dtype);
        const int64_t row = info.shape.empty() ? 1 : info.shape.back();
        if (row % block != 0) {
            r_.fail_format(what + " row length " + std::to_string(row) + " is not a multiple of the " +
                           dtype_name(info.dtype) + " block size " + std::to_string(block));
        }
        if (!checked_dtype_bytes(info.dtype, n, info.nbytes)) {
            r_.fail_format(what + " shape " + shape_to_string(info.shape) + " is too large");
        }
    }

    uint64_t alignment() const {
        auto it = metadata_.find(kGgufAlignmentKey);
        if (it == metadata_.end()) return kGgufDefaultAlignment;
        const MetaValue &v = it->second;
        uint64_t a = 0;
        if (v.kind == MetaValue::Kind::UInt) {
            a = v.u;
        } else if (v.kind == MetaValue::Kind::Int && v.i > 0) {
            a = static_cast<uint64_t>(v.i);
        } else {
            r_.fail_format(std::string(kGgufAlignmentKey) + " must be a positive integer");
        }
        if (!is_power_of_two(a)) {
            r_.fail_format(std::string(kGgufAlignmentKey) + " " + std::to_string(a) +
                           " is not a power of two");
        }
        return a;
    }

    void place_tensors(Checkpoint &ckpt) {
        const uint64_t align = alignment();
        uint64_t data_start = 0;
        if (!checked_align_up(r_.pos(), align, data_start)) r_.fail_format("alignment overflows");
        const uint64_t size = file_->size();
        for (TensorInfo &info : infos_) {
            const std::string what = "tensor '" + info.name + "'";
            if (info.offset % align != 0) {
                r_.fail_format(what + " offset " + std::to_string(info.offset) +
                               " is not a multiple of the alignment " + std::to_string(align));
            }
            uint64_t begin = 0, end = 0;
            if (!checked_add(data_start, info.offset, begin) ||
                !checked_add(begin, uint64_t{info.nbytes}, end)) {
                r_.fail_format(what + " data offset " + std::to_string(info.offset) + " (" +
                               std::to_string(info.nbytes) + " bytes) lies outside the file (" +
                               std::to_string(size) + " bytes)");
            }
            if (end > size) {
                r_.fail_format(what + " data [" + std::to_string(begin) + ", " + std::to_string(end) +
                               ") lies outside the file (" + std::to_string(size) + " bytes)");
            }
            TensorView view;
            view.name = info.name;
            view.dtype = info.dtype;
            view.shape = std::move(info.shape);
            view.data = file_->data() + begin;
            view.nbytes = info.nbytes;
            if (!ckpt.tensors.emplace(info.name, std::move(view)).second) {
                r_.fail_format("duplicate tensor name '" + info.name + "'");
            }
        }
    }

    std::string architecture() const {
        auto it = metadata_.find("general.architecture");
        if (it == metadata_.end()) return "";  // e.g. a GGUF that holds only a tokenizer
        if (it->second.kind != MetaValue::Kind::String) {
            r_.fail_format("general.architecture is not a string");
        }
        return it->second.s;
    }

    std::shared_ptr<MappedFile> file_;
    ByteReader r_;
    uint64_t n_tensors_ = 0;
    uint64_t n_kv_ = 0;
    Metadata metadata_;
    std::vector<TensorInfo> infos_;
};

}  // namespace

Checkpoint read_gguf_checkpoint(const std::string &path) {
    return GgufParser(std::make_shared<MappedFile>(path)).parse();
}

}  // namespace llmrt
