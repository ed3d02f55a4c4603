#include "formats/gguf_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>

#include "core/error.h"
#include "formats/checked_math.h"

namespace llmrt {
namespace {

[[noreturn]] void invalid(const std::string &message) {
    fail(Status::InvalidArgument, "GgufWriter: " + message);
}

bool is_integer_type(GgufType t) {
    switch (t) {
        case GgufType::Uint8:
        case GgufType::Int8:
        case GgufType::Uint16:
        case GgufType::Int16:
        case GgufType::Uint32:
        case GgufType::Int32:
        case GgufType::Uint64:
        case GgufType::Int64: return true;
        default: return false;
    }
}

bool is_signed_type(GgufType t) {
    return t == GgufType::Int8 || t == GgufType::Int16 || t == GgufType::Int32 || t == GgufType::Int64;
}

// Range of an integer type as [min, max] over int64 for the low end and uint64 for the high end.
int64_t type_min(GgufType t) {
    if (!is_signed_type(t)) return 0;
    const size_t bits = 8 * gguf_scalar_size(t);
    return bits == 64 ? std::numeric_limits<int64_t>::min() : -(int64_t{1} << (bits - 1));
}

uint64_t type_max(GgufType t) {
    const size_t bits = 8 * gguf_scalar_size(t) - (is_signed_type(t) ? 1 : 0);
    return bits == 64 ? std::numeric_limits<uint64_t>::max() : (uint64_t{1} << bits) - 1;
}

bool integer_fits(const MetaValue &v, GgufType t) {
    if (v.kind == MetaValue::Kind::Int) {
        return v.i >= type_min(t) && (v.i < 0 || static_cast<uint64_t>(v.i) <= type_max(t));
    }
    return v.kind == MetaValue::Kind::UInt && v.u <= type_max(t);
}

GgufType default_type(const MetaValue &v) {
    switch (v.kind) {
        case MetaValue::Kind::Int:
            return integer_fits(v, GgufType::Int32) ? GgufType::Int32 : GgufType::Int64;
        case MetaValue::Kind::UInt: return v.u <= 0xFFFFFFFFu ? GgufType::Uint32 : GgufType::Uint64;
        case MetaValue::Kind::Float: return GgufType::Float32;
        case MetaValue::Kind::Bool: return GgufType::Bool;
        case MetaValue::Kind::String: return GgufType::String;
        case MetaValue::Kind::Array: return GgufType::Array;
    }
    return GgufType::Uint8;
}

// One element type for a whole array: its elements must share a kind; 64-bit wins over 32-bit.
GgufType default_elem_type(const std::vector<MetaValue> &values, const std::string &key) {
    if (values.empty()) return GgufType::Uint8;
    GgufType type = default_type(values[0]);
    for (const MetaValue &v : values) {
        if (v.kind != values[0].kind) {
            invalid("array '" + key + "' mixes " + meta_kind_name(values[0].kind) + " and " +
                    meta_kind_name(v.kind) + " elements");
        }
        const GgufType t = default_type(v);
        if (t == GgufType::Int64 || t == GgufType::Uint64) type = t;
    }
    return type;
}

bool kind_fits(const MetaValue &v, GgufType type) {
    switch (type) {
        case GgufType::Float32:
        case GgufType::Float64: return v.kind == MetaValue::Kind::Float;
        case GgufType::Bool: return v.kind == MetaValue::Kind::Bool;
        case GgufType::String: return v.kind == MetaValue::Kind::String;
        case GgufType::Array: return v.kind == MetaValue::Kind::Array;
        default: return integer_fits(v, type);
    }
}

void check_fits(const MetaValue &v, GgufType type, GgufType elem_type, const std::string &key) {
    if (!kind_fits(v, type)) {
        invalid("'" + key + "': a " + meta_kind_name(v.kind) + " value does not fit GGUF type " +
                gguf_type_name(type));
    }
    if (type != GgufType::Array) return;
    for (const MetaValue &e : v.array) {
        const GgufType inner =
            e.kind == MetaValue::Kind::Array ? default_elem_type(e.array, key) : GgufType::Uint8;
        check_fits(e, elem_type, inner, key);
    }
}

class Buffer {
public:
    void put(uint64_t v, size_t n) {
        for (size_t i = 0; i < n; ++i) bytes.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
    void put_string(const std::string &s) {
        put(s.size(), 8);
        bytes.insert(bytes.end(), s.begin(), s.end());
    }
    void put_value(const MetaValue &v, GgufType type, GgufType elem_type) {
        if (is_integer_type(type)) {
            put(v.kind == MetaValue::Kind::Int ? static_cast<uint64_t>(v.i) : v.u, gguf_scalar_size(type));
        } else if (type == GgufType::Float32) {
            const float f = static_cast<float>(v.f);
            uint32_t bits;
            std::memcpy(&bits, &f, sizeof bits);
            put(bits, 4);
        } else if (type == GgufType::Float64) {
            uint64_t bits;
            std::memcpy(&bits, &v.f, sizeof bits);
            put(bits, 8);
        } else if (type == GgufType::Bool) {
            put(v.b ? 1 : 0, 1);
        } else if (type == GgufType::String) {
            put_string(v.s);
        } else {
            put(static_cast<uint32_t>(elem_type), 4);
            put(v.array.size(), 8);
            for (const MetaValue &e : v.array) {
                const GgufType inner =
                    e.kind == MetaValue::Kind::Array ? default_elem_type(e.array, "") : GgufType::Uint8;
                put_value(e, elem_type, inner);
            }
        }
    }
    void pad_to(uint64_t alignment) {
        while (bytes.size() % alignment != 0) bytes.push_back(0);
    }
    std::vector<uint8_t> bytes;
};

uint64_t align_up(uint64_t v, uint64_t alignment) { return (v + alignment - 1) / alignment * alignment; }

// Removes the temporary file unless the write got as far as the rename.
struct TempFile {
    std::string path;
    bool committed = false;
    ~TempFile() {
        if (!committed) std::remove(path.c_str());
    }
};

}  // namespace

void GgufWriter::set(const std::string &key, const MetaValue &value) {
    const GgufType elem =
        value.kind == MetaValue::Kind::Array ? default_elem_type(value.array, key) : GgufType::Uint8;
    set(key, value, default_type(value), elem);
}

void GgufWriter::set(const std::string &key, const MetaValue &value, GgufType type, GgufType elem_type) {
    if (key.empty()) invalid("empty metadata key");
    if (!gguf_type_valid(static_cast<uint32_t>(type)) || !gguf_type_valid(static_cast<uint32_t>(elem_type))) {
        invalid("'" + key + "': unknown GGUF type");
    }
    if (key == kGgufAlignmentKey) {
        // The reader and llama.cpp take the alignment from this key, so it must agree with alignment_.
        if (!integer_fits(value, GgufType::Uint32)) {
            invalid(std::string(kGgufAlignmentKey) + " must be a uint32");
        }
        set_alignment(static_cast<uint32_t>(value.kind == MetaValue::Kind::Int ? value.i : value.u));
        return;
    }
    check_fits(value, type, elem_type, key);
    for (Entry &e : entries_) {
        if (e.key == key) {
            e = Entry{key, value, type, elem_type};
            return;
        }
    }
    entries_.push_back(Entry{key, value, type, elem_type});
}

void GgufWriter::set_string(const std::string &key, const std::string &value) {
    set(key, MetaValue::from_string(value), GgufType::String);
}
void GgufWriter::set_bool(const std::string &key, bool value) {
    set(key, MetaValue::from_bool(value), GgufType::Bool);
}
void GgufWriter::set_u32(const std::string &key, uint32_t value) {
    set(key, MetaValue::from_uint(value), GgufType::Uint32);
}
void GgufWriter::set_i32(const std::string &key, int32_t value) {
    set(key, MetaValue::from_int(value), GgufType::Int32);
}
void GgufWriter::set_u64(const std::string &key, uint64_t value) {
    set(key, MetaValue::from_uint(value), GgufType::Uint64);
}
void GgufWriter::set_i64(const std::string &key, int64_t value) {
    set(key, MetaValue::from_int(value), GgufType::Int64);
}
void GgufWriter::set_f32(const std::string &key, float value) {
    set(key, MetaValue::from_float(value), GgufType::Float32);
}
void GgufWriter::set_f64(const std::string &key, double value) {
    set(key, MetaValue::from_float(value), GgufType::Float64);
}

void GgufWriter::set_string_array(const std::string &key, const std::vector<std::string> &values) {
    std::vector<MetaValue> array;
    array.reserve(values.size());
    for (const std::string &s : values) array.push_back(MetaValue::from_string(s));
    set(key, MetaValue::from_array(std::move(array)), GgufType::Array, GgufType::String);
}

void GgufWriter::set_f32_array(const std::string &key, const std::vector<float> &values) {
    std::vector<MetaValue> array;
    array.reserve(values.size());
    for (float f : values) array.push_back(MetaValue::from_float(f));
    set(key, MetaValue::from_array(std::move(array)), GgufType::Array, GgufType::Float32);
}

void GgufWriter::set_i32_array(const std::string &key, const std::vector<int32_t> &values) {
    std::vector<MetaValue> array;
    array.reserve(values.size());
    for (int32_t v : values) array.push_back(MetaValue::from_int(v));
    set(key, MetaValue::from_array(std::move(array)), GgufType::Array, GgufType::Int32);
}

void GgufWriter::set_alignment(uint32_t alignment) {
    if (!is_power_of_two(alignment)) {
        invalid("alignment " + std::to_string(alignment) + " is not a power of two");
    }
    alignment_ = alignment;
    const MetaValue value = MetaValue::from_uint(alignment);
    for (Entry &e : entries_) {
        if (e.key == kGgufAlignmentKey) {
            e.value = value;
            return;
        }
    }
    entries_.push_back(Entry{kGgufAlignmentKey, value, GgufType::Uint32, GgufType::Uint8});
}

void GgufWriter::add_tensor(const std::string &name, DType dtype, const std::vector<int64_t> &shape,
                            const void *data, size_t nbytes) {
    if (name.empty()) invalid("empty tensor name");
    for (const Tensor &t : tensors_) {
        if (t.name == name) invalid("duplicate tensor '" + name + "'");
    }
    if (dtype == DType::Packed) invalid("tensor '" + name + "' is packed; GGUF has no type for it");
    if (shape.size() > kGgufMaxDims) invalid("tensor '" + name + "' has more than 4 dimensions");
    const int64_t row = shape.empty() ? 1 : shape.back();
    if (row % dtype_block_size(dtype) != 0) {
        invalid("tensor '" + name + "' row length " + std::to_string(row) + " is not a multiple of the " +
                dtype_name(dtype) + " block size");
    }
    int64_t n = 0;
    size_t expected = 0;
    if (!checked_element_count(shape, n) || !checked_dtype_bytes(dtype, n, expected) || expected != nbytes) {
        invalid("tensor '" + name + "': " + std::to_string(nbytes) + " bytes do not match " +
                dtype_name(dtype) + " shape " + shape_to_string(shape));
    }
    const uint8_t *bytes = static_cast<const uint8_t *>(data);
    tensors_.push_back(Tensor{name, dtype, shape, std::vector<uint8_t>(bytes, bytes + nbytes)});
}

std::vector<uint8_t> GgufWriter::header_bytes() const {
    Buffer b;
    b.put(kGgufMagic, 4);
    b.put(kGgufVersion, 4);
    b.put(tensors_.size(), 8);
    b.put(entries_.size(), 8);
    for (const Entry &e : entries_) {
        b.put_string(e.key);
        b.put(static_cast<uint32_t>(e.type), 4);
        b.put_value(e.value, e.type, e.elem_type);
    }
    // Each tensor starts at an aligned offset and is padded to the alignment, as gguf-py writes them.
    uint64_t offset = 0;
    for (const Tensor &t : tensors_) {
        b.put_string(t.name);
        b.put(t.shape.size(), 4);
        for (auto d = t.shape.rbegin(); d != t.shape.rend(); ++d) b.put(static_cast<uint64_t>(*d), 8);
        b.put(ggml_type_of(t.dtype), 4);
        b.put(offset, 8);
        offset = align_up(offset + t.data.size(), alignment_);
    }
    if (!tensors_.empty()) b.pad_to(alignment_);
    return std::move(b.bytes);
}

size_t GgufWriter::padding_after(const Tensor &t) const {
    return static_cast<size_t>(align_up(t.data.size(), alignment_) - t.data.size());
}

std::vector<uint8_t> GgufWriter::serialize() const {
    std::vector<uint8_t> bytes = header_bytes();
    for (const Tensor &t : tensors_) {
        bytes.insert(bytes.end(), t.data.begin(), t.data.end());
        bytes.insert(bytes.end(), padding_after(t), 0);
    }
    return bytes;
}

void GgufWriter::write(const std::string &path) const {
    TempFile tmp{path + ".tmp"};
    {
        std::ofstream out(tmp.path, std::ios::binary | std::ios::trunc);
        if (!out) fail(Status::Io, tmp.path + ": cannot create: " + std::strerror(errno));
        const std::vector<uint8_t> header = header_bytes();
        out.write(reinterpret_cast<const char *>(header.data()), static_cast<std::streamsize>(header.size()));
        const std::vector<char> zeros(alignment_, 0);
        for (const Tensor &t : tensors_) {
            out.write(reinterpret_cast<const char *>(t.data.data()),
                      static_cast<std::streamsize>(t.data.size()));
            out.write(zeros.data(), static_cast<std::streamsize>(padding_after(t)));
        }
        out.close();
        if (!out) fail(Status::Io, tmp.path + ": write failed");
    }
    if (std::rename(tmp.path.c_str(), path.c_str()) != 0) {
        fail(Status::Io, path + ": cannot rename " + tmp.path + " to it: " + std::strerror(errno));
    }
    tmp.committed = true;
}

}  // namespace llmrt
