// The llmrt file: one file holding a model's configuration, its tokenizer files and its tensors in
// exactly the layout the kernels read, so loading it is an mmap and no copy.
//
// Layout (little-endian):
//   "LLMRTQF1"            8 bytes
//   version               uint32 (1)
//   reserved              uint32 (0)
//   header_len            uint64
//   header                header_len bytes of UTF-8 JSON
//   zero padding          up to the next multiple of 64: the data section starts there
//   data section          embedded files and tensors, each at an offset (relative to the data
//                         section) that is a multiple of 64; the file ends with the last of them
//
// The header: {"format": "llmrt", "version": 1, "source": "hf" | "gguf", "architecture": str,
//   "hf_config": {...}, "gguf_metadata": {key: {"type": kind, "value": ...}},
//   "embedded_files": {name: {"offset", "size"}},
//   "tensors": [{"name", "dtype", "packed_type" (packed only), "shape", "offset", "nbytes"}],
//   "quantization": {...}}
// dtype is "f32", "f16", "bf16", "q8_0", "q4_0", "q4_1" or "packed"; shape is outermost first.
// gguf_metadata is lossless (every MetaValue kind, 64-bit integers, exact floats, NaN, strings
// that are not UTF-8); metadata_json.h describes its encoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "formats/checkpoint.h"
#include "formats/metadata.h"
#include "formats/tensor.h"

namespace llmrt {

constexpr const char *kLlmrtFileMagic = "LLMRTQF1";
constexpr size_t kLlmrtFileMagicSize = 8;
constexpr uint32_t kLlmrtFileVersion = 2;  // 2: int8/int4 rows keep their scales after the codes
constexpr uint64_t kLlmrtFileAlignment = 64;

struct LlmrtFileTensor {
    std::string name;
    DType dtype = DType::F32;
    std::string packed_type;        // Packed only: the kernels' weight type name
    std::vector<int64_t> shape;     // outermost first
    const uint8_t *data = nullptr;  // not owned; must stay valid until write_llmrt_file returns
    size_t nbytes = 0;
};

struct LlmrtFileContents {
    Checkpoint::Source source = Checkpoint::Source::HuggingFace;
    std::string architecture;
    nlohmann::json hf_config = nlohmann::json::object();
    Metadata gguf_metadata;
    std::map<std::string, std::string> embedded_files;  // plain file name -> content
    std::vector<LlmrtFileTensor> tensors;               // written in this order
    nlohmann::json quantization_info = nlohmann::json::object();
    // Called as the file is written; returning false cancels the write. May be empty.
    std::function<bool(size_t bytes_written, size_t total)> progress;
};

// Everything a checkpoint holds, with tensors pointing into it (keep ckpt alive while writing).
// A quantizer starts from this and replaces the tensors it packs.
LlmrtFileContents llmrt_file_contents_of(const Checkpoint &ckpt);

// Writes a temporary file next to path, fsyncs it and renames it over path, so path holds either
// its old contents or the complete new file. Tensor data is streamed from the callers' pointers;
// memory use does not grow with the model. Throws Error(LLMRT_ERR_INVALID_ARGUMENT) for contents
// that cannot be stored (duplicate or empty names, nbytes that do not match dtype and shape,
// a missing packed_type, embedded file names that are not plain file names, text that is not
// UTF-8), Error(LLMRT_ERR_IO) naming path when writing fails, and Error(LLMRT_CANCELLED) when
// progress returns false; in every such case the temporary file is removed.
void write_llmrt_file(const std::string &path, const LlmrtFileContents &contents);

// Maps the file and validates all of it (magic, version, header, every offset, size, dtype and
// shape) before returning a Checkpoint whose tensors point into the mapping, 64-byte aligned.
// Embedded files are copied. Throws Error(LLMRT_ERR_FORMAT) naming the file and the problem,
// Error(LLMRT_ERR_UNSUPPORTED) for another format version, Error(LLMRT_ERR_IO) when it cannot
// be opened.
Checkpoint read_llmrt_file(const std::string &path);

}  // namespace llmrt
