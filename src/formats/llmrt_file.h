// The llmrt file: one file holding a model's configuration, its tokenizer files and its tensors in
// exactly the layout the kernels read, so loading it is an mmap and no copy.
//
// Layout (little-endian):
//   "LLMRTQF1"            8 bytes
//   version               uint32 (3)
//   header_crc32c         uint32: CRC-32C of the header bytes (checksum.h)
//   header_len            uint64
//   header                header_len bytes of UTF-8 JSON
//   zero padding          up to the next multiple of 64: the data section starts there
//   data section          embedded files and tensors, each at an offset (relative to the data
//                         section) that is a multiple of 64; the file ends with the last of them
//
// The header: {"format": "llmrt", "version": 3, "source": "hf" | "gguf", "architecture": str,
//   "hf_config": {...}, "gguf_metadata": {key: {"type": kind, "value": ...}},
//   "embedded_files": {name: {"offset", "size", "crc32c"}},
//   "tensors": [{"name", "dtype", "packed_type" (packed only), "shape", "offset", "nbytes", "crc32c"}],
//   "quantization": {...}}
// dtype is "f32", "f16", "bf16", "q8_0", "q4_0", "q4_1" or "packed"; shape is outermost first.
// gguf_metadata is lossless (every MetaValue kind, 64-bit integers, exact floats, NaN, strings
// that are not UTF-8); metadata_json.h describes its encoding. "crc32c" is the CRC-32C of the
// region's bytes, so damage anywhere but in the zero padding is detected.
//
// Versions: 1 kept int8/int4 scales inside the superblocks and is refused. 2 is version 3 without
// any checksums (its preamble field is 0, its entries have no "crc32c"): it is read, with a
// warning that damage cannot be detected, and `llmrt check` refuses it.
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
constexpr uint32_t kLlmrtFileVersion = 3;  // 3: checksums; 2: int8/int4 rows keep their scales after the codes
constexpr uint32_t kLlmrtFileVersionWithoutChecksums = 2;
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
// memory use does not grow with the model. Throws Error(Status::InvalidArgument) for contents
// that cannot be stored (duplicate or empty names, nbytes that do not match dtype and shape,
// a missing packed_type, embedded file names that are not plain file names, text that is not
// UTF-8), Error(Status::Io) naming path when writing fails, and Error(Status::Cancelled) when
// progress returns false; in every such case the temporary file is removed.
void write_llmrt_file(const std::string &path, const LlmrtFileContents &contents);

// Maps the file and validates all of it (magic, version, header, every offset, size, dtype and
// shape, and every checksum: this reads the whole file) before returning a Checkpoint whose
// tensors point into the mapping, 64-byte aligned. Embedded files are copied. Throws
// Error(Status::Format) naming the file and the problem (for a checksum, the first damaged
// tensor or embedded file), Error(Status::Unsupported) for another format version,
// Error(Status::Io) when it cannot be opened.
Checkpoint read_llmrt_file(const std::string &path);

// Called by check_llmrt_file for each tensor and embedded file in file order: kind ("tensor" or
// "embedded file"), name, and whether its checksum matches. Returning false cancels the check.
using LlmrtCheckVisitor = std::function<bool(const char *kind, const std::string &name, bool intact)>;

// Verifies every checksum of the file, visiting each region (visit may be empty), and returns
// how many there were. Throws Error(Status::Format) when any region is damaged (naming them) or
// the file is malformed or its header damaged, Error(Status::Unsupported) for version 2 (no
// checksums) and other versions, Error(Status::Cancelled) when visit returns false.
size_t check_llmrt_file(const std::string &path, const LlmrtCheckVisitor &visit);

}  // namespace llmrt
