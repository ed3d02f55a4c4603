// A checkpoint as read from disk, before any architecture interprets it: configuration, tensors
// (pointing into memory-mapped files it owns) and where the tokenizer lives (or the tokenizer
// files themselves, for an llmrt file).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/mapped_file.h"
#include "formats/metadata.h"
#include "formats/tensor.h"

namespace llmrt {

struct Checkpoint {
    enum class Source { HuggingFace, Gguf };
    Source source = Source::HuggingFace;
    // The directory (HF) or file (GGUF, llmrt file) the user gave. An llmrt file records the
    // Source of the checkpoint it was made from.
    std::string path;

    // HF: config.json merged with generation_config.json's bos/eos ("bos_token_id",
    // "eos_token_id" only when config.json lacks them). Empty object for GGUF.
    nlohmann::json hf_config = nlohmann::json::object();
    // GGUF: all key/value pairs (including tokenizer.ggml.*). Empty for HF.
    Metadata gguf_metadata;

    std::map<std::string, TensorView> tensors;
    std::vector<std::shared_ptr<MappedFile>> files;  // keep the tensors' memory alive
    // Tensors made on demand (synthetic models): when set, the loader calls it before it reads a
    // tensor's data, and may release (MappedFile::release) that memory once it has converted it;
    // calling it again makes the same data. Unset for files, whose data is always there.
    std::function<void(const TensorView &)> produce;

    // Architecture name as the file states it: HF config "architectures"[0] (e.g.
    // "LlamaForCausalLM") or GGUF "general.architecture" (e.g. "llama").
    std::string architecture;

    // Files carried inside the checkpoint, by name ("tokenizer.model", "tokenizer.json",
    // "tokenizer_config.json", "generation_config.json"...) -> content. Only llmrt files have them.
    std::map<std::string, std::string> embedded_files;

    // True when read from an llmrt file: tensors may be DType::Packed, in the kernels' layout.
    bool packed_file = false;
    // llmrt files: the free-form description of how the file was quantized. Empty object otherwise.
    nlohmann::json quantization_info = nlohmann::json::object();

    const TensorView *find(const std::string &name) const;
    // Throws Error(Status::Format) naming the checkpoint path and tensor when absent.
    const TensorView &get(const std::string &name) const;
};

// Reads a directory holding config.json and model.safetensors or model.safetensors.index.json.
// Validates every header, offset, dtype and shape against the files. Throws Error.
Checkpoint read_hf_checkpoint(const std::string &dir);

// Reads a GGUF v2/v3 file. Validates magic, version, counts, string lengths, types, tensor
// offsets, alignment and sizes against the file. Throws Error.
Checkpoint read_gguf_checkpoint(const std::string &path);

// Picks the reader from what the path is (directory -> HF, file starting with "GGUF" -> GGUF,
// file starting with "LLMRTQF1" -> llmrt file, see llmrt_file.h).
Checkpoint read_checkpoint(const std::string &path);

}  // namespace llmrt
