// Writes GGUF v3 files (little-endian), readable by read_gguf_checkpoint and by llama.cpp.
// Used for interop output, by tests to build valid and corrupted files, and to store a tokenizer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "formats/metadata.h"
#include "formats/tensor.h"

namespace llmrt {

class GgufWriter {
public:
    // Sets a key, choosing the GGUF type llama.cpp uses for ordinary values: Int -> int32 when
    // it fits (else int64), UInt -> uint32 when it fits (else uint64), Float -> float32, Bool,
    // String; an array's elements must share one kind and get the widest such type. Setting a
    // key again replaces its value and keeps its position. Throws Error(Status::InvalidArgument).
    void set(const std::string &key, const MetaValue &value);
    // Sets a key with an explicit GGUF type; for arrays, elem_type is the element type (nested
    // arrays inside get the default types). Throws Error(Status::InvalidArgument) when the
    // value does not fit the type.
    void set(const std::string &key, const MetaValue &value, GgufType type,
             GgufType elem_type = GgufType::Uint8);

    void set_string(const std::string &key, const std::string &value);
    void set_bool(const std::string &key, bool value);
    void set_u32(const std::string &key, uint32_t value);
    void set_i32(const std::string &key, int32_t value);
    void set_u64(const std::string &key, uint64_t value);
    void set_i64(const std::string &key, int64_t value);
    void set_f32(const std::string &key, float value);
    void set_f64(const std::string &key, double value);
    void set_string_array(const std::string &key, const std::vector<std::string> &values);
    void set_f32_array(const std::string &key, const std::vector<float> &values);
    void set_i32_array(const std::string &key, const std::vector<int32_t> &values);

    // Alignment of the data section and of every tensor (a power of two; default 32). A value
    // other than 32 is stored as "general.alignment" (uint32).
    void set_alignment(uint32_t alignment);

    // Copies nbytes of tensor data. shape is outermost first (as TensorView); the file stores it
    // innermost first. Throws Error(Status::InvalidArgument) for a duplicate name, more than 4
    // dimensions, a row length that is not a multiple of the block size, or nbytes that do not
    // match dtype and shape.
    void add_tensor(const std::string &name, DType dtype, const std::vector<int64_t> &shape, const void *data,
                    size_t nbytes);

    // Writes path + ".tmp", then renames it to path, so path never holds a partial file.
    // Throws Error(Status::Io) naming the path; the temporary file is removed on failure.
    void write(const std::string &path) const;

    // The bytes write() would produce.
    std::vector<uint8_t> serialize() const;

private:
    struct Entry {
        std::string key;
        MetaValue value;
        GgufType type;
        GgufType elem_type;
    };
    struct Tensor {
        std::string name;
        DType dtype;
        std::vector<int64_t> shape;
        std::vector<uint8_t> data;
    };

    std::vector<uint8_t> header_bytes() const;  // up to the aligned start of the data section
    size_t padding_after(const Tensor &t) const;

    std::vector<Entry> entries_;
    std::vector<Tensor> tensors_;
    uint32_t alignment_ = 32;
};

}  // namespace llmrt
